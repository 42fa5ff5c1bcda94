"""MLP training speed, side by side in one run: sknn against scikit-learn, skorch and raw torch.

Every contender trains the same network (two hidden layers of 256 ReLU units, Adam,
lr 1e-3, no L2 penalty) for the same number of epochs at the same batch size on
``make_classification(n_features=50, n_informative=30, n_classes=5)``, and reports the
time per epoch (whole fit time, data transfer included, divided by the epochs), the test
accuracy, and the ratio of its time to the raw loop's.

- raw: a minimal hand-written PyTorch loop, data as tensors on the device, batches by
  index, one ``loss.item()`` per epoch;
- sknn: ``sknn.MLPClassifier`` with its defaults (on CUDA, the training step captured in a
  CUDA graph; on the CPU the same as sknn-eager);
- sknn-eager: ``cuda_graph=False``, the eager step;
- sknn-stream: ``stream_data=True``, X left in host memory and sent batch by batch (from
  pinned memory on CUDA, the next batch copied while the current one trains);
- sknn-memmap: X saved with ``np.save`` and passed as ``np.load(..., mmap_mode='r')``
  (streamed; the file is in the page cache after the first epoch);
- skorch: ``skorch.NeuralNetClassifier`` with its defaults (DataLoader batches);
- sklearn: ``sklearn.neural_network.MLPClassifier`` (CPU only, NumPy).

Usage::

    python benchmarks/bench_mlp.py                       # CPU: 80k rows, batch 256 and 4096
    python benchmarks/bench_mlp.py --device cuda --n-samples 1000000
    python benchmarks/bench_mlp.py --only raw sknn sknn-eager     # a subset
"""

import argparse
import os
import tempfile
import time
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

HIDDEN = (256, 256)


def make_module(n_features, n_classes):
    return torch.nn.Sequential(
        torch.nn.Linear(n_features, HIDDEN[0]),
        torch.nn.ReLU(),
        torch.nn.Linear(HIDDEN[0], HIDDEN[1]),
        torch.nn.ReLU(),
        torch.nn.Linear(HIDDEN[1], n_classes),
    )


def _sync(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def run_raw(X, y, X_test, y_test, epochs, batch_size, device, seed):
    torch.manual_seed(seed)
    start = time.perf_counter()
    Xt = torch.as_tensor(X, device=device)
    yt = torch.as_tensor(y, device=device)
    module = make_module(X.shape[1], int(y.max()) + 1).to(device)
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = len(Xt)
    for _ in range(epochs):
        order = torch.randperm(n, device=device)
        total = torch.zeros((), device=device)
        for i in range(0, n, batch_size):
            idx = order[i : i + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(module(Xt[idx]), yt[idx])
            loss.backward()
            optimizer.step()
            total += loss.detach()
        total.item()
    _sync(device)
    elapsed = time.perf_counter() - start
    with torch.no_grad():
        pred = module(torch.as_tensor(X_test, device=device)).argmax(1).cpu().numpy()
    return elapsed, (pred == y_test).mean()


def run_sknn(X, y, X_test, y_test, epochs, batch_size, device, seed, **params):
    from sknn import MLPClassifier

    clf = MLPClassifier(
        HIDDEN,
        alpha=0.0,
        batch_size=batch_size,
        max_iter=epochs,
        n_iter_no_change=np.inf,
        random_state=seed,
        device=device,
        **params,
    )
    start = time.perf_counter()
    clf.fit(X, y)
    _sync(device)
    elapsed = time.perf_counter() - start
    if params.get("cuda_graph") is True and not clf.cuda_graph_:
        raise RuntimeError("the training step was not captured")
    if device.startswith("cuda") and "cuda_graph" not in params:
        print(f"    (sknn, batch {batch_size}: step captured in a CUDA graph: {clf.cuda_graph_})")
    return elapsed, clf.score(X_test, y_test)


def run_sknn_eager(*args):
    return run_sknn(*args, cuda_graph=False)


def run_sknn_stream(*args):
    return run_sknn(*args, stream_data=True)


def run_sknn_memmap(X, *args):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "X.npy")
        np.save(path, X)
        return run_sknn(np.load(path, mmap_mode="r"), *args)


def run_skorch(X, y, X_test, y_test, epochs, batch_size, device, seed):
    from skorch import NeuralNetClassifier

    torch.manual_seed(seed)
    net = NeuralNetClassifier(
        make_module(X.shape[1], int(y.max()) + 1),
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=epochs,
        batch_size=batch_size,
        train_split=None,
        iterator_train__shuffle=True,
        device=device,
        verbose=0,
    )
    start = time.perf_counter()
    net.fit(X, y)
    _sync(device)
    elapsed = time.perf_counter() - start
    return elapsed, (net.predict(X_test) == y_test).mean()


def run_sklearn(X, y, X_test, y_test, epochs, batch_size, device, seed):
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(
        HIDDEN,
        alpha=0.0,
        batch_size=batch_size,
        max_iter=epochs,
        n_iter_no_change=epochs + 1,
        random_state=seed,
    )
    start = time.perf_counter()
    clf.fit(X, y)
    elapsed = time.perf_counter() - start
    return elapsed, clf.score(X_test, y_test)


CONTENDERS = {
    "raw": run_raw,
    "sknn": run_sknn,
    "sknn-eager": run_sknn_eager,
    "sknn-stream": run_sknn_stream,
    "sknn-memmap": run_sknn_memmap,
    "skorch": run_skorch,
    "sklearn": run_sklearn,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--n-samples", type=int, default=80_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[256, 4096])
    parser.add_argument("--only", nargs="+", choices=list(CONTENDERS), default=list(CONTENDERS))
    parser.add_argument("--repeats", type=int, default=1, help="best of N runs per cell")
    args = parser.parse_args(argv)

    X, y = make_classification(
        n_samples=args.n_samples + 20_000,
        n_features=50,
        n_informative=30,
        n_classes=5,
        random_state=0,
    )
    X = X.astype(np.float32)
    X, X_test, y, y_test = train_test_split(X, y, test_size=20_000, random_state=0)
    print(
        f"device={args.device}  rows={len(X):,}  epochs={args.epochs}  "
        f"torch threads={torch.get_num_threads()}"
    )
    if args.device.startswith("cuda"):
        print(torch.cuda.get_device_name())
    # One-time costs (a CUDA context, cuBLAS handles, kernels loaded on first use, the
    # CPU's thread pool) would otherwise all be charged to the first contender.
    run_raw(X[:4096], y[:4096], X_test[:10], y_test[:10], 1, 256, args.device, 0)
    rows = []
    for batch_size in args.batch_sizes:
        for name in args.only:
            if name == "sklearn" and args.device.startswith("cuda") and len(X) > 200_000:
                pass  # still run: the reference figure is sklearn on the host CPU
            best = None
            for _ in range(args.repeats):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    result = CONTENDERS[name](
                        X, y, X_test, y_test, args.epochs, batch_size, args.device, 0
                    )
                best = result if best is None or result[0] < best[0] else best
            rows.append(
                {
                    "batch": batch_size,
                    "contender": name,
                    "s/epoch": best[0] / args.epochs,
                    "accuracy": best[1],
                }
            )
            print(f"  batch {batch_size:>5} {name:>8}: {best[0] / args.epochs:8.3f} s/epoch")
    table = pd.DataFrame(rows)
    raw = table[table.contender == "raw"].set_index("batch")["s/epoch"]
    table["x raw"] = table["s/epoch"] / table["batch"].map(raw)
    eager = table[table.contender == "sknn-eager"].set_index("batch")["s/epoch"]
    if len(eager):
        table["x sknn-eager"] = table["s/epoch"] / table["batch"].map(eager)
    print()
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    sknn = table[table.contender == "sknn"].set_index("batch")["s/epoch"]
    for batch, seconds in sknn.items():
        if batch in raw.index:
            print(f"sknn vs the raw loop at batch {batch}: {raw[batch] / seconds:.2f}x as fast")


if __name__ == "__main__":
    main()
