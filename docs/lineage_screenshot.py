"""docs/lineage.png: headless Chromium's picture of a `kedro viz build` site at its default view.

`make lineage` builds the site and runs this. Chromium opens the site from file:// with every host name
unresolvable but 127.0.0.1, so nothing is fetched from elsewhere; it runs in a process group of its own,
which is ended whatever happens. The picture is written whole or not at all.

    python docs/lineage_screenshot.py [--site build] [--out docs/lineage.png] [--size 1600x1000]
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

# A first visit opens kedro-viz's tour of new features over the graph; a returning user has closed it.
# This adds that saved choice to the others before the app starts, in a copy of the page beside index.html.
CLOSED_TOUR = ("<script>(function(){var s={};try{s=JSON.parse(localStorage.getItem('KedroViz'))||{};}catch(e){}"
               "s.showFeatureHints=false;localStorage.setItem('KedroViz',JSON.stringify(s));})();</script>")
BROWSERS = ("chromium", "chromium-browser")
# One drawn node of the graph: <g ... class="pipeline-node ..." data-node-type="KIND" data-node-fullname="NAME">
NODE = re.compile(r'<g [^>]*class="pipeline-node [^"]*"[^>]*transform="translate\(([-\d.e]+),\s*([-\d.e]+)\)"'
                  r'[^>]*data-node-type="(\w+)"[^>]*data-node-fullname="([^"]*)"')
ZOOM = re.compile(r'title="Zoom level">(\d+)%<')  # the toolbar's zoom level, as the user reads it
MIN_DRAWN_SHARE = 0.02  # of the graph area: below it, the picture came before the graph
NOT_INSTALLED = "chromium not found on PATH: .ci/chromium installs Debian's chromium (CI runs it before the tests)"


class ScreenshotError(RuntimeError):
    """The site or the browser could not give a picture; the message says which and why."""


def browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    raise ScreenshotError(NOT_INSTALLED)


def page_without_tour(site: Path) -> Path:
    index = site / "index.html"
    if not index.is_file() or not (site / "api" / "main").is_file():
        raise ScreenshotError(f"{site} is not a kedro-viz build (index.html and api/main): run `kedro viz build`")
    text = index.read_text(encoding="utf-8")
    if "<head>" not in text:
        raise ScreenshotError(f"{index} has no <head>: not the page kedro-viz writes")
    page = site / "lineage.html"
    page.write_text(text.replace("<head>", "<head>" + CLOSED_TOUR, 1), encoding="utf-8")
    return page


def _chromium(page: Path, profile: Path, options: list[str], timeout: float) -> str:
    """Chromium headless on ``page`` with ``options``; its output. Its whole process group ends here."""
    command = [browser(), "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
               "--disable-extensions", "--disable-background-networking",
               "--allow-file-access-from-files",  # the app reads api/main beside the page
               "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", f"--user-data-dir={profile}",
               "--virtual-time-budget=20000",  # time for the app to read, lay out and draw the graph
               *options, page.as_uri()]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ScreenshotError(f"chromium took over {timeout:.0f} s on {page}") from None
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # its renderer and helper processes too
        except ProcessLookupError:
            pass
        proc.wait()
    if proc.returncode != 0:
        raise ScreenshotError(f"chromium failed on {page} (exit {proc.returncode}):\n{err[-2000:]}")
    return out


def graph_drawn_share(png: Path) -> float:
    """The share of the graph area (right of the sidebar and toolbar, above the mini-map) whose colour
    differs from the background: near 0 in a picture taken before the graph was drawn."""
    from PIL import Image

    picture = Image.open(png).convert("RGB")
    width, height = picture.size
    canvas = picture.crop((round(0.35 * width), 0, width, round(0.7 * height)))
    colours = canvas.getcolors(canvas.width * canvas.height)
    background = max(colours)[1]
    drawn = sum(n for n, c in colours if max(abs(a - b) for a, b in zip(c, background)) > 24)
    return drawn / (canvas.width * canvas.height)


def screenshot(site: Path, out: Path, width: int = 1600, height: int = 1000, timeout: float = 180,
               pictures: int = 3) -> Path:
    """Write ``out`` (PNG, ``width`` x ``height``) from the built site in ``site``. A picture whose graph
    area is blank is taken again, up to ``pictures`` in all: on a loaded machine the app can still be
    laying the graph out when Chromium's virtual-time budget ends."""
    page = page_without_tour(site.resolve())
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lineage-") as tmp:
        shot = Path(tmp) / "lineage.png"
        for _ in range(pictures):
            shot.unlink(missing_ok=True)
            _chromium(page, Path(tmp) / "profile", [f"--window-size={width},{height}", f"--screenshot={shot}"], timeout)
            if not shot.is_file() or shot.stat().st_size == 0:
                raise ScreenshotError(f"chromium wrote no picture of {page}")
            if graph_drawn_share(shot) > MIN_DRAWN_SHARE:
                break
        else:
            raise ScreenshotError(f"the graph of {page} was still blank in {pictures} pictures")
        tmp_out = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        shutil.copyfile(shot, tmp_out)
        tmp_out.replace(out)
    return out


def drawn_view(site: Path, width: int = 1600, height: int = 1000, timeout: float = 180,
               pages: int = 3) -> tuple[dict[str, dict[str, tuple[float, float]]], float | None]:
    """What the default view draws, read from the page once rendered: each kind of element (``modularPipeline``
    for pipeline boxes, ``data``, ``task``) with its elements' names and (x, y) positions in the graph, and the
    zoom level the toolbar shows (1.0 is 100%; None where the page shows none). A page with no element drawn
    yet is read again, up to ``pages`` in all, as ``screenshot`` takes its picture again."""
    page = page_without_tour(site.resolve())
    drawn: dict[str, dict[str, tuple[float, float]]] = {}
    for _ in range(pages):
        with tempfile.TemporaryDirectory(prefix="lineage-") as tmp:
            dom = _chromium(page, Path(tmp) / "profile", [f"--window-size={width},{height}", "--dump-dom"], timeout)
        for x, y, kind, label in NODE.findall(dom):
            drawn.setdefault(kind, {})[html.unescape(label)] = (float(x), float(y))
        if drawn:
            break
    zoom = ZOOM.search(dom)
    return drawn, int(zoom.group(1)) / 100 if zoom else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=Path("build"), help="the `kedro viz build` folder")
    parser.add_argument("--out", type=Path, default=Path("docs/lineage.png"))
    parser.add_argument("--size", default="1600x1000", help="window WIDTHxHEIGHT in pixels")
    args = parser.parse_args(argv)
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        parser.error(f"--size {args.size!r}: expected WIDTHxHEIGHT, e.g. 1600x1000")
    try:
        drawn, zoom = drawn_view(args.site, width, height)
        if not drawn:
            raise ScreenshotError(f"kedro-viz drew no graph from {args.site / 'api' / 'main'}")
        print(screenshot(args.site, args.out, width, height))
    except ScreenshotError as err:
        print(f"lineage_screenshot: {err}", file=sys.stderr)
        return 1
    boxes = sorted(drawn.get("modularPipeline", []))
    shown = f"{zoom:.0%}" if zoom else "an unshown"
    print(f"drawn: {len(boxes)} pipeline boxes ({', '.join(boxes)}), {len(drawn.get('data', []))} datasets, "
          f"{len(drawn.get('task', []))} nodes outside them, at {shown} zoom")
    return 0


if __name__ == "__main__":
    sys.exit(main())
