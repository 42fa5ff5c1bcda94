"""Prediction latency, side by side in one run: sknn's MLPClassifier against scikit-learn's.

Both models have two hidden layers of 256 ReLU units and are fitted on the same
``make_classification`` data; the script times ``predict`` on one row (median of many
calls) and on 100k rows, and prints the ratios sknn / scikit-learn.

Usage::

    python benchmarks/bench_predict.py [--device cpu|cuda] [--calls 2000]
"""

import argparse
import statistics
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SkMLPClassifier

from sknn import MLPClassifier


def median_seconds(fn, calls):
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args(argv)

    X, y = make_classification(
        n_samples=100_000, n_features=50, n_informative=30, n_classes=5, random_state=0
    )
    X = X.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = MLPClassifier((256, 256), max_iter=1, device=args.device).fit(X[:5000], y[:5000])
        theirs = SkMLPClassifier((256, 256), max_iter=1).fit(X[:5000], y[:5000])
    row = X[:1]
    rows = []
    for name, model in [("sknn", ours), ("sklearn", theirs)]:
        model.predict(row)  # warm-up
        one = median_seconds(lambda m=model: m.predict(row), args.calls)
        many = min(median_seconds(lambda m=model: m.predict(X), 1) for _ in range(3))
        rows.append({"model": name, "1 row (us)": one * 1e6, "100k rows (ms)": many * 1e3})
    table = pd.DataFrame(rows).set_index("model")
    table.loc["sknn / sklearn"] = table.loc["sknn"] / table.loc["sklearn"]
    print(f"device={args.device}")
    print(table.to_string(float_format=lambda v: f"{v:.2f}"))


if __name__ == "__main__":
    main()
