"""A piped or captured run's console is 160 columns wide, not rich's fallback of 80.

At 80 columns rich wraps a line per node ("Running node 24/134: data_preparation.qab_alpaca_only.
build_mix_node") over three. Kedro's rich handlers write on rich's shared console, so widening that one
serves them all; settings.py does it before Kedro configures logging. A terminal keeps its own width, and
``COLUMNS`` set by the user wins either way.
"""

from __future__ import annotations

import os

from rich import get_console

PIPED_WIDTH = 160


def widen_piped_console() -> None:
    console = get_console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPED_WIDTH
