"""Bad input stops a run early, with an error naming the file, line or key, and leaves nothing partial.

A missing input is named before the first node by InputsExistHook (checked on its own here, fast), and
``kedro run`` on a scratch copy of the project shows what a user sees (slow). The other levels of bad
input: tests/unit/spec/test_bad_parameters.py (parameters) and tests/unit/test_bad_data.py (files and
records).
"""

from __future__ import annotations

import pytest
from kedro.io import AbstractDataset, DataCatalog
from kedro.pipeline import Node, Pipeline
from kedro_datasets.json import JSONDataset

from xllm_kedro.hooks import InputsExistHook

from .conftest import kedro

pytestmark = pytest.mark.badinput


class RemoteRows(AbstractDataset):
    """Like a hub dataset: loadable, but with no way to check existence without fetching."""

    def load(self):
        return [1]

    def save(self, data):
        raise NotImplementedError

    def _describe(self):
        return {}


def test_the_hook_names_a_missing_file_and_not_a_dataset_that_cannot_tell(tmp_path):
    pipeline = Pipeline([Node(lambda a, b: a, ["hub_rows", "local_file"], "out", name="n")])
    catalog = DataCatalog({"hub_rows": RemoteRows(), "local_file": JSONDataset(filepath=str(tmp_path / "gone.json"))})
    with pytest.raises(FileNotFoundError) as err:
        InputsExistHook().before_pipeline_run({}, pipeline, catalog)
    assert "local_file" in str(err.value) and "gone.json" in str(err.value)
    assert "hub_rows" not in str(err.value)
    (tmp_path / "gone.json").write_text("{}")
    InputsExistHook().before_pipeline_run({}, pipeline, catalog)  # now nothing is missing


def generated_files(root):
    return sorted(str(p.relative_to(root)) for d in (root / "data").glob("0[2-8]_*") for p in d.rglob("*") if p.is_file())


def no_half_written_files(root):
    return not [p for p in (root / "data").rglob(".*") if p.is_file() and p.name != ".gitkeep"]


def failed_run(root) -> str:
    """``kedro run --env test`` at ``root``, which must fail; its output."""
    proc = kedro(root, "run", "--env", "test", check=False)
    assert proc.returncode != 0
    return proc.stdout + proc.stderr


@pytest.mark.e2e
@pytest.mark.slow
def test_missing_raw_file_is_named_before_any_node_runs(project):
    (project / "data" / "01_raw" / "parallel" / "en-zh.zh").unlink()
    out = failed_run(project)
    assert "zh.parallel_raw" in out and "en-zh.zh" in out
    assert generated_files(project) == []


@pytest.mark.e2e
@pytest.mark.slow
def test_malformed_json_line_names_file_and_line_and_no_training_starts(project):
    bad = project / "data" / "01_raw" / "alpaca" / "zh.jsonl"
    bad.write_text('{"instruction": "a", "input": "", "output": "b"}\n'
                   '{"instruction": "c", "input": "", "output": "d"}\n'
                   '{"instruction": "e", "output": \n', encoding="utf-8")
    with open(project / "conf" / "test" / "catalog.yml", "a", encoding="utf-8") as catalog:  # the env's own, if any
        catalog.write('\n"zh.alpaca_raw":\n  type: xllm_kedro.datasets.InstructionDataset\n'
                      '  filepath: data/01_raw/alpaca/zh.jsonl\n')
    out = failed_run(project)
    assert "zh.jsonl:3: malformed JSON line" in out.replace("\n", "")
    assert not (project / "data" / "06_models").exists()
    assert not (project / "data" / "03_primary" / "alpaca" / "zh.jsonl").exists()
    assert no_half_written_files(project)


@pytest.mark.e2e
@pytest.mark.slow
def test_unknown_language_code_names_the_key(project):
    params = project / "conf" / "test" / "parameters.yml"
    params.write_text(params.read_text().replace("languages: [zh]", "languages: [zh, xx]", 1))
    out = failed_run(project).replace("\n", " ")
    assert "unknown language code 'xx'" in out and "languages" in out
    assert generated_files(project) == []
