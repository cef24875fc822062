"""A piped run's console is 160 columns wide, so a line per node is not wrapped over three; a terminal
and a user's COLUMNS keep their width."""

from __future__ import annotations

import io

import pytest
import rich
from rich.console import Console

from xllm_kedro.console import PIPED_WIDTH, widen_piped_console


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def shared_console(monkeypatch):
    def install(file, **kwargs) -> Console:
        console = Console(file=file, **kwargs)
        monkeypatch.setattr(rich, "_console", console)
        return console
    return install


def test_a_piped_console_is_widened_and_a_node_line_stays_whole(shared_console, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    out = io.StringIO()
    console = shared_console(out)
    assert console.width == 80  # rich's fallback off a terminal
    widen_piped_console()
    assert console.width == PIPED_WIDTH
    line = "Running node 24/134: data_preparation.qab_target_alpaca_only.build_mix_node"
    console.print(f"[11/30/26 12:00:00] INFO     {line}    hooks.py:274")
    assert line in out.getvalue() and out.getvalue().count("\n") == 1


@pytest.mark.parametrize("setup", ["terminal", "columns"])
def test_a_terminal_or_a_users_columns_keeps_its_width(setup, shared_console, monkeypatch):
    if setup == "columns":
        monkeypatch.setenv("COLUMNS", "100")
        console = shared_console(io.StringIO())
    else:
        monkeypatch.delenv("COLUMNS", raising=False)
        console = shared_console(Terminal(), width=90)
    before = console.width
    widen_piped_console()
    assert console.width == before != PIPED_WIDTH
