"""Device and process placement: ``train.device`` resolution, and data parallelism under ``torchrun``.

``torchrun --nproc_per_node=N -m mer_toolkit.cli.main train|bench ...`` starts N processes; each
trains on its shard of the training batches through DistributedDataParallel, all evaluate the
full validation split (so they agree on the best epoch), and only rank 0 writes files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from ..errors import ConfigError

__all__ = ["DistInfo", "dist_info", "is_main", "resolve_device"]


@dataclass(frozen=True)
class DistInfo:
    """Rank, world size and local rank of this process (1 process: rank 0 of 1)."""

    rank: int
    world: int
    local_rank: int

    @property
    def enabled(self) -> bool:
        return self.world > 1


def dist_info() -> DistInfo:
    """Join the process group announced by ``torchrun`` (NCCL with CUDA, else gloo), once."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1 or not dist.is_available():
        return DistInfo(0, 1, 0)
    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend=backend)
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    return DistInfo(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def is_main() -> bool:
    """True in the process that writes files and prints (rank 0, or the only process)."""
    return dist_info().rank == 0


def resolve_device(name: str) -> torch.device:
    """``auto`` → CUDA when available, else CPU; an unavailable CUDA request is a clear error."""
    info = dist_info()
    if info.enabled and name in ("auto", "cuda") and torch.cuda.is_available():
        return torch.device("cuda", info.local_rank)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"train.device is '{name}' but no CUDA device is available; use --device cpu or auto")
    try:
        return torch.device(name)
    except RuntimeError as err:
        raise ConfigError(f"train.device '{name}' is not a valid device ({err})") from None
