"""Running many fits on a Dask cluster: the connection ``sknn compare --scheduler`` uses.

scikit-learn's searches and ``cross_validate`` already run their fits through joblib, and
joblib's Dask backend sends each fit to a Dask worker::

    from dask.distributed import Client
    import joblib

    client = Client("tcp://scheduler:8786")      # or Client(LocalCluster(...))
    with joblib.parallel_backend("dask"):
        GridSearchCV(MLPClassifier(random_state=0), grid, n_jobs=-1).fit(X, y)

Nothing in sknn needs to know: each fit is pickled to a worker and trains there with that
worker's share of the machine (Dask's and joblib's workers start with
``OMP_NUM_THREADS`` set to their share of the cores, which torch follows) on that worker's
GPU (``device='auto'`` takes the first GPU of ``CUDA_VISIBLE_DEVICES``, which dask-cuda's
``LocalCUDACluster`` sets to a different GPU for each worker). :func:`dask_backend` is
the same recipe as a context manager, with the errors a user can act on.
"""

import contextlib
import os


class ClusterError(Exception):
    """The cluster could not be reached or started (a message for the user)."""


@contextlib.contextmanager
def dask_backend(address):
    """Run the joblib-parallel work of the block on a Dask cluster.

    Parameters
    ----------
    address : str
        A scheduler's address (``tcp://host:8786``), or ``'local'`` to start a
        ``LocalCluster`` on this machine: one single-threaded worker per GPU (with
        dask-cuda's ``LocalCUDACluster``, each worker on its own GPU) or, without GPUs, per
        core.

    Yields
    ------
    client : distributed.Client

    Raises
    ------
    ClusterError
        If ``dask[distributed]`` is not installed or the scheduler cannot be reached.
    """
    try:
        import joblib
        from distributed import Client
    except ImportError:
        raise ClusterError(
            "running on a Dask cluster needs dask's distributed scheduler: "
            "pip install 'dask[distributed]'"
        ) from None
    with contextlib.ExitStack() as stack:
        if address == "local":
            cluster = stack.enter_context(local_cluster())
            client = stack.enter_context(Client(cluster))
        else:
            try:
                client = stack.enter_context(Client(address, timeout="10s"))
            except (OSError, TimeoutError, ValueError) as error:
                raise ClusterError(
                    f"cannot reach the Dask scheduler at {address!r}: {error}"
                ) from None
        stack.enter_context(joblib.parallel_backend("dask"))
        yield client


#: Dask settings of the workers that :func:`local_cluster` starts (measured with
#: ``benchmarks/bench_dask_workers.py`` and ``benchmarks/bench_scaling.py``):
#:
#: - the worker's sampling profiler (on by default) stops the training thread 100 times a
#:   second to read its stack: on, bench_scaling's search on two warm workers took 1.20x
#:   the wall time and its fits 1.20x the summed time;
#: - the nanny starts its worker with ``MALLOC_TRIM_THRESHOLD_=65536`` (Dask's default,
#:   to hand freed memory back to the system sooner). Setting it at all turns off glibc's
#:   adaptive mmap threshold, so every tensor above 128 KiB is a fresh ``mmap`` whose
#:   pages fault in again at each step: an epoch of a (512, 512) MLP in batches of 512
#:   took 1.59x as long with it. The small networks of that search barely notice (1.01x).
#:   Unset, a worker keeps up to its training's peak memory. A variable set in the
#:   environment of the process that starts the cluster still applies.
#:
#: For a cluster started otherwise, set these in the workers' Dask configuration
#: (``distributed.worker.profile.enabled: false``, and
#: ``distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_: null`` for the nannies).
WORKER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
}


def local_cluster(n_workers=None):
    """A Dask cluster on this machine: one single-threaded worker per GPU, else per core.

    With several GPUs and dask-cuda installed, its ``LocalCUDACluster`` gives each worker
    its own GPU; without dask-cuda, the workers share the GPUs the process sees (and
    ``device='auto'`` puts every fit on the first: install dask-cuda). The workers run
    with :data:`WORKER_CONFIG` (Dask's sampling profiler off, glibc's memory trimming
    left at its default).

    Parameters
    ----------
    n_workers : int, default=None
        The number of workers; None: one per GPU, or per core where there is no GPU.

    Returns
    -------
    cluster : distributed.LocalCluster
        A context manager; :class:`distributed.Client` connects to it.
    """
    import dask
    from distributed import LocalCluster

    n_gpus = _gpu_count()
    # The nannies copy the configuration they start with and pass it to their workers
    # (also to a worker they restart).
    with dask.config.set(WORKER_CONFIG):
        if n_gpus:
            try:
                from dask_cuda import LocalCUDACluster
            except ImportError:
                pass
            else:
                return LocalCUDACluster(n_workers=n_workers, threads_per_worker=1)
        workers = n_workers or n_gpus or (os.cpu_count() or 1)
        return LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        )


def _gpu_count():
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0
