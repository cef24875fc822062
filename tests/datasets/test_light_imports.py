"""Preparing text needs neither torch nor transformers: a data-preparation process stays small."""

import subprocess
import sys

import pytest


def test_the_text_datasets_and_data_preparation_nodes_import_no_torch():
    code = ("import sys\n"
            "from xllm_kedro.datasets import JsonLinesDataset, ParallelCorpusDataset, ReportDataset\n"
            "from xllm_kedro.pipelines.data_preparation import nodes\n"
            "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))\n"
            "from xllm_kedro.datasets import HubDataset\n"
            "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split("\n")
    assert out[0] == "[]"
    assert out[1] == "['torch', 'transformers']"  # the hub dataset does bring them: the probe can see them


def test_an_unknown_dataset_name_is_an_attribute_error():
    import xllm_kedro.datasets as datasets

    with pytest.raises(AttributeError, match="NoSuchDataset"):
        datasets.NoSuchDataset  # noqa: B018
