"""Model files, side by side in one run: sknn's ``save`` / ``sknn.load`` against
``torch.save`` / ``torch.load`` of the same network's state dict.

The model is an MLPClassifier of about 10M parameters (1000 features, hidden layers of
5000 and 1000 units, 10 classes), fitted for one epoch. Each contender writes and reads
its file ``--repeats`` times; the table gives the median times, the file size, and the
ratios to the weights' size and to torch. The targets of the model-file format: the file
within 1.05x of the weights' size and loading within 2x of ``torch.load``. (sknn's load
does more than torch's: it verifies a checksum of the whole file, rebuilds the estimator,
its module and its training engine, and puts the weights into the module.)

A second table times what ``save`` spends checking that the file will load: the part of
a model that skops writes (scikit-learn's estimators beside sknn's) is loaded back in
memory before the file is written. On a soft-voting ensemble of a 300-tree random forest
and an sknn MLP, fitted on scikit-learn's digits, it gives ``save`` with the check against
``save`` with the check patched out, in the same run.

Usage::

    python benchmarks/bench_persistence.py [--repeats 7] [--threads 1]
"""

import argparse
import os
import statistics
import tempfile
import time
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.exceptions import ConvergenceWarning

import sknn
from sknn import MLPClassifier


def median_seconds(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    rng = np.random.RandomState(0)
    X = rng.randn(512, 1000).astype(np.float32)
    y = rng.randint(10, size=512)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPClassifier(
            (5000, 1000), max_iter=1, batch_size=256, device="cpu", random_state=0
        ).fit(X, y)
    n_params = sum(p.numel() for p in model.module_.parameters())
    weight_bytes = sum(p.numel() * p.element_size() for p in model.module_.parameters())
    expected = model.predict_proba(X)

    folder = tempfile.mkdtemp()
    ours = os.path.join(folder, "model.sknn")
    theirs = os.path.join(folder, "state.pt")
    contenders = {
        "sknn save/load": (
            lambda: model.save(ours),
            lambda: sknn.load(ours),
            ours,
        ),
        "torch.save/load (state dict)": (
            lambda: torch.save(model.module_.state_dict(), theirs),
            lambda: torch.load(theirs, weights_only=True),
            theirs,
        ),
    }
    rows = []
    for name, (save, load, path) in contenders.items():
        save()
        load()  # warm the page cache and the code paths alike for both
        rows.append(
            {
                "contender": name,
                "save (ms)": median_seconds(save, args.repeats) * 1e3,
                "load (ms)": median_seconds(load, args.repeats) * 1e3,
                "file (MB)": os.path.getsize(path) / 1e6,
                "file / weights": os.path.getsize(path) / weight_bytes,
            }
        )
    np.testing.assert_array_equal(sknn.load(ours).predict_proba(X), expected)
    table = pd.DataFrame(rows).set_index("contender")
    ratio = table.iloc[0, :3] / table.iloc[1, :3]
    table.loc["sknn / torch"] = [*ratio, np.nan]
    print(
        f"MLP of {n_params / 1e6:.2f}M parameters ({weight_bytes / 1e6:.1f} MB of weights), "
        f"{args.threads} thread(s), median of {args.repeats}"
    )
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    print()
    load_back_table(folder, args.repeats)


def load_back_table(folder, repeats):
    """``save`` with and without its load-back check, on a model whose scikit-learn part
    is large."""
    from unittest import mock

    from sklearn.datasets import load_digits
    from sklearn.ensemble import RandomForestClassifier, VotingClassifier

    from sknn.persistence import _objects

    X, y = load_digits(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = VotingClassifier(
            [
                ("forest", RandomForestClassifier(300, random_state=0)),
                ("mlp", MLPClassifier(max_iter=5, device="cpu", random_state=0)),
            ],
            voting="soft",
        ).fit(X, y)
    path = os.path.join(folder, "voting.sknn")
    sknn.save(model, path)
    trusted = sknn.get_untrusted_types(path)
    checked = median_seconds(lambda: sknn.save(model, path), repeats)
    with mock.patch.object(_objects, "_loads_back", lambda skops_io, payload: None):
        unchecked = median_seconds(lambda: sknn.save(model, path), repeats)
    loading = median_seconds(lambda: sknn.load(path, trusted=trusted), repeats)
    np.testing.assert_array_equal(
        sknn.load(path, trusted=trusted).predict_proba(X), model.predict_proba(X)
    )
    table = pd.DataFrame(
        {
            "ms": [checked * 1e3, unchecked * 1e3, loading * 1e3],
        },
        index=["save (with its load-back check)", "save, check patched out", "load"],
    )
    table.loc["save / save without the check"] = checked / unchecked
    print(
        f"Soft voting: 300-tree forest + MLP on digits, file of "
        f"{os.path.getsize(path) / 1e6:.1f} MB, median of {repeats}"
    )
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
