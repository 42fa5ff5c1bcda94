"""Device resolution: which torch device an estimator trains on.

Nothing here runs at import time or in an estimator's ``__init__``: the device is resolved
at the door of ``fit``, so constructing, cloning or pickling an estimator never touches CUDA.
"""

import os
import re

import torch

_CUDA_PATTERN = re.compile(r"^cuda(:\d+)?$")


def resolve_device(device):
    """Turn an estimator's ``device`` parameter into a :class:`torch.device`.

    Parameters
    ----------
    device : str or torch.device
        ``"auto"`` picks CUDA when it is available, else the CPU; ``"cpu"`` (or torch's
        ``"cpu:N"``, the same CPU), ``"cuda"`` and ``"cuda:N"`` name a device explicitly.
        Which CUDA device 'auto' picks: see :func:`_auto_cuda_index`.

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        If the string names no known device, or names a CUDA device that this machine
        does not have.
    """
    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str):
        raise ValueError(
            f"The 'device' parameter must be 'auto', 'cpu', 'cuda' or 'cuda:N'. "
            f"Got {device!r} instead."
        )
    if device == "auto":
        if not torch.cuda.is_available():
            return torch.device("cpu")
        return torch.device("cuda", _auto_cuda_index())
    if device == "cpu" or re.fullmatch(r"cpu:\d+", device):
        return torch.device("cpu")  # torch's "cpu:0" (str of torch.device("cpu", 0))
    if _CUDA_PATTERN.match(device):
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available on this "
                "machine. Use device='auto' to fall back to the CPU, or device='cpu'."
            )
        index = int(device.split(":")[1]) if ":" in device else 0
        if index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} was requested but this machine has only "
                f"{torch.cuda.device_count()} CUDA device(s)."
            )
        return torch.device("cuda", index)
    raise ValueError(
        f"The 'device' parameter must be 'auto', 'cpu', 'cuda' or 'cuda:N'. "
        f"Got {device!r} instead."
    )


def _auto_cuda_index():
    """The CUDA device ``device='auto'`` trains on, among those this process sees.

    The process sees the GPUs that ``CUDA_VISIBLE_DEVICES`` lists (dask-cuda's
    ``LocalCUDACluster`` gives each worker its own GPU first in that list). Of those:

    - under ``torchrun`` (``LOCAL_RANK`` is set), GPU ``LOCAL_RANK`` (modulo their
      number): one GPU per process of a data-parallel fit;
    - otherwise the current CUDA device (``torch.cuda.set_device``), GPU 0 by default.
    """
    local_rank = os.environ.get("LOCAL_RANK", "")
    if local_rank.isdigit():
        return int(local_rank) % torch.cuda.device_count()
    return torch.cuda.current_device()


def has_native_bf16(device) -> bool:
    """Whether ``device`` computes in bfloat16 natively: a CUDA GPU of compute capability
    8.0 or later (Ampere: A100, RTX 30xx, and newer), or a ROCm GPU.

    Not :func:`torch.cuda.is_bf16_supported`, which by default also answers True for
    GPUs that only emulate bfloat16 (a T4 or a V100, where it is slower than float32),
    and which looks at the current device rather than ``device``.
    """
    device = torch.device(device)
    if device.type != "cuda" or not torch.cuda.is_available():
        return False
    if torch.version.hip:
        return True
    return torch.cuda.get_device_capability(device) >= (8, 0)
