"""The ``slurm`` launcher backend against a real single-node Slurm (``.ci/slurm start``): a job through
sbatch, two in flight at once, scancel then a rerun that resumes, Slurm's time limit, a 2-process gloo job
in one allocation,
and evaluation's generation job."""

from __future__ import annotations

import json
import subprocess
import threading
import time

import mlflow
import pytest

from xllm_kedro.corpora import read_instructions
from xllm_kedro.evaluation.job import generate_in_job
from xllm_kedro.evaluation.runner import Request, generate_requests
from xllm_kedro.files import write_jsonl
from xllm_kedro.spec.settings import launcher_problems
from xllm_kedro.training.checkpoints import latest_checkpoint
from xllm_kedro.training.config import TrainConfig
from xllm_kedro.training.launch import TrainingJobError, train_with_accelerate
from xllm_kedro.training.slurm import SlurmSettings, cluster_answers, job_state, sbatch_script
from xllm_kedro.training.tiny_model import load_model

from ...conftest import CPU_1PROC, PROJECT_ROOT, RAW
from .conftest import resume_config


needs_slurm = pytest.mark.skipif(not cluster_answers(),
                                 reason="no Slurm cluster answers `sinfo`: start the local one with `.ci/slurm start`")
SETTINGS = {"cpus_per_task": 1, "max_in_flight": 2, "poll_s": 0.5, "time": "00:15:00"}


def small_config(tmp_path, name: str, **overrides) -> TrainConfig:
    train_file = tmp_path / "train.jsonl"
    if not train_file.exists():
        write_jsonl(train_file, list(read_instructions(RAW / "alpaca" / "en.json"))[:8])
    return TrainConfig(**{"base_model_dir": "", "train_file": str(train_file), "output_dir": str(tmp_path / name),
                          "global_batch_size": 2, "per_device_batch_size": 1, "max_steps": 2,
                          "batching": "length_grouped", **overrides})


def test_a_two_node_script_takes_its_rendezvous_from_slurm(tmp_path):
    settings = SlurmSettings.from_dict({"nodes": 2, "gpus_per_node": 8, "cpus_per_task": 32, "partition": "gpu",
                                        "account": "lab", "time": "12:00:00", "extra": ["--requeue"]})
    fsdp = PROJECT_ROOT / "conf" / "paper" / "accelerate" / "fsdp_multinode.yaml"
    script = sbatch_script(["accelerate", "launch", "--config_file", str(fsdp), "-m", "x.sft", "--config", "j.json"],
                           fsdp, settings, "train-muit", tmp_path)
    for directive in ("--nodes=2", "--ntasks-per-node=1", "--gpus-per-node=8", "--partition=gpu", "--account=lab",
                      "--time=12:00:00", "--requeue", "--job-name=xllm-train-muit"):
        assert f"#SBATCH {directive}\n" in script
    # 16 processes on 2 machines: 8 per node, times however many nodes Slurm gave
    assert "--num_processes $((SLURM_NNODES * 8))" in script and "--machine_rank $SLURM_NODEID" in script
    assert "--main_process_ip $MAIN_ADDR" in script and "srun --kill-on-bad-exit=1" in script
    assert "--num_cpu_threads_per_process 4 " in script  # 32 CPUs of the node's task over its 8 processes


def test_bad_slurm_settings_name_the_key():
    with pytest.raises(ValueError, match=r"launcher.slurm.nodes must be a positive integer"):
        SlurmSettings.from_dict({"nodes": 0})
    with pytest.raises(ValueError, match=r"launcher.slurm: unknown keys \['gpus'\]"):
        SlurmSettings.from_dict({"gpus": 8})


def test_the_study_check_names_a_bad_backend_and_bad_slurm_settings():
    launcher = {"accelerate_config": str(CPU_1PROC), "backend": "pbs"}
    assert launcher_problems(launcher, {}) == [
        "parameters launcher.backend must be one of ['local', 'slurm'], got 'pbs'"]
    problems = launcher_problems({**launcher, "backend": "slurm", "slurm": {"max_in_flight": 0}}, {})
    assert problems == ["parameters launcher.slurm.max_in_flight must be a positive integer, got 0"]
    # under slurm a multi-process config is fine even with in_process left on from conf/base
    two = {"accelerate_config": str(CPU_1PROC.with_name("cpu_ddp_2proc.yaml")), "in_process": True}
    assert launcher_problems({**two, "backend": "slurm"}, {}) == [] and launcher_problems(two, {}) != []


@needs_slurm
@pytest.mark.slow  # Slurm jobs: about 30 s
def test_a_job_through_sbatch_finishes_and_a_failing_one_fails_its_run(tmp_path, tiny_model_dir, mlflow_store):
    mlflow_store("slurm_job")
    cfg = small_config(tmp_path, "out", base_model_dir=str(tiny_model_dir))
    out = train_with_accelerate(cfg, CPU_1PROC, tmp_path / "job", run_name="train/slurm", backend="slurm",
                                slurm=SETTINGS)
    assert json.loads((out / "train_summary.json").read_text())["steps"] == 2
    broken = small_config(tmp_path, "broken", base_model_dir=str(tiny_model_dir), train_file=str(tmp_path / "no.jsonl"))
    with pytest.raises(TrainingJobError, match=r"ended FAILED[\s\S]*no.jsonl"):
        train_with_accelerate(broken, CPU_1PROC, tmp_path / "broken_job", run_name="train/broken", backend="slurm",
                              slurm=SETTINGS)
    runs = {r.info.run_name: r for r in mlflow.search_runs(experiment_names=["slurm_job"], output_format="list")}
    assert runs["train/slurm"].info.status == "FINISHED" and runs["train/broken"].info.status == "FAILED"
    assert job_state(runs["train/slurm"].data.tags["slurm_job_id"]) == "COMPLETED"


def _in_thread(target, errors: list, **kwargs) -> threading.Thread:
    def run():
        try:
            target(**kwargs)
        except Exception as err:  # the test asserts on it
            errors.append(err)
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _running_jobs() -> int:
    out = subprocess.run(["squeue", "-h", "-t", "RUNNING", "-o", "%j"], capture_output=True, text=True)
    return sum(name.startswith("xllm-") for name in out.stdout.split())


@needs_slurm
@pytest.mark.slow  # two Slurm jobs at once: about 30 s
def test_two_jobs_are_in_flight_at_once(tmp_path, tiny_model_dir, mlflow_store):
    mlflow_store("slurm_two")
    errors, most = [], 0
    threads = [_in_thread(train_with_accelerate, errors, cfg=small_config(tmp_path, f"out{i}", max_steps=4,
                                                                         base_model_dir=str(tiny_model_dir)),
                          accelerate_config=CPU_1PROC, workdir=tmp_path / f"job{i}", run_name=f"train/par{i}",
                          backend="slurm", slurm=SETTINGS) for i in range(2)]
    while any(t.is_alive() for t in threads):
        most = max(most, _running_jobs())
        time.sleep(0.3)
    assert not errors
    assert most == 2
    assert all((tmp_path / f"out{i}" / "model.safetensors").exists() for i in range(2))


@needs_slurm
@pytest.mark.slow  # a cancelled Slurm job and its rerun: about 40 s
def test_scancel_fails_the_run_and_a_rerun_resumes_from_the_checkpoint(tmp_path, tiny_model_dir, mlflow_store):
    mlflow_store("slurm_cancel")
    cfg = resume_config(tmp_path, tiny_model_dir, "model")
    errors = []
    thread = _in_thread(train_with_accelerate, errors, cfg=cfg, accelerate_config=CPU_1PROC, workdir=tmp_path / "first",
                        run_name="train/cancelled", backend="slurm", slurm=SETTINGS)
    while latest_checkpoint(cfg.checkpoints) is None and thread.is_alive():
        time.sleep(0.2)
    [log] = (tmp_path / "first").glob("slurm-*.log")
    subprocess.run(["scancel", log.stem.removeprefix("slurm-")], check=True)
    thread.join()
    assert len(errors) == 1 and "ended CANCELLED" in str(errors[0])
    assert not (tmp_path / "model" / "model.safetensors").exists()
    [run] = mlflow.search_runs(experiment_names=["slurm_cancel"], output_format="list")
    assert run.info.status == "FAILED"  # scancel leaves no RUNNING run

    train_with_accelerate(cfg, CPU_1PROC, tmp_path / "second", run_name="train/rerun", backend="slurm", slurm=SETTINGS)
    [log] = (tmp_path / "second").glob("slurm-*.log")
    assert "resumed from" in log.read_text()
    assert (tmp_path / "model" / "model.safetensors").exists()


@needs_slurm
@pytest.mark.slow  # Slurm's one-minute limit and its kill: about 90 s
def test_a_job_past_its_slurm_time_limit_fails_with_timeout_and_keeps_its_checkpoint(tmp_path, tiny_model_dir,
                                                                                     mlflow_store):
    mlflow_store("slurm_timeout")
    cfg = resume_config(tmp_path, tiny_model_dir, "model")
    cfg.num_epochs = 1000  # far more than a minute of steps
    with pytest.raises(TrainingJobError, match="ended TIMEOUT"):
        train_with_accelerate(cfg, CPU_1PROC, tmp_path / "job", run_name="train/overtime", backend="slurm",
                              slurm={**SETTINGS, "time": "00:01:00"})
    [run] = mlflow.search_runs(experiment_names=["slurm_timeout"], output_format="list")
    assert run.info.status == "FAILED"
    assert latest_checkpoint(cfg.checkpoints) is not None  # what the rerun resumes from (the scancel test)
    assert not (tmp_path / "model" / "model.safetensors").exists()


@needs_slurm
@pytest.mark.slow  # a 2-process job: about 30 s
def test_a_two_process_gloo_job_runs_in_one_allocation(tmp_path, tiny_model_dir, mlflow_store):
    mlflow_store("slurm_gloo")
    cfg = small_config(tmp_path, "out", base_model_dir=str(tiny_model_dir))
    out = train_with_accelerate(cfg, CPU_1PROC.with_name("cpu_ddp_2proc.yaml"), tmp_path / "job",
                                run_name="train/gloo", backend="slurm", slurm={**SETTINGS, "cpus_per_task": 2})
    summary = json.loads((out / "train_summary.json").read_text())
    assert (summary["world_size"], summary["gradient_accumulation_steps"]) == (2, 1)
    assert len(list((tmp_path / "job").glob("slurm-*.log"))) == 1


@needs_slurm
@pytest.mark.slow  # one Slurm generation job: about 20 s
def test_evaluation_generation_through_slurm_returns_what_generation_here_returns(tmp_path, tiny_model_dir,
                                                                                 mlflow_store):
    mlflow_store("slurm_eval")
    requests = [Request("qa/zh", ["a b", "the quick brown fox"], 6, ["\n\n"]),
                Request("translation/en-zh", ["x y z"], 4, [])]
    model, tokenizer = load_model(tiny_model_dir)
    expected = generate_requests(model, tokenizer, requests, batch_size=2)
    with mlflow.start_run(run_name="eval/slurm") as run:
        outputs = generate_in_job(requests, tiny_model_dir, accelerate_config=CPU_1PROC, workdir=tmp_path,
                                  batch_size=2, backend="slurm", slurm=SETTINGS)
    assert outputs == expected
    assert job_state(mlflow.get_run(run.info.run_id).data.tags["slurm_job_id"]) == "COMPLETED"
