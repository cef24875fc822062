"""``launcher.cpu_threads``: a subprocess job gets it as OMP_NUM_THREADS, and an in-process job runs with
it as torch's thread count, the caller's count restored afterwards."""

from __future__ import annotations

import sys

import torch

from xllm_kedro.training.launch import job_environment, run_in_process

from ...conftest import CPU_1PROC

PROBE = '''
import sys
import torch

def main(argv):
    with open(argv[1], "w") as out:
        out.write(str(torch.get_num_threads()))
'''


def test_a_subprocess_job_gets_the_threads_asked_for_unless_the_environment_sets_them(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert job_environment(CPU_1PROC, 3)["OMP_NUM_THREADS"] == "3"
    monkeypatch.setenv("OMP_NUM_THREADS", "5")
    assert "OMP_NUM_THREADS" not in job_environment(CPU_1PROC, 3)


def test_an_in_process_job_runs_with_the_threads_asked_for(tmp_path, monkeypatch):
    (tmp_path / "threads_probe.py").write_text(PROBE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        run_in_process(CPU_1PROC, tmp_path / "seen.txt", job_environment(CPU_1PROC, 1), entry_point="threads_probe")
        assert (tmp_path / "seen.txt").read_text() == "1"
        assert torch.get_num_threads() == 2  # the caller's pool is given back
    finally:
        torch.set_num_threads(before)
        sys.modules.pop("threads_probe", None)
