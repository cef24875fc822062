"""kedro-viz, offline: ``kedro viz build`` writes the static site of the project's lineage (no server,
no port), and docs/lineage_view.py its opening view (``make viz-build``). The layers are the catalog's,
in data-flow order, the budgeted ones after ``reporting``. The site opens on the stage pipelines, left to
right, each language's and experiment's nodes collapsed inside its stage and the datasets between stages
folded into the edges, and headless Chromium's picture of that view is docs/lineage.png (``make lineage``)."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image

from xllm_kedro.spec.experiments import sweep_sizes

from .conftest import PROJECT_ROOT, kedro, parameters, scratch_project

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

STAGE_LAYERS = ["raw", "intermediate", "primary", "model_input", "models", "model_output", "reporting"]
BUDGETED_LAYERS = ["budgeted_model_input", "budgeted_models", "budgeted_model_output", "budgeted_reporting"]
SCRIPT = PROJECT_ROOT / "docs" / "lineage_screenshot.py"
VIEW = PROJECT_ROOT / "docs" / "lineage_view.py"
READABLE = 25  # elements at most in the opening view
SMALLEST_ZOOM = 0.4  # below this kedro-viz's labels cannot be read at 1600x1000


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    project = scratch_project(tmp_path_factory.mktemp("viz"))
    proc = kedro(project, "viz", "build")
    (project / "build.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    assert (project / "build" / "index.html").exists()
    script(VIEW).set_opening_view(project / "build")  # what `make viz-build` runs after the build
    return project / "build"


def test_the_build_prints_no_warning_blocks(site):
    printed = (site.parent / "build.log").read_text(encoding="utf-8")
    assert not re.search(r"\b\w*Warning\b:", printed), printed[-3000:]


@pytest.fixture(scope="module")
def graph(site) -> dict:
    return json.loads((site / "api" / "main").read_text())


def script(path: Path):
    """A script of docs/ (they live beside the picture they make) as a module."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def lineage():
    """docs/lineage_screenshot.py, the script `make lineage` runs."""
    module = script(SCRIPT)
    if not any(shutil.which(name) for name in module.BROWSERS):
        pytest.skip(module.NOT_INSTALLED)
    return module


def stages(graph: dict) -> set[str]:
    return {p["id"] for p in graph["pipelines"]} - {"__default__"}


def test_viz_build_orders_the_layers_with_the_budgeted_ones_after_reporting(graph):
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


def test_the_lineage_opens_on_the_stages_with_languages_and_experiments_inside(graph):
    tree = graph["modular_pipelines"]
    root = tree["__root__"]["children"]
    top = {c["id"] for c in root if c["type"] == "modularPipeline"}
    assert top == stages(graph) and len(top) == 8
    assert not [c for c in root if c["type"] == "task"]  # every node sits inside its stage
    nested = set(tree) - top - {"__root__"}
    assert nested and all(name.split(".")[0] in top for name in nested)
    # conf/base: a language inside data preparation, experiments and sweep runs inside training and evaluation
    sweep = parameters("base")["sweep"]
    largest = sweep_sizes(sweep, sweep["languages"])["qac"][-1]
    assert {"data_preparation.qaa", "instruction_tuning.x_qaa", f"evaluation.sweep_qac_{largest}",
            "budgeted.budget_uniform"} <= nested
    by_id = {n["id"]: n for n in graph["nodes"]}
    root_data = [by_id[c["id"]] for c in root if c["type"] == "data"]
    unlayered = sorted(n["name"] for n in root_data if n.get("layer") not in graph["layers"])
    assert root_data and unlayered == ["llm_generator_credentials", "llm_judge_credentials"]  # the rest by layer


def test_the_opening_view_is_the_stage_boxes_left_to_right_at_a_readable_zoom(site, graph, lineage, tmp_path):
    drawn, zoom = lineage.drawn_view(site)
    boxes = drawn["modularPipeline"]
    assert sorted(boxes) == sorted(stages(graph))
    assert sum(map(len, drawn.values())) <= READABLE, {kind: sorted(names) for kind, names in drawn.items()}
    assert "task" not in drawn and "data" not in drawn  # nodes inside their stage, datasets in the edges
    assert zoom is not None and zoom >= SMALLEST_ZOOM, f"opens at {zoom} zoom"
    # left to right: each stage stands right of the stages it reads from
    x = {name: at[0] for name, at in boxes.items()}
    assert x["data_preparation"] < x["instruction_tuning"] < x["evaluation"] < x["scaling_analysis"]
    assert x["scaling_analysis"] < x["allocation"] < x["budgeted"]

    picture = lineage.screenshot(site, tmp_path / "lineage.png", 1600, 1000)  # raises if the graph stays blank
    assert Image.open(picture).size == (1600, 1000)
    drawn_share = lineage.graph_drawn_share(picture)
    assert drawn_share > 0.02, f"the graph area is almost blank ({drawn_share:.3f} of it drawn)"


def test_a_blank_picture_counts_as_not_drawn(tmp_path, lineage):
    blank = tmp_path / "blank.png"
    Image.new("RGB", (1600, 1000), (245, 245, 245)).save(blank)
    assert lineage.graph_drawn_share(blank) == 0
    drawn = Image.new("RGB", (1600, 1000), (245, 245, 245))
    drawn.paste((30, 30, 30), (800, 100, 1200, 400))  # a box in the graph area
    drawn.save(tmp_path / "drawn.png")
    assert lineage.graph_drawn_share(tmp_path / "drawn.png") > 0.02


def test_the_docs_hold_the_lineage_picture():
    picture = PROJECT_ROOT / "docs" / "lineage.png"
    assert Image.open(picture).size == (1600, 1000)
    assert "docs/lineage.png" in (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
