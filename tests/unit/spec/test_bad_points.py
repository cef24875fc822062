"""A user's scaling points file is checked before any node: finite positive sizes, scores in [0, 100],
known languages and three distinct sizes per language, each error naming the file and line."""

from __future__ import annotations

import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Node, Pipeline
from kedro_datasets.pandas import CSVDataset

from xllm_kedro.hooks import InputsExistHook

pytestmark = pytest.mark.badinput

GOOD = "language,size,score\nqaa,100,20\nqaa,200,30\nqaa,400,38\n"


@pytest.mark.parametrize("text,message", [
    (GOOD.replace("qaa,200,30", "qaa,inf,30"), ":3: size must be a positive finite number"),
    (GOOD.replace("qaa,100,20", "qaa,-100,20"), ":2: size must be a positive finite number"),
    (GOOD.replace("qaa,400,38", "qaa,400,138"), ":4: score must be a finite number in [0, 100]"),
    (GOOD.replace("qaa,400,38", "qaa,200,38"), "'qaa' has 2 distinct size(s); a law needs 3"),
    (GOOD + "qzz,100,5\n", ":5: language 'qzz' is not in parameters scaling.languages"),
    (GOOD.replace("score", "chrf"), ":1: missing column(s) ['score']"),
])
def test_a_bad_points_file_stops_the_run_before_any_node(tmp_path, text, message):
    path = tmp_path / "points.csv"
    path.write_text(text)
    pipeline = Pipeline([Node(lambda p: p, "user_scaling_points", "out", name="fit")])
    catalog = DataCatalog({"user_scaling_points": CSVDataset(filepath=str(path)),
                           "params:scaling": MemoryDataset({"points_source": "user", "languages": ["qaa"]})})
    with pytest.raises(ValueError) as err:
        InputsExistHook().before_pipeline_run({}, pipeline, catalog)
    assert str(path) in str(err.value) and message in str(err.value)
    path.write_text(GOOD)
    InputsExistHook().before_pipeline_run({}, pipeline, catalog)  # a good file passes
