"""Bad input stops a run early, with an error naming the file, line or key, and leaves nothing partial."""

from __future__ import annotations

import pytest

from .test_end_to_end import kedro, project_copy

pytestmark = pytest.mark.badinput


def generated_files(root):
    return sorted(str(p.relative_to(root)) for d in (root / "data").glob("0[2-8]_*") for p in d.rglob("*") if p.is_file())


def no_half_written_files(root):
    return not [p for p in (root / "data").rglob(".*") if p.is_file() and p.name != ".gitkeep"]


def test_missing_raw_file_is_named_before_any_node_runs(tmp_path):
    root = project_copy(tmp_path)
    (root / "data" / "01_raw" / "parallel" / "en-zh.zh").unlink()
    proc = kedro(root, "run", "--env", "test", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "zh.parallel_raw" in out and "en-zh.zh" in out
    assert generated_files(root) == []


def test_malformed_json_line_names_file_and_line_and_no_training_starts(tmp_path):
    root = project_copy(tmp_path)
    bad = root / "data" / "01_raw" / "alpaca" / "zh.jsonl"
    bad.write_text('{"instruction": "a", "input": "", "output": "b"}\n'
                   '{"instruction": "c", "input": "", "output": "d"}\n'
                   '{"instruction": "e", "output": \n', encoding="utf-8")
    (root / "conf" / "test" / "catalog.yml").write_text(
        '"zh.alpaca_raw":\n  type: xllm_kedro.datasets.InstructionDataset\n  filepath: data/01_raw/alpaca/zh.jsonl\n')
    proc = kedro(root, "run", "--env", "test", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "zh.jsonl:3: malformed JSON line" in out.replace("\n", "")
    assert not (root / "data" / "06_models").exists()
    assert not (root / "data" / "03_primary" / "alpaca" / "zh.jsonl").exists()
    assert no_half_written_files(root)


def test_unknown_language_code_names_the_key(tmp_path):
    root = project_copy(tmp_path)
    params = root / "conf" / "test" / "parameters.yml"
    params.write_text(params.read_text().replace("languages: [zh]", "languages: [zh, xx]", 1))
    proc = kedro(root, "run", "--env", "test", check=False)
    out = (proc.stdout + proc.stderr).replace("\n", " ")
    assert proc.returncode != 0
    assert "unknown language code 'xx'" in out and "languages" in out
    assert generated_files(root) == []
