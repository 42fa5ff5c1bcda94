"""
Vanishing gradients: why deep sigmoid networks learn slowly and ReLU ones do not
================================================================================

Backpropagation multiplies the gradient by each layer's activation derivative on its way
down. The logistic sigmoid's derivative is at most 0.25, so through ten sigmoid layers the
gradient that reaches the first layer is orders of magnitude smaller than at the last one,
and the early layers barely move; ReLU's derivative is 1 where a unit is active, so the
gradient keeps its size. This script builds two deep networks with sknn, takes their
fitted ``module_`` (a plain ``torch.nn.Module``) and measures, with torch autograd, the
norm of the loss gradient on each layer's weights, then compares how far each network
gets in the same number of epochs.

Set ``SKNN_EXAMPLE_SMALL=1`` for a run of a few seconds.
"""

import os
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier

SMALL = os.environ.get("SKNN_EXAMPLE_SMALL") == "1"
DEPTH = 8 if SMALL else 12
WIDTH = 32 if SMALL else 64
EPOCHS = 15 if SMALL else 100

# Short runs are the point here: the networks are compared after a fixed number of epochs.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = make_classification(
    n_samples=400 if SMALL else 2000,
    n_features=20,
    n_informative=10,
    n_classes=3,
    random_state=0,
)
X = StandardScaler().fit_transform(X)


def layer_gradient_norms(model, X, y):
    """Norm of d(loss)/d(weights) of each linear layer, first layer first."""
    module = model.module_
    device = next(module.parameters()).device
    inputs = torch.as_tensor(X, dtype=torch.float32, device=device)
    # The module returns logits, one column per class in the order of classes_.
    targets = torch.as_tensor(np.searchsorted(model.classes_, y), device=device)
    module.train()
    module.zero_grad()
    loss = torch.nn.functional.cross_entropy(module(inputs), targets)
    loss.backward()
    linears = [m for m in module.modules() if isinstance(m, torch.nn.Linear)]
    return [float(layer.weight.grad.norm()) for layer in linears]


fig, (ax_grad, ax_loss) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
for activation in ("logistic", "relu"):
    model = MLPClassifier((WIDTH,) * DEPTH, activation=activation, max_iter=1, random_state=0).fit(
        X, y
    )
    norms = layer_gradient_norms(model, X, y)
    model.set_params(max_iter=EPOCHS, warm_start=True).fit(X, y)
    print(
        f"{activation:>8}: gradient norm first layer {norms[0]:.2e}, last layer "
        f"{norms[-1]:.2e} (ratio {norms[0] / norms[-1]:.1e}); training accuracy after "
        f"{1 + EPOCHS} epochs {model.score(X, y):.3f}"
    )
    ax_grad.semilogy(range(1, len(norms) + 1), norms, "o-", label=activation)
    ax_loss.plot(model.loss_curve_, label=activation)

ax_grad.set_xlabel("layer (1 = nearest the input)")
ax_grad.set_ylabel("norm of the weight gradient")
ax_grad.set_title(f"gradients through {DEPTH} hidden layers, after one epoch")
ax_grad.legend()
ax_loss.set_xlabel("epoch")
ax_loss.set_ylabel("training loss")
ax_loss.set_title("training loss: the sigmoid network stalls")
ax_loss.legend()

path = Path("vanishing_gradients_mlp.png").resolve()
fig.savefig(path, dpi=90)
print(f"saved {path}")
