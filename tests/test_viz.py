"""kedro-viz, offline: ``kedro viz build`` writes the static site of the project's lineage (no server,
no port). The layers are the catalog's, in data-flow order, the budgeted ones after ``reporting``."""

from __future__ import annotations

import json

import pytest

from .conftest import kedro

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

STAGE_LAYERS = ["raw", "intermediate", "primary", "model_input", "models", "model_output", "reporting"]
BUDGETED_LAYERS = ["budgeted_model_input", "budgeted_models", "budgeted_model_output", "budgeted_reporting"]


def test_viz_build_orders_the_layers_with_the_budgeted_ones_after_reporting(project):
    kedro(project, "viz", "build")
    assert (project / "build" / "index.html").exists()
    graph = json.loads((project / "build" / "api" / "main").read_text())
    layers = graph["layers"]
    assert layers, "kedro-viz found no layers: the layer view would be empty"
    assert set(BUDGETED_LAYERS) <= set(layers) and "reporting" in layers
    assert all(layers.index(b) > layers.index("reporting") for b in BUDGETED_LAYERS)
    # the stage layers keep their data-flow order, as do the budgeted ones
    assert [x for x in layers if x in STAGE_LAYERS] == [x for x in STAGE_LAYERS if x in layers]
    assert [x for x in layers if x in BUDGETED_LAYERS] == BUDGETED_LAYERS
    data_layers = {n.get("layer") for n in graph["nodes"] if n.get("type") == "data"}
    assert {"raw", "primary", "model_input", "models", "reporting"} <= data_layers
    assert set(BUDGETED_LAYERS) <= data_layers  # each budgeted layer holds some dataset
    assert data_layers - {None} <= set(layers)
