"""
Learning-rate schedules and optimizers on one dataset, with their learning curves
=================================================================================

The same network on the digits data, trained with scikit-learn's constant rate, with
sknn's warm-up followed by linear or cosine decay, with the plateau schedule, and with
AdamW plus gradient clipping and label smoothing. Each run holds out a validation set
(``early_stopping=True``); the script prints the best validation accuracy and the epoch it
was reached, and draws every run's training and validation loss with
``LossCurveDisplay``, the best epoch marked.

Set ``SKNN_EXAMPLE_SMALL=1`` for a run of a few seconds.
"""

import os
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier
from sknn.inspection import LossCurveDisplay

SMALL = os.environ.get("SKNN_EXAMPLE_SMALL") == "1"
EPOCHS = 8 if SMALL else 60
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
if SMALL:
    X, y = X[:400], y[:400]
X = StandardScaler().fit_transform(X)

shared = dict(
    hidden_layer_sizes=(128,),
    max_iter=EPOCHS,
    early_stopping=True,
    n_iter_no_change=EPOCHS,  # run every epoch so the curves are comparable
    learning_rate_init=3e-3,
    random_state=0,
)
runs = {
    "Adam, constant": dict(),
    "Adam, warm-up + linear": dict(learning_rate="linear", warmup=0.1),
    "Adam, warm-up + cosine": dict(learning_rate="cosine", warmup=0.1, min_lr=0.01),
    "Adam, plateau": dict(learning_rate="plateau"),
    "AdamW, cosine, clip, smoothing": dict(
        solver="adamw",
        weight_decay=0.05,
        learning_rate="cosine",
        warmup=0.1,
        grad_clip=1.0,
        label_smoothing=0.1,
    ),
}

fig, axes = plt.subplots(
    1, len(runs), figsize=(4 * len(runs), 3.6), sharey=True, layout="constrained"
)
print(f"{'run':32} best val. acc.  at epoch")
for ax, (name, params) in zip(axes, runs.items(), strict=True):
    model = MLPClassifier(**shared, **params).fit(X, y)
    best = int(np.argmax(model.validation_scores_))
    print(f"{name:32} {model.validation_scores_[best]:.3f}          {best + 1}")
    LossCurveDisplay.from_estimator(model, ax=ax, name="")
    ax.set_title(name, fontsize=9)

path = Path("training_schedules.png").resolve()
fig.savefig(path, dpi=90)
print(f"saved {path}")
