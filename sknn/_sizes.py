"""Refuse, before anything is allocated, a network too large for the machine it would train on.

A size parameter set by mistake (``hidden_size=10**12``, ``d_model=10**6``) would otherwise
reach torch, which fails deep inside with a ``RuntimeError`` ("can't allocate memory") that
names no parameter, or worse, allocates lazily and gets the process killed later. The
estimators call :func:`check_module_size` (or :func:`check_memory` when they count the
values themselves) before they build anything, and a fit that cannot possibly fit in
memory fails with a ``ValueError`` naming the parameters that set its size.

The bound is deliberately a sure one: a fit is refused only when a lower bound on what it
needs already exceeds the whole memory of the machine (or of the GPU), never because of
what happens to be free at the moment, so a model that fits is never refused.
"""

import contextlib
import os
from collections.abc import Callable, Mapping

import torch

#: Bytes per value: sknn builds and trains its networks in float32.
BYTES_PER_VALUE = 4

_CGROUP_LIMITS = (
    "/sys/fs/cgroup/memory.max",  # cgroup v2
    "/sys/fs/cgroup/memory/memory.limit_in_bytes",  # cgroup v1
)


def memory_limit(device=None) -> int | None:
    """The most memory, in bytes, that a fit on ``device`` could ever use.

    The machine's physical memory (lowered to the container's limit when a cgroup sets
    one), and for a CUDA device also that device's total memory: a network is built on the
    CPU and then moved. None when the platform does not say (then nothing is refused).

    Parameters
    ----------
    device : str, torch.device or None, default=None
        The device the fit trains on; None or a CPU device counts the machine's memory only.

    Returns
    -------
    int or None
    """
    limits = []
    try:
        limits.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows) or no such name
        pass
    for path in _CGROUP_LIMITS:
        try:
            with open(path) as stream:
                text = stream.read().strip()
        except OSError:
            continue
        if text.isdigit():
            limits.append(int(text))
    device = torch.device(device) if device is not None else None
    if device is not None and device.type == "cuda":
        limits.append(torch.cuda.get_device_properties(device).total_memory)
    limits = [limit for limit in limits if limit > 0]
    return min(limits) if limits else None


#: In-place tensor fills, skipped on meta tensors (they would write values that do not exist).
_FILLS = frozenset(
    {
        torch.Tensor.normal_,
        torch.Tensor.uniform_,
        torch.Tensor.fill_,
        torch.Tensor.zero_,
        torch.Tensor.copy_,
        torch.Tensor.bernoulli_,
        torch.Tensor.exponential_,
        torch.Tensor.random_,
        torch.Tensor.log_normal_,
    }
)


#: Random tensor factories and the empty ones that give the same shapes without values.
_RANDOM_FACTORIES = {
    torch.randn: torch.empty,
    torch.rand: torch.empty,
    torch.randn_like: torch.empty_like,
    torch.rand_like: torch.empty_like,
}


def _is_initialiser(func):
    """Whether ``func`` is one of ``torch.nn.init``'s in-place initialisers."""
    name = getattr(func, "__name__", "")
    return getattr(func, "__module__", None) == "torch.nn.init" and name.endswith("_")


class _SkipInitialisers(torch.overrides.TorchFunctionMode):
    """Skips every weight initialiser and in-place fill of a meta tensor.

    Use it inside ``torch.device("meta")``. A meta tensor holds no values, so filling one
    does nothing but check shapes, and torch runs some of those fills (``normal_``: every
    ``Embedding``; ``randn``) through Python references that import ``torch._dynamo``,
    torch's compiler stack, on their first call: 1-2 s of a process's first fit, for values
    that do not exist. A ``torch.nn.init`` function (called by keyword or position) or a
    tensor fill whose tensor is on the meta device returns that tensor unchanged; a random
    factory (``randn``, ``rand`` and their ``_like``) that would make a meta tensor makes an
    empty one of the same shape; everything else runs as usual.
    """

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        tensor = args[0] if args else kwargs.get("tensor", kwargs.get("input"))
        on_meta = isinstance(tensor, torch.Tensor) and tensor.is_meta
        if on_meta and (func in _FILLS or _is_initialiser(func)):
            return tensor
        empty = _RANDOM_FACTORIES.get(func)
        device = kwargs.get("device")
        if empty is not None and (device is None or torch.device(device).type == "meta"):
            if func in (torch.randn_like, torch.rand_like) and not on_meta and device is None:
                return func(*args, **kwargs)  # like a tensor that is not on the meta device
            kwargs.pop("generator", None)
            return empty(*args, **kwargs)
        return func(*args, **kwargs)


def module_size(build: Callable[[], torch.nn.Module]) -> tuple[int, int] | None:
    """Count the values of the module ``build()`` returns, without allocating them.

    The module is built on torch's meta device, which records shapes only, with its
    weight initialisers skipped (they would fill values that do not exist).

    Parameters
    ----------
    build : callable
        Returns a freshly built ``torch.nn.Module``; called once, under
        ``torch.device("meta")``.

    Returns
    -------
    (n_parameters, n_buffers) : tuple of int, or None
        The number of parameter values and of buffer values; None when the module cannot
        be built on the meta device (it reads tensor values while building), so that its
        size is unknown.

    Raises
    ------
    OverflowError
        If a tensor of the module would have more elements than a 64-bit count holds.
    """
    try:
        with torch.device("meta"), _SkipInitialisers():
            module = build()
    except Exception as error:  # noqa: BLE001 - the real build that follows raises it again
        if isinstance(error, RuntimeError) and "overflow" in str(error).lower():
            raise OverflowError(str(error)) from error
        return None
    n_parameters = sum(p.numel() for p in module.parameters())
    n_buffers = sum(b.numel() for b in module.buffers())
    return n_parameters, n_buffers


def check_memory(
    n_values: int,
    sizes: Mapping[str, object],
    *,
    owner: str,
    device=None,
    what: str = "network",
) -> None:
    """Raise a ``ValueError`` if ``n_values`` float32 values cannot fit in memory.

    Parameters
    ----------
    n_values : int
        A lower bound on the number of float32 values the fit must hold at once.
    sizes : mapping of str to object
        The parameters that set that number, with their values, named in the message.
    owner : str
        Who asks, for the message (the estimator's class name).
    device : str, torch.device or None, default=None
        The device of the fit; see :func:`memory_limit`.
    what : str, default="network"
        What the values are, for the message.

    Raises
    ------
    ValueError
        If ``n_values * 4`` bytes exceed :func:`memory_limit`.

    Examples
    --------
    >>> from sknn._sizes import check_memory
    >>> check_memory(10**6, {"hidden_size": 100}, owner="MyNet")
    >>> check_memory(10**20, {"hidden_size": 10**10}, owner="MyNet")
    Traceback (most recent call last):
    ...
    ValueError: MyNet: the network would hold at least 1e+20 float32 values (400 EB), more ...
    """
    limit = memory_limit(device)
    # A Python int: a NumPy integer (a parameter drawn by a search) would wrap around.
    n_values = int(n_values)
    needed = n_values * BYTES_PER_VALUE
    if limit is None or needed <= limit:
        return
    where = "this machine" if device is None or torch.device(device).type == "cpu" else device
    raise ValueError(
        f"{owner}: the {what} would hold at least {n_values:.3g} float32 values "
        f"({_format_bytes(needed)}), more than the {_format_bytes(limit)} of memory of "
        f"{where}. Lower the sizes that set it: {_format_sizes(sizes)}."
    )


def check_module_size(
    build: Callable[[], torch.nn.Module],
    sizes: Mapping[str, object],
    *,
    owner: str,
    device=None,
    activations: int = 0,
) -> None:
    """Raise a ``ValueError`` if the module ``build()`` returns cannot be trained in memory.

    Call it just before building the module for real. The module is first built on the
    meta device (no memory, a few milliseconds); training it needs at least its
    parameters and their gradients (two values per parameter, whatever the solver) and its
    buffers, in float32.

    Parameters
    ----------
    build : callable
        Returns the module; called once here, on the meta device, and not kept.
    sizes : mapping of str to object
        The estimator's parameters that set the module's size, with their values (and
        sizes taken from the data, such as the vocabulary), named in the message.
    owner : str
        The estimator's class name, for the message.
    device : str, torch.device or None, default=None
        The device of the fit; see :func:`memory_limit`.
    activations : int, default=0
        A lower bound on the values one training batch's activations hold, added to the
        parameters, gradients and buffers (a convolution over large images holds far more
        in its activations than in its weights).

    Raises
    ------
    ValueError
        If the module's sizes overflow, or its parameters, gradients, buffers and
        activations exceed the memory of the machine (or of the GPU).

    Examples
    --------
    >>> import torch
    >>> from sknn._sizes import check_module_size
    >>> check_module_size(lambda: torch.nn.Linear(10, 10), {"width": 10}, owner="MyNet")
    >>> check_module_size(
    ...     lambda: torch.nn.Linear(10**7, 10**7), {"width": 10**7}, owner="MyNet"
    ... )
    Traceback (most recent call last):
    ...
    ValueError: MyNet: the network would hold at least 2e+14 float32 values (800 TB), more ...
    """
    try:
        counted = module_size(build)
    except OverflowError:
        raise ValueError(
            f"{owner}: the network is too large to build (its tensor sizes overflow a "
            f"64-bit count). Lower the sizes that set it: {_format_sizes(sizes)}."
        ) from None
    if counted is None:
        return
    n_parameters, n_buffers = counted
    check_memory(
        2 * n_parameters + n_buffers + int(activations), sizes, owner=owner, device=device
    )


def _format_sizes(sizes):
    return ", ".join(f"{name}={value!r}" for name, value in sizes.items())


def _format_bytes(n_bytes):
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if n_bytes < 1000:
            return f"{n_bytes:.3g} {unit}"
        n_bytes /= 1000
    return f"{n_bytes:.3g} EB"


def is_out_of_memory(error):
    """Whether ``error`` is torch running out of memory (CUDA's or the CPU allocator's)."""
    text = str(error)
    return isinstance(error, torch.OutOfMemoryError) or (
        isinstance(error, RuntimeError)
        and ("out of memory" in text or "can't allocate memory" in text)
    )


@contextlib.contextmanager
def out_of_memory_says(advice):
    """Turn torch's out-of-memory errors in the block into a ``MemoryError`` that says what
    to do (``advice``), chained to the original."""
    try:
        yield
    except RuntimeError as error:  # torch.OutOfMemoryError is a RuntimeError
        if not is_out_of_memory(error):
            raise
        raise MemoryError(advice) from error
