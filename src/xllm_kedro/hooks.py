"""Hooks: only what no catalog dataset can do."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from pathlib import Path

from kedro.framework.hooks import hook_impl
from kedro.io import AbstractDataset

log = logging.getLogger(__name__)


class StudyHook:
    """Builds the pipelines from the parameters of the run (``--env``, ``--params``): see pipelines/_build.py."""

    @hook_impl
    def after_context_created(self, context) -> None:
        from kedro.framework.project import pipelines

        from xllm_kedro.pipelines._build import use_parameters

        if use_parameters(context.params, key=repr((context.env, sorted(context.params.items(), key=str)))):
            pipelines.configure("xllm_kedro.pipeline_registry")


class RunLockHook:
    """Two runs cannot produce the same outputs at once: before anything else, a run takes a lock per
    output group (locks.py) under ``data/.locks`` of the project, or stops naming the holder's PID and start.

    Sessions also start one at a time (from context to catalog), so that two runs started together do
    not race to create the MLflow store and experiment before they reach their output locks.
    """

    def __init__(self):
        self._locks = None
        self._startup = None

    @hook_impl(tryfirst=True)
    def after_context_created(self, context) -> None:
        from xllm_kedro.locks import startup_lock

        self._startup = startup_lock(Path(context.project_path) / "data" / ".locks")

    @hook_impl(trylast=True)
    def after_catalog_created(self) -> None:
        if self._startup is not None:
            self._startup.close()
            self._startup = None

    @hook_impl(tryfirst=True)
    def before_pipeline_run(self, run_params, pipeline, catalog) -> None:
        from xllm_kedro.locks import RunLocks, output_groups

        self._locks = RunLocks(Path(run_params.get("project_path") or ".") / "data" / ".locks")
        self._locks.acquire(output_groups(pipeline.all_outputs()))

    @hook_impl
    def after_pipeline_run(self) -> None:
        self._release()

    @hook_impl
    def on_pipeline_error(self) -> None:
        self._release()

    def _release(self) -> None:
        if self._locks is not None:
            self._locks.release()
            self._locks = None


class KilledRunsHook:
    """MLflow runs left RUNNING by a killed process are marked KILLED when the next run starts.

    Every run (and each training job's child run) is tagged with its process id and host; a RUNNING run
    whose process is gone on this host cannot finish any more.
    """

    @hook_impl(trylast=True)  # after kedro-mlflow has started this run's MLflow run
    def before_pipeline_run(self, run_params, pipeline, catalog) -> None:
        import mlflow

        from xllm_kedro.tracking import mark_killed_runs, tag_process

        if mlflow.active_run() is not None:
            tag_process(mlflow.active_run().info.run_id)
        for run_id in mark_killed_runs():
            log.warning("MLflow run %s was left RUNNING by a process that is gone: marked KILLED", run_id)


class LocalFilesHook:
    """Every dataset of the run, whatever its class, saves atomically and reads text past a byte-order
    mark (datasets/atomic.py); the temporary siblings a killed run left next to outputs are removed first."""

    @hook_impl
    def before_pipeline_run(self, run_params, pipeline, catalog) -> None:
        from xllm_kedro.datasets.atomic import local_paths, use_project_filesystem
        from xllm_kedro.files import remove_stale_partials

        for name in pipeline.inputs():
            if not name.startswith("params:") and name != "parameters":
                use_project_filesystem(catalog.get(name, fallback_to_runtime_pattern=True))
        folders = set()
        for name in sorted(pipeline.all_outputs()):
            dataset = catalog.get(name, fallback_to_runtime_pattern=True)
            use_project_filesystem(dataset)
            for path in local_paths(dataset):
                folders.add(path.parent)
                if path.is_dir():  # a versioned dataset: <path>/<version>/<name>
                    folders.update({path, *(p for p in path.iterdir() if p.is_dir())})
        for folder in sorted(folders):
            for stale in remove_stale_partials(folder):
                log.info("removed %s, left by a killed run", stale)


class FingerprintHook:
    """Records what every saved output was made from (fingerprints.py); in recovery mode
    (``kedro run --only-missing-outputs``) a stale output counts as missing, so it is remade with
    everything made from it, and nothing else."""

    def __init__(self):
        self._catalog = None
        self._store = None
        self._stamps: dict[tuple[str, str], str] = {}  # (dataset, size and mtime) -> stamp, this run

    @hook_impl
    def before_pipeline_run(self, run_params, pipeline, catalog) -> None:
        from xllm_kedro.datasets.atomic import local_paths
        from xllm_kedro.fingerprints import FingerprintStore, stale_outputs

        self._catalog = catalog
        self._store = FingerprintStore(Path(run_params.get("project_path") or ".") / "data" / ".fingerprints")
        if not run_params.get("only_missing_outputs"):
            return
        persisted = lambda name: bool(local_paths(catalog.get(name, fallback_to_runtime_pattern=True)))  # noqa: E731
        for name, why in stale_outputs(pipeline.nodes, self._store, self._stamp, persisted).items():
            catalog.get(name)._exists = lambda: False  # for this run's missing-outputs filter only
            log.info("recovery: %s is stale (%s); it will be remade", name, why)

    @hook_impl
    def after_dataset_saved(self, dataset_name, data, node) -> None:
        if self._store is not None:
            self._store.record(dataset_name, node.name, {name: self._stamp(name) for name in node.inputs})

    def _stamp(self, name: str) -> str:
        from xllm_kedro.datasets.atomic import local_paths
        from xllm_kedro.fingerprints import files_meta, files_stamp, params_stamp

        if name == "parameters" or name.startswith("params:"):
            return params_stamp(self._catalog.load(name))
        paths = local_paths(self._catalog.get(name, fallback_to_runtime_pattern=True))
        key = (name, files_meta(paths))
        if key not in self._stamps:
            self._stamps[key] = files_stamp(paths)
        return self._stamps[key]


class InputsExistHook:
    """Fails a run before its first node if any input it needs is missing, naming dataset and path, or
    if a user's scaling points file cannot give a law (spec/points.py).

    Without it, a missing file of a late stage would surface only after hours of training.
    """

    @hook_impl
    def before_pipeline_run(self, run_params, pipeline, catalog) -> None:
        missing = []
        for name in sorted(pipeline.inputs()):
            if name.startswith("params:") or name == "parameters":
                continue
            dataset = catalog.get(name)
            if type(dataset)._exists is AbstractDataset._exists:
                continue  # it cannot tell (a hub dataset, say): its own load will say what is wrong
            if not catalog.exists(name):
                missing.append(f"  {name}: {dataset}")
        if not missing and "user_scaling_points" in pipeline.inputs():
            from xllm_kedro.spec.points import check_user_points

            dataset = catalog.get("user_scaling_points")
            check_user_points(dataset.load(), f"{dataset._describe().get('filepath', 'user_scaling_points')}",
                              catalog.load("params:scaling").get("languages") or [])
        if missing:
            hint = ("\nThe controlled world is generated: run `make world` (it reads conf/base/parameters_world.yml)."
                    if any("01_raw/world" in line for line in missing) else "")
            raise FileNotFoundError("input(s) of this run do not exist:\n" + "\n".join(missing) + hint)


class JudgeCredentialsHook:
    """Puts ``llm_judge`` and ``llm_generator`` (MI-Eval's self-instruct endpoint) of
    conf/local/credentials.yml (or ``{}``) in the catalog as ``<key>_credentials``: a catalog entry naming
    credentials fails every run when they are absent, while these endpoints are optional and their users
    skip themselves, with a log line, without them."""

    @hook_impl
    def after_catalog_created(self, catalog, conf_creds) -> None:
        from kedro.io import MemoryDataset

        for key in ("llm_judge", "llm_generator"):
            catalog[f"{key}_credentials"] = MemoryDataset(dict((conf_creds or {}).get(key) or {}))


class TrackingTagsHook:
    """MLflow tags a researcher can read: the runner's class name (Kedro hands kedro-mlflow the runner's
    repr), and on each training child run the catalog dataset, path and version of the model it made
    (the job's output folder is moved there when the dataset is saved, so that folder is gone)."""

    @hook_impl
    def after_catalog_created(self, catalog) -> None:
        self._catalog = catalog

    @hook_impl(trylast=True)  # after kedro-mlflow has started the run
    def before_pipeline_run(self, run_params) -> None:
        import re

        import mlflow

        runner = str(run_params.get("runner") or "")
        if mlflow.active_run() is not None and runner:
            found = re.search(r"(\w+) object at 0x", runner)
            mlflow.set_tag("runner", found.group(1) if found else runner)

    @hook_impl
    def after_dataset_saved(self, dataset_name, data, node) -> None:
        import mlflow

        from xllm_kedro.datasets import HFModelDataset

        dataset = self._catalog.get(dataset_name)
        parent = mlflow.active_run()
        if not isinstance(dataset, HFModelDataset) or parent is None:
            return
        output_dir = str(Path(data).resolve()).replace("'", "\\'")
        jobs = mlflow.search_runs([parent.info.experiment_id], filter_string=f"tags.output_dir = '{output_dir}'",
                                  order_by=["attributes.start_time DESC"], max_results=1, output_format="list")
        if not jobs:
            return  # a model no training job made (the untrained base)
        path = Path(str(dataset._get_load_path()))  # noqa: SLF001 - the version the save resolved
        client = mlflow.MlflowClient()
        for key, value in {"model_dataset": dataset_name, "model_path": str(path.resolve()),
                           "model_version": path.parent.name if dataset._version else ""}.items():  # noqa: SLF001
            client.set_tag(jobs[0].info.run_id, key, value)
        client.delete_tag(jobs[0].info.run_id, "output_dir")


class NodeProgressHook:
    """One console line as each node starts, "Running node 12/130: instruction_tuning.x_qaa.train_model_node",
    counted over the pipeline being run. Kedro's own lines per node (its inputs and outputs, wrapped over
    several lines, then "Completed node" and "Completed k out of n tasks") go to info.log only
    (conf/logging.yml), so a run of 130 nodes stays readable; a last line says how long it took. A run
    starts by forgetting the notices said (quiet.once), so each run says a repeated one, a scorer skipped
    for every model, once."""

    def __init__(self):
        self._lock = threading.Lock()
        self._total = 0
        self._started = 0
        self._start = time.monotonic()

    @hook_impl
    def before_pipeline_run(self, run_params, pipeline, catalog) -> None:
        from xllm_kedro.quiet import forget_notices

        self._total, self._started, self._start = len(pipeline.nodes), 0, time.monotonic()
        forget_notices()  # a notice (a scorer skipped) is said once in each run

    @hook_impl
    def before_node_run(self, node) -> None:
        with self._lock:  # ThreadRunner starts nodes from several threads
            self._started += 1
            k = self._started
        log.info("Running node %d/%d: %s", k, self._total, node.name)

    @hook_impl
    def after_pipeline_run(self) -> None:
        log.info("Run completed: %d nodes in %.0f s", self._total, time.monotonic() - self._start)


class ExperimentProgressHook:
    """A line as each experiment's training or evaluation starts, "x_qaa: training, experiment 3 of 26",
    counted over the nodes of that kind in the pipeline being run (a partial run counts its own), so a
    long run says where it is without a line per step."""

    JOBS = {"train_model_node": "training", "evaluate_model_node": "evaluation"}

    def __init__(self):
        self._lock = threading.Lock()
        self._totals: Counter = Counter()
        self._started: Counter = Counter()

    @staticmethod
    def _kind(node) -> str:
        return node.name.rsplit(".", 1)[-1]

    @hook_impl
    def before_pipeline_run(self, run_params, pipeline, catalog) -> None:
        self._totals = Counter(k for k in map(self._kind, pipeline.nodes) if k in self.JOBS)
        self._started = Counter()

    @hook_impl
    def before_node_run(self, node) -> None:
        kind = self._kind(node)
        if kind not in self.JOBS:
            return
        with self._lock:  # ThreadRunner starts nodes from several threads
            self._started[kind] += 1
            k = self._started[kind]
        experiment = (node.namespace or node.name).rsplit(".", 1)[-1]
        log.info("%s: %s, experiment %d of %d", experiment, self.JOBS[kind], k, self._totals[kind])
