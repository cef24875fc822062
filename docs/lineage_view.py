"""The opening view of the `kedro viz build` site: the eight stage boxes, left to right, with the datasets
between them drawn as the edges they carry.

kedro-viz draws a dataset inside a collapsed namespace box only when no node outside that namespace
reads or writes it (`kedro_viz/data_access/repositories/modular_pipelines.py`); its name plays no part.
Every raw input, every final table or figure and every dataset one stage hands to the next (each
experiment's mix, model, predictions, metrics) therefore sits at the top level, about 160 of them beside
the eight boxes, and kedro-viz's own opening view (datasets shown, layers top to bottom) fits them at
about 13% zoom. The app has no build option for its view: it starts from the choices saved in the
browser's localStorage, over defaults written into its bundle. So `make viz-build` writes a first visit's
choices into the site's page: datasets folded into the edges (the "Datasets" filter brings them back)
and the horizontal orientation. A returning visitor keeps the choices saved.

    python docs/lineage_view.py [SITE]     (default: build)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# kedro-viz's state keys (`KedroViz` in localStorage): what a first visit sees; saved choices win.
OPENING_VIEW = {"orientation": "horizontal",
                "nodeType": {"disabled": {"task": False, "data": True, "parameters": True}}}
MARK = "<!-- xllm_kedro: opening view -->"
SCRIPT = (MARK + "<script>(function(){var key='KedroViz',saved={};"
          "try{saved=JSON.parse(localStorage.getItem(key))||{};}catch(e){}"
          "var view=%s;for(var k in view){if(!(k in saved)){saved[k]=view[k];}}"
          "localStorage.setItem(key,JSON.stringify(saved));})();</script>")


def set_opening_view(site: Path) -> Path:
    """Write the opening view into ``site``/index.html once (a second call leaves it as it is)."""
    index = site / "index.html"
    if not index.is_file():
        raise FileNotFoundError(f"{index} not found: run `kedro viz build` first")
    text = index.read_text(encoding="utf-8")
    if MARK in text:
        return index
    if "<head>" not in text:
        raise ValueError(f"{index} has no <head>: not the page kedro-viz writes")
    tmp = index.with_name(f".{index.name}.tmp")
    tmp.write_text(text.replace("<head>", "<head>" + SCRIPT % json.dumps(OPENING_VIEW), 1), encoding="utf-8")
    tmp.replace(index)
    return index


if __name__ == "__main__":
    try:
        print(set_opening_view(Path(sys.argv[1] if len(sys.argv) > 1 else "build")))
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f"lineage_view: {err}")
