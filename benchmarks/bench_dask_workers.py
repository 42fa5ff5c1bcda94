"""The Dask worker settings of :func:`sknn.cluster.local_cluster`, measured: the same
search on a two-worker cluster as ``local_cluster`` starts it, and with each of Dask's own
defaults that it changes put back (the sampling profiler on; the nannies'
``MALLOC_TRIM_THRESHOLD_=65536``).

Each run is a fresh Python process (a Dask nanny writes the malloc variable into the
environment of the process that starts it, so arms cannot share a process). A run starts
the cluster, runs ``bench_scaling.py``'s search once to warm the workers, then twice more;
the table gives, per arm, the median over the repeats of those warm searches' wall time
and of their 24 fits' summed time. The arms are interleaved, so that a slow spell of a
shared machine falls on all of them alike.

Usage::

    python benchmarks/bench_dask_workers.py [--repeat 4] [--max-iter 200]
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent

#: Arm -> Dask settings put on top of ``local_cluster``'s own.
ARMS = {
    "local_cluster (profiler off, malloc variable unset)": {},
    "  with Dask's MALLOC_TRIM_THRESHOLD_=65536": {
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": 65536
    },
    "  with Dask's sampling profiler on": {"distributed.worker.profile.enabled": True},
}


def run_arm(settings, max_iter):
    """In this (fresh) process: the cluster, one warming search, two timed ones."""
    os.environ["OMP_NUM_THREADS"] = "1"
    from unittest import mock

    import torch
    from bench_scaling import grid_search
    from distributed import Client

    from sknn import cluster as sknn_cluster

    torch.set_num_threads(1)
    # local_cluster starts its nannies under WORKER_CONFIG: the arm's settings replace
    # those entries of it for this start.
    with mock.patch.dict(sknn_cluster.WORKER_CONFIG, settings):
        cluster = sknn_cluster.local_cluster(n_workers=2)
    with cluster, Client(cluster) as client:
        trim = set(client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_")).values())
        grid_search(-1, max_iter, backend="dask")
        warm = [grid_search(-1, max_iter, backend="dask") for _ in range(2)]
    return {
        "wall": [w[0] for w in warm],
        "fits": [w[2] for w in warm],
        "trim": sorted(str(t) for t in trim),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=4, help="fresh processes per arm")
    parser.add_argument("--max-iter", type=int, default=200)
    parser.add_argument("--arm", help=argparse.SUPPRESS)  # internal: run one arm here
    args = parser.parse_args(argv)
    if args.arm is not None:
        print(json.dumps(run_arm(ARMS[args.arm], args.max_iter)))
        return
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), str(HERE.parent)])
    results = {arm: [] for arm in ARMS}
    for _ in range(args.repeat):
        for arm in ARMS:
            command = [sys.executable, __file__, "--arm", arm, "--max-iter", str(args.max_iter)]
            out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
            results[arm].append(json.loads(out.stdout.strip().splitlines()[-1]))
    rows = []
    for arm, runs in results.items():
        wall = np.median([w for run in runs for w in run["wall"]])
        fits = np.median([f for run in runs for f in run["fits"]])
        trim = ", ".join(sorted({t for run in runs for t in run["trim"]}))
        rows.append((arm, wall, fits, trim))
    table = pd.DataFrame(
        rows, columns=["workers", "warm search s", "sum of fit s", "workers' malloc variable"]
    ).set_index("workers")
    table["x local_cluster"] = table["warm search s"] / table["warm search s"].iloc[0]
    print(
        f"bench_scaling's search (8 settings x 3 folds, max_iter={args.max_iter}) on a "
        f"two-worker cluster, {os.cpu_count()} cores; medians of {2 * args.repeat} warm "
        f"searches, {args.repeat} fresh processes per arm, interleaved"
    )
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
