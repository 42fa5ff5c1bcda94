"""Cross-validated comparison of sknn's networks against classical scikit-learn models.

The logic behind the ``sknn compare`` command, usable from Python: :func:`load_table` reads
a built-in dataset or a CSV file, :func:`default_models` lists the contenders for a task,
:func:`cross_validate_models` scores each of them on the same folds, :func:`leaderboard`
summarises the folds and :func:`plot_fold_scores` draws them. Every problem with the user's
data raises :class:`CompareError`, whose message is written for the command line.
"""

import os
import re
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format
from sklearn import datasets
from sklearn.base import clone
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import check_scoring, get_scorer
from sklearn.model_selection import KFold, StratifiedKFold, TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC, SVR
from sklearn.utils import get_tags
from sklearn.utils.multiclass import type_of_target

from sknn import MLPClassifier, MLPRegressor
from sknn.estimators.sequence import CONV_CELLS, SequenceClassifier, SequenceRegressor
from sknn.timeseries import PastRows

#: Datasets bundled with scikit-learn (no download): name -> (loader, task).
BUILTIN_DATASETS = {
    "digits": (datasets.load_digits, "classification"),
    "breast_cancer": (datasets.load_breast_cancer, "classification"),
    "wine": (datasets.load_wine, "classification"),
    "iris": (datasets.load_iris, "classification"),
    "diabetes": (datasets.load_diabetes, "regression"),
}

DEFAULT_DATASET = "digits"

#: With ``--time-series``, the sequence estimators read each row with the rows before it:
#: this many rows per sequence (see :class:`sknn.timeseries.PastRows`).
PAST_ROWS = 16

#: The encoders of the sequence estimators on the ``--time-series`` leaderboard.
CONVOLUTIONAL_CELLS = tuple(CONV_CELLS)

#: The models without embeddings one-hot encode at most this many levels of a categorical
#: column (the most frequent; the others share one indicator): thousands of indicator
#: columns would hide the column. sknn's MLPs embed every level instead.
MAX_CATEGORIES = 50

#: A non-numeric column with more distinct values than MAX_CATEGORIES is free text, encoded
#: as TF-IDF, when its values average at least this many words; otherwise (an identifier,
#: a code) it is categorical.
TEXT_MIN_WORDS = 3

#: The most frequent terms of a text column that a model without sparse input sees (the
#: others see every term, as a sparse matrix).
DENSE_TEXT_TERMS = 1000

#: Sparse features (one-hot, TF-IDF) stay sparse for a model that takes sparse input when
#: the whole feature matrix is sparser than this (ColumnTransformer's sparse_threshold).
SPARSE_THRESHOLD = 0.3

#: A non-numeric column (not free text) with more than IDENTIFIER_MIN_VALUES distinct
#: values, distinct in at least IDENTIFIER_DISTINCT of its rows, is an identifier ('id_001',
#: an order number): no level repeats for a model to learn from, so it is left out.
IDENTIFIER_DISTINCT = 0.95
IDENTIFIER_MIN_VALUES = 20

#: The words of a column name that mark a column of whole numbers, a different one in
#: every row, as an identifier: 'id', 'PassengerId', 'row_index', and pandas' 'Unnamed: 0'
#: (a DataFrame's index written by to_csv). Without such a name, whole numbers filling a
#: run with no gap (1..n in any order) get a note: they may be a row number or a rank.
ROW_NUMBER_WORDS = frozenset({"id", "idx", "index", "row", "rowid", "rownum", "unnamed"})

#: A column is read as dates only when at least this share of its values contain a
#: four-digit year and parse in one format; when that share parse but not all, the
#: column is refused as holding a bad date.
DATE_SHARE = 0.9

#: An integer target with at most this many distinct values is read as class labels.
MAX_INTEGER_CLASSES = 20


class CompareError(ValueError):
    """A problem with the data or the options, with a one-line message for the user."""


@dataclass
class Table:
    """A dataset ready for comparison.

    Attributes
    ----------
    X : pandas.DataFrame
        The features, numeric and categorical columns as read.
    y : numpy.ndarray
        The target.
    task : {'classification', 'regression'}
        What ``y`` asks for.
    name : str
        The dataset's name, for titles and file names.
    categorical : list of str
        The categorical columns: embedded by sknn's MLPs, one-hot encoded (at most
        :data:`MAX_CATEGORIES` levels) for the other models.
    notes : list of str
        What was done to the data on the way (encoded, dropped, imputed), for the user.
    text : list of str
        The columns of free text, encoded as TF-IDF by the models' preprocessing.
    """

    X: pd.DataFrame
    y: np.ndarray
    task: str
    name: str
    categorical: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    text: list = field(default_factory=list)


def load_table(source=DEFAULT_DATASET, *, target=None, task="auto", drop=(), time_series=False):
    """Load a built-in dataset by name, or a CSV file by path.

    Parameters
    ----------
    source : str or path-like, default='digits'
        One of :data:`BUILTIN_DATASETS`, or the path of a CSV file with a header row.
    target : str, default=None
        The CSV column to predict. Required for a CSV file; for a built-in dataset it must
        be None.
    task : {'auto', 'classification', 'regression'}, default='auto'
        'auto' reads non-numeric, boolean and integer targets with at most
        :data:`MAX_INTEGER_CLASSES` distinct values as classes, anything else as a
        regression target.
    drop : sequence of str, default=()
        Columns to leave out (identifiers, leaks), of a CSV file or a built-in dataset;
        an unknown column or the target raises :class:`CompareError`. Identifiers are
        left out without being named here: a non-numeric column with a different value
        in (nearly) every row, and a column of whole numbers, a different one in every
        row, named as an identifier (:data:`ROW_NUMBER_WORDS`).
    time_series : bool, default=False
        The rows are ordered in time. A column of dates (every value with a four-digit
        year, all in one format) then sorts them, unless the file is already in time
        order; without one, the file order is kept.

    Returns
    -------
    table : Table

    Raises
    ------
    CompareError
        For a missing file, an unknown dataset, a missing column, a target with one
        class or one value, an infinite value, a date column with a value that is not a
        date, or dates whose order depends on reading them month or day first.

    Examples
    --------
    >>> from sknn.compare import load_table
    >>> table = load_table("iris")
    >>> table.X.shape, table.task
    ((150, 4), 'classification')
    """
    if task not in ("auto", "classification", "regression"):
        raise CompareError(f"unknown task {task!r}: use 'auto', 'classification' or 'regression'")
    path = Path(source)
    if str(source) in BUILTIN_DATASETS and not path.exists():
        if target is not None:
            raise CompareError(f"--target applies to CSV files, not the built-in {source!r}")
        loader, builtin_task = BUILTIN_DATASETS[str(source)]
        bunch = loader(as_frame=True)
        X, notes = _drop_columns(bunch.data, drop)
        if X.shape[1] == 0:
            raise CompareError(f"no feature columns left in {source!r} after --drop")
        table = Table(X, np.asarray(bunch.target), builtin_task, str(source), notes=notes)
        if task != "auto" and task != builtin_task:
            raise CompareError(f"the built-in {source!r} is a {builtin_task} dataset")
        _check_target(table.y, table.task)
        return table
    if not path.exists():
        if path.suffix.lower() != ".csv" and os.sep not in str(source):
            names = ", ".join(BUILTIN_DATASETS)
            raise CompareError(f"{source!r} is neither a file nor a built-in dataset ({names})")
        raise CompareError(f"file not found: {source}")
    if path.is_dir():
        raise CompareError(f"{source} is a directory, not a CSV file")
    if target is None:
        raise CompareError(f"name the column to predict in {path.name} with --target COLUMN")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CompareError(f"cannot read {path.name} as CSV: {first_line}") from None
    return _table_from_frame(frame, target, task, drop, time_series, path.stem)


def _table_from_frame(frame, target, task, drop, time_series, name):
    notes = []
    if target not in frame.columns:
        columns = ", ".join(map(str, frame.columns))
        raise CompareError(f"no column {target!r} in the file; its columns are: {columns}")
    if target in drop:
        raise CompareError(f"cannot drop {target!r}: it is the target (--target)")
    frame, notes = _drop_columns(frame, drop)
    _check_finite(frame)

    n_missing_y = int(frame[target].isna().sum())
    if n_missing_y:
        frame = frame[frame[target].notna()]
        skipped = "; the sequences skip their time steps" if time_series else ""
        notes.append(f"dropped {n_missing_y} row(s) with no {target!r} value{skipped}")
    if len(frame) == 0:
        raise CompareError("the file has no rows with a target value")

    X = frame.drop(columns=[target]).copy()
    date_readings = {}
    for column in X.columns:
        readings = _date_readings(X[column], column)
        if readings:
            date_readings[column] = readings
    if date_readings:
        if time_series:
            column, readings = next(iter(date_readings.items()))
            order = _time_order(X.index, column, readings)
            _check_one_series(column, next(iter(readings.values())), notes)
            if order is None:
                notes.append(f"rows kept in file order: already in time order by {column!r}")
            else:
                undated = X.index[next(iter(readings.values())).isna().to_numpy()]
                if len(undated):
                    # Sorting would put them last, as the latest rows.
                    order = order.difference(undated, sort=False)
                    notes.append(
                        f"dropped {len(undated)} row(s) with no date in {column!r}: their "
                        "place in time is unknown"
                    )
                X = X.loc[order]
                frame = frame.loc[X.index]
                notes.append(f"rows sorted by the dates in {column!r}")
        X = X.drop(columns=list(date_readings))
        names = ", ".join(map(str, date_readings))
        notes.append(f"date column(s) {names} not used as features")
    elif time_series:
        notes.append(
            "no column of dates: the rows are taken in file order, oldest first (years or "
            "YYYYMMDD written as plain numbers are not read as dates: sort the file first)"
        )
    if X.shape[1] == 0:
        raise CompareError(f"no feature columns left besides the target {target!r}")
    empty = [column for column in X.columns if X[column].isna().all()]
    if empty:
        # No value to learn from or to fill with: every model would drop or choke on them.
        X = X.drop(columns=empty)
        names = ", ".join(map(str, empty))
        notes.append(f"empty column(s) {names} left out: no value in any row")
        if X.shape[1] == 0:
            raise CompareError(
                f"no feature columns left besides the target {target!r}: every other "
                "column is empty"
            )

    categorical, text, identifiers = [], [], []
    for column in X.columns:
        values = X[column]
        if pd.api.types.is_bool_dtype(values):
            X[column] = values.astype(float)
        elif _is_distinct_integers(values) and _name_words(column) & ROW_NUMBER_WORDS:
            identifiers.append(column)
        elif _is_distinct_integers(values) and _has_no_gap(values):
            notes.append(
                f"column {column!r} holds a different whole number in every row, in a "
                "run with no gap, as a row number would: if it is one, --drop it (the "
                "models would read the file's order, or learn nothing from it)"
            )
        elif not pd.api.types.is_numeric_dtype(values):
            n_values = values.nunique()
            if n_values > MAX_CATEGORIES and _is_free_text(values):
                X[column] = values.fillna("").astype(str)
                text.append(column)
                continue
            if _is_identifier(values):
                identifiers.append(column)
                continue
            X[column] = values.astype(str).where(values.notna(), np.nan)
            categorical.append(column)
    if identifiers:
        X = X.drop(columns=identifiers)
        names = ", ".join(map(str, identifiers))
        notes.append(
            f"identifier column(s) {names} left out: a different value in (nearly) every "
            "row, or a row number"
        )
        if X.shape[1] == 0:
            raise CompareError(f"no feature columns left besides the target {target!r}")
    if categorical:
        names = ", ".join(map(str, categorical))
        notes.append(
            f"categorical column(s) {names}: embedded by sknn's MLPs, one-hot encoded for "
            f"the other models (at most {MAX_CATEGORIES} levels a column, the rarer ones "
            "grouped)"
        )
    if text:
        names = ", ".join(map(str, text))
        notes.append(f"encoded the text column(s) {names} as TF-IDF (words and word pairs)")
    n_nan = int(X.drop(columns=categorical + text).isna().sum().sum())
    if n_nan:
        notes.append(f"{n_nan} missing numeric value(s) filled with the column median")

    y_frame = frame[target]
    task = _infer_task(y_frame) if task == "auto" else task
    if task == "regression" and not pd.api.types.is_numeric_dtype(y_frame):
        raise CompareError(f"target {target!r} is not numeric: it cannot be a regression target")
    y = y_frame.to_numpy()
    if task == "classification" and y.dtype == object:
        y = y.astype(str)
    _check_target(y, task, target)
    return Table(X.reset_index(drop=True), y, task, name, categorical, notes, text)


def _drop_columns(frame, drop):
    """``frame`` without the columns of ``--drop``, refusing a column it does not have."""
    missing = [c for c in drop if c not in frame.columns]
    if missing:
        columns = ", ".join(map(str, frame.columns))
        raise CompareError(f"cannot drop {missing[0]!r}: no such column (the columns: {columns})")
    notes = [f"dropped column(s) {', '.join(drop)} as asked"] if drop else []
    return frame.drop(columns=list(drop)), notes


def _check_finite(frame):
    """Refuse infinite values: every model would fail on them."""
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            n_inf = int(np.isinf(values.to_numpy(dtype=float)).sum())
            if n_inf:
                raise CompareError(
                    f"column {column!r} holds {n_inf} infinite value(s): replace them, leave "
                    "those cells empty, or drop the column"
                )


def _is_identifier(values):
    """A non-numeric column with a different value in (nearly) every row: an identifier."""
    present = values.dropna()
    n_values = present.nunique()
    return n_values > IDENTIFIER_MIN_VALUES and n_values >= IDENTIFIER_DISTINCT * len(present)


def _is_distinct_integers(values):
    """Whole numbers, no two alike, in more than IDENTIFIER_MIN_VALUES rows."""
    if not pd.api.types.is_numeric_dtype(values) or values.isna().any():
        return False
    numbers = values.to_numpy(dtype=float)
    return (
        len(numbers) > IDENTIFIER_MIN_VALUES
        and bool(np.all(numbers == np.round(numbers)))
        and len(np.unique(numbers)) == len(numbers)
    )


def _has_no_gap(values):
    """Distinct whole numbers that fill a run (0..n-1, 1..n, in any order)."""
    return values.max() - values.min() == len(values) - 1


def _name_words(name):
    """The lower-case words of a column name: 'PassengerId' and 'passenger_id' give
    {'passenger', 'id'}."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name))
    return {word.lower() for word in re.split(r"[^A-Za-z]+", spaced) if word}


def _is_free_text(values):
    words = values.dropna().astype(str).str.split().str.len()
    return len(words) > 0 and words.mean() >= TEXT_MIN_WORDS


def _date_readings(values, name):
    """The readings of a column as dates: ``{format: UTC timestamps}``, empty if not dates.

    A column is dates when its values contain a four-digit year and every one of them
    parses in one format, inferred from the values (month first and day first both
    tried), with ISO 8601 as a fallback: '10-12', '3/4', '10:30' or 'Jan 5' are
    categories, not dates. Offsets are converted to UTC, so a column crossing a change
    of summer time reads as one. A column that mostly parses but holds a value that does
    not ('unknown') raises :class:`CompareError`.
    """
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return {}
    present = values.dropna().astype(str).str.strip()
    if present.empty:
        return {}
    has_year = present.str.contains(r"\d{4}")
    if has_year.mean() < DATE_SHARE:
        return {}
    formats = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for value in present[has_year].unique()[:20]:
            for dayfirst in (False, True):
                fmt = guess_datetime_format(value, dayfirst=dayfirst)
                # Year first is always year-month-day: no '%Y-%d-%m' reading.
                if fmt and not (dayfirst and fmt.startswith("%Y")) and fmt not in formats:
                    formats.append(fmt)
    formats.append("ISO8601")
    readings, partial = {}, None
    for fmt in formats:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                parsed = pd.to_datetime(present, format=fmt, errors="coerce", utc=True)
            except (ValueError, TypeError, OverflowError):
                continue
        parsed_ok = parsed.notna()
        if parsed_ok.all():
            if not any(parsed.equals(other) for other in readings.values()):
                readings[fmt] = parsed.reindex(values.index)
        elif partial is None and parsed_ok.mean() >= DATE_SHARE:
            partial = fmt, present[~parsed_ok].iloc[0]
    if not readings and partial is not None:
        fmt, bad = partial
        raise CompareError(
            f"column {name!r} holds dates ({fmt}) but also {bad!r}: correct that value, "
            f"or leave the column out with --drop {name}"
        )
    return readings


def _check_one_series(name, dates, notes):
    """For ``--time-series``: refuse a file whose every date repeats (several series in
    one file: stores, sensors, read as one series they would interleave), and note
    sporadic repeats (kept in file order)."""
    counts = dates.dropna().value_counts()
    repeated = int(counts[counts > 1].sum())
    if not repeated:
        return
    if counts.min() > 1 or repeated > len(dates) / 2:
        every = "every date" if counts.min() > 1 else "most dates"
        raise CompareError(
            f"{every} in {name!r} repeat ({counts.iloc[0]} rows share "
            f"{counts.index[0]:%Y-%m-%d %H:%M}): the file holds several series (stores, "
            "sensors), which --time-series would read as one series, their rows "
            "interleaved; compare one series at a time, or put each series in a column"
        )
    notes.append(
        f"{repeated} row(s) share their date in {name!r} with another row: read as "
        "consecutive time steps, in file order"
    )


def _time_order(index, name, readings):
    """The row order of a time series, or None when the file is already in time order.

    A file in time order under one reading of its dates keeps its order. Otherwise the
    rows are sorted by the dates, provided every reading sorts them the same way.
    """
    for parsed in readings.values():
        if parsed.dropna().is_monotonic_increasing:
            return None
    orders = [parsed.sort_values(kind="stable").index for parsed in readings.values()]
    if any(not order.equals(orders[0]) for order in orders[1:]):
        first, second = list(readings)[:2]
        raise CompareError(
            f"the dates in {name!r} read as {first} and as {second}, in different orders: "
            "write them as ISO dates (YYYY-MM-DD) to say which"
        )
    return orders[0]


def _infer_task(y):
    if pd.api.types.is_bool_dtype(y) or not pd.api.types.is_numeric_dtype(y):
        return "classification"
    values = y.to_numpy(dtype=float)
    is_integer = np.all(values == np.round(values))
    if is_integer and len(np.unique(values)) <= MAX_INTEGER_CLASSES:
        return "classification"
    return "regression"


def _check_target(y, task, name="the target"):
    n_values = len(pd.unique(y))
    if task == "classification" and n_values < 2:
        first = y[0].item() if isinstance(y[0], np.generic) else y[0]
        raise CompareError(f"{name!r} has a single class ({first!r}): nothing to classify")
    if task == "classification" and _is_continuous(y):
        # Before the folds: each class would have a row or two, and fewer folds cannot help.
        raise CompareError(
            f"{name!r} is continuous (it holds numbers that are not whole): it cannot be a "
            "classification target; use --task regression"
        )
    if task == "regression" and n_values < 2:
        raise CompareError(f"{name!r} is constant: nothing to predict")


def _is_continuous(y):
    """Whether ``y`` holds floats that are not all whole numbers, as scikit-learn's
    ``type_of_target`` tells a regression target from class labels."""
    try:
        return type_of_target(y) in ("continuous", "continuous-multioutput")
    except (TypeError, ValueError):  # labels of a kind type_of_target cannot read
        return False


def default_models(
    task,
    *,
    categorical=(),
    text=(),
    quick=False,
    device="auto",
    random_state=0,
    time_series=False,
    scoring=None,
):
    """The contenders for a task, each a full pipeline from the raw table.

    sknn's MLPs embed the categorical columns (``categorical_features``); the MLP with the
    tabular preset (:meth:`~sknn.MLPClassifier.tabular`) also scales and embeds the
    numeric columns itself. The other models one-hot encode the categorical columns (at
    most :data:`MAX_CATEGORIES` levels a column). One-hot and TF-IDF features reach the
    models that take sparse input (sknn's MLP without categorical columns, the forest,
    the SVM, the linear model) as a sparse matrix when the whole feature matrix is
    sparser than :data:`SPARSE_THRESHOLD`, and as a dense one otherwise and for the
    others.

    For rows ordered in time (``time_series=True``), sknn's sequence estimators join with
    the convolutional encoders ('fcn' and 'resnet'): each row is read with the
    :data:`PAST_ROWS` - 1 rows before it as one sequence (:class:`sknn.timeseries.PastRows`),
    the rows' values as given (standardised columns, no per-sequence normalisation).

    Parameters
    ----------
    task : {'classification', 'regression'}
        The task.
    categorical : sequence of str, default=()
        Columns of categories. Numeric columns are median-imputed and, for every model
        but the trees and the tabular MLP, standardised.
    text : sequence of str, default=()
        Columns of free text, encoded as TF-IDF of words and word pairs (dense, of the
        :data:`DENSE_TEXT_TERMS` most frequent, for a model without sparse input and
        beside embedded categorical columns).
    quick : bool, default=False
        Fewer epochs and trees, for tests and CI (the tabular MLP keeps its preset: early
        stopping bounds its epochs).
    device : str, default='auto'
        The device of sknn's networks.
    random_state : int, default=0
        Seed of every randomised model.
    time_series : bool, default=False
        The rows are ordered in time, each test fold following its training rows (as in
        :class:`~sklearn.model_selection.TimeSeriesSplit`): add the sequence estimators.
    scoring : str or None, default=None
        The scorer the models will be compared by: one that needs probabilities
        (``'neg_log_loss'``, ``'roc_auc_ovr'``) has the RBF SVM fit them
        (``SVC(probability=True)``, an internal cross-validation).

    Returns
    -------
    models : dict of str to estimator
        Unfitted estimators by display name, sknn's first.

    Examples
    --------
    >>> from sknn.compare import default_models
    >>> list(default_models("classification"))  # doctest: +NORMALIZE_WHITESPACE
    ['sknn MLPClassifier', 'sknn MLPClassifier.tabular()', 'random forest',
     'hist gradient boosting', 'RBF SVM', 'logistic regression']
    >>> list(default_models("regression", time_series=True))[2:4]
    ['sknn SequenceRegressor (fcn)', 'sknn SequenceRegressor (resnet)']
    """
    epochs, trees = (40, 30) if quick else (200, 200)
    net = dict(device=device, random_state=random_state)
    embedded = dict(categorical_features=list(range(len(categorical)))) if categorical else {}
    if task == "classification":
        mlp = MLPClassifier(learning_rate_init=0.003, max_iter=epochs, **embedded, **net)
        tabular = MLPClassifier.tabular(**net)  # early stopping bounds its epochs
        others = {
            "random forest": RandomForestClassifier(trees, random_state=random_state),
            "hist gradient boosting": HistGradientBoostingClassifier(
                max_iter=trees // 2, random_state=random_state
            ),
            "RBF SVM": SVC(kernel="rbf", probability=_needs_probabilities(scoring)),
            "logistic regression": LogisticRegression(max_iter=1000),
        }
    elif task == "regression":
        # The networks and the SVR fit a standardised target: their step sizes and epsilon
        # assume unit scale.
        mlp = _scaled_target(
            MLPRegressor(learning_rate_init=0.003, max_iter=epochs, **embedded, **net)
        )
        tabular = _scaled_target(MLPRegressor.tabular(**net))
        others = {
            "random forest": RandomForestRegressor(trees, random_state=random_state),
            "hist gradient boosting": HistGradientBoostingRegressor(
                max_iter=trees // 2, random_state=random_state
            ),
            "RBF SVM": _scaled_target(SVR(kernel="rbf")),
            "ridge": Ridge(),
        }
    else:
        raise CompareError(f"unknown task {task!r}")
    name = type(getattr(mlp, "regressor", mlp)).__name__
    if categorical:
        mlp = make_pipeline(_embedding_preprocessor(categorical, text, scale=True), mlp)
    else:
        mlp = make_pipeline(_preprocessor(categorical, text, scale=True, sparse=True), mlp)
    tabular_inner = getattr(tabular, "regressor", tabular)
    tabular_inner.set_params(categorical_features=list(range(len(categorical))))
    models = {
        f"sknn {name}": mlp,
        f"sknn {name}.tabular()": make_pipeline(
            _embedding_preprocessor(categorical, text, scale=False), tabular
        ),
    }
    if time_series:
        others = {**_sequence_models(task, quick, net), **others}
    trees_names = {"random forest", "hist gradient boosting"}
    for model_name, model in others.items():
        models[model_name] = make_pipeline(
            _preprocessor(
                categorical,
                text,
                scale=model_name not in trees_names,
                sparse=get_tags(model).input_tags.sparse,
            ),
            *([PastRows(PAST_ROWS)] if model_name.startswith("sknn Sequence") else []),
            model,
        )
    return models


def _sequence_models(task, quick, net):
    """The sequence estimators with each convolutional encoder, for time-ordered rows."""
    # Their own training defaults (a cosine schedule over max_iter="auto" epochs), 10 when quick.
    params = dict(net, max_iter=10) if quick else {k: v for k, v in net.items() if k != "max_iter"}
    if task == "classification":
        return {
            f"sknn SequenceClassifier ({cell})": SequenceClassifier(cell, normalize=None, **params)
            for cell in CONVOLUTIONAL_CELLS
        }
    return {
        f"sknn SequenceRegressor ({cell})": _scaled_target(SequenceRegressor(cell, **params))
        for cell in CONVOLUTIONAL_CELLS
    }


def _scaled_target(regressor):
    return TransformedTargetRegressor(regressor, transformer=StandardScaler())


def _preprocessor(categorical, text, scale, sparse):
    numeric = [SimpleImputer(strategy="median", keep_empty_features=True)] + (
        [StandardScaler()] if scale else []
    )
    encoder = make_pipeline(
        # Missing is a level of its own, as sknn's embeddings read it; most_frequent
        # dropped a column with no value in a training fold, leaving the encoder none.
        SimpleImputer(strategy="constant", fill_value="missing", keep_empty_features=True),
        OneHotEncoder(
            handle_unknown="infrequent_if_exist",
            max_categories=MAX_CATEGORIES,
            sparse_output=sparse,
        ),
    )
    terms = None if sparse else DENSE_TEXT_TERMS
    vectorizers = [
        (f"text_{i}", TfidfVectorizer(ngram_range=(1, 2), max_features=terms), column)
        for i, column in enumerate(text)
    ]
    return ColumnTransformer(
        [("categorical", encoder, list(categorical)), *vectorizers],
        remainder=make_pipeline(*numeric),
        sparse_threshold=SPARSE_THRESHOLD if sparse else 0.0,
        verbose_feature_names_out=False,
    )


def _embedding_preprocessor(categorical, text, scale):
    """The categorical columns first and as they are (strings, missing values kept: the
    network embeds them), then dense TF-IDF of each text column, then the numeric columns
    (median-imputed and standardised when ``scale``; else as they are, for a network that
    scales and imputes them itself)."""
    numeric = (
        make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
        if scale
        else "passthrough"
    )
    vectorizers = [
        (f"text_{i}", TfidfVectorizer(ngram_range=(1, 2), max_features=DENSE_TEXT_TERMS), column)
        for i, column in enumerate(text)
    ]
    return ColumnTransformer(
        [("categorical", "passthrough", list(categorical)), *vectorizers],
        remainder=numeric,
        sparse_threshold=0.0,
        verbose_feature_names_out=False,
    )


def make_splitter(task, n_splits=5, *, time_series=False, random_state=0):
    """K-fold (stratified for classification, shuffled) or ``TimeSeriesSplit`` for ordered data.

    Examples
    --------
    >>> from sknn.compare import make_splitter
    >>> make_splitter("classification", 3)
    StratifiedKFold(n_splits=3, random_state=0, shuffle=True)
    """
    if time_series:
        return TimeSeriesSplit(n_splits=n_splits)
    if task == "classification":
        return StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
    return KFold(n_splits, shuffle=True, random_state=random_state)


def cross_validate_models(
    models, X, y, cv, *, scoring=None, progress=True, stream=None, notes=None, n_jobs=None
):
    """Fit and score every model on the same folds.

    Parameters
    ----------
    models : dict of str to estimator
        The contenders, by display name.
    X : pandas.DataFrame or array-like of shape (n_samples, n_features)
        The features.
    y : array-like of shape (n_samples,)
        The target.
    cv : cross-validation splitter
        Used once: every model sees the same folds.
    scoring : str or None, default=None
        A scikit-learn scorer name; None is the models' ``score`` (accuracy or R^2).
    progress : bool, default=True
        Show a progress bar on ``stream``: tqdm's when it is installed, else one line per
        fit.
    stream : file-like, default=None
        Where progress goes; None is ``sys.stderr``.
    notes : list, default=None
        Where to append what the user should know (failed fits, unconverged networks).
    n_jobs : int or None, default=None
        Fits to run at once through joblib, each (model, fold) a task; None runs them one
        after the other here. Inside ``joblib.parallel_backend("dask")`` the tasks run on
        a Dask cluster (``sknn compare --scheduler``). The scores and notes do not depend
        on it. The fits of one process run one at a time, each recording its own
        ConvergenceWarnings (Python's warning state is global to the process): threads
        (joblib's threading backend, a Dask worker's threads) add no fits at once, only
        processes do.

    Raises
    ------
    CompareError
        For an unknown ``scoring`` name.

    Returns
    -------
    folds : pandas.DataFrame
        One row per model and fold: ``model``, ``fold``, ``score``, ``fit_time`` and
        ``predict_time`` (seconds). A fit that raised scores NaN and is reported in
        ``notes``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sknn.compare import cross_validate_models, leaderboard, make_splitter
    >>> X, y = load_iris(return_X_y=True)
    >>> folds = cross_validate_models({"logistic": LogisticRegression(max_iter=500)},
    ...                               X, y, make_splitter("classification", 3),
    ...                               progress=False)
    >>> folds[["model", "fold"]].values.tolist()
    [['logistic', 0], ['logistic', 1], ['logistic', 2]]
    >>> bool(leaderboard(folds).loc[0, "mean_score"] > 0.9)
    True
    """
    notes = [] if notes is None else notes
    check_scoring_name(scoring)
    X = X if isinstance(X, pd.DataFrame) else np.asarray(X)
    y = np.asarray(y)
    splits = list(cv.split(X, y))
    tasks = [
        (name, fold, model, train, test)
        for name, model in models.items()
        for fold, (train, test) in enumerate(splits)
    ]
    bar = _Progress(len(tasks), progress, stream or sys.stderr)
    if n_jobs is None:
        results = (
            _fit_and_score(name, fold, model, X, y, train, test, scoring)
            for name, fold, model, train, test in tasks
        )
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(_fit_and_score)(name, fold, model, X, y, train, test, scoring, True)
            for name, fold, model, train, test in tasks
        )
    rows, unconverged = [], {}
    try:
        for row, converged, failure in results:
            bar.describe(f"{row['model']}, fold {row['fold'] + 1}/{len(splits)}")
            rows.append(row)
            unconverged[row["model"]] = unconverged.get(row["model"], 0) + (not converged)
            if failure:
                notes.append(failure)
            bar.update()
    finally:
        bar.close()
    for name, count in unconverged.items():
        if count:
            notes.append(
                f"{name} reached its iteration limit before converging in {count} "
                f"of {len(splits)} fold(s)"
            )
    return pd.DataFrame(rows, columns=["model", "fold", "score", "fit_time", "predict_time"])


def _fit_and_score(name, fold, model, X, y, train, test, scoring, inner_sequential=False):
    """One (model, fold) task: ``(row, converged, failure note or None)``.

    ``inner_sequential`` runs any joblib work inside the fit (a random forest's trees) in
    this thread: on a Dask worker, nested joblib calls otherwise hand the worker's slot to
    another task while they wait, a task that would then wait for :data:`_RECORDING`,
    which this fit holds.
    """
    if not inner_sequential:
        return _fit_and_score_alone(name, fold, model, X, y, train, test, scoring)
    from joblib import parallel_config

    with parallel_config(backend="sequential"):
        return _fit_and_score_alone(name, fold, model, X, y, train, test, scoring)


#: Held while a fit's warnings are recorded: Python's warning filters and its recording
#: are global to the process, and catch_warnings is not thread-safe (before Python 3.14).
#: Two fits recording at once in one process (joblib's threading backend, a Dask worker
#: of several threads) took each other's ConvergenceWarnings and could leave the process
#: recording every later warning into a list nobody reads. Fits in one process therefore
#: run one at a time here (sknn's own already do: they share torch's seeded generators).
_RECORDING = threading.Lock()


def _fit_and_score_alone(name, fold, model, X, y, train, test, scoring):
    row = {"model": name, "fold": fold}
    estimator = clone(model)
    converged, failure = True, None
    try:
        with _RECORDING, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            start = time.perf_counter()
            estimator.fit(_rows(X, train), y[train])
            row["fit_time"] = time.perf_counter() - start
        converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
        scorer = check_scoring(estimator, scoring=scoring)
        start = time.perf_counter()
        row["score"] = scorer(estimator, _rows(X, test), y[test])
        row["predict_time"] = time.perf_counter() - start
    except Exception as exc:  # a model that fails must not hide the others
        row.update(score=np.nan, fit_time=np.nan, predict_time=np.nan)
        message = str(exc).strip().splitlines()
        failure = (
            f"{name} failed on fold {fold + 1}: "
            f"{type(exc).__name__}: {message[0] if message else ''}"
        )
    return row, converged, failure


def _needs_probabilities(scoring):
    """Whether the scorer named ``scoring`` reads only ``predict_proba`` (an SVC without
    ``probability=True`` has none), not ``decision_function`` as ``'roc_auc'`` can."""
    if scoring is None:
        return False
    methods = getattr(get_scorer(scoring), "_response_method", ())
    methods = (methods,) if isinstance(methods, str) else tuple(methods)
    return "predict_proba" in methods and "decision_function" not in methods


def check_scoring_name(scoring):
    """Raise :class:`CompareError` unless ``scoring`` is None or a scikit-learn scorer name."""
    if scoring is None:
        return
    try:
        get_scorer(scoring)
    except ValueError:
        raise CompareError(
            f"unknown scoring {scoring!r}: use a name from "
            "sklearn.metrics.get_scorer_names(), such as 'accuracy' or 'r2'"
        ) from None


def _rows(X, index):
    return X.iloc[index] if isinstance(X, pd.DataFrame) else X[index]


class _Progress:
    """tqdm when it is installed, else one plain line per step."""

    def __init__(self, total, enabled, stream):
        self.total, self.enabled, self.stream = total, enabled, stream
        self.done, self.description, self.bar = 0, "", None
        if enabled:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=total, file=stream, unit="fit", leave=False)

    def describe(self, text):
        self.description = text
        if self.bar is not None:
            self.bar.set_description(text)

    def update(self):
        self.done += 1
        if self.bar is not None:
            self.bar.update()
        elif self.enabled:
            print(f"[{self.done}/{self.total}] {self.description}", file=self.stream, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def leaderboard(folds):
    """Summarise per-fold scores: one row per model, best mean score first.

    Parameters
    ----------
    folds : pandas.DataFrame
        The output of :func:`cross_validate_models`.

    Returns
    -------
    board : pandas.DataFrame
        Columns ``model``, ``mean_score``, ``std_score`` (spread across folds),
        ``min_score``, ``max_score``, ``fit_time`` and ``predict_time`` (mean seconds per
        fold) over the folds the model scored, and ``n_folds``, how many it scored. The
        models that scored every fold are ranked by ``mean_score``; after them come those
        that failed on some folds (their means, over fewer and maybe easier folds, are
        not comparable), ranked by the number of folds scored, then by ``mean_score``;
        models that failed on every fold come last.

    Examples
    --------
    >>> import pandas as pd
    >>> from sknn.compare import leaderboard
    >>> folds = pd.DataFrame({"model": ["a", "a", "b", "b"], "fold": [0, 1, 0, 1],
    ...                       "score": [0.8, 0.7, float("nan"), 0.99],
    ...                       "fit_time": 1.0, "predict_time": 0.1})
    >>> leaderboard(folds)[["model", "mean_score", "n_folds"]].values.tolist()
    [['a', 0.75, 2], ['b', 0.99, 1]]
    """
    grouped = folds.groupby("model", sort=False)
    board = pd.DataFrame(
        {
            "mean_score": grouped["score"].mean(),
            "std_score": grouped["score"].std(ddof=0),
            "min_score": grouped["score"].min(),
            "max_score": grouped["score"].max(),
            "fit_time": grouped["fit_time"].mean(),
            "predict_time": grouped["predict_time"].mean(),
            "n_folds": grouped["score"].count(),
        }
    )
    board = board.sort_values(
        ["n_folds", "mean_score"], ascending=False, na_position="last", kind="stable"
    )
    return board.rename_axis("model").reset_index()


def format_leaderboard(board, metric="score", n_folds=None):
    """The leaderboard as a fixed-width text table.

    A model that scored fewer than ``n_folds`` folds (default: the most any model scored)
    shows how many, as "(2/3 folds)".

    Examples
    --------
    >>> import pandas as pd
    >>> from sknn.compare import format_leaderboard
    >>> board = pd.DataFrame({"model": ["a"], "mean_score": [0.9], "std_score": [0.01],
    ...                       "min_score": [0.89], "max_score": [0.91],
    ...                       "fit_time": [1.5], "predict_time": [0.01]})
    >>> print(format_leaderboard(board, "accuracy"))
     rank model accuracy (mean ± std) fit s predict s
        1     a       0.9000 ± 0.0100 1.500     0.010
    """
    scored_folds = board["n_folds"] if "n_folds" in board else pd.Series(0, index=board.index)
    total = n_folds if n_folds is not None else (scored_folds.max() if len(board) else 0)
    scores = []
    for mean, std, scored in zip(
        board["mean_score"], board["std_score"], scored_folds, strict=True
    ):
        text = f"{mean:.4f} ± {std:.4f}"
        if scored < total:
            text += f" ({scored}/{total} folds)"
        scores.append(text)
    table = pd.DataFrame(
        {
            "rank": np.arange(1, len(board) + 1),
            "model": board["model"],
            f"{metric} (mean ± std)": scores,
            "fit s": board["fit_time"].map("{:.3f}".format),
            "predict s": board["predict_time"].map("{:.3f}".format),
        }
    )
    return table.to_string(index=False)


def plot_fold_scores(folds, path, *, metric="score", title=None):
    """Save a PNG of each model's score on each fold; return its path, or None.

    None means matplotlib is not installed: the chart is optional.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    for name, rows in folds.groupby("model", sort=False):
        (line,) = ax.plot(rows["fold"] + 1, rows["score"], marker="o", label=name)
        ax.axhline(rows["score"].mean(), color=line.get_color(), lw=0.8, ls=":")
    ax.set_xticks(sorted(folds["fold"].unique() + 1))
    ax.set_xlabel("fold")
    ax.set_ylabel(metric)
    ax.set_title(title or f"{metric} per fold (dotted: mean)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    path = Path(path)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
