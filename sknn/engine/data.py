"""Device-resident datasets batched by index.

The whole training set is moved to the device once; each batch is a gather (or a slice when
not shuffling) of rows that are already there. This replaces a per-sample ``DataLoader``,
whose Python overhead per row dominates the cost of small networks.

Sparse input (a scipy CSR or CSC matrix or array) comes in through :func:`to_tensor` as a
torch sparse CSR tensor and stays sparse: a batch is its rows gathered into a smaller CSR
tensor (:func:`csr_rows`), which the module multiplies as sparse. Nothing densifies it.
"""

import mmap
import operator
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp
import torch


def to_tensor(a, device):
    """A NumPy array or scipy sparse matrix as a tensor on ``device``, floats as float32.

    Sparse input becomes a torch sparse CSR tensor (its index arrays keep their integer
    type; on the CPU, float32 CSR arrays are shared, not copied); dense input a strided
    tensor.
    """
    if sp.issparse(a):
        a = a.tocsr()
        crow, col = a.indptr, a.indices
        if crow.dtype != col.dtype:  # torch wants one index type for both
            crow, col = crow.astype(np.int64), col.astype(np.int64)
        values = np.asarray(a.data, dtype=np.float32)
        return csr_tensor(
            torch.from_numpy(crow).to(device),
            torch.from_numpy(col).to(device),
            torch.from_numpy(values).to(device),
            a.shape,
        )
    t = shared_tensor(a)
    if t.is_floating_point() and t.dtype != torch.float32:
        t = t.float()
    return t.to(device, non_blocking=True)


def shared_tensor(a):
    """``torch.as_tensor(a)``, sharing a NumPy array's memory even when it is read-only.

    pandas (copy-on-write) and memory-mapped files hand out read-only arrays; torch then
    warns that writing to the tensor is undefined. sknn never writes into its input
    tensors, so that warning is not the user's concern and is not shown to them.
    """
    if isinstance(a, np.ndarray) and not a.flags.writeable:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
            return torch.as_tensor(a)
    return torch.as_tensor(a)


def is_sparse(x):
    """True for a scipy sparse matrix or array and for a torch sparse CSR tensor."""
    return sp.issparse(x) or (isinstance(x, torch.Tensor) and x.layout == torch.sparse_csr)


def nbytes(a):
    """Memory held by an array's values (for a sparse matrix: its data and index arrays)."""
    if sp.issparse(a):
        a = a.tocsr(copy=False)
        return a.data.nbytes + a.indices.nbytes + a.indptr.nbytes
    return a.nbytes


_csr_beta_warning_shown = False


def csr_tensor(crow, col, values, shape):
    """``torch.sparse_csr_tensor`` without per-call checks, and without torch's one-time
    "beta state" warning, which is about torch's API and not something a user can act on
    (nor, on torch 2.11 with CUDA, its one-time note that the checks are off)."""
    global _csr_beta_warning_shown
    if _csr_beta_warning_shown:
        return torch.sparse_csr_tensor(crow, col, values, shape, check_invariants=False)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Sparse CSR tensor support is in beta", UserWarning)
        warnings.filterwarnings("ignore", "Sparse invariant checks are implicitly", UserWarning)
        t = torch.sparse_csr_tensor(crow, col, values, shape, check_invariants=False)
    _csr_beta_warning_shown = True
    return t


def csr_rows(X, index):
    """Rows ``index`` (a slice or a 1-D index tensor on X's device) of a sparse CSR tensor,
    as a sparse CSR tensor.

    A gather of the rows' column indices and values, done where X is. The batch's number of
    stored values sizes its arrays, so on CUDA it is read back to the host: one
    synchronisation per batch (and the reason a sparse step is never captured in a graph).
    """
    crow, col, values = X.crow_indices(), X.col_indices(), X.values()
    n_rows, n_cols = X.shape
    if isinstance(index, slice):
        start, stop, _ = index.indices(n_rows)
        lo, hi = crow[[start, stop]].tolist()
        return csr_tensor(
            crow[start : stop + 1] - lo, col[lo:hi], values[lo:hi], (stop - start, n_cols)
        )
    starts = crow[index].long()
    counts = crow[index + 1].long() - starts
    batch_crow = torch.zeros(len(index) + 1, dtype=torch.long, device=crow.device)
    torch.cumsum(counts, 0, out=batch_crow[1:])
    nnz = int(batch_crow[-1])
    # Position of each stored value of the batch in X's arrays: its row's start in X plus
    # its offset within the row.
    shift = torch.repeat_interleave(starts - batch_crow[:-1], counts, output_size=nnz)
    positions = torch.arange(nnz, device=crow.device) + shift
    return csr_tensor(
        batch_crow.to(crow.dtype), col[positions], values[positions], (len(index), n_cols)
    )


class DeviceData:
    """The tensors of one dataset, already on the training device.

    Parameters
    ----------
    X : torch.Tensor or dict of str to torch.Tensor
        Inputs, first dimension ``n_samples``; a dict is passed to the module as keyword
        arguments (for example ids and lengths of padded sequences). A sparse CSR tensor
        stays sparse: its batches are sparse CSR tensors of the batch's rows.
    y : torch.Tensor
        Targets, first dimension ``n_samples``.
    sample_weight : torch.Tensor of shape (n_samples,) or None
        Per-sample weights of the loss.
    """

    def __init__(self, X, y, sample_weight=None):
        self.X = X
        self.y = y
        self.sample_weight = sample_weight

    def __len__(self):
        return len(self.y)

    @property
    def index_device(self):
        """Where batch indices are drawn: the data's own device."""
        return self.y.device

    def take(self, index):
        """The batch at ``index`` (a slice or an index tensor) as ``(X, (y, weight))``."""
        if isinstance(index, slice):
            rows = operator.itemgetter(index)
        else:
            # index_select gathers whole rows: on the CPU 2 to 3 times faster than
            # advanced indexing, which goes through the general indexing kernel.
            def rows(tensor):
                return tensor.index_select(0, index)

        if isinstance(self.X, dict):
            X = {key: rows(value) for key, value in self.X.items()}
        elif self.X.layout == torch.sparse_csr:
            X = csr_rows(self.X, index)
        else:
            X = rows(self.X)
        weight = None if self.sample_weight is None else rows(self.sample_weight)
        return X, (rows(self.y), weight)


class IndexBatches:
    """Iterate over a :class:`DeviceData` in batches of ``batch_size`` rows.

    A new permutation is drawn on the data's device from ``generator`` at every pass when
    ``shuffle`` is true, so shuffling costs no host-device transfer and is reproducible;
    not when all rows make one batch, where an order changes nothing but the order of the
    float32 sums (so that a fit and as many ``partial_fit`` calls, each drawing its
    permutations from another seed, train the same network).
    With ``merge_single_row``, a last batch of one row joins the batch before it (batch
    normalisation cannot train on a single row). With ``data_parallel`` (a
    :class:`~sknn.engine.distributed.DataParallel`), each batch is this process's share
    of the global batch.
    """

    def __init__(
        self,
        data,
        batch_size,
        shuffle=False,
        generator=None,
        merge_single_row=False,
        data_parallel=None,
    ):
        self.data = data
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator
        self.merge_single_row = merge_single_row
        self.data_parallel = data_parallel

    def bounds(self):
        """``(start, stop)`` of each batch."""
        n_samples = len(self.data)
        starts = list(range(0, n_samples, self.batch_size))
        if self.merge_single_row and len(starts) > 1 and n_samples - starts[-1] == 1:
            starts.pop()
        stops = starts[1:] + [n_samples]
        return list(zip(starts, stops, strict=True))

    @property
    def max_batch_rows(self):
        return max((stop - start for start, stop in self.bounds()), default=0)

    def __len__(self):
        return len(self.bounds())

    @property
    def shuffles(self):
        """Whether each pass draws a new order: ``shuffle``, and more than one batch."""
        return self.shuffle and len(self.bounds()) > 1

    def indices(self):
        """Yield each batch's row indices as a 1-D long tensor on the data's device."""
        n_samples = len(self.data)
        device = self.data.index_device
        if self.shuffles:
            order = torch.randperm(n_samples, generator=self.generator, device=device)
        else:
            order = torch.arange(n_samples, device=device)
        for start, stop in self.bounds():
            index = order[start:stop]
            # Data-parallel: every rank draws the same order; each takes its rows of it.
            yield index if self.data_parallel is None else self.data_parallel.shard(index)

    def __iter__(self):
        if self.shuffles or self.data_parallel is not None:
            for index in self.indices():
                yield self.data.take(index)
        else:  # slices: views of the data, no gather
            for start, stop in self.bounds():
                yield self.data.take(slice(start, stop))


def is_memory_mapped(array):
    """True if a NumPy array's memory is a memory-mapped file (``np.memmap``, ``np.load``'s
    ``mmap_mode``), also after views such as scikit-learn's validation return."""
    base = array
    while base is not None:
        if isinstance(base, (np.memmap, mmap.mmap)):
            return True
        base = getattr(base, "base", None)
    return False


class HostData:
    """A dataset left in host memory (an array or a memory map), streamed batch by batch.

    Only the rows of each batch are read and sent to the device, so data larger than the
    device's memory (or than RAM, for a memory map) trains. A memory map's rows are read
    in increasing order, far faster than random rows, and the batch is then put in its
    drawn order: a streamed batch is the in-memory one row for row, so that a seeded fit's
    dropout masks fall on the same rows whether it streams or not.

    Parameters
    ----------
    X : ndarray, scipy sparse CSR matrix or dict of str to ndarray
        Inputs, first dimension ``n_samples``; left where they are (never copied whole).
    y : ndarray
        Encoded targets.
    sample_weight : ndarray or None
    rows : ndarray of int or None
        The rows of X this dataset covers (the training or validation part), or None for
        all of them.
    device : torch.device
        Where batches go.
    """

    index_device = torch.device("cpu")

    def __init__(self, X, y, sample_weight, rows, device):
        self.X = X
        self.y = y
        self.sample_weight = sample_weight
        self.rows = rows
        self.device = device

    def __len__(self):
        return len(self.y) if self.rows is None else len(self.rows)

    def _arrays(self):
        X = list(self.X.values()) if isinstance(self.X, dict) else [self.X]
        w = [] if self.sample_weight is None else [self.sample_weight]
        return X + [self.y] + w

    def _assemble(self, tensors):
        """The tensors of :meth:`_arrays`' order -> ``(X, (y, weight))``."""
        if isinstance(self.X, dict):
            X = dict(zip(self.X, tensors[: len(self.X)], strict=True))
            rest = tensors[len(self.X) :]
        else:
            X, rest = tensors[0], tensors[1:]
        return X, (rest[0], rest[1] if len(rest) > 1 else None)

    def source_rows(self, index):
        """Positions ``index`` (into this dataset) -> row numbers of X, in that order."""
        index = np.asarray(index)
        return index if self.rows is None else self.rows[index]


class StreamBatches(IndexBatches):
    """Iterate over a :class:`HostData` in batches, reading the next batch while the
    current one trains.

    A background thread gathers the next batch's rows; on CUDA it gathers them into one of
    two pinned buffers, and the copy to the device runs on its own stream, overlapping the
    step on the current batch. The shuffling order is drawn on the CPU. The rows of a
    sparse matrix come as a sparse CSR tensor.
    """

    def _positions(self):
        return [index.numpy() for index in self.indices()]

    def __iter__(self):
        batches = self._positions()
        if not batches:
            return
        device = self.data.device
        arrays = self.data._arrays()
        if device.type == "cuda" and not any(sp.issparse(a) for a in arrays):
            slots = [_PinnedSlot(arrays, self.max_batch_rows) for _ in range(2)]
            copy_stream = torch.cuda.Stream(device=device)

            def read(i):
                return slots[i % 2].fill(arrays, self.data.source_rows(batches[i]))

            def deliver(i, host):
                return slots[i % 2].to_device(host, device, copy_stream)

        else:

            def read(i):
                return _read(arrays, self.data.source_rows(batches[i]))

            def deliver(i, host):
                # A no-op on the CPU. On CUDA, sparse batches (their sizes vary, so no fixed
                # pinned buffers) are copied as they come.
                return [t.to(device) for t in host]

        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(read, 0)
            for i in range(len(batches)):
                host = pending.result()
                if i + 1 < len(batches):
                    pending = pool.submit(read, i + 1)
                yield self.data._assemble(deliver(i, host))


def _read(arrays, rows):
    """Rows of each array as tensors, floating point cast to float32 on the host; rows of a
    sparse matrix as a sparse CSR tensor."""
    return [
        to_tensor(a[rows], "cpu")
        if sp.issparse(a)
        else shared_tensor(
            np.asarray(_gather(a, rows), dtype=np.float32 if a.dtype.kind == "f" else None)
        )
        for a in arrays
    ]


def _gather(array, rows):
    """``array[rows]``, rows in the order given. A memory map is read in increasing row
    order (far faster than random rows), and the batch reordered in memory."""
    if not is_memory_mapped(array):
        return array[rows]
    order = np.argsort(rows, kind="stable")
    in_order = array[rows[order]]
    batch = np.empty_like(in_order)
    batch[order] = in_order
    return batch


class _PinnedSlot:
    """Pinned host buffers for one batch of each array, reused batch after batch."""

    def __init__(self, arrays, batch_size):
        self.buffers = [
            torch.empty((batch_size, *a.shape[1:]), dtype=_torch_dtype(a.dtype), pin_memory=True)
            for a in arrays
        ]
        self.copied = None  # CUDA event: the last copy out of these buffers is done

    def fill(self, arrays, rows):
        if self.copied is not None:
            self.copied.synchronize()  # never overwrite a batch still being copied
        n = len(rows)
        for buffer, a in zip(self.buffers, arrays, strict=True):
            buffer.numpy()[:n] = _gather(a, rows)
        return [buffer[:n] for buffer in self.buffers]

    def to_device(self, host, device, copy_stream):
        current = torch.cuda.current_stream(device)
        with torch.cuda.stream(copy_stream):
            tensors = [t.to(device, non_blocking=True) for t in host]
            self.copied = torch.cuda.Event()
            self.copied.record(copy_stream)
        current.wait_stream(copy_stream)
        for t in tensors:
            t.record_stream(current)  # the allocator must not reuse them before the step
        return tensors


def _torch_dtype(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return torch.float32  # cast on the host: half the bytes to copy for float64
    return torch.from_numpy(np.empty(0, dtype=dtype)).dtype
