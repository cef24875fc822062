"""Which local addresses a TCP port, or a process's own sockets, listen on (Linux /proc), and a job
entry point that reports them from inside a launched 2-process job."""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import sys
from pathlib import Path

LISTEN = "0A"


def _address(hex_addr: str) -> str:
    raw = bytes.fromhex(hex_addr)
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw[::-1]))
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))  # /proc lists IPv6 as 4 host-order words
    return str(ipaddress.IPv6Address(words))


def listening(port: int | None = None, inodes: set[str] | None = None) -> set[str]:
    """The addresses of listening TCP sockets with this port, or with one of these inodes."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            cols = row.split()
            addr, hex_port = cols[1].split(":")
            if cols[3] != LISTEN:
                continue
            if (port is not None and int(hex_port, 16) == port) or (inodes is not None and cols[9] in inodes):
                found.add(_address(addr))
    return found


def own_socket_inodes() -> set[str]:
    links = (os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
             if os.path.exists(f"/proc/self/fd/{fd}"))
    return {link[len("socket:["):-1] for link in links if link.startswith("socket:[")}


def main() -> None:
    """As a launched job: join the process group, then write where the store and this rank listen."""
    import torch.distributed as dist
    from accelerate import Accelerator

    out = Path(sys.argv[sys.argv.index("--config") + 1])
    accelerator = Accelerator(cpu=True)
    dist.barrier()
    report = {"store": sorted(listening(port=int(os.environ["MASTER_PORT"]))),
              "rank": sorted(listening(inodes=own_socket_inodes())),
              "world_size": accelerator.num_processes, "host": socket.gethostname()}
    (out.parent / f"rank{accelerator.process_index}.json").write_text(json.dumps(report))
    dist.barrier()


if __name__ == "__main__":
    main()
