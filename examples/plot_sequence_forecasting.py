"""
Forecasting a series with SequenceRegressor under TimeSeriesSplit
=================================================================

One long series becomes supervised rows with :func:`sknn.timeseries.make_windows`: the last
``WINDOW`` values as a sequence, the next ``HORIZON`` values as targets. Each
:class:`~sklearn.model_selection.TimeSeriesSplit` fold trains on the past rows only and
forecasts the rows that follow; the recurrent regressor holds out the *last* part of its
training rows for early stopping (``validation_split='last'``, with a ``validation_gap``
so that validation targets are never training targets), so it never peeks at the future
either. The plot shows each fold's one-step-ahead forecasts over the true series, against
the naive forecast that repeats the last value.

The series is a noisy sum of two seasonal cycles with a slow trend, generated here so that
the example runs offline.

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
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import TimeSeriesSplit

from sknn.estimators.sequence import SequenceRegressor
from sknn.timeseries import make_windows

SMALL = os.environ.get("SKNN_EXAMPLE_SMALL") == "1"
N_STEPS = 400 if SMALL else 1200
WINDOW = 24
HORIZON = 3
EPOCHS = 30 if SMALL else 200

warnings.filterwarnings("ignore", category=ConvergenceWarning)

rng = np.random.RandomState(0)
t = np.arange(N_STEPS)
series = (
    np.sin(2 * np.pi * t / 24) + 0.5 * np.sin(2 * np.pi * t / 90) + t / 400
) + 0.2 * rng.normal(size=N_STEPS)

X, y = make_windows(series, window=WINDOW, horizon=HORIZON, flatten=False)
# Row j ends at time WINDOW - 1 + j; its targets are the HORIZON values after it, so rows
# closer than HORIZON share targets: the gap keeps test targets out of the training ones.
gap = HORIZON - 1  # ceil(horizon / stride) - 1, with stride 1
cv = TimeSeriesSplit(n_splits=3, gap=gap)

fig, ax = plt.subplots(figsize=(11, 4.2), layout="constrained")
ax.plot(t, series, color="grey", linewidth=0.8, label="series")
for fold, (train, test) in enumerate(cv.split(X)):
    # Centre and scale on the training rows only: the test rows are the future.
    offset, scale = series[: train[-1] + WINDOW].mean(), series[: train[-1] + WINDOW].std()
    model = SequenceRegressor(
        "gru",
        hidden_size=32,
        learning_rate="constant",
        learning_rate_init=0.005,
        batch_size=32,
        max_iter=EPOCHS,
        early_stopping=True,
        validation_fraction=0.15,
        validation_gap=gap,
        n_iter_no_change=20,
        random_state=0,
        device="cpu",
    )
    model.fit((X[train] - offset) / scale, (y[train] - offset) / scale)
    forecast = model.predict((X[test] - offset) / scale) * scale + offset
    naive = np.repeat(X[test, -1], HORIZON, axis=1)
    rnn_mae = mean_absolute_error(y[test], forecast)
    naive_mae = mean_absolute_error(y[test], naive)
    print(
        f"fold {fold}: {len(train)} training rows, {len(test)} test rows; mean absolute "
        f"error over {HORIZON} steps: SequenceRegressor {rnn_mae:.3f}, last value {naive_mae:.3f}"
    )
    # Column 0 is the one-step-ahead forecast, made at time WINDOW - 1 + row.
    ax.plot(test + WINDOW, forecast[:, 0], color=f"C{fold}", label=f"fold {fold} forecast")
    ax.axvline(test[0] + WINDOW, color=f"C{fold}", linestyle=":", linewidth=1)

ax.set_xlabel("time step")
ax.set_title(f"one-step-ahead forecasts of a {HORIZON}-step SequenceRegressor, TimeSeriesSplit")
ax.legend(loc="upper left")

path = Path("sequence_forecasting.png").resolve()
fig.savefig(path, dpi=90)
print(f"saved {path}")
