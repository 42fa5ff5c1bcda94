"""
A grid search whose fits run on a Dask cluster
==============================================

scikit-learn's searches run their fits through joblib, and joblib's Dask backend sends
each fit to a worker of a Dask cluster: a laptop's cores, or a cluster of GPU machines
(with dask-cuda's ``LocalCUDACluster``, one worker per GPU, each fit on its worker's own
GPU with ``device='auto'``). Nothing in the estimator changes, and the scores are those
of a search in one process. This script starts a two-worker ``LocalCluster`` (with
:func:`sknn.cluster.local_cluster`, which turns Dask's sampling profiler off and leaves
glibc's memory trimming at its default), runs the same grid search over sknn's
MLPClassifier both ways, and prints the two score tables.

Set ``SKNN_EXAMPLE_SMALL=1`` for a run of a few seconds.
"""

import os
import warnings

import joblib
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from sknn import MLPClassifier

SMALL = os.environ.get("SKNN_EXAMPLE_SMALL") == "1"


def main():
    from distributed import Client

    from sknn.cluster import local_cluster

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    if SMALL:
        X, y = X[:600], y[:600]
    grid = {"hidden_layer_sizes": [(32,), (64,)], "alpha": [1e-4, 1e-2]}
    model = MLPClassifier(max_iter=10 if SMALL else 100, random_state=0, device="auto")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        here = GridSearchCV(model, grid, cv=3, n_jobs=1).fit(X, y)
        with (
            local_cluster(n_workers=2) as cluster,
            Client(cluster) as client,
            joblib.parallel_backend("dask"),
        ):
            print(f"cluster: {len(client.scheduler_info()['workers'])} workers")
            there = GridSearchCV(model, grid, cv=3, n_jobs=-1).fit(X, y)
    for params, a, b in zip(
        here.cv_results_["params"],
        here.cv_results_["mean_test_score"],
        there.cv_results_["mean_test_score"],
        strict=True,
    ):
        print(f"{params}: one process {a:.4f}, on the cluster {b:.4f}")
    same = np.allclose(here.cv_results_["mean_test_score"], there.cv_results_["mean_test_score"])
    print(f"best: {there.best_params_}; same scores: {same}")


if __name__ == "__main__":  # the workers are processes that import this file
    main()
