"""InputsExistHook: missing inputs are named before the first node; datasets that cannot tell are left to load."""

from __future__ import annotations

import pytest
from kedro.io import AbstractDataset, DataCatalog
from kedro.pipeline import Node, Pipeline
from kedro_datasets.json import JSONDataset

from xllm_kedro.hooks import InputsExistHook


class RemoteRows(AbstractDataset):
    """Like a hub dataset: loadable, but with no way to check existence without fetching."""

    def load(self):
        return [1]

    def save(self, data):
        raise NotImplementedError

    def _describe(self):
        return {}


def _pipeline():
    return Pipeline([Node(lambda a, b: a, ["hub_rows", "local_file"], "out", name="n")])


@pytest.mark.badinput
def test_a_missing_file_is_named_and_a_dataset_that_cannot_tell_is_not(tmp_path):
    catalog = DataCatalog({"hub_rows": RemoteRows(), "local_file": JSONDataset(filepath=str(tmp_path / "gone.json"))})
    with pytest.raises(FileNotFoundError) as err:
        InputsExistHook().before_pipeline_run({}, _pipeline(), catalog)
    assert "local_file" in str(err.value) and "gone.json" in str(err.value)
    assert "hub_rows" not in str(err.value)
    (tmp_path / "gone.json").write_text("{}")
    InputsExistHook().before_pipeline_run({}, _pipeline(), catalog)  # now nothing is missing
