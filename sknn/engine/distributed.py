"""Data-parallel training over the processes of a ``torch.distributed`` group.

When an estimator is fitted inside an initialised process group of more than one process
(the script launched with ``torchrun``, which calls ``init_process_group``), every process
runs the same ``fit`` on the same data: the same seed (broadcast from rank 0), so the same
initial weights, shuffling order and validation split. Each global batch of
``batch_size`` rows is split between the processes (rank ``r`` takes rows ``r``,
``r + world_size``, ...); each computes the gradient of its rows' summed (sample-weighted)
loss, and one all-reduce per step adds them up and divides by the batch's rows (or total
sample weight): the gradient of the whole batch's mean loss, to which a process whose
share has no rows or no weight adds exactly 0. Every process then takes the same
optimizer step, so all ranks hold the same network at every step and end with the same
fitted estimator: a fit over N processes is the one-process fit with the same seed and
``batch_size``, up to the order of float additions, where nothing random happens per row.
Dropout, data augmentation and token dropout draw per row: each process draws for its
own rows from its own stream (:meth:`DataParallel.seed_own_draws`), as one process draws
different masks for different rows, so such a fit is one the single process could have
drawn, not the same draws. gloo works on the CPU, nccl on CUDA (one GPU per process:
``device='auto'`` picks ``cuda:LOCAL_RANK``).

Every process of the group must call the same ``fit`` with the same parameters (those of
:data:`PER_PROCESS_PARAMS` may differ), or every process raises the same ValueError; a
fit in one process only (a baseline fitted on rank 0) runs inside :func:`single_process`.
"""

import contextlib
import threading
import zlib

import numpy as np
import scipy.sparse as sp
import torch
import torch.distributed as dist
from torch._utils import _flatten_dense_tensors, _unflatten_dense_tensors

#: Rows of X whose values the data check compares across processes: an evenly spaced
#: sample, so that a memory-mapped X larger than memory is not read whole.
CHECKED_ROWS = 1024

#: Parameters that may differ between the processes of a data-parallel fit: they change
#: what a process shows or writes, not what it trains (a log or a checkpoint on rank 0
#: only, ``cuda:RANK`` for the device).
PER_PROCESS_PARAMS = ("verbose", "device", "checkpoint", "callbacks")

_single_lock = threading.Lock()
_single_depth = 0


@contextlib.contextmanager
def single_process():
    """Fit in this process alone inside a ``torch.distributed`` process group.

    A fit in an initialised group of several processes trains data-parallel, and every
    process must then call it: a fit that one process starts alone waits in its first
    collective for the others until the group's timeout (30 minutes by default). Within
    this block, fits in this process (in any of its threads, such as those of joblib's
    threading backend) train on this process only, as without a group: a baseline
    fitted on rank 0 only. Predicting and scoring never need it.

    Examples
    --------
    >>> from sknn.engine.distributed import DataParallel, single_process
    >>> with single_process():  # e.g. under ``if dist.get_rank() == 0:``
    ...     DataParallel.current() is None
    True
    """
    global _single_depth
    with _single_lock:
        _single_depth += 1
    try:
        yield
    finally:
        with _single_lock:
            _single_depth -= 1


class DataParallel:
    """The process group a fit runs data-parallel over.

    Parameters
    ----------
    rank : int
    world_size : int
    """

    def __init__(self, rank, world_size):
        self.rank = rank
        self.world_size = world_size

    @classmethod
    def current(cls):
        """The initialised default process group if it has several processes, else None
        (also inside :func:`single_process`)."""
        if _single_depth:
            return None
        if not (dist.is_available() and dist.is_initialized()):
            return None
        world_size = dist.get_world_size()
        return cls(dist.get_rank(), world_size) if world_size > 1 else None

    def __repr__(self):
        return f"DataParallel(rank={self.rank}, world_size={self.world_size})"

    def shard(self, index):
        """This process's rows of a global batch (a 1-D index tensor)."""
        return index[self.rank :: self.world_size]

    def broadcast_seed(self, seed):
        """Rank 0's seed, on every rank (``random_state=None`` draws differ per process)."""
        box = [int(seed)]
        dist.broadcast_object_list(box, src=0)
        return int(box[0])

    def seed_own_draws(self, seed, device):
        """Seed torch's global generators (dropout, augmentation) with a seed of this
        rank's own, derived from the fit's ``seed``: each process draws for its own rows.
        The shuffling generator is separate, and stays the same on every rank."""
        own = (int(seed) * 1_000_003 + 7_919 * (self.rank + 1)) % (2**63 - 1)
        torch.random.default_generator.manual_seed(own)
        device = torch.device(device)
        if device.type == "cuda":
            with torch.cuda.device(device.index or 0):
                torch.cuda.manual_seed(own)

    def check_same_data(self, X, y, sample_weight=None, classes=None, params=None):
        """Raise the same ValueError on every rank unless all ranks hold the same data
        and parameters.

        Each rank's data is described in a few numbers (shapes, the classes, checksums of
        y, of the sample weights and of evenly spaced rows of X), gathered on every rank
        and compared with rank 0's. Ranks given different data would otherwise fail
        inside a collective (gloo aborts the process on a size mismatch) or, worse, train
        on an average of their datasets without a word. One all-gather.

        Parameters
        ----------
        X : ndarray, scipy sparse matrix or dict of str to ndarray
            The validated training inputs.
        y : ndarray
            The encoded targets.
        sample_weight : ndarray or None, default=None
        classes : array-like or None, default=None
            A classifier's ``classes_``.
        params : dict or None, default=None
            The estimator's parameters (``get_params(deep=False)``); those of
            :data:`PER_PROCESS_PARAMS` are not compared. Ranks that differ in another
            would train different steps and fail inside a collective, or hang.

        Raises
        ------
        ValueError
            Naming the ranks whose data differ from rank 0's and the first difference.
        """
        summary = _params_summary(params) + _data_summary(X, y, sample_weight, classes)
        summaries = [None] * self.world_size
        dist.all_gather_object(summaries, summary)
        differences = []
        parameters = False
        for rank, other in enumerate(summaries[1:], start=1):
            # Summaries of different lengths differ first in a shown entry (the inputs'
            # names, the classes, sample_weight given or not): the loop stops there.
            for (what, theirs), (ours_what, ours) in zip(other, summaries[0], strict=False):
                if (what, theirs) == (ours_what, ours):
                    continue
                if what != ours_what and "parameter " in (what or "") + (ours_what or ""):
                    parameters = True  # another estimator, with other parameters
                    differences.append("rank %d fits another kind of estimator" % rank)
                elif what is None:
                    differences.append("rank %d has %s but rank 0 has %s" % (rank, theirs, ours))
                elif what.startswith("parameter "):
                    parameters = True
                    differences.append(
                        "rank %d has %s=%s but rank 0 has %s" % (rank, what[10:], theirs, ours)
                    )
                else:
                    differences.append("rank %d has other %s than rank 0" % (rank, what))
                break
        if differences and parameters:
            raise ValueError(
                "Data-parallel fit over %d processes: %s. Every process must call the same "
                "fit with the same parameters (only %s may differ); to fit in one process "
                "alone, fit inside sknn.engine.distributed.single_process()."
                % (
                    self.world_size,
                    "; ".join(differences),
                    ", ".join(PER_PROCESS_PARAMS[:-1]) + " and " + PER_PROCESS_PARAMS[-1],
                )
            )
        if differences:
            raise ValueError(
                "Data-parallel fit over %d processes: %s. Every process must fit on the "
                "same data (the same X, y and sample_weight, in the same order)."
                % (self.world_size, "; ".join(differences))
            )

    def broadcast_module(self, module):
        """Rank 0's weights and buffers, on every rank."""
        with torch.no_grad():
            for tensor in list(module.parameters()) + list(module.buffers()):
                dist.broadcast(tensor.data, src=0)

    def average_gradients(self, parameters, weight, rows):
        """Turn each rank's gradient of its rows' loss into the whole batch's mean loss's.

        Each rank's ``grad`` holds the gradient ``g_r`` of the sample-weighted sum of its
        rows' losses divided by their number ``rows`` (their mean loss when unweighted),
        and ``weight`` is the total sample weight of those rows (``rows`` when
        unweighted); the result ``sum_r rows_r g_r / sum_r weight_r`` is written into every
        parameter's ``grad``. A rank without rows, or whose rows all weigh 0, adds exactly
        0; a batch whose total weight is 0 gets a zero gradient. Returns the batch's total
        weight and rows, as 0-d tensors. One all-reduce.
        """
        params = [p for p in parameters if p.requires_grad]
        for p in params:
            if p.grad is None:  # a parameter this rank's rows did not reach
                p.grad = torch.zeros_like(p)
        grads = [p.grad for p in params]
        like = dict(dtype=grads[0].dtype, device=grads[0].device)
        weight = torch.as_tensor(weight, **like)
        counts = torch.stack([weight.reshape(()), torch.as_tensor(float(rows), **like)])
        flat = _flatten_dense_tensors([g * rows for g in grads] + [counts])
        dist.all_reduce(flat, op=dist.ReduceOp.SUM)
        total_weight, total_rows = flat[-2], flat[-1]
        divisor = torch.where(total_weight > 0, total_weight, 1)
        for grad, reduced in zip(grads, _unflatten_dense_tensors(flat[:-2], grads), strict=True):
            grad.copy_(reduced / divisor)
        return total_weight, total_rows

    def sum(self, tensor):
        """The sum of ``tensor`` over the ranks, on every rank."""
        tensor = tensor.clone()
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return tensor


def _params_summary(params):
    """``[("parameter NAME", text)]`` for the parameters every rank must share, in a text
    that is the same on every rank given the same value (:func:`_param_text`)."""
    return [
        ("parameter " + name, _param_text(value))
        for name, value in sorted((params or {}).items())
        if name not in PER_PROCESS_PARAMS
    ]


def _param_text(value):
    """A parameter's value as text to compare across processes: plain values by their
    repr, tuples, lists and dicts item by item, arrays by their values (a checksum when
    large), and any other object (a function, a tokenizer) by its type alone, since its
    repr may hold an address that differs between processes."""
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes, np.generic)):
        return repr(value)
    if isinstance(value, (tuple, list)):
        items = ", ".join(_param_text(item) for item in value)
        if isinstance(value, list):
            return "[%s]" % items
        return "(%s,)" % items if len(value) == 1 else "(%s)" % items
    if isinstance(value, dict):
        items = sorted((_param_text(k), _param_text(v)) for k, v in value.items())
        return "{%s}" % ", ".join("%s: %s" % item for item in items)
    if isinstance(value, np.ndarray) and value.dtype.kind != "O":
        if value.size <= 16:
            return "array(%r)" % value.tolist()
        return "array of shape %s (checksum %d)" % (value.shape, _checksum(value))
    return "<%s>" % type(value).__qualname__


def _data_summary(X, y, sample_weight, classes):
    """``[(what, value)]`` describing a rank's data, in values that compare equal on every
    rank holding the same data: a description to show the user (``what`` None), or a
    checksum of ``what``."""
    inputs = list(X.items()) if isinstance(X, dict) else [(None, X)]
    label = {key: "X" if key is None else "X[%r]" % key for key, _ in inputs}
    summary = [(None, "%s of shape %s" % (label[key], np.shape(a))) for key, a in inputs]
    if classes is not None:
        summary.append((None, "%d classes" % len(classes)))
    summary.append((None, "y of shape %s" % (np.shape(y),)))
    summary.append(
        (
            None,
            "no sample_weight"
            if sample_weight is None
            else "sample_weight of shape %s" % (np.shape(sample_weight),),
        )
    )
    if classes is not None:
        summary.append(("classes", _checksum(np.asarray(classes))))
    summary.append(("values of y", _checksum(y)))
    if sample_weight is not None:
        summary.append(("values of sample_weight", _checksum(sample_weight)))
    for key, a in inputs:
        summary.append(("values of %s" % label[key], _checksum(a, sample=True)))
    return summary


def _checksum(a, sample=False):
    """A CRC of an array's values (of :data:`CHECKED_ROWS` evenly spaced rows when
    ``sample``); floats as float32, as training reads them."""
    if not sp.issparse(a):
        a = np.asarray(a)
    if sample and a.ndim and a.shape[0] > CHECKED_ROWS:
        a = a[np.linspace(0, a.shape[0] - 1, CHECKED_ROWS).astype(np.int64)]
    if sp.issparse(a):
        a = a.tocsr()
        parts = [a.indptr, a.indices, a.data]
    else:
        parts = [a]
    crc = 0
    for part in parts:
        if part.dtype.kind == "O":  # no fixed-size bytes: their text instead
            data = repr(part.tolist()).encode()
        else:
            if part.dtype.kind == "f":
                part = part.astype(np.float32, copy=False)
            data = np.ascontiguousarray(part).tobytes()
        crc = zlib.crc32(data, crc)
    return crc
