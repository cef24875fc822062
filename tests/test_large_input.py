"""Corpus-sized input streams: preparing many pairs costs no more memory than preparing few."""

from __future__ import annotations

import json
import subprocess
import sys

from xllm_kedro.bench_data_prep import write_pairs


def peak_rss(tmp_path, n: int) -> dict:
    src, tgt, _ = write_pairs(tmp_path, n)
    out = tmp_path / f"out{n}"
    out.mkdir()
    proc = subprocess.run([sys.executable, "-c", "import sys; from xllm_kedro.bench_data_prep import _prepare; "
                           "_prepare(*sys.argv[1:])", str(src), str(tgt), str(out)],
                          check=True, capture_output=True, text=True, timeout=600)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    lines = sum(1 for _ in open(out / "translation.jsonl", encoding="utf-8"))
    assert lines == result["kept"] > 0.9 * n  # every kept pair reached the disk
    return result


def test_preparing_400k_pairs_streams_in_the_memory_of_20k(tmp_path):
    small, large = peak_rss(tmp_path, 20_000), peak_rss(tmp_path, 400_000)
    # 400k pairs held as Python strings would take well over 100 MB; streamed, the data path adds a few
    # MB of duplicate digests at most.
    key = "data_path_peak_mb" if large["data_path_peak_mb"] is not None else "peak_rss_mb"
    assert large[key] - small[key] < 20
    assert large["peak_rss_mb"] < 1024
