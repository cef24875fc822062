"""The synthetic world: reproducible, well-formed files, exact QA spans, and a clean held-out split."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from xllm_kedro.corpora.scripts import SCRIPT_PREFIXES, script_share
from xllm_kedro.world import WORLD_LANGUAGES, qa_prompts, world_params, write_world
from xllm_kedro.world.languages import build_grammars

SMALL = {"monolingual_en": 300, "monolingual_target": 50, "parallel": 200, "alpaca": 60, "qa": 20, "multiway": 30,
         "devtest": 10}
CODES = [lang.code for lang in WORLD_LANGUAGES]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("world")
    write_world(out, seed=7, **SMALL)
    return out


def _lines(path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _tree(root) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_other_world(tmp_path, world):
    write_world(tmp_path / "again", seed=7, **SMALL)
    write_world(tmp_path / "other", seed=8, **SMALL)
    assert _tree(tmp_path / "again") == _tree(world)
    other = _tree(tmp_path / "other")
    assert other.keys() == _tree(world).keys() and other["monolingual/en.txt"] != _tree(world)["monolingual/en.txt"]


def test_every_file_is_there_and_no_temporary_is_left(world):
    names = set(_tree(world))
    for code in ["en", *CODES]:
        assert {f"alpaca/{code}.json", f"qa/{code}.json", f"multiway/{code}.txt", f"multiway_devtest/{code}.txt",
                f"monolingual/{code}.txt"} <= names
    for code in CODES:
        assert {f"parallel/en-{code}.en", f"parallel/en-{code}.{code}"} <= names
    assert not [n for n in names if n.rsplit("/", 1)[-1].startswith(".")]
    assert json.loads((world / "world.json").read_text())["params"]["parallel"] == SMALL["parallel"]


def test_languages_use_private_codes_and_scripts_the_cleaner_knows():
    for lang in WORLD_LANGUAGES:
        assert re.fullmatch(r"q[a-t][a-z]", lang.code) and lang.script in SCRIPT_PREFIXES
    assert len({lang.code for lang in WORLD_LANGUAGES}) == len(WORLD_LANGUAGES) >= 3


def test_target_text_is_in_its_script_and_differs_from_english(world):
    for lang in WORLD_LANGUAGES:
        en, x = _lines(world / "parallel" / f"en-{lang.code}.en"), _lines(world / "parallel" / f"en-{lang.code}.{lang.code}")
        assert len(en) == len(x) == SMALL["parallel"] == len(set(en))
        assert all(a != b for a, b in zip(en, x))
        assert min(script_share(line, lang.script) for line in x[:50]) == 1.0
        assert 1 / 3 < sum(map(len, x)) / sum(map(len, en)) < 3  # within the cleaner's length ratio


def test_qa_is_squad_with_exact_spans_and_the_same_ids_everywhere(world):
    ids = {}
    for code in ["en", *CODES]:
        squad = json.loads((world / "qa" / f"{code}.json").read_text(encoding="utf-8"))
        assert squad["version"] == "1.1"
        seen = []
        for article in squad["data"]:
            assert article["title"]
            for para in article["paragraphs"]:
                for qa in para["qas"]:
                    [answer] = qa["answers"]
                    start = answer["answer_start"]
                    assert para["context"][start:start + len(answer["text"])] == answer["text"]
                    assert para["context"].count(answer["text"]) == 1 and qa["question"].endswith("?")
                    seen.append(qa["id"])
        ids[code] = seen
    assert len(ids["en"]) == SMALL["qa"] and all(v == ids["en"] for v in ids.values())


def test_alpaca_is_the_same_items_in_every_language(world):
    sets = {code: json.loads((world / "alpaca" / f"{code}.json").read_text(encoding="utf-8")) for code in ["en", *CODES]}
    assert all(len(v) == SMALL["alpaca"] for v in sets.values())
    for records in sets.values():
        assert all(set(r) == {"instruction", "input", "output"} and r["instruction"] and r["output"] for r in records)
    en = sets["en"]
    reverse = [i for i, r in enumerate(en) if r["instruction"].startswith("reverse")]
    assert reverse, "the seed should give at least one reverse item"
    for code, records in sets.items():
        for i in reverse:  # the answer is checkable in every language
            assert records[i]["output"].split() == records[i]["input"].split()[::-1]
    labels = qa_prompts(seed=7)
    qa_en = [r for r in en if r["instruction"] == labels["en"]["instruction"]]
    assert qa_en and all(r["input"].startswith(f"{labels['en']['context']}: ") for r in qa_en)
    assert all(r["input"].endswith(f"\n{labels['en']['answer']}:") for r in qa_en)


def test_multiway_is_line_aligned_and_held_out_of_every_training_text(world):
    for name, n in (("multiway", SMALL["multiway"]), ("multiway_devtest", SMALL["devtest"])):
        assert {len(_lines(world / name / f"{code}.txt")) for code in ["en", *CODES]} == {n}
    held = set(_lines(world / "multiway" / "en.txt")) | set(_lines(world / "multiway_devtest" / "en.txt"))
    squad = json.loads((world / "qa" / "en.json").read_text())
    held |= {s.strip() + " ." for a in squad["data"] for p in a["paragraphs"] for s in p["context"].split(" .") if s.strip()}
    training = set(_lines(world / "monolingual" / "en.txt"))
    for code in CODES:
        training |= set(_lines(world / "parallel" / f"en-{code}.en"))
    for record in json.loads((world / "alpaca" / "en.json").read_text()):
        training |= {record["input"], record["output"]}
    assert len(held) > SMALL["multiway"] and not held & training


@pytest.mark.parametrize(("values", "key"), [
    ({"parallel": 0}, "parallel"), ({"languages": ["xx"]}, "languages"), ({"qa": "many"}, "qa"),
    ({"question_share": 1.5}, "question_share"), ({"echo_share": -0.1}, "echo_share"), ({"seed": 1.5}, "seed"),
    ({"paralel": 3}, "paralel"), ({"copy_languages": ["xx"]}, "copy_languages"),
    ({"languages": ["qab"], "copy_languages": ["en", "qaa"]}, "copy_languages"),
    ({"copy_languages": ["en", "en"]}, "copy_languages"), ({"copy_languages": []}, "copy_languages"),
])
def test_bad_parameters_name_their_key(values, key):
    with pytest.raises(ValueError, match=re.escape(key)):
        world_params(values)


def test_each_copy_list_is_one_declared_language_and_every_one_is_used(tmp_path):
    out = tmp_path / "copy"
    write_world(out, seed=7, **SMALL, copy_lines=200, copy_languages=["en", "qab", "qac"])
    lexicons = build_grammars(7, ["qaa", "qab", "qac"])  # each language's word forms, as the world defines them
    vocab = {code: set(lexicons[code].words.values()) for code in ("en", "qab", "qac")}
    seen = set()
    for line in _lines(out / "copy" / "en.txt"):
        words, copied = line.split(" = ")
        assert words == copied
        owners = [code for code, known in vocab.items() if set(words.split()) <= known]
        assert owners, f"a copy list of no single declared language: {words}"
        seen.update(owners)
    assert seen >= {"en", "qab", "qac"}


def test_cli_writes_the_world(tmp_path):
    out = tmp_path / "cli"
    subprocess.run([sys.executable, "-m", "xllm_kedro.world", "--out", str(out), "--seed", "7", "--languages", "qac",
                    *[f"--set={k}={v}" for k, v in SMALL.items()]], check=True, capture_output=True)
    assert json.loads((out / "world.json").read_text())["params"]["languages"] == ["qac"]
    assert not (out / "alpaca" / "qaa.json").exists() and (out / "qa" / "qac.json").exists()
