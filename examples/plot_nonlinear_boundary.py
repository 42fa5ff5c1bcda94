"""
Non-linear decision boundaries: where a linear model fails and a small network succeeds
=======================================================================================

Logistic regression draws one straight line through the plane. On XOR (the label is the
sign of ``x0 * x1``) and on two concentric circles no straight line separates the classes,
so it scores about chance; a multi-layer perceptron with one hidden layer bends its
boundary around the data. The script prints both models' test accuracy on both datasets and
saves their decision boundaries side by side.

Set ``SKNN_EXAMPLE_SMALL=1`` for a run of a few seconds.
"""

import os
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_circles
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from sknn import MLPClassifier

SMALL = os.environ.get("SKNN_EXAMPLE_SMALL") == "1"
N_SAMPLES = 200 if SMALL else 600
MAX_ITER = 150 if SMALL else 600
GRID = 60 if SMALL else 250

# The small setting stops the networks early on purpose.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

rng = np.random.default_rng(0)
X_xor = rng.uniform(-1, 1, size=(N_SAMPLES, 2))
y_xor = (X_xor[:, 0] * X_xor[:, 1] > 0).astype(int)
X_circles, y_circles = make_circles(N_SAMPLES, noise=0.08, factor=0.5, random_state=0)
problems = {"XOR": (X_xor, y_xor), "circles": (X_circles, y_circles)}

models = {
    "logistic regression": lambda: LogisticRegression(),
    # Adam at a larger step than the default: a 2-D toy problem has no noise to fear.
    "sknn MLP (32, 32)": lambda: MLPClassifier(
        (32, 32), learning_rate_init=0.01, max_iter=MAX_ITER, random_state=0
    ),
}

fig, axes = plt.subplots(2, 2, figsize=(8, 8), layout="constrained")
print(f"{'dataset':10} {'model':22} test accuracy")
for row, (data_name, (X, y)) in enumerate(problems.items()):
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    lo, hi = X.min(axis=0) - 0.2, X.max(axis=0) + 0.2
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], GRID), np.linspace(lo[1], hi[1], GRID))
    grid = np.c_[xx.ravel(), yy.ravel()]
    for col, (model_name, make_model) in enumerate(models.items()):
        model = make_model().fit(X_train, y_train)
        accuracy = model.score(X_test, y_test)
        print(f"{data_name:10} {model_name:22} {accuracy:.3f}")
        proba = model.predict_proba(grid)[:, 1].reshape(xx.shape)
        ax = axes[row, col]
        ax.contourf(xx, yy, proba, levels=20, cmap="RdBu_r", alpha=0.6)
        ax.contour(xx, yy, proba, levels=[0.5], colors="k", linewidths=1)
        ax.scatter(X_test[:, 0], X_test[:, 1], c=y_test, cmap="RdBu_r", edgecolors="k", s=15)
        ax.set_title(f"{data_name}: {model_name}\ntest accuracy {accuracy:.2f}", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])

path = Path("nonlinear_boundary.png").resolve()
fig.savefig(path, dpi=90)
print(f"saved {path}")
