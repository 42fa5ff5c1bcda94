"""
Overfitting, and three cures: dropout, an L2 penalty and early stopping
=======================================================================

A wide network trained long on few noisy samples memorises them: its training loss keeps
falling while its accuracy on new data stops improving or drops. The script trains the
same network four ways on the same small dataset and draws, epoch by epoch, the training
loss (``loss_curve_``) and the accuracy on held-out data: plainly, with ``dropout``, with
a strong L2 penalty ``alpha``, and with ``early_stopping``, which holds out a validation
set (its scores are ``validation_scores_``) and keeps the weights of the best epoch.

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
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

from sknn import MLPClassifier

SMALL = os.environ.get("SKNN_EXAMPLE_SMALL") == "1"
EPOCHS = 25 if SMALL else 300

# Every model runs its full number of epochs on purpose: that is where overfitting shows.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

# Few samples, many features, 10% of labels flipped: easy to memorise, hard to generalise.
X, y = make_classification(
    n_samples=600, n_features=40, n_informative=8, flip_y=0.1, random_state=0
)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)


class HeldOutAccuracy(Callback):
    """A skorch callback: the accuracy on held-out data at the end of every epoch."""

    def __init__(self, X, y):
        self.X, self.y = X, y
        self.scores = []

    def on_epoch_end(self, net, **kwargs):
        module = net.module_
        module.eval()  # no dropout while measuring
        with torch.no_grad():
            logits = module(torch.as_tensor(self.X, dtype=torch.float32, device=net.device))
        module.train()
        # Two classes: one logit, positive for the second class (classes_ is [0, 1]).
        predicted = (logits[:, 0] > 0).cpu().numpy().astype(int)
        self.scores.append(float(np.mean(predicted == self.y)))


common = dict(hidden_layer_sizes=(256, 256), learning_rate_init=0.003, random_state=0)
variants = {
    "no regularisation": dict(alpha=0.0, max_iter=EPOCHS, n_iter_no_change=EPOCHS),
    "dropout 0.5": dict(alpha=0.0, dropout=0.5, max_iter=EPOCHS, n_iter_no_change=EPOCHS),
    "L2 alpha=3": dict(alpha=3.0, max_iter=EPOCHS, n_iter_no_change=EPOCHS),
    "early stopping": dict(
        alpha=0.0,
        early_stopping=True,
        validation_fraction=0.2,
        max_iter=EPOCHS,
        n_iter_no_change=5,
    ),
}

fig, (ax_loss, ax_test) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
print(f"{'model':20} {'epochs':>6} {'train acc':>9} {'test acc':>9}")
for name, params in variants.items():
    held_out = HeldOutAccuracy(X_test, y_test)
    model = MLPClassifier(**common, **params, callbacks=[held_out]).fit(X_train, y_train)
    print(
        f"{name:20} {model.n_iter_:>6} {model.score(X_train, y_train):>9.3f} "
        f"{model.score(X_test, y_test):>9.3f}"
    )
    (line,) = ax_loss.plot(model.loss_curve_, label=name)
    ax_test.plot(held_out.scores, color=line.get_color(), label=name)
    if model.validation_scores_ is not None:
        best = int(np.argmax(model.validation_scores_))
        ax_test.plot(
            model.validation_scores_,
            color=line.get_color(),
            ls="--",
            label="early stopping: its validation score",
        )
        ax_test.axvline(best, color=line.get_color(), lw=0.8, ls=":")

ax_loss.set_yscale("log")
ax_loss.set_xlabel("epoch")
ax_loss.set_ylabel("loss_curve_ (L2 penalty included)")
ax_loss.set_title("training loss")
ax_loss.legend(fontsize="small")
ax_test.set_xlabel("epoch")
ax_test.set_ylabel("accuracy on held-out data")
ax_test.set_title("held-out accuracy (dotted: the epoch early stopping keeps)")
ax_test.legend(fontsize="small")

path = Path("overfitting.png").resolve()
fig.savefig(path, dpi=90)
print(f"saved {path}")
