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

import hashlib
import math
import numbers
import warnings

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.model_selection import BaseCrossValidator
from sklearn.utils._param_validation import validate_params
from sklearn.utils.validation import (
    _check_feature_names,
    _check_feature_names_in,
    _num_samples,
    check_is_fitted,
    validate_data,
)

from sknn._constraints import Count
from sknn._stacklevel import stacklevel_outside_sknn
from sknn.persistence import SaveMixin


# No set_output wrapping: the rows are windows, not the input's rows, so the input's index
# cannot label them (set_output is a no-op, for Pipeline.set_output).
class LagWindows(SaveMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Sliding windows of past observations as feature rows.

    ``transform(series)`` returns one row per window of ``window`` consecutive observations,
    the ``j``-th ending at time ``window - 1 + j * stride``. With the default ``stride=1`` the
    last row ends at the last observation, so ``model.predict(transform(series)[-1:])``
    forecasts what comes next. With ``stride > 1`` it ends up to ``stride - 1`` steps
    earlier (when ``n_timesteps - window`` is not a multiple of ``stride``), and its
    forecast is for a step already observed: to forecast from the latest observations,
    transform ``series[-window:]``, whose one window ends at the last one. The rows of
    :func:`make_windows` with the same parameters are the first rows of ``transform``
    (those whose targets are already observed). The series must be numeric, as for
    :func:`make_windows`; NaN (or pandas' ``NA``) is passed through to the rows as NaN.

    Parameters
    ----------
    window : int, default=10
        Number of past steps in each row.
    stride : int, default=1
        Steps between the ends of consecutive windows.
    target : str, int or list of them, default=None
        For a DataFrame (column labels, matched as they are: an int label is given as an
        int) or a 2-D array (column indices): the series to forecast. None means every
        column not in ``exog``. Must be None for a 1-D series.
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
        Column names of the DataFrame seen in ``fit``; only defined for a DataFrame whose
        column names are all strings, as in scikit-learn (a DataFrame with both string and
        non-string column names is refused with scikit-learn's ``TypeError``).
        ``transform`` checks them as scikit-learn's transformers do: other names raise a
        ``ValueError``, an array (or a DataFrame for a fit on an array) warns.
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
        "window": [Count(1, None, closed="left")],
        "stride": [Count(1, None, closed="left")],
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
            The series, oldest observation first, numeric (see :func:`make_windows`).
        y : None
            Ignored.

        Returns
        -------
        self : LagWindows
        """
        self._validate_params()
        values, names, is_frame = _series_values(X)
        # scikit-learn's feature names: a DataFrame's string column names only.
        _check_feature_names(self, X, reset=True)
        self.n_features_in_ = values.shape[1]
        targets, exogs = _select_columns(names, self.target, self.exog, is_frame)
        self.window_features_ = [str(names[i]) for i in targets + exogs]
        # transform and the feature names follow the fit, as in scikit-learn: parameters
        # set afterwards take effect at the next fit.
        self._fitted = {
            "window": self.window,
            "stride": self.stride,
            "flatten": self.flatten,
            "columns": targets + exogs,
        }
        return self

    def _setting(self, name):
        fitted = getattr(self, "_fitted", None)
        if fitted is not None:
            return fitted[name]
        return getattr(self, name)

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
        if not _names_of_an_older_fit(self, X):
            _check_feature_names(self, X, reset=False)
        window = self._setting("window")
        if len(values) < window:
            raise ValueError(
                f"The series has {len(values)} time steps, fewer than window={window}."
            )
        fitted = getattr(self, "_fitted", None)
        if fitted is None:  # fitted before the fit recorded its columns
            targets, exogs = _select_columns(names, self.target, self.exog, is_frame)
            columns = targets + exogs
        else:
            columns = fitted["columns"]
        return self._windows(values[:, columns], len(values) - window + 1)

    def _windows(self, features, n_ends):
        window = self._setting("window")
        # sliding_window_view puts the window axis last: (n_ends, n_features, window).
        views = sliding_window_view(features[: n_ends + window - 1], window, axis=0)
        windows = np.ascontiguousarray(views[:: self._setting("stride")].transpose(0, 2, 1))
        if self._setting("flatten"):
            return windows.reshape(len(windows), -1)
        return windows

    def get_feature_names_out(self, input_features=None):
        """Names of the output features.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            The names of the series' columns, checked as scikit-learn checks them: equal
            to ``feature_names_in_`` when it is defined, else ``n_features_in_`` names,
            which then name the features. None takes the names of the series seen in
            ``fit`` (``window_features_``).

        Returns
        -------
        feature_names_out : ndarray of str objects
            With ``flatten=True``, ``'{column}_t-{k}'`` for each step of the window (oldest
            first, ``t`` being the window's last step) and each feature; with
            ``flatten=False``, the per-step feature names.
        """
        check_is_fitted(self)
        features = self.window_features_
        if input_features is not None:
            input_features = _check_feature_names_in(self, input_features)
            fitted = getattr(self, "_fitted", None)
            if fitted is not None:
                features = [str(input_features[i]) for i in fitted["columns"]]
        if not self._setting("flatten"):
            return np.asarray(features, dtype=object)
        names = [
            f"{column}_t-{lag}" if lag else f"{column}_t"
            for lag in range(self._setting("window") - 1, -1, -1)
            for column in features
        ]
        return np.asarray(names, dtype=object)

    def set_output(self, *, transform=None):
        """Accept a :class:`~sklearn.pipeline.Pipeline`'s output configuration, and
        ignore it: the rows are windows, not the input's rows, so the input's index
        cannot label them, and the output stays a NumPy array. It exists so that
        ``Pipeline.set_output`` configures the steps around this one.

        Parameters
        ----------
        transform : {'default', 'pandas', 'polars'} or None, default=None
            Ignored.

        Returns
        -------
        self : LagWindows
        """
        return self


def _names_of_an_older_fit(estimator, X):
    """Whether X's column labels, some not strings, are the ``feature_names_in_`` that a
    LagWindows of an older sknn recorded for them as strings (scikit-learn's check would
    warn, or raise for mixed labels, on the very frame that was fitted)."""
    names = getattr(estimator, "feature_names_in_", None)
    columns = getattr(X, "columns", None)
    return (
        names is not None
        and columns is not None
        and not all(isinstance(c, str) for c in columns)
        and [str(c) for c in columns] == list(names)
    )


@validate_params(
    {
        "window": [Count(1, None, closed="left")],
        "horizon": [Count(1, None, closed="left")],
        "stride": [Count(1, None, closed="left")],
        "flatten": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
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
        The series, oldest observation first. Every column must be numeric (bool, integer,
        float, pandas' nullable types, categories of numbers); datetime, timedelta, string
        and complex columns are refused rather than silently turned into numbers: drop a
        time column or make it the index. A DataFrame's column names must be unique.
    window : int
        Number of past steps in each row.
    horizon : int, default=1
        Number of future steps to predict.
    stride : int, default=1
        Steps between the anchors of consecutive rows.
    target : str, int or list of them, default=None
        For a DataFrame (column labels, matched as they are: an int label is given as an
        int) or a 2-D array (column indices): the series to forecast. None means every
        column not in ``exog``. Must be None for a 1-D series.
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

    Raises
    ------
    ValueError
        If a value that becomes a target in y is NaN or infinite; the message names its
        time steps.

    See Also
    --------
    LagWindows : The same feature rows without targets, up to the last observation.

    Notes
    -----
    Missing values (NaN, pandas' ``NA``) in the features are passed through to X as NaN:
    some models take them (:class:`~sklearn.ensemble.HistGradientBoostingRegressor`), others
    refuse them at ``fit``, as the estimators of this package do, or want an imputer in the
    pipeline. A missing (or infinite) *target* is refused here instead: no regressor fits it,
    and dropping its rows silently would change which rows exist. Fill the series (e.g.
    ``series.interpolate()``) or cut it around the gap first. A NaN of a target column
    that only ever appears as a feature (in the first ``window`` steps, or between strided
    anchors) is not a target and is passed through.

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
    _check_finite_targets(future, series, names, targets, window, stride)
    # (n_rows, n_targets, horizon) -> step-major columns.
    y = np.ascontiguousarray(future.transpose(0, 2, 1)).reshape(len(future), -1)
    if y.shape[1] == 1:
        y = y[:, 0]
    return X, y


def _check_finite_targets(future, series, names, targets, window, stride):
    """Refuse NaN or infinite values where the series gives y, naming their time steps."""
    # future[j, c, k] is target c at time window + j * stride + k.
    rows, columns, steps = np.nonzero(~np.isfinite(future))
    if not len(rows):
        return
    times = np.unique(window + rows * stride + steps)
    where = f"time steps {times[:5].tolist()}{' ...' if len(times) > 5 else ''}"
    if isinstance(series, (pd.Series, pd.DataFrame)):
        where += f" (index {[str(label) for label in series.index[times[:5]]]})"
    columns = [names[targets[c]] for c in np.unique(columns)]
    raise ValueError(
        f"The target column(s) {columns} contain NaN or infinity at {where}, which are "
        "targets y of the rows: no model can learn from a missing target. Fill them "
        "(e.g. series.interpolate()) or cut the series around them; NaN in the features "
        "is passed through to X."
    )


def _series_values(series):
    """Values as float64 (n_timesteps, n_columns), column labels, and whether it was a frame.

    A DataFrame's labels are its own (``0`` stays an int); otherwise they are the names
    ``x0, x1, ...`` (or a Series' name, as a string).
    """
    _check_time_order(series)
    if isinstance(series, pd.DataFrame):
        duplicated = list(dict.fromkeys(series.columns[series.columns.duplicated()]))
        if duplicated:
            raise ValueError(
                f"The series has duplicate column names {duplicated}; each column needs its "
                "own name, so that target and exog say which one they mean."
            )
        columns = {label: _column_values(series[label]) for label in series.columns}
        bad = [label for label, values in columns.items() if values is None]
        if bad:
            dtypes = ", ".join(f"{label!r}: {series[label].dtype}" for label in bad[:5])
            raise ValueError(
                f"The series must contain numeric values; columns {bad[:5]} are not numeric "
                f"({dtypes}). Drop them, or make a time column the index "
                f"(series.set_index({bad[0]!r})), or convert them to numbers explicitly."
            )
        values = (
            np.column_stack(list(columns.values()))
            if columns
            else np.empty((len(series), 0), dtype=np.float64)
        )
        return _checked_shape(values), list(series.columns), True
    if isinstance(series, pd.Series):
        values = _column_values(series)
        if values is None:
            raise ValueError(
                f"The series must contain numeric values, got dtype {series.dtype}. Convert "
                "your data to numeric values explicitly instead."
            )
        name = "x0" if series.name is None else str(series.name)
        return _checked_shape(values[:, None]), [name], False
    try:
        values = np.asarray(series)
    except (TypeError, ValueError):
        raise ValueError(
            "The series must be an array of shape (n_timesteps,) or (n_timesteps, "
            "n_columns); its rows have different lengths."
        ) from None
    if values.dtype.kind == "c":
        raise ValueError("Complex data not supported in the series.")
    try:
        # Strings are refused even when they look like numbers, as scikit-learn does.
        if values.dtype.kind not in "biufO":
            raise TypeError
        values = values.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"The series must contain numeric values, got dtype {values.dtype}. Convert your "
            "data to numeric values explicitly instead."
        ) from None
    if values.ndim == 1:
        values = values[:, None]
    elif values.ndim != 2:
        raise ValueError(
            f"Expected a series of shape (n_timesteps,) or (n_timesteps, n_columns), got "
            f"{values.ndim}-D array instead (shape={values.shape})."
        )
    return _checked_shape(values), [f"x{i}" for i in range(values.shape[1])], False


def _column_values(column):
    """One pandas column as float64 (pandas' NA as NaN), or None if it is not numeric."""
    dtype = column.dtype
    if pd.api.types.is_complex_dtype(dtype):
        raise ValueError("Complex data not supported in the series.")
    if isinstance(dtype, pd.CategoricalDtype):
        # Numeric categories are numbers; string categories are labels, not values.
        if not pd.api.types.is_numeric_dtype(dtype.categories.dtype):
            return None
        column = column.astype(np.float64)
        dtype = column.dtype
    # Datetimes, timedeltas, periods and strings would become nanoseconds or fail: refused.
    if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_object_dtype(dtype)):
        return None
    try:
        return column.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        return None


def _checked_shape(values):
    if values.shape[0] == 0 or values.shape[1] == 0:
        raise ValueError(
            f"Found series with shape {values.shape} while a minimum of 1 time step and 1 "
            "column is required."
        )
    return values


def _select_columns(names, target, exog, is_frame):
    """Indices of the target columns and of the exogenous columns."""

    def position(key):
        # A frame's labels are matched as they are: the int 0 is not the string "0".
        if isinstance(key, bool) or not isinstance(key, (str, numbers.Integral)):
            return None
        if is_frame:
            kind = str if isinstance(key, str) else numbers.Integral
            for i, name in enumerate(names):
                if isinstance(name, kind) and not isinstance(name, bool) and name == key:
                    return i
            return None
        if isinstance(key, numbers.Integral) and -len(names) <= key < len(names):
            return int(key) % len(names)
        return None

    def indices(spec, what):
        spec = [] if spec is None else spec if isinstance(spec, list) else [spec]
        found = []
        for key in spec:
            i = position(key)
            if i is None:
                kind = "column names" if is_frame else "column indices"
                raise ValueError(f"{what} {key!r} is not one of the series' {kind} {names}.")
            found.append(i)
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
    on. Here the validation rows are the last ``ceil(validation_fraction * n_samples)``
    (at least one), and the ``gap`` rows just before them are dropped, so every validation
    index is larger than every training index plus ``gap``.

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
    # Rounding first keeps 0.3 * 10 == 3.0000000000000004 from taking 4 rows; the rounding
    # must not take a tiny positive fraction down to no row at all.
    n_valid = max(1, math.ceil(round(validation_fraction * n_samples, 9)))
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
        Fraction of the samples held out, in (0, 1): the last
        ``ceil(validation_fraction * n_samples)`` samples, at least one.
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


# No set_output wrapping either: the output is a list of sequences (set_output is a no-op).
class PastRows(SaveMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
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
    first rows take their past from the last rows of the fit. The fit rows themselves
    are the exception: given the very rows seen at ``fit`` (as scikit-learn does when it
    scores a pipeline on its training rows: ``return_train_score``, ``learning_curve``,
    ``permutation_importance`` on them, in-sample predictions), ``transform`` returns
    what ``fit_transform`` returned, so that no row's past holds later rows. It knows
    them by a fingerprint (their number and a hash of their values) taken at ``fit``.

    Rows that do not follow the fit rows directly are given a wrong past. A shuffled
    split gives them rows of another time: use this only on time-ordered rows. A split
    that leaves rows out between the training and the test rows
    (``TimeSeriesSplit(gap=k)``, as the user guide recommends for forecasts of several
    steps) gives the first test rows a past that skips those ``k`` rows, read by the
    network as consecutive: pass the same ``gap`` here, and ``transform`` then reads the
    past within X alone, as ``fit_transform`` does (its first rows have shorter
    sequences). Nothing can tell from the rows themselves that a gap was left. So do the
    test scores of ``learning_curve``, whose smaller training sets are the first rows of
    a fold's training rows: the test rows do not follow them (its train scores are right).

    Rows of X that are fit rows keep the past they had at fit, also when X holds only
    some of them or goes on past them: the fit rows and then new ones (``pipe.predict(df)``
    after ``pipe.fit(df.iloc[:60])``, to plot in-sample and new predictions together), or
    the last fit rows alone (``pipe.predict(df.iloc[-1:])`` after ``pipe.fit(df)``). They
    are found by a hash of each row's values; X must begin with them, as a slice of the
    fit rows or with the fit rows' end (two rows of it at least, when more rows follow:
    a first row equal to the last fit row alone is read as a new row). Rows that merely
    repeat fit rows' values (a table of calendar features only) can be taken for them.
    The past of the last ``2 * (window - 1)`` fit rows is kept for this: a slice that
    begins earlier, but after the first fit row, gets the past within X only (shorter
    sequences) and a warning. A PastRows saved by an sknn before 2026-12-04 has no record
    of its rows, and gives such rows the last fit rows as their past: refit it. A
    DataFrame indexed by dates out of time order, or by dates that repeat, is refused.

    Parameters
    ----------
    window : int, default=16
        Rows per sequence: the row itself and up to ``window - 1`` rows before it.
    gap : int, default=0
        Rows left out between the rows given to ``fit`` and those given to
        ``transform``, as ``TimeSeriesSplit(gap=...)`` leaves them out. With 0 the rows
        of ``transform`` continue the fit rows, and the first ones take their past from
        the end of the fit; with more, the rows in between are unknown, so the fit rows
        are no one's past and each sequence holds rows of X only.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of the DataFrame seen in ``fit``; only defined for a DataFrame.
    history_ : ndarray of shape (min(window - 1, n_rows), n_features_in_)
        The last rows seen in ``fit``: the past of the first rows given to ``transform``
        (with ``gap=0``).

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
    >>> [x[:, 0].tolist() for x in past.transform(rows[:3])]  # the fit rows
    [[0.0], [0.0, 2.0], [0.0, 2.0, 4.0]]
    """

    _parameter_constraints: dict = {
        "window": [Count(1, None, closed="left")],
        "gap": [Count(0, None, closed="left")],
    }

    def __init__(self, window=16, *, gap=0):
        self.window = window
        self.gap = gap

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
        _check_time_order(X)
        X = validate_data(self, X, dtype=np.float32, reset=True)
        self.history_ = X[max(0, len(X) - (self.window - 1)) :] if self.window > 1 else X[:0]
        # The past of the last window - 1 fit rows too, for when they are given again.
        self._fit_tail = X[max(0, len(X) - 2 * (self.window - 1)) :]
        # The window of history_, and the gap: set afterwards, they take effect at the
        # next fit.
        self._fitted_window = self.window
        self._fitted_gap = self.gap
        self._fit_rows = _fingerprint(X)
        self._fit_row_hashes = _row_hashes(X)
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
        _check_time_order(X)
        X = validate_data(self, X, dtype=np.float32, reset=False)
        # getattr: a PastRows saved before the gap and the fingerprint existed.
        fit_rows = getattr(self, "_fit_rows", "")
        if getattr(self, "_fitted_gap", 0) or (
            # The count first: no hash of rows that cannot be the fit rows.
            fit_rows.startswith(f"{X.shape[0]}x") and fit_rows == _fingerprint(X)
        ):
            # The fit rows (fit_transform's sequences), or rows after a gap: no past
            # from the fit.
            return self._sequences(X, 0)
        start = self._fit_overlap(X)
        if start is None:  # rows that follow the fit rows
            return self._sequences(np.concatenate([self.history_, X]), len(self.history_))
        # X begins with fit rows (from the start-th on): each gets the past it had at fit,
        # then the rows after them, if any, continue from the last fit row.
        window = getattr(self, "_fitted_window", self.window)
        tail = getattr(self, "_fit_tail", self.history_)  # an older PastRows: history_ only
        n_fit = len(self._fit_row_hashes)
        first = max(0, start - window + 1)  # the first row of the past of X's first row
        if first == start:  # no past at fit
            return self._sequences(X, 0)
        if first >= n_fit - len(tail):
            past = tail[len(tail) - (n_fit - first) : len(tail) - (n_fit - start)]
            return self._sequences(np.concatenate([past, X]), len(past))
        exact = max(0, len(tail) - (window - 1))  # the last fit rows whose past is kept
        from_end = f", or from one of the last {exact} fit rows" if exact else ""
        warnings.warn(
            f"The rows given to transform begin with rows seen in fit (from row {start} of "
            f"the {n_fit} fit rows on), whose past at fit (rows {first} to {start - 1}) is "
            "not kept: the first rows of X get the rows of X before them only, shorter "
            f"sequences than at fit. Transform the fit rows from their first row{from_end}, "
            "or only rows that follow the fit rows.",
            UserWarning,
            stacklevel=stacklevel_outside_sknn(),
        )
        return self._sequences(X, 0)

    def _fit_overlap(self, X):
        """Where X begins among the fit rows, when it begins with fit rows: a run of them
        that X holds whole (a slice of the fit rows) or that runs to the last fit row
        (the fit rows, or their end, then later rows). Else None. The run must hold two
        values at least: a single value of a series of counts often repeats one seen at
        fit."""
        fit = getattr(self, "_fit_row_hashes", None)  # a PastRows saved before it existed
        if fit is None or X.size < 2:
            return None
        rows = _row_hashes(X)
        for start in np.flatnonzero(fit == rows[0])[:1000]:
            run = min(len(X), len(fit) - start)
            if run < len(X) and start and run < 2:
                # One row equal to the last fit row, then more: as likely a new row that
                # repeats it (counts, categories) as that fit row again.
                continue
            if run * X.shape[1] >= 2 and np.array_equal(fit[start : start + run], rows[:run]):
                return int(start)
        return None

    def get_feature_names_out(self, input_features=None):
        """Names of the features of each step: the columns seen in ``fit``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Checked against ``feature_names_in_`` when given; else those names, or
            ``x0, x1, ...`` for an array.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        return _check_feature_names_in(self, input_features)

    def set_output(self, *, transform=None):
        """Accept a :class:`~sklearn.pipeline.Pipeline`'s output configuration, and
        ignore it: the output is sequences (a list of arrays), not a table that pandas
        or polars could hold. It exists so that ``Pipeline.set_output`` configures the
        steps around this one.

        Parameters
        ----------
        transform : {'default', 'pandas', 'polars'} or None, default=None
            Ignored.

        Returns
        -------
        self : PastRows
        """
        return self

    def _sequences(self, rows, start):
        window = getattr(self, "_fitted_window", self.window)
        return [rows[max(0, end - window + 1) : end + 1] for end in range(start, len(rows))]


def _check_time_order(frame):
    """Refuse a Series or DataFrame whose index is dates (or periods) out of time order:
    a CSV file saved newest first would otherwise make every target older than its
    features."""
    index = getattr(frame, "index", None)
    if isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex)) and index.has_duplicates:
        repeated = index[index.duplicated()]
        raise ValueError(
            f"The rows are indexed by dates that repeat ({repeated[0]}, and "
            f"{len(repeated)} row(s) in all share a date with an earlier row). The rows are "
            "read as consecutive time steps, one row per step: rows of several series in "
            "one frame (stores, sensors) want one frame per series, or a column per "
            "series; duplicated rows want drop_duplicates()."
        )
    if isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex)) and not (
        index.is_monotonic_increasing
    ):
        order = "newest first" if index.is_monotonic_decreasing else "not in time order"
        raise ValueError(
            f"The rows are indexed by dates {order} (from {index[0]} to {index[-1]}). The "
            "rows are read as consecutive time steps, oldest first: sort them first, for "
            "example with series.sort_index()."
        )


def _row_hashes(rows):
    """A 64-bit hash of each row's values (stable across processes, unlike ``hash``)."""
    rows = np.ascontiguousarray(rows)
    hashes = np.full(len(rows), np.uint64(rows.shape[1] if rows.ndim == 2 else 0))
    with np.errstate(over="ignore"):
        for column in rows.reshape(len(rows), -1).T:
            hashes = hashes * np.uint64(1_000_003) ^ pd.util.hash_array(column)
    return hashes


def _fingerprint(rows):
    """The number of rows and a hash of their values: what ``PastRows.transform``
    recognises the fit rows by (stable across processes, unlike ``hash``)."""
    digest = hashlib.blake2b(np.ascontiguousarray(rows).tobytes(), digest_size=16)
    return f"{rows.shape[0]}x{rows.shape[1]}:{digest.hexdigest()}"
