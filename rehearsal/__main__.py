"""``make rehearse-paper``: conf/paper's own pipelines and catalog, end to end, on this CPU, offline.

In a scratch copy of the project (conf/ as it is, conf/paper untouched):
  - local replicas of every hub source, small, under ``<out>/hub`` (rehearsal/hub.py);
  - a tiny LLaMA at data/01_raw/llama-7b and a tiny NLLB-style model at data/01_raw/nllb-200-distilled-600M;
  - ``kedro run --env paper`` as a Kedro session whose runtime parameters point the catalog at the
    replicas (``hub_root``), swap FSDP for the one-process CPU launcher, shrink the batch and the
    generation, keep four declared experiments (``run_experiments``): English Alpaca, x_zh, m_all (all
    six languages) and the X->En ablation, and sweep two languages at three sizes, then the two budgeted
    runs: twelve training jobs. Every pipeline and every dataset kind runs, all six languages are read,
    translated, trained on (m_all) and scored.
Runtime parameters (not an overlay environment) because Kedro stacks one environment on conf/base, and
the rehearsal must run conf/paper itself.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LANGS = ["ar", "el", "hi", "tr", "vi", "zh"]
EXPECTED = ["data_statistics.csv", "evaluation_table.csv", "scaling_laws.json", "allocation.csv",
            "budgeted_comparison.csv", "representation_alignment.csv", "mi_eval/consistency.csv"]


def _merged(base, override):
    if isinstance(base, dict) and isinstance(override, dict):
        return {**base, **{k: _merged(base.get(k), v) for k, v in override.items()}}
    return override


def runtime_params(project: Path, hub: Path) -> dict:
    """The overrides, each a whole top-level section of conf/paper's parameters with the changed keys
    merged in."""
    from kedro.config import OmegaConfigLoader

    paper = OmegaConfigLoader(conf_source=str(project / "conf"), base_env="base", default_run_env="paper",
                              env="paper")["parameters"]
    return {key: _merged(paper.get(key), value) for key, value in OVERRIDES.items()} | {"hub_root": f"{hub}/"}


_GENERATION = {"generation": {"max_new_tokens": 8}}
OVERRIDES = {
    "run_experiments": ["alpaca_en", "x_zh", "m_all", "ablation_zh_x_en"],
    "launcher": {"accelerate_config": "conf/base/accelerate/cpu_1proc.yaml", "in_process": True},
    "training": {"global_batch_size": 16, "per_device_batch_size": 16, "max_length": 128, "num_epochs": 1,
                 "learning_rate": 1.0e-3, "log_every": 50, "save_every": 0},
    # the fewest points a law is fitted to, for two languages (OPUS-100's Hindi, Chinese from two corpora):
    # laws, allocation and budgeted runs need no more to run, and six would triple the training jobs
    "sweep": {"translation_sizes": [8, 16, 32], "languages": ["hi", "zh"]},
    "evaluation": {"max_examples": 4, "batch_size": 16,
                   "scorers": {"comet": {"enabled": False}, "llm_judge": {"enabled": False}}},
    "tasks": {"qa": _GENERATION, "mlqa": _GENERATION, "translation": _GENERATION},
    "data_preparation": {"alpaca_translation": {"max_new_tokens": 12, "batch_size": 32}},
    "representation_analysis": {"max_sentences": 8, "batch_size": 8, "pca_layers": [0, 1, 2]},
    "allocation": {"budgets": [24, 48], "experiments": {"budget": 48}},  # within the replicas' pairs
    "scaling": {"fit": {"n_starts": 2, "n_bootstrap": 20}},
    "significance": {"n_resamples": 50},  # baselines of cut experiments drop out (run_experiments)
    "mi_eval": {"size": 6, "self_instruct": {"enabled": False},  # no endpoint offline: seeds from Alpaca
                "translation": {"model_dir": "data/01_raw/nllb-200-distilled-600M", "max_new_tokens": 12},
                "task": {"generation": {"max_new_tokens": 8}},
                "consistency": {"layer": 1}, "judge": {"enabled": False}},
}


def scratch_project(out: Path) -> Path:
    """conf/ and pyproject.toml copied as they are; the package runs from its installation."""
    project = out / "project"
    shutil.copytree(ROOT / "conf", project / "conf", ignore=shutil.ignore_patterns("local"))
    (project / "conf" / "local").mkdir()
    (project / "src").mkdir()  # kedro wants the folder; the package itself is the installed one
    shutil.copy(ROOT / "pyproject.toml", project)
    return project


def _unread(statistics: Path) -> list[str]:
    """Each language's Alpaca and parallel corpora (Table 1's rows) that gave no record."""
    with statistics.open(encoding="utf-8", newline="") as f:
        rows = {row["language"]: row for row in csv.DictReader(f)}
    unread = [f"{lang}.alpaca" for lang in ["en", *LANGS] if not int(rows.get(lang, {}).get("alpaca_kept") or 0)]
    for lang in LANGS:
        corpora = (rows.get(lang, {}).get("parallel_corpora") or "parallel corpora").split("+")
        unread += [f"{lang}.{c}" for c in corpora if not int(rows.get(lang, {}).get(f"{c}.read") or 0)]
    return unread


def rehearse(out: Path) -> float:
    # the replicas' Arrow cache stays in the scratch folder, not in the user's ~/.cache/huggingface/datasets
    os.environ["HF_DATASETS_CACHE"] = str(out / "hf_datasets_cache")
    from rehearsal.hub import replica_texts, write_replicas
    from rehearsal.models import tiny_llama, tiny_nllb

    start = time.perf_counter()
    project = scratch_project(out)
    hub = write_replicas(out / "hub")
    texts = replica_texts(hub)
    tiny_llama(texts, project / "data" / "01_raw" / "llama-7b")
    tiny_nllb(texts, project / "data" / "01_raw" / "nllb-200-distilled-600M")

    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    os.chdir(project)
    bootstrap_project(project)
    with KedroSession.create(project_path=project, env="paper", runtime_params=runtime_params(project, hub)) as session:
        session.run()
    import mlflow

    while mlflow.active_run():  # ended now, not at exit: by then the scratch folder and its database are gone
        mlflow.end_run()
    reports = project / "data" / "08_reporting"
    missing = [name for name in EXPECTED if not (reports / name).exists()]
    if missing:
        raise SystemExit(f"rehearsal finished without {missing} in {reports}")
    unread = _unread(reports / "data_statistics.csv")
    if unread:
        raise SystemExit(f"the rehearsal read nothing from {unread} (data_statistics.csv)")
    table = (reports / "evaluation_table.csv").read_text(encoding="utf-8")
    absent = [lang for lang in LANGS if f"/{lang}" not in table and f"-{lang}" not in table]
    if absent:
        raise SystemExit(f"the evaluation table has no column for {absent}")
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="keep the scratch project here (default: a temporary folder, removed)")
    args = parser.parse_args(argv)
    for key in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ[key] = "1"  # the rehearsal proves the run needs no network
    # One thread, before torch starts: the tiny models gain nothing from more, and on a CI machine shared with
    # other jobs OpenMP's waiting threads made a 4-step training job take 13 s with two threads, 0.3 s with one.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if args.out:
        out = Path(args.out).resolve()
        if out.exists():
            shutil.rmtree(out)
        seconds = rehearse(out)
    else:
        with tempfile.TemporaryDirectory(prefix="rehearsal_") as tmp:
            seconds = rehearse(Path(tmp))
    print(f"paper rehearsal passed in {seconds:.0f} s: every pipeline of conf/paper, six languages, offline",
          file=sys.stderr)


if __name__ == "__main__":
    main()
