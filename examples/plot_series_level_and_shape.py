"""
Shape and level: what per-series z-normalisation throws away, and ``'series_stats'``
====================================================================================

Time-series classifiers usually z-normalise each series (the UCR archive's convention): the
network then sees each series' shape, never its offset or amplitude. That is right when the
amplitude is a nuisance (a sensor's gain), and wrong when it names the class: the current
an appliance draws, the force of a gesture. ``SequenceClassifier``'s default for series of
one feature per step, ``normalize='series_stats'``, z-normalises each series and gives the
network what that removed, each series' mean and log standard deviation relative to the
training set's (the convolutional encoders take the two beside the pooled features).

The task: noisy series of two shapes (one period of a sine, or a square wave) at two
amplitudes (1 and 3), the noise scaled with them as a gain would, four classes.
Z-normalised (``'series'``), the two amplitudes of a shape look alike; as given (``None``), the
network reads the raw values, amplitude included; ``'series_stats'`` has the shape on one
scale and the amplitude beside it. The script prints the cross-validated accuracy of each
(the fully convolutional network, otherwise untuned) and plots it. On series z-normalised
beforehand, as most of the UCR archive's are, the two statistics do not vary, are left
out, and ``'series_stats'`` trains exactly the network of ``'series'``.

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
from sklearn.model_selection import StratifiedKFold, cross_val_score

from sknn import SequenceClassifier

warnings.simplefilter("ignore", ConvergenceWarning)
SMALL = os.environ.get("SKNN_EXAMPLE_SMALL") == "1"
N_SERIES = 120 if SMALL else 400
EPOCHS = 15 if SMALL else 60
FOLDS = 3 if SMALL else 5

rng = np.random.RandomState(0)
t = np.linspace(0, 1, 50)
shape = rng.randint(2, size=N_SERIES)  # 0: sine, 1: square wave
amplitude = rng.choice([1.0, 3.0], size=N_SERIES)
phase = rng.uniform(0, 2 * np.pi, size=(N_SERIES, 1))
wave = np.sin(2 * np.pi * t + phase)
wave = np.where(shape[:, None] == 1, np.sign(wave), wave)
# The noise scales with the signal (a gain): z-normalised, both amplitudes look alike.
noise = 0.3 * rng.normal(size=(N_SERIES, t.size))
X = (amplitude[:, None] * (wave + noise))[:, :, None]
y = 2 * shape + (amplitude > 1)  # four classes: shape x amplitude

folds = StratifiedKFold(FOLDS, shuffle=True, random_state=0)
scores = {}
for normalize in ["series", None, "series_stats"]:
    clf = SequenceClassifier(
        hidden_size=16, max_iter=EPOCHS, normalize=normalize, random_state=0, device="cpu"
    )
    scores[str(normalize)] = cross_val_score(clf, X, y, cv=folds)
    print(
        f"normalize={normalize!r:16} accuracy {scores[str(normalize)].mean():.3f} "
        f"± {scores[str(normalize)].std():.3f}"
    )

fig, ax = plt.subplots(figsize=(5.5, 3.2))
names = list(scores)
ax.bar(names, [scores[n].mean() for n in names], yerr=[scores[n].std() for n in names])
ax.axhline(0.25, color="gray", linestyle=":", label="chance")
ax.set_ylabel(f"{FOLDS}-fold accuracy")
ax.set_xlabel("normalize")
ax.set_ylim(0, 1.05)
ax.legend(loc="lower right")
ax.set_title("Shape and amplitude, four classes")
fig.tight_layout()
path = Path("series_level_and_shape.png").resolve()
fig.savefig(path, dpi=90)
print(f"saved {path}")
