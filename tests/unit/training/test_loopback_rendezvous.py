"""A single-node job's rendezvous store and gloo sockets listen on 127.0.0.1 only (issue: the DDP
store bound every interface)."""

from __future__ import annotations

import datetime
import json
import os
import socket
import sys
from pathlib import Path

import pytest
from torch.distributed import TCPStore
from torch.distributed.elastic.rendezvous import RendezvousParameters, rendezvous_handler_registry

from xllm_kedro.training.launch import job_environment, launch_command, run_job
from xllm_kedro.training.loopback_rendezvous import BACKEND, create_handler

from ...conftest import CPU_1PROC
from .listening_sockets import listening

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc/net/tcp")
WILDCARDS = {"0.0.0.0", "::"}


def _params(max_nodes: int = 1) -> RendezvousParameters:
    return RendezvousParameters(backend=BACKEND, endpoint="", run_id="test", min_nodes=1, max_nodes=max_nodes,
                                timeout=20)


def test_a_plain_torch_store_listens_on_every_interface_which_the_check_sees():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = TCPStore("127.0.0.1", port, 1, True, datetime.timedelta(seconds=10))
    assert listening(port=port) & WILDCARDS
    del store


def test_the_registered_backend_keeps_its_store_on_loopback_and_serves_clients():
    handler = rendezvous_handler_registry.create_handler(_params())  # found through the entry point
    info = handler.next_rendezvous()
    port = info.bootstrap_store_info.master_port
    assert (handler.get_backend(), info.bootstrap_store_info.master_addr) == (BACKEND, "127.0.0.1")
    assert listening(port=port) == {"127.0.0.1"}
    client = TCPStore("127.0.0.1", port, is_master=False, timeout=datetime.timedelta(seconds=10))
    client.set("test/key", "value")  # the rendezvous hands out the store under the run id's prefix
    assert info.store.get("key") == b"value"


def test_two_handlers_get_two_ports():
    first, second = create_handler(_params()).next_rendezvous(), create_handler(_params()).next_rendezvous()
    assert first.bootstrap_store_info.master_port != second.bootstrap_store_info.master_port


def test_more_than_one_node_is_refused_naming_the_alternatives():
    with pytest.raises(ValueError, match=r"single-node jobs only, got up to 2 nodes.*static or c10d"):
        create_handler(_params(max_nodes=2))


@pytest.mark.slow  # one 2-process accelerate launch: about 15 s
def test_a_launched_two_process_job_listens_on_loopback_only(tmp_path):
    config = CPU_1PROC.with_name("cpu_ddp_2proc.yaml")
    cmd = launch_command(config, tmp_path / "job.json", entry_point="listening_sockets")
    assert cmd[cmd.index("--rdzv_backend") + 1] == BACKEND
    env = {**os.environ, **job_environment(config, 1),
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), *sys.path])}
    run_job(cmd, env, name="sockets", timeout_s=180, stall_timeout_s=90)
    reports = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert all(r["world_size"] == 2 for r in reports)
    assert all(r["store"] == ["127.0.0.1"] for r in reports)
    assert all(r["rank"] and set(r["rank"]) == {"127.0.0.1"} for r in reports)  # gloo's own listeners
