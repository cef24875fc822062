"""A Hugging Face hub dataset (kedro-datasets' HFDataset) that describes itself without the network.

HFDataset's description asks the hub's search API about the dataset, and Kedro describes every dataset
it loads, so an offline run (HF_HUB_OFFLINE=1, a local replica, a cluster node without internet) fails
before reading a row. Loading is unchanged: ``datasets.load_dataset(dataset_name, **dataset_kwargs)``.
"""

from __future__ import annotations

from typing import Any

from kedro_datasets.huggingface import HFDataset


class HubDataset(HFDataset):
    def _describe(self) -> dict[str, Any]:
        return {"dataset_name": self.dataset_name, "dataset_kwargs": self._dataset_kwargs}
