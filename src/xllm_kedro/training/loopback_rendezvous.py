"""A torchrun rendezvous backend for single-node jobs whose store listens on 127.0.0.1 only.

torch's ``TCPStore`` server binds every interface whatever host name it is given, so the store of a
job on a shared machine would accept writes from the whole network. A single-node job needs loopback
only: this backend opens the listening socket on 127.0.0.1 itself, on a free port, and hands it to the
store (``master_listen_fd``). The workers learn the port from the rendezvous, so concurrent jobs never
compete for one. It is registered as ``xllm-loopback`` through the ``torchrun.handlers`` entry point
(pyproject.toml) and picked by ``rdzv_backend`` in the single-node accelerate YAMLs.
"""

from __future__ import annotations

import socket

from torch.distributed import TCPStore
from torch.distributed.elastic.rendezvous import RendezvousHandler, RendezvousInfo, RendezvousParameters
from torch.distributed.elastic.rendezvous.static_tcp_rendezvous import StaticTCPRendezvous

BACKEND = "xllm-loopback"
LOOPBACK = "127.0.0.1"


class LoopbackRendezvous(StaticTCPRendezvous):
    """The static rendezvous of one node, with its store's listener on loopback."""

    def get_backend(self) -> str:
        return BACKEND

    def next_rendezvous(self) -> RendezvousInfo:
        if self._store is None:
            listener = socket.create_server((LOOPBACK, 0))
            self.master_port = listener.getsockname()[1]
            self._store = TCPStore(LOOPBACK, self.master_port, self.world_size, True, self.timeout,
                                   multi_tenant=True, master_listen_fd=listener.detach())
        return super().next_rendezvous()


def create_handler(params: RendezvousParameters) -> RendezvousHandler:
    """torchrun's factory for this backend; more than one node needs a store other hosts can reach."""
    if params.max_nodes != 1:
        raise ValueError(f"rdzv_backend {BACKEND} serves single-node jobs only, got up to {params.max_nodes} "
                         "nodes: use rdzv_backend static or c10d in the accelerate config of a multi-node job")
    timeout = int(params.get("timeout", 600))
    return LoopbackRendezvous(LOOPBACK, 0, 0, 1, params.run_id, timeout)


def handler():
    """What the ``torchrun.handlers`` entry point loads: the factory, registered under its name."""
    return create_handler
