"""
Universal approximation: one hidden layer fits a curve better as it grows wider
===============================================================================

A network with a single hidden layer of ``tanh`` units is a sum of shifted, scaled
S-shapes. The universal approximation theorem says enough of them fit any continuous
function on an interval; this script watches that happen on a wiggly curve, fitting
networks of increasing width with full-batch L-BFGS, and prints the error of each.

Set ``SKNN_EXAMPLE_SMALL=1`` for a run of a few seconds.
"""

import os
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sknn import MLPRegressor

SMALL = os.environ.get("SKNN_EXAMPLE_SMALL") == "1"
WIDTHS = (1, 3, 10) if SMALL else (1, 2, 4, 8, 16, 64)
MAX_ITER = 150 if SMALL else 2000


def target(x):
    return np.sin(3 * x) + 0.3 * x**2


# The small setting stops L-BFGS early on purpose.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

x = np.linspace(-2, 2, 200 if SMALL else 400)
X = x.reshape(-1, 1)
y = target(x)
x_plot = np.linspace(-2.2, 2.2, 500).reshape(-1, 1)

fig, (ax_fit, ax_err) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
ax_fit.plot(x_plot, target(x_plot), "k", lw=3, alpha=0.3, label="target")
errors = []
print(f"{'hidden units':>12}  mean squared error")
for width in WIDTHS:
    # L-BFGS: on 1-D data a full-batch quasi-Newton method reaches the best fit of each
    # width, so what changes between widths is the capacity, not the optimiser's luck.
    model = MLPRegressor(
        hidden_layer_sizes=(width,),
        activation="tanh",
        solver="lbfgs",
        max_iter=MAX_ITER,
        random_state=0,
    )
    model.fit(X, y)
    mse = float(np.mean((model.predict(X) - y) ** 2))
    errors.append(mse)
    print(f"{width:>12}  {mse:.5f}")
    ax_fit.plot(x_plot, model.predict(x_plot), lw=1.2, label=f"{width} units")

ax_fit.set_title("fits of one hidden layer of tanh units")
ax_fit.legend(fontsize="small")
ax_err.loglog(WIDTHS, errors, "o-")
ax_err.set_xlabel("hidden units")
ax_err.set_ylabel("training mean squared error")
ax_err.set_title("error falls as the layer widens")
ax_err.grid(alpha=0.3, which="both")

path = Path("universal_approximation.png").resolve()
fig.savefig(path, dpi=90)
print(f"saved {path}")
