"""Scaling out, side by side in one run: a grid search of 8 settings in one process,
with joblib's process pool (``n_jobs=2``) and on a two-worker Dask ``LocalCluster`` (as
:func:`sknn.cluster.local_cluster` starts it: Dask's sampling profiler off, glibc's
memory trimming at its default); then one data-parallel fit over two processes
(torch.distributed, gloo) against one process.

Each fit and each process uses one torch thread, so on a 2-core machine two run at once.
The fits train up to ``max_iter=200`` epochs, the MLPs' default (under a second each):
with much shorter fits, the start of the worker processes (each imports torch) is most of
what a parallel search costs, and it cannot be faster than one process.
The targets: both parallel searches at most 0.65x the one-process wall time; the
two-process epoch as a ratio of the one-process epoch. The first search on fresh workers
includes their start (each process imports torch and sknn: several seconds of the two
cores; the cluster's own start is timed apart); the second runs on the workers kept by
joblib (loky reuses its processes) or by the cluster, as every later search of a session
does. Each search runs ``--repeat`` times (3), the repeats interleaved, and the table
gives the medians; "sum of fit s" adds up the 24 fits' own times (``cv_results_``), so a
parallel search whose fits each run slower than alone shows it there.

Usage::

    python benchmarks/bench_scaling.py [--max-iter 200] [--epochs 20] [--repeat 3]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

ROOT = Path(__file__).resolve().parent.parent

DDP_SCRIPT = textwrap.dedent(
    """
    import os, sys, time, warnings
    import numpy as np, torch
    import torch.distributed as dist
    from sklearn.datasets import make_classification
    from sknn import MLPClassifier
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    X, y = make_classification(n_samples=40000, n_features=100, n_informative=50,
                               n_classes=5, random_state=0)
    X = X.astype(np.float32)
    if "RANK" in os.environ:
        dist.init_process_group("gloo")
    model = MLPClassifier((512, 512), batch_size=512, max_iter=int(sys.argv[1]),
                          n_iter_no_change=1000, random_state=0, device="cpu")
    start = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - start
    if not dist.is_initialized() or dist.get_rank() == 0:
        print(seconds / model.n_iter_, model.score(X, y))
    """
)


def grid_search(n_jobs, max_iter, backend=None):
    from sknn import MLPClassifier

    X, y = load_digits(return_X_y=True)
    grid = {
        "hidden_layer_sizes": [(64,), (128,)],
        "alpha": [1e-4, 1e-2],
        "learning_rate_init": [1e-3, 3e-3],
    }
    model = MLPClassifier(max_iter=max_iter, random_state=0, device="cpu")
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if backend is None:
            search = GridSearchCV(model, grid, cv=3, n_jobs=n_jobs).fit(X / 16, y)
        else:
            with joblib.parallel_backend(backend):
                search = GridSearchCV(model, grid, cv=3, n_jobs=n_jobs).fit(X / 16, y)
    fits = 3 * search.cv_results_["mean_fit_time"].sum()  # cv=3: every fit's own time
    return time.perf_counter() - start, search.best_score_, fits


def ddp_epoch(processes, epochs, malloc_trim=None):
    script = Path(tempfile.mkdtemp()) / "ddp.py"
    script.write_text(DDP_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    # Unset unless asked for: a Dask nanny started by this process may have written it.
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    if malloc_trim is not None:
        env["MALLOC_TRIM_THRESHOLD_"] = str(malloc_trim)
    if processes == 1:
        command = [sys.executable, str(script), str(epochs)]
    else:
        command = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node",
            str(processes),
            "--master_port",
            "29611",
            str(script),
            str(epochs),
        ]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    seconds, score = out.split()[-2:]
    return float(seconds), float(score)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--max-iter", type=int, default=200, help="per fit (default: 200, the MLPs' default)"
    )
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument(
        "--repeat", type=int, default=3, help="interleaved repeats of the searches (median)"
    )
    args = parser.parse_args(argv)
    os.environ["OMP_NUM_THREADS"] = "1"  # before torch starts its pool in this process
    import torch

    torch.set_num_threads(1)
    from distributed import Client
    from joblib.externals.loky import get_reusable_executor

    from sknn.cluster import local_cluster

    runs = {}
    starts = []
    for _ in range(args.repeat):
        # The repeats interleave, so that a slow spell of a shared machine falls on all
        # the runs alike; the table gives each run's median.
        runs.setdefault("search, n_jobs=1", []).append(grid_search(1, args.max_iter))
        runs.setdefault("search, n_jobs=2 (joblib processes, started by it)", []).append(
            grid_search(2, args.max_iter)
        )
        runs.setdefault("search, n_jobs=2 again (the processes kept)", []).append(
            grid_search(2, args.max_iter)
        )
        # A fresh pool for the next repeat's first n_jobs=2 search.
        get_reusable_executor().shutdown(wait=True)
        start = time.perf_counter()
        with local_cluster(n_workers=2) as cluster, Client(cluster):
            starts.append(time.perf_counter() - start)
            runs.setdefault("search, Dask LocalCluster 2x1", []).append(
                grid_search(-1, args.max_iter, backend="dask")
            )
            runs.setdefault("search, same LocalCluster again", []).append(
                grid_search(-1, args.max_iter, backend="dask")
            )
    rows = []
    for run, results in runs.items():
        seconds, best, fits = (np.median(column) for column in zip(*results, strict=True))
        if run == "search, Dask LocalCluster 2x1":
            run += f" (+{np.median(starts):.1f} s to start)"
        rows.append((run, seconds, best, fits))
    table = pd.DataFrame(rows, columns=["run", "wall s", "best score", "sum of fit s"])
    table = table.set_index("run")
    table["x n_jobs=1"] = table["wall s"] / table["wall s"].iloc[0]
    print(
        f"GridSearchCV, 8 settings x 3 folds on digits, max_iter={args.max_iter}, "
        f"{os.cpu_count()} cores, one torch thread per fit; median of {args.repeat} "
        "interleaved repeats"
    )
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    print()
    one = ddp_epoch(1, args.epochs)
    two = ddp_epoch(2, args.epochs)
    # What Dask's nannies set in their workers: glibc's adaptive mmap threshold off, so
    # each tensor above 128 KiB is a fresh mmap (this MLP's activations are 1 MiB).
    trimmed = ddp_epoch(1, args.epochs, malloc_trim=65536)
    ddp = pd.DataFrame(
        [
            ("1 process", *one),
            ("2 processes (gloo)", *two),
            ("1 process, MALLOC_TRIM_THRESHOLD_=65536", *trimmed),
        ],
        columns=["run", "s / epoch", "training accuracy"],
    ).set_index("run")
    ddp["x 1 process"] = ddp["s / epoch"] / ddp["s / epoch"].iloc[0]
    print(f"One MLP (512, 512) on 40k x 100, batch 512, {args.epochs} epochs, data-parallel")
    print(ddp.to_string(float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
