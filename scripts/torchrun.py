#!/usr/bin/env python3
"""torchrun, for PyTorch builds without libuv.

From PyTorch 2.4 on, the stores torchrun makes for its rendezvous ask for
libuv, and a build without it (Debian 13's python3-torch 2.6 among them) stops
before starting a rank: "use_libuv was requested but PyTorch was build without
libuv support". This runs torchrun's own main (the function /usr/bin/torchrun
calls, with the same arguments) after making TCPStore fall back to its sockets
backend where libuv is missing; elsewhere it changes nothing.

  python3 scripts/torchrun.py --no_python --nproc_per_node 2 nmt train -c C.json
"""
import sys

import torch.distributed as dist


def libuv_missing():
    try:
        dist.TCPStore("127.0.0.1", 0, 1, True, wait_for_workers=False)
    except RuntimeError as e:
        if "libuv" in str(e):
            return True
        raise
    return False


if libuv_missing():
    tcp_store = dist.TCPStore
    dist.TCPStore = lambda *args, **kwargs: tcp_store(*args, **{**kwargs, "use_libuv": False})

from torch.distributed.run import main  # noqa: E402 (after the patch: it imports TCPStore by name)

sys.exit(main())
