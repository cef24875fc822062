"""Corpus-sized input streams: preparing many pairs costs no more memory than preparing few."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow

# Runs in a fresh interpreter so its peak RSS is the data path's alone: the data_preparation nodes and
# catalog datasets on one Moses corpus, as a run would use them.
PREPARE = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from xllm_kedro.corpora import ParallelCorpus
    from xllm_kedro.datasets import JsonLinesDataset
    from xllm_kedro.pipelines.data_preparation.nodes import build_translation_instructions_node, clean_parallel_node

    def vm(field):
        for line in open("/proc/self/status"):
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    src, tgt, out = sys.argv[1:]
    before = vm("VmRSS")
    cleaning = {"max_chars": 1000, "max_length_ratio": 3.0, "min_script_share": 0.5, "deduplicate": True}
    pairs, report = clean_parallel_node(cleaning, {"skip_bad_lines": False, "min_margin": None}, "vi",
                                        parallel=ParallelCorpus(Path(src), Path(tgt)))
    clean = JsonLinesDataset(out + "/clean.jsonl", lazy=True)
    clean.save(pairs)
    rows = build_translation_instructions_node(clean.load(), {"direction": "en-x", "seed": 0}, "vi")
    JsonLinesDataset(out + "/translation.jsonl", lazy=True).save(rows)
    print(json.dumps({"grown_mb": vm("VmHWM") - before, "peak_mb": vm("VmHWM"), "kept": dict(report)["kept"]}))
""")


def prepare(tmp_path, n: int) -> dict:
    """``n`` distinct numbered en-vi pairs through cleaning and instruction building."""
    src, tgt = tmp_path / f"c{n}.en", tmp_path / f"c{n}.vi"
    with open(src, "w", encoding="utf-8") as fs, open(tgt, "w", encoding="utf-8") as ft:
        for i in range(n):
            fs.write(f"The ferry number {i} leaves the harbour at dawn with the morning mail.\n")
            ft.write(f"Chuyến phà số {i} rời bến cảng lúc bình minh với thư buổi sáng.\n")
    out = tmp_path / f"out{n}"
    out.mkdir()
    proc = subprocess.run([sys.executable, "-c", PREPARE, str(src), str(tgt), str(out)],
                          check=True, capture_output=True, text=True, timeout=600)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    lines = sum(1 for _ in open(out / "translation.jsonl", encoding="utf-8"))
    assert lines == result["kept"] == n  # every pair is distinct and clean, and every one reached the disk
    return result


def test_preparing_400k_pairs_streams_in_the_memory_of_20k(tmp_path):
    small, large = prepare(tmp_path, 20_000), prepare(tmp_path, 400_000)
    # 400k pairs held as Python strings would take well over 100 MB; streamed, the data path adds a few
    # MB of duplicate digests at most.
    assert large["grown_mb"] - small["grown_mb"] < 20
    assert large["peak_mb"] < 1024
