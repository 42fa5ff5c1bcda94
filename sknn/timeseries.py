"""Time-series tools: supervised windows from a series, and time-ordered validation splits.

Forecasting with a regressor needs rows ``(past window -> future values)``. Because a
scikit-learn transformer cannot change ``y``, the windows and their targets are built once,
over the whole series, by :func:`make_windows`; the rows are then ordinary samples for a
:class:`~sklearn.pipeline.Pipeline`, cross-validated with
:class:`~sklearn.model_selection.TimeSeriesSplit`. :class:`LagWindows` builds the same feature
rows without targets, to forecast from the latest observations.

Alignment, for a window of ``w`` steps, horizon ``h`` and stride ``s``: row ``j`` is anchored
at time ``t_j = w - 1 + j * s``; its features are the observations at times
``t_j - w + 1, ..., t_j`` and its targets the target column at ``t_j + 1, ..., t_j + h``.
"""

import math
import numbers

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.model_selection import BaseCrossValidator
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import _num_samples, check_is_fitted, validate_data


# No set_output wrapping: the rows are windows, not the input's rows, so the input's index
# cannot label them.
class LagWindows(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Sliding windows of past observations as feature rows.

    ``transform(series)`` returns one row per window of ``window`` consecutive observations,
    the ``j``-th ending at time ``window - 1 + j * stride``. With the default ``stride=1`` the
    last row ends at the last observation, so ``model.predict(transform(series)[-1:])``
    forecasts what comes next. The rows of :func:`make_windows` with the same parameters are
    the first rows of ``transform`` (those whose targets are already observed).

    Parameters
    ----------
    window : int, default=10
        Number of past steps in each row.
    stride : int, default=1
        Steps between the ends of consecutive windows.
    target : str, int or list of them, default=None
        For a DataFrame (column names) or a 2-D array (column indices): the series to
        forecast. None means every column not in ``exog``. Must be None for a 1-D series.
    exog : str, int or list of them, default=None
        Exogenous columns: their past values are extra features, they are never targets.
    flatten : bool, default=True
        True gives 2-D rows ``(n_windows, window * n_features)`` for trees and MLPs, with
        time as the outer order (all features of the oldest step first); False gives 3-D
        ``(n_windows, window, n_features)`` for recurrent networks. The features are the
        target columns followed by the ``exog`` columns.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns of the series seen in ``fit`` (1 for a 1-D series).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of the DataFrame seen in ``fit``; only defined for a DataFrame.
    window_features_ : list of str
        Names of the per-step features: the target columns, then the ``exog`` columns.

    See Also
    --------
    make_windows : The same rows together with their future targets.
    last_fraction_split : Validation split for early stopping on time-ordered rows.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn.timeseries import LagWindows
    >>> series = np.arange(6.0)
    >>> LagWindows(window=3).fit_transform(series)
    array([[0., 1., 2.],
           [1., 2., 3.],
           [2., 3., 4.],
           [3., 4., 5.]])
    >>> LagWindows(window=3).fit(series).get_feature_names_out()
    array(['x0_t-2', 'x0_t-1', 'x0_t'], dtype=object)
    """

    _parameter_constraints: dict = {
        "window": [Interval(numbers.Integral, 1, None, closed="left")],
        "stride": [Interval(numbers.Integral, 1, None, closed="left")],
        "target": [str, numbers.Integral, list, None],
        "exog": [str, numbers.Integral, list, None],
        "flatten": ["boolean"],
    }

    def __init__(self, window=10, *, stride=1, target=None, exog=None, flatten=True):
        self.window = window
        self.stride = stride
        self.target = target
        self.exog = exog
        self.flatten = flatten

    def fit(self, X, y=None):
        """Record the columns of the series.

        Parameters
        ----------
        X : array-like of shape (n_timesteps,) or (n_timesteps, n_columns), Series or DataFrame
            The series, oldest observation first.
        y : None
            Ignored.

        Returns
        -------
        self : LagWindows
        """
        self._validate_params()
        values, names, is_frame = _series_values(X)
        self.n_features_in_ = values.shape[1]
        if is_frame:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        targets, exogs = _select_columns(names, self.target, self.exog, is_frame)
        self.window_features_ = [names[i] for i in targets + exogs]
        return self

    def transform(self, X):
        """Build the feature windows of a series.

        Parameters
        ----------
        X : array-like of shape (n_timesteps,) or (n_timesteps, n_columns), Series or DataFrame
            The series, with the columns seen in ``fit``; needs at least ``window`` steps.

        Returns
        -------
        X_windows : ndarray of shape (n_windows, window * n_features) or \
(n_windows, window, n_features)
            ``n_windows = (n_timesteps - window) // stride + 1``.
        """
        check_is_fitted(self)
        values, names, is_frame = _series_values(X)
        if values.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {values.shape[1]} columns, but LagWindows is expecting "
                f"{self.n_features_in_} columns as input."
            )
        if is_frame != hasattr(self, "feature_names_in_") or (
            is_frame and list(names) != list(self.feature_names_in_)
        ):
            raise ValueError(
                "The columns of X must be the same, with the same names, as those seen in fit."
            )
        if len(values) < self.window:
            raise ValueError(
                f"The series has {len(values)} time steps, fewer than window={self.window}."
            )
        targets, exogs = _select_columns(names, self.target, self.exog, is_frame)
        return self._windows(values[:, targets + exogs], len(values) - self.window + 1)

    def _windows(self, features, n_ends):
        # sliding_window_view puts the window axis last: (n_ends, n_features, window).
        views = sliding_window_view(features[: n_ends + self.window - 1], self.window, axis=0)
        windows = np.ascontiguousarray(views[:: self.stride].transpose(0, 2, 1))
        if self.flatten:
            return windows.reshape(len(windows), -1)
        return windows

    def get_feature_names_out(self, input_features=None):
        """Names of the output features.

        Parameters
        ----------
        input_features : None
            Ignored; the names come from the series seen in ``fit``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            With ``flatten=True``, ``'{column}_t-{k}'`` for each step of the window (oldest
            first, ``t`` being the window's last step) and each feature; with
            ``flatten=False``, the per-step feature names.
        """
        check_is_fitted(self)
        if not self.flatten:
            return np.asarray(self.window_features_, dtype=object)
        names = [
            f"{column}_t-{lag}" if lag else f"{column}_t"
            for lag in range(self.window - 1, -1, -1)
            for column in self.window_features_
        ]
        return np.asarray(names, dtype=object)


def make_windows(series, window, horizon=1, *, stride=1, target=None, exog=None, flatten=True):
    """Turn a series into supervised rows: past windows as X, the next values as y.

    Row ``j`` is anchored at time ``t = window - 1 + j * stride``. Its features are the
    observations at ``t - window + 1, ..., t`` (targets then ``exog`` columns) and its targets
    the target columns at ``t + 1, ..., t + horizon``: every target of a row is strictly later
    than every feature of that row.

    Building the rows over the whole series and then splitting the rows with
    :class:`~sklearn.model_selection.TimeSeriesSplit` is free of leakage: each row only looks
    backwards from its own targets, and ``TimeSeriesSplit`` puts every training row before
    every test row, so no training row sees a test target as a feature. With ``horizon > 1``,
    consecutive rows share target values; pass ``gap=ceil(horizon / stride) - 1`` to
    ``TimeSeriesSplit`` (or :func:`last_fraction_split`) so that no test target is also a
    training target.

    Parameters
    ----------
    series : array-like of shape (n_timesteps,) or (n_timesteps, n_columns), Series or DataFrame
        The series, oldest observation first.
    window : int
        Number of past steps in each row.
    horizon : int, default=1
        Number of future steps to predict.
    stride : int, default=1
        Steps between the anchors of consecutive rows.
    target : str, int or list of them, default=None
        For a DataFrame (column names) or a 2-D array (column indices): the series to
        forecast. None means every column not in ``exog``. Must be None for a 1-D series.
    exog : str, int or list of them, default=None
        Exogenous columns: their past values are extra features, they are never targets.
    flatten : bool, default=True
        True gives X of shape ``(n_rows, window * n_features)``, time as the outer order;
        False gives ``(n_rows, window, n_features)`` for recurrent networks.

    Returns
    -------
    X : ndarray of shape (n_rows, window * n_features) or (n_rows, window, n_features)
        ``n_rows = (n_timesteps - window - horizon) // stride + 1``.
    y : ndarray of shape (n_rows,) or (n_rows, horizon * n_targets)
        1-D for one target and ``horizon=1``; otherwise column ``k * n_targets + c`` holds
        target ``c`` at time ``t + 1 + k``.

    See Also
    --------
    LagWindows : The same feature rows without targets, up to the last observation.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn.timeseries import make_windows
    >>> X, y = make_windows(np.arange(6.0), window=3)
    >>> X
    array([[0., 1., 2.],
           [1., 2., 3.],
           [2., 3., 4.]])
    >>> y
    array([3., 4., 5.])
    >>> X, y = make_windows(np.arange(6.0), window=2, horizon=2, flatten=False)
    >>> X.shape, y[0]
    ((3, 2, 1), array([2., 3.]))
    """
    windows = LagWindows(window, stride=stride, target=target, exog=exog, flatten=flatten)
    windows._validate_params()
    if not isinstance(horizon, numbers.Integral) or isinstance(horizon, bool) or horizon < 1:
        raise ValueError(f"horizon must be a positive integer, got {horizon!r}.")
    values, names, is_frame = _series_values(series)
    n_steps = len(values)
    if n_steps < window + horizon:
        raise ValueError(
            f"The series has {n_steps} time steps; window={window} and horizon={horizon} "
            f"need at least {window + horizon}."
        )
    targets, exogs = _select_columns(names, target, exog, is_frame)
    n_anchors = n_steps - window - horizon + 1  # before the stride
    X = windows._windows(values[:, targets + exogs], n_anchors)
    future = sliding_window_view(values[window:, targets], horizon, axis=0)[::stride]
    # (n_rows, n_targets, horizon) -> step-major columns.
    y = np.ascontiguousarray(future.transpose(0, 2, 1)).reshape(len(future), -1)
    if y.shape[1] == 1:
        y = y[:, 0]
    return X, y


def _series_values(series):
    """Values as float64 (n_timesteps, n_columns), column names, and whether it was a frame."""
    if isinstance(series, pd.DataFrame):
        names = [str(column) for column in series.columns]
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return values, names, True
    if isinstance(series, pd.Series):
        name = "x0" if series.name is None else str(series.name)
        return series.to_numpy(dtype=np.float64, na_value=np.nan)[:, None], [name], False
    try:
        values = np.asarray(series, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            "The series must contain numeric values. Convert your data to numeric values "
            "explicitly instead."
        ) from None
    if values.ndim == 1:
        values = values[:, None]
    elif values.ndim != 2:
        raise ValueError(
            f"Expected a series of shape (n_timesteps,) or (n_timesteps, n_columns), got "
            f"{values.ndim}-D array instead (shape={values.shape})."
        )
    if values.shape[0] == 0 or values.shape[1] == 0:
        raise ValueError(
            f"Found series with shape {values.shape} while a minimum of 1 time step and 1 "
            "column is required."
        )
    return values, [f"x{i}" for i in range(values.shape[1])], False


def _select_columns(names, target, exog, is_frame):
    """Indices of the target columns and of the exogenous columns."""

    def indices(spec, what):
        spec = [] if spec is None else spec if isinstance(spec, list) else [spec]
        found = []
        for key in spec:
            if is_frame and isinstance(key, str) and key in names:
                found.append(names.index(key))
            elif (
                not is_frame
                and isinstance(key, numbers.Integral)
                and not isinstance(key, bool)
                and -len(names) <= key < len(names)
            ):
                found.append(key % len(names))
            else:
                kind = "column names" if is_frame else "column indices"
                raise ValueError(f"{what} {key!r} is not one of the series' {kind} {names}.")
        return found

    exogs = indices(exog, "exog")
    if target is None:
        targets = [i for i in range(len(names)) if i not in exogs]
    else:
        targets = indices(target, "target")
    if not targets:
        raise ValueError("No target column left: every column is in exog.")
    overlap = sorted(set(targets) & set(exogs))
    if overlap:
        raise ValueError(
            f"Columns {[names[i] for i in overlap]} are both target and exog; a column is "
            "either forecast or used as an exogenous feature."
        )
    return targets, exogs


def last_fraction_split(n_samples, validation_fraction, gap=0):
    """Hold out the last part of time-ordered samples for validation.

    For early stopping on time-ordered rows (such as those of :func:`make_windows`), a random
    validation part would let the model train on rows later than the ones it is validated
    on. Here the validation rows are the last ``ceil(validation_fraction * n_samples)``, and
    the ``gap`` rows just before them are dropped, so every validation index is larger than
    every training index plus ``gap``.

    Parameters
    ----------
    n_samples : int
        Number of samples, in time order.
    validation_fraction : float
        Fraction of the samples held out, in (0, 1).
    gap : int, default=0
        Number of samples dropped between the training and the validation part. For the
        rows of :func:`make_windows`, ``ceil(horizon / stride) - 1`` keeps every validation
        target out of the training targets.

    Returns
    -------
    train_idx : ndarray of shape (n_train,), dtype int64
    valid_idx : ndarray of shape (n_valid,), dtype int64

    Examples
    --------
    >>> from sknn.timeseries import last_fraction_split
    >>> train_idx, valid_idx = last_fraction_split(10, 0.2, gap=1)
    >>> train_idx, valid_idx
    (array([0, 1, 2, 3, 4, 5, 6]), array([8, 9]))
    """
    if not isinstance(n_samples, numbers.Integral) or isinstance(n_samples, bool):
        raise ValueError(f"n_samples must be an integer, got {n_samples!r}.")
    if not isinstance(validation_fraction, numbers.Real) or not 0 < validation_fraction < 1:
        raise ValueError(
            f"validation_fraction must be a float in the open interval (0, 1), got "
            f"{validation_fraction!r}."
        )
    if not isinstance(gap, numbers.Integral) or isinstance(gap, bool) or gap < 0:
        raise ValueError(f"gap must be a non-negative integer, got {gap!r}.")
    # Rounding first keeps 0.3 * 10 == 3.0000000000000004 from taking 4 rows.
    n_valid = math.ceil(round(validation_fraction * n_samples, 9))
    n_train = n_samples - n_valid - gap
    if n_train < 1:
        raise ValueError(
            f"With n_samples={n_samples}, validation_fraction={validation_fraction} and "
            f"gap={gap}, no training sample is left."
        )
    return (
        np.arange(n_train, dtype=np.int64),
        np.arange(n_samples - n_valid, n_samples, dtype=np.int64),
    )


class TimeOrderedSplit(BaseCrossValidator):
    """A single split holding out the last part of time-ordered samples.

    The splitter form of :func:`last_fraction_split`, for any ``cv`` or validation-split
    argument that takes a scikit-learn splitter.

    Parameters
    ----------
    validation_fraction : float, default=0.1
        Fraction of the samples held out, in (0, 1).
    gap : int, default=0
        Number of samples dropped between the training and the validation part.

    See Also
    --------
    sklearn.model_selection.TimeSeriesSplit : Several expanding-window splits.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn.timeseries import TimeOrderedSplit
    >>> for train_idx, valid_idx in TimeOrderedSplit(0.25, gap=1).split(np.zeros((8, 2))):
    ...     print(train_idx, valid_idx)
    [0 1 2 3 4] [6 7]
    """

    def __init__(self, validation_fraction=0.1, gap=0):
        self.validation_fraction = validation_fraction
        self.gap = gap

    def split(self, X, y=None, groups=None):
        """Yield the one ``(train_idx, valid_idx)`` pair.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Time-ordered samples; only their number is used.
        y : None
            Ignored.
        groups : None
            Ignored.

        Yields
        ------
        train_idx : ndarray of shape (n_train,)
        valid_idx : ndarray of shape (n_valid,)
        """
        yield last_fraction_split(_num_samples(X), self.validation_fraction, self.gap)

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of splits: always 1."""
        return 1


class PastRows(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Each row of a time-ordered table with the rows before it, as one sequence.

    Turns a table whose rows are consecutive observations (a row's columns: what is known
    at that time) into the samples of :class:`~sknn.estimators.sequence.SequenceClassifier`
    and :class:`~sknn.estimators.sequence.SequenceRegressor`: row ``i`` becomes the
    sequence of rows ``i - window + 1, ..., i`` (itself last), one step per row, so the
    network reads each row in the context of the recent past. Only earlier rows enter,
    never later ones.

    ``fit_transform`` (what a :class:`~sklearn.pipeline.Pipeline` calls on the training
    rows) reads the past within X: its first rows have shorter sequences (a list of
    arrays of different lengths). ``transform`` takes X to *continue* the series seen at
    fit, as the test rows of :class:`~sklearn.model_selection.TimeSeriesSplit` do: its
    first rows take their past from the last rows of the fit. Rows that do not follow the
    fit rows (a shuffled split) would be given a wrong past: use this only on time-ordered
    rows.

    Parameters
    ----------
    window : int, default=16
        Rows per sequence: the row itself and up to ``window - 1`` rows before it.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen in ``fit``.
    history_ : ndarray of shape (min(window - 1, n_rows), n_features_in_)
        The last rows seen in ``fit``: the past of the first rows given to ``transform``.

    See Also
    --------
    LagWindows : Windows of one series as flat rows, for trees and MLPs.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn.timeseries import PastRows
    >>> rows = np.arange(10.0).reshape(5, 2)
    >>> past = PastRows(window=3)
    >>> [x[:, 0].tolist() for x in past.fit_transform(rows[:3])]
    [[0.0], [0.0, 2.0], [0.0, 2.0, 4.0]]
    >>> [x[:, 0].tolist() for x in past.transform(rows[3:])]
    [[2.0, 4.0, 6.0], [4.0, 6.0, 8.0]]
    """

    _parameter_constraints: dict = {"window": [Interval(numbers.Integral, 1, None, closed="left")]}

    def __init__(self, window=16):
        self.window = window

    def fit(self, X, y=None):
        """Record the last ``window - 1`` rows of X.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            The rows, oldest first.
        y : None
            Ignored.

        Returns
        -------
        self : PastRows
        """
        self._validate_params()
        X = validate_data(self, X, dtype=np.float32, reset=True)
        self.history_ = X[max(0, len(X) - (self.window - 1)) :] if self.window > 1 else X[:0]
        return self

    def fit_transform(self, X, y=None):
        """Fit, and give each row of X with its past within X.

        Returns
        -------
        X_sequences : list of ndarray of shape (n_steps_i, n_features)
            ``n_steps_i = min(window, i + 1)`` for row ``i``.
        """
        self.fit(X)
        return self._sequences(validate_data(self, X, dtype=np.float32, reset=False), 0)

    def transform(self, X):
        """Each row of X with its past, X continuing the rows seen in ``fit``.

        Returns
        -------
        X_sequences : list of ndarray of shape (n_steps_i, n_features)
            ``n_steps_i = min(window, len(history_) + i + 1)`` for row ``i``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float32, reset=False)
        return self._sequences(np.concatenate([self.history_, X]), len(self.history_))

    def _sequences(self, rows, start):
        return [rows[max(0, end - self.window + 1) : end + 1] for end in range(start, len(rows))]
