"""Evaluation's generation as an accelerate job: the same outputs as generating in this process, whether
in process, as one launched process or as two data-parallel ones; a broken job fails loudly."""

from __future__ import annotations

import pytest

from xllm_kedro.evaluation.job import generate_in_job
from xllm_kedro.evaluation.runner import Request, generate_requests
from xllm_kedro.training.launch import TrainingJobError
from xllm_kedro.training.tiny_model import load_model

from ...conftest import CPU_1PROC

REQUESTS = [
    Request("qa/zh", ["a b", "one two three four five six", "cat", "the quick brown fox"], 6, ["\n\n"]),
    Request("translation/en-zh", ["x y z", "seven eight nine ten eleven", "w"], 6, ["\n\n"]),
    Request("other/settings", ["a longer prompt with several words in it", "b"], 4, []),
]


@pytest.fixture(scope="module")
def expected(tiny_model_dir):
    model, tokenizer = load_model(tiny_model_dir)
    return generate_requests(model, tokenizer, REQUESTS, batch_size=2)


def test_the_in_process_job_returns_what_generation_here_returns(tmp_path, tiny_model_dir, expected):
    outputs = generate_in_job(REQUESTS, tiny_model_dir, accelerate_config=CPU_1PROC, workdir=tmp_path, batch_size=2,
                              in_process=True)
    assert outputs == expected
    assert [len(outputs[r.key]) for r in REQUESTS] == [4, 3, 2]


def test_a_failing_job_raises_and_leaves_no_stale_output(tmp_path, tiny_model_dir):
    (tmp_path / "outputs.json").write_text('{"outputs": {"qa/zh": ["stale"]}}')
    with pytest.raises(TrainingJobError, match="missing_model"):
        generate_in_job(REQUESTS, tmp_path / "missing_model", accelerate_config=CPU_1PROC, workdir=tmp_path,
                        batch_size=2, in_process=True)
    assert not (tmp_path / "outputs.json").exists()


@pytest.mark.slow  # two `accelerate launch` jobs, one of them two processes: about 30 s
@pytest.mark.parametrize("config", ["cpu_1proc", "cpu_ddp_2proc"])
def test_launched_jobs_one_or_two_processes_return_the_same_outputs(tmp_path, tiny_model_dir, expected, config):
    outputs = generate_in_job(REQUESTS, tiny_model_dir, accelerate_config=CPU_1PROC.with_name(f"{config}.yaml"),
                              workdir=tmp_path, batch_size=2)
    assert outputs == expected
