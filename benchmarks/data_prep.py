"""data_preparation benchmarks: cleaning + translation instructions + JSONL, pairs per second on one core
against the previous implementation run side by side; peak memory of preparing 0.5M and 2M pairs.

Pairs are NTREX-128 sentences from ../shared/data (English and one target), each pair made unique by a
number, so no rule drops much and every pair does the full work; without the shared data, synthetic
English and Chinese text stand in.
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.rounds import interleaved
from xllm_kedro.corpora import CleaningReport, CleaningRules, ParallelCorpus, clean_pairs, translation_instructions
from xllm_kedro.corpora.scripts import letter_codes
from xllm_kedro.files import write_jsonl

ROOT = Path(__file__).resolve().parents[1]
NTREX = ROOT.parent / "shared" / "data" / "parallel" / "ntrex128"


def _sentences(lang: str) -> tuple[list[str], list[str], str]:
    if (NTREX / f"ntrex128.{lang}").exists():
        return ((NTREX / "ntrex128.en").read_text(encoding="utf-8").splitlines(),
                (NTREX / f"ntrex128.{lang}").read_text(encoding="utf-8").splitlines(), "NTREX-128 en-" + lang)
    rng = random.Random(0)
    words = ["market", "council", "river", "season", "report", "energy", "village", "museum", "election", "harbour"]
    en = [" ".join(rng.choices(words, k=rng.randint(8, 25))).capitalize() + "." for _ in range(2000)]
    han = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    return en, ["".join(rng.choices(han, k=len(s) // 3)) + "。" for s in en], "synthetic en-zh"


def write_pairs(directory: Path, n: int, lang: str = "zh", seed: int = 0) -> tuple[Path, Path, str]:
    """``n`` generated pairs as Moses files, written as they are made (nothing held)."""
    en, x, origin = _sentences(lang)
    rng = random.Random(seed)
    src, tgt = directory / f"gen.{n}.en", directory / f"gen.{n}.{lang}"
    with open(src, "w", encoding="utf-8") as fs, open(tgt, "w", encoding="utf-8") as ft:
        for i in range(n):
            j = rng.randrange(len(en))
            fs.write(f"{en[j]} ({i})\n")
            ft.write(f"{x[j]} ({i})\n")
    return src, tgt, origin


def _previous_clean(pairs, script_prefix: str, rules: CleaningRules):
    """The implementation this project had before: per-pair Python, the script checked with
    ``unicodedata.name`` on every character, a set of hashes. Kept here only as the baseline."""
    seen = set()
    for src, tgt in pairs:
        src, tgt = unicodedata.normalize("NFC", src.strip()), unicodedata.normalize("NFC", tgt.strip())
        if not src or not tgt or max(len(src), len(tgt)) > rules.max_chars:
            continue
        la, lb = (sum(3 if "\u4e00" <= c <= "\u9fff" else 1 for c in t) for t in (src, tgt))
        if max(la, lb) / min(la, lb) > rules.max_length_ratio or src == tgt:
            continue
        letters = [c for c in tgt if c.isalpha()]
        share = sum(unicodedata.name(c, "").startswith(script_prefix) for c in letters) / len(letters) if letters else 0.0
        if share < rules.min_script_share or (key := hash((src, tgt))) in seen:
            continue
        seen.add(key)
        yield src, tgt


def _previous_pipeline(src: Path, tgt: Path, out: Path) -> int:
    with open(src, encoding="utf-8") as fs, open(tgt, encoding="utf-8") as ft, open(out, "w", encoding="utf-8") as fh:
        pairs = ((s.rstrip("\n"), t.rstrip("\n")) for s, t in zip(fs, ft))
        n = 0
        for record in translation_instructions(_previous_clean(pairs, "CJK", CleaningRules()), "zh"):
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
    return n


def _cpu_per_pair(run: Callable[[], Any], pairs: int) -> Callable[[], tuple[float, tuple[float, Any]]]:
    """A side measured in CPU seconds per pair (one process: a busy machine does not count against it),
    its wall-clock seconds and what it wrote beside."""
    def measured():
        wall, cpu = time.perf_counter(), time.process_time()
        written = run()
        return (time.process_time() - cpu) / pairs, (time.perf_counter() - wall, written)
    return measured


def data_prep_pairs_per_s(n: int = 300_000, n_baseline: int = 40_000, rounds: int = 3) -> dict:
    """Raw Moses files -> cleaned pairs -> En->X instructions -> JSONL on disk, one process, one core."""
    table_start = time.perf_counter()
    letter_codes()  # built once per process
    table_s = time.perf_counter() - table_start
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src, tgt, origin = write_pairs(tmp, n)
        bsrc, btgt, _ = write_pairs(tmp, n_baseline)

        def ours() -> tuple[int, int]:
            report = CleaningReport()
            written = write_jsonl(tmp / "out.jsonl", translation_instructions(
                clean_pairs(ParallelCorpus(src, tgt), "zh", CleaningRules(), report), "zh"))
            return written, report.kept

        fields, outputs = interleaved({
            "ours": _cpu_per_pair(ours, n),
            "baseline": _cpu_per_pair(lambda: _previous_pipeline(bsrc, btgt, tmp / "baseline.jsonl"), n_baseline),
        }, lambda s: s["baseline"] / s["ours"], rounds=rounds, digits=2)
    ours_wall = [n / w for w, _ in outputs["ours"]]
    base_wall = [n_baseline / w for w, _ in outputs["baseline"]]
    return {**fields, "unit": "x pairs per CPU second of the previous implementation (median of interleaved rounds)",
            "pairs_per_cpu_s": [round(1 / c) for c in fields["cost_ours"]],
            "baseline_pairs_per_cpu_s": [round(1 / c) for c in fields["cost_baseline"]],
            "wall_clock_pairs_per_s": [round(x) for x in ours_wall],
            "baseline_wall_clock_pairs_per_s": [round(x) for x in base_wall], "pairs": n,
            "instructions_written": outputs["ours"][-1][1][0], "kept": outputs["ours"][-1][1][1],
            "script_table_build_s": round(table_s, 2),
            "note": f"{origin} pairs (numbered to be unique); baseline: the previous per-character "
                    f"unicodedata.name script check, set of hashes, json.dumps, on {n_baseline} pairs. "
                    "CPU time of the single process, so a busy machine does not count against it; wall clock beside"}


def _prepare(src: str, tgt: str, out: str) -> None:
    """What data_preparation does with one language's corpus, through its nodes and catalog datasets."""
    from xllm_kedro.corpora import ParallelCorpus as Moses
    from xllm_kedro.datasets import JsonLinesDataset, ReportDataset
    from xllm_kedro.pipelines.data_preparation.nodes import build_translation_instructions_node, clean_parallel_node

    after_imports = _own_peak_mb()
    start_rss = _reset_peak_rss()
    reading = {"skip_bad_lines": False, "min_margin": None}
    cleaning = {"max_chars": 1000, "max_length_ratio": 3.0, "min_script_share": 0.5, "deduplicate": True}
    clean = JsonLinesDataset(f"{out}/clean.jsonl", lazy=True)
    pairs, report = clean_parallel_node(cleaning, reading, "zh", parallel=Moses(Path(src), Path(tgt)))
    clean.save(pairs)
    ReportDataset(f"{out}/report.json").save(report)
    instructions = build_translation_instructions_node(clean.load(), {"direction": "en-x", "seed": 0}, "zh")
    JsonLinesDataset(f"{out}/translation.jsonl", lazy=True).save(instructions)
    print(json.dumps({"peak_rss_mb": max(after_imports, _own_peak_mb()),
                      "peak_rss_after_imports_mb": after_imports, "kept": dict(report)["kept"],
                      "data_path_peak_mb": None if start_rss is None else _status_mb("VmHWM") - start_rss}))


def _own_peak_mb() -> float:
    """This process's peak RSS. VmHWM belongs to the process's own memory; ru_maxrss would also count
    the parent's RSS at the fork (Linux keeps the larger across exec), i.e. the benchmark runner's."""
    try:
        return _status_mb("VmHWM")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def _reset_peak_rss() -> float | None:
    """Reset the kernel's peak-RSS mark (Linux: clear_refs 5) and return the RSS now, so the peak read at
    the end belongs to the data path alone and not to the imports; None where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return _status_mb("VmRSS")
    except OSError:
        return None


def data_prep_peak_rss_mb_2m_pairs(sizes: tuple[int, ...] = (500_000, 2_000_000)) -> dict:
    """Peak RSS of a fresh process preparing n pairs from files on disk, for two sizes."""
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            src, tgt, origin = write_pairs(Path(tmp), n)
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, "-c", "import sys; from benchmarks.data_prep import _prepare; "
                                   "_prepare(*sys.argv[1:])", str(src), str(tgt), tmp],
                                  check=True, capture_output=True, text=True)
            results[n] = {**json.loads(proc.stdout.strip().splitlines()[-1]), "seconds": round(time.perf_counter() - start, 1)}
            src.unlink()
            tgt.unlink()
    small, large = results[sizes[0]], results[sizes[-1]]
    return {"value": round(large["peak_rss_mb"], 1), "unit": "MB", "baseline": round(small["peak_rss_mb"], 1),
            "ratio": round(large["peak_rss_mb"] / small["peak_rss_mb"], 3),
            "data_path_peak_mb": {str(n): r["data_path_peak_mb"] and round(r["data_path_peak_mb"], 1)
                                  for n, r in results.items()},
            "by_pairs": {str(n): r for n, r in results.items()},
            "note": f"{origin}: raw Moses files -> clean JSONL -> translation JSONL through the data_preparation "
                    f"nodes and datasets, in a fresh process; baseline/ratio: {sizes[0]} pairs against {sizes[-1]}; "
                    "data_path_peak_mb: the peak above the RSS after imports (peak mark reset by clear_refs)"}


def data_prep_peak_rss_mb_10m_lines() -> dict:
    """The same measure at corpus scale (issue #8): 10M lines per side stream in the memory of 1M."""
    return data_prep_peak_rss_mb_2m_pairs(sizes=(1_000_000, 10_000_000))
