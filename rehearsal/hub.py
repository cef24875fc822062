"""Local replicas of conf/paper's hub sources, small: the same repository ids, configs, split names, file
layout and columns as the real repositories (see the citations in conf/paper/catalog.yml), written as
parquet with the README `configs` list the hub uses, so ``datasets.load_dataset`` reads them as it reads
the hub."""

from __future__ import annotations

from pathlib import Path

import yaml

from rehearsal.text import Words

LANGS = ["ar", "el", "hi", "tr", "vi", "zh"]
FLORES = {"en": "eng_Latn", "ar": "arb_Arab", "el": "ell_Grek", "hi": "hin_Deva", "tr": "tur_Latn",
          "vi": "vie_Latn", "zh": "zho_Hans"}


def _write(root: Path, repo: str, configs: dict) -> None:
    from datasets import Dataset

    base = root / repo
    listed = []
    for config, splits in configs.items():
        folder = base / (config or "data")
        folder.mkdir(parents=True, exist_ok=True)
        for split, rows in splits.items():
            Dataset.from_list(rows).to_parquet(str(folder / f"{split}-00000-of-00001.parquet"))
        if config:
            listed.append({"config_name": config, "data_files": [{"split": s, "path": f"{config}/{s}-*"} for s in splits]})
    card = f"---\n{yaml.safe_dump({'configs': listed}, sort_keys=False, allow_unicode=True)}---\n" if listed else ""
    (base / "README.md").write_text(card + f"# local replica of {repo}\n", encoding="utf-8")


def _qa(words: Words, lang: str, n: int) -> list[dict]:
    rows = []
    for i in range(n):
        answer = words.sentence(lang, 2).rstrip(".。")
        context = f"{words.sentence(lang)} {answer} {words.sentence(lang)}"
        rows.append({"id": f"{lang}-{i}", "title": "replica", "context": context, "question": words.sentence(lang, 4),
                     "answers": {"answer_start": [context.index(answer)], "text": [answer]}})
    return rows


def write_replicas(root: Path, *, seed: int = 0, pairs: int = 40, records: int = 24, eval_rows: int = 6) -> Path:
    """Every hub source of conf/paper under ``root`` (the ``hub_root`` runtime parameter)."""
    words = Words(seed)
    _write(root, "google/xquad", {f"xquad.{lang}": {"validation": _qa(words, lang, eval_rows)} for lang in ["en", *LANGS]})
    _write(root, "google/xtreme", {f"MLQA.{lang}.{lang}": {"test": _qa(words, lang, eval_rows), "validation": _qa(words, lang, 1)}
                                   for lang in ["en", "ar", "hi", "vi", "zh"]})
    english = [words.sentence("en") for _ in range(eval_rows * 2)]
    flores = {"en": english, **{lang: [words.sentence(lang, len(s.split())) for s in english] for lang in LANGS}}
    _write(root, "facebook/flores", {
        FLORES[lang]: {split: [{"id": i + 1, "URL": "replica", "domain": "wikinews", "topic": "replica", "has_image": 0,
                                "has_hyperlink": 0, "sentence": s} for i, s in enumerate(part)]
                       for split, part in (("dev", sents[:2]), ("devtest", sents))}
        for lang, sents in flores.items()})
    _write(root, "tatsu-lab/alpaca", {None: {"train": [
        {"instruction": words.sentence("en", 5), "input": words.sentence("en") if i % 2 else "",
         "output": words.sentence("en"), "text": ""} for i in range(records)]}})
    _write(root, "sentence-transformers/parallel-sentences-wikimatrix", {
        f"en-{lang}": {split: [dict(zip(("english", "non_english"), words.parallel(lang))) for _ in range(n)]
                       for split, n in (("train", pairs), ("dev", 4))} for lang in LANGS})
    _write(root, "Helsinki-NLP/news_commentary", {
        pair: {"train": [{"id": str(i), "translation": dict(zip(("en", lang), words.parallel(lang)))} for i in range(pairs // 4)]}
        for pair, lang in (("ar-en", "ar"), ("en-zh", "zh"))})
    _write(root, "Helsinki-NLP/opus-100", {"en-hi": {split: [{"translation": dict(zip(("en", "hi"), words.parallel("hi")))}
                                                             for _ in range(n)]
                                                     for split, n in (("train", pairs // 4), ("validation", 4), ("test", 4))}})
    return root


def replica_texts(root: Path) -> list[str]:
    """Every string of the replicas, for the tiny models' tokenizers."""
    import pyarrow.parquet as pq

    texts = []
    for path in sorted(root.rglob("*.parquet")):
        for row in pq.read_table(path).to_pylist():
            stack = [row]
            while stack:
                value = stack.pop()
                if isinstance(value, str):
                    texts.append(value)
                elif isinstance(value, dict):
                    stack.extend(value.values())
                elif isinstance(value, list):
                    stack.extend(value)
    return texts
