"""
Optimisers compared: SGD, SGD with momentum, RMSprop and Adam
=============================================================

The same network, started from the same weights (same ``random_state``), trained on the
same data with four optimisers for the same number of epochs. Plain SGD takes the raw
gradient step; momentum accumulates past steps and rolls through flat stretches; RMSprop
divides each weight's step by a running size of its gradients; Adam does both. The script
prints the final training loss of each and plots their ``loss_curve_``.

Set ``SKNN_EXAMPLE_SMALL=1`` for a run of a few seconds.
"""

import os
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier

SMALL = os.environ.get("SKNN_EXAMPLE_SMALL") == "1"
EPOCHS = 15 if SMALL else 100

# Every optimiser runs the full budget so that the curves have the same length.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
if SMALL:
    X, y = X[:500], y[:500]
X = StandardScaler().fit_transform(X)

# Each at a step size that suits it: SGD wants a far larger one than the adaptive methods.
optimizers = {
    "SGD": dict(solver="sgd", learning_rate_init=0.01, momentum=0.0),
    "SGD + momentum 0.9": dict(solver="sgd", learning_rate_init=0.01, momentum=0.9),
    "RMSprop": dict(solver="rmsprop", learning_rate_init=0.001),
    "Adam": dict(solver="adam", learning_rate_init=0.001),
}

fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
print(f"{'optimizer':20} final training loss")
for name, params in optimizers.items():
    model = MLPClassifier(
        (64, 64), max_iter=EPOCHS, n_iter_no_change=EPOCHS, random_state=0, **params
    ).fit(X, y)
    print(f"{name:20} {model.loss_curve_[-1]:.4f}")
    ax.plot(range(1, len(model.loss_curve_) + 1), model.loss_curve_, label=name)

ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.set_title("digits, MLP (64, 64): loss per epoch")
ax.legend()

path = Path("optimizers.png").resolve()
fig.savefig(path, dpi=90)
print(f"saved {path}")
