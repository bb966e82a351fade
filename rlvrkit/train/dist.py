"""torch.distributed for train: rank 0 reads the stream and shares each batch; DDP (or FSDP2) does the rest.

Under torchrun every process runs the same `rlvr train` command. Rank 0 alone reads stdin and writes metrics and
checkpoints; it sends each batch to the other ranks as one JSON message (a uint8 tensor, never a pickle). Each rank
trains on its shard of the batch with the loss normalised by the whole batch's totals, scaled by the world size
because DDP averages gradients, so the update equals the single-process update on the same global batch.
"""

from __future__ import annotations

import contextlib
import gc
import inspect
import json
import os
import sys
from dataclasses import dataclass

import torch
import torch.distributed as tdist


@dataclass
class Dist:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls) -> Dist:
        """Join the process group torchrun describes in the environment, or run alone."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world == 1:
            return cls()
        rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
        if torch.cuda.is_available():
            torch.cuda.set_device(local)
            backend = "nccl"
        else:
            backend = "gloo"
        if not tdist.is_initialized():
            tdist.init_process_group(backend)
        return cls(rank, world, local)

    def device(self, requested: str) -> str:
        if requested == "auto":
            return f"cuda:{self.local_rank}" if torch.cuda.is_available() else "cpu"
        return requested

    def share(self, payload: dict | None, device: str) -> dict | None:
        """Rank 0's payload (JSON-able, or None for "no more batches") on every rank."""
        if self.world == 1:
            return payload
        data = json.dumps(payload).encode() if self.main else b""
        size = torch.tensor([len(data)], dtype=torch.long, device=device)
        tdist.broadcast(size, 0)
        buf = torch.empty(int(size.item()), dtype=torch.uint8, device=device)
        if self.main:
            buf.copy_(torch.frombuffer(bytearray(data), dtype=torch.uint8))
        tdist.broadcast(buf, 0)
        return json.loads(bytes(buf.cpu().tolist()).decode())

    def sum(self, values: list[float], device: str) -> list[float]:
        if self.world == 1:
            return values
        t = torch.tensor(values, dtype=torch.float64, device=device)
        tdist.all_reduce(t)
        return t.tolist()

    def sum_by_name(self, values: dict[str, float], device: str) -> dict[str, float]:
        """Each named value summed over the ranks (every rank must pass the same names)."""
        names = sorted(values)
        return dict(zip(names, self.sum([float(values[n]) for n in names], device)))

    def max(self, value: int, device: str) -> int:
        if self.world == 1:
            return value
        t = torch.tensor([value], dtype=torch.long, device=device)
        tdist.all_reduce(t, op=tdist.ReduceOp.MAX)
        return int(t.item())

    def barrier(self) -> None:
        if self.world > 1:
            tdist.barrier()

    def wrap(self, model, *, fsdp: bool, device: str):
        """DDP, or FSDP2 (each decoder layer, then the whole model) for models too big for one device."""
        if self.world == 1:
            return model
        if fsdp:
            from torch.distributed.fsdp import fully_shard

            for module in model.modules():
                if type(module).__name__.endswith("DecoderLayer"):
                    fully_shard(module)
            fully_shard(model)
            return model
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.local_rank] if device.startswith("cuda") else None
        # No buffer broadcast in forward: ranks may run different numbers of micro-batches (see step.py), and the
        # only buffers (rotary frequencies) are identical everywhere. Newer torch spells this forward_sync_buffers.
        if "forward_sync_buffers" in inspect.signature(DistributedDataParallel).parameters:
            return DistributedDataParallel(model, device_ids=ids, forward_sync_buffers=False)
        return DistributedDataParallel(model, device_ids=ids, broadcast_buffers=False)

    def close(self, together: bool = True) -> None:
        """Leave the process group. After a normal finish every rank waits for the others first, and what is left of
        the sharded model is collected before the group goes: gloo's worker threads can otherwise still hold tensors
        at interpreter exit and abort the process ("terminate called without an active exception", seen here with
        FSDP2 about once in fifteen runs on a busy CPU). After an error there is no waiting (the other ranks may be
        blocked elsewhere); torchrun stops them."""
        if self.world > 1 and tdist.is_initialized():
            if together:
                tdist.barrier()
            gc.collect()
            tdist.destroy_process_group()


def unwrap(model):
    """The model inside a DDP wrapper (FSDP2 shards in place, nothing to unwrap)."""
    return getattr(model, "module", model)


def gradient_sync(model, sync: bool):
    """Skip the gradient all-reduce on all but the last micro-batch of a step."""
    if hasattr(model, "no_sync") and not sync:
        return model.no_sync()
    if hasattr(model, "set_requires_gradient_sync"):  # FSDP2
        model.set_requires_gradient_sync(sync)
    return contextlib.nullcontext()


def relaunch(nproc: int, argv: list[str]) -> None:
    """Re-run this train command (`argv`, without the program name) under torchrun with `nproc` processes on this
    machine, replacing this process; --nproc is left out, since torchrun's environment says the rest."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}"]
    cmd += ["-m", "rlvrkit.commands.cli", *_without_nproc(argv)]
    os.execv(sys.executable, cmd)


def _without_nproc(args: list[str]) -> list[str]:
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a == "--nproc":
            skip = True
        elif not a.startswith("--nproc="):
            out.append(a)
    return out
