"""Tables of numeric and categorical columns as the arrays a tabular network reads.

What the MLPs' ``categorical_features``, ``numeric_scaling`` and ``numeric_embedding``
fit and apply, as plain functions over NumPy arrays (the fitted state is the estimator's
attributes: arrays and lists, which its model file stores as they are):

- :func:`categorical_mask` resolves ``categorical_features`` as scikit-learn's
  HistGradientBoosting does, with its messages;
- :func:`fit_categories` and :func:`encode_categories` (both at once at fit:
  :func:`fit_encode_categories`) map each categorical column to integer codes: 0 for a
  missing value, 1 for a category not seen in training, then the training categories in
  sorted order from 2;
- :func:`fit_robust_scaling` and :func:`robust_scale` centre and scale numeric columns
  robustly and clip them smoothly;
- :func:`fit_bins` finds the quantile bins of the piecewise-linear numeric embedding.
"""

import warnings
from numbers import Integral

import numpy as np
import pandas as pd

from sknn.modules.tabular import MISSING_CODE, N_RESERVED_CODES, UNKNOWN_CODE

#: Embedding width of a categorical column with n training categories:
#: ``min(EMBEDDING_DIM_CAP, round(1.6 * n ** 0.56))``, at least 1 (fastai's rule of thumb,
#: Howard & Gugger 2020, capped as in Guo & Berkhahn's entity embeddings, which use 10-50).
EMBEDDING_DIM_CAP = 50

#: The smooth clip of ``numeric_scaling='robust'``: ``x / sqrt(1 + (x / CLIP) ** 2)``.
SMOOTH_CLIP = 3.0

#: Bins per numeric column of ``numeric_embedding='piecewise_linear'`` (fewer for a column
#: with fewer distinct quantiles).
N_BINS = 48

#: Rows drawn (without replacement, seeded) to compute quantiles on large data.
QUANTILE_ROWS = 100_000


def is_dataframe(X):
    return isinstance(X, pd.DataFrame)


def _categorical_dtype(dtype):
    """What ``"from_dtype"`` reads as categorical: pandas' category dtype, as scikit-learn
    does, and (sknn's addition) object and string columns, which a numeric model cannot
    read otherwise."""
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or isinstance(dtype, pd.StringDtype)
        or getattr(dtype, "kind", None) == "O"
    )


def categorical_mask(X, categorical_features):
    """Boolean mask of the categorical columns of X, or None when there are none.

    ``categorical_features`` takes scikit-learn's HistGradientBoosting values: None, the
    string ``"from_dtype"`` (pandas category, object and string columns of a DataFrame;
    nothing for an array), a boolean mask, integer indices or column names; it is checked
    with HistGradientBoosting's messages.
    """
    if categorical_features is None:
        return None
    n_features = X.shape[1]
    names = list(X.columns) if is_dataframe(X) else None
    if isinstance(categorical_features, str) and categorical_features == "from_dtype":
        if names is None:
            return None
        categorical_features = np.asarray([_categorical_dtype(d) for d in X.dtypes], dtype=bool)
    else:
        categorical_features = np.asarray(categorical_features)
    if categorical_features.size == 0:
        return None
    kind = categorical_features.dtype.kind
    if kind not in ("i", "u", "b", "U", "O"):
        raise ValueError(
            "categorical_features must be an array-like of bool, int or str, got: "
            f"{categorical_features.dtype.name}."
        )
    if kind == "O":
        types = {type(f) for f in categorical_features.ravel()}
        if types != {str}:
            raise ValueError(
                "categorical_features must be an array-like of bool, int or str, got: "
                f"{', '.join(sorted(t.__name__ for t in types))}."
            )
    if categorical_features.ndim != 1:
        raise ValueError(
            "categorical_features must be 1-dimensional, got an array of shape "
            f"{categorical_features.shape}."
        )
    if kind in ("U", "O"):
        if names is None:
            raise ValueError(
                "categorical_features should be passed as an array of integers or as a "
                "boolean mask when the model is fitted on data without feature names."
            )
        mask = np.zeros(n_features, dtype=bool)
        for name in categorical_features:
            try:
                mask[names.index(name)] = True
            except ValueError:
                raise ValueError(
                    f"categorical_features has an item value '{name}' which is not a valid "
                    f"feature name of the training data. Observed feature names: {names}"
                ) from None
    elif kind in ("i", "u"):
        if np.max(categorical_features) >= n_features or np.min(categorical_features) < 0:
            raise ValueError(
                "categorical_features set as integer indices must be in [0, n_features - 1]"
            )
        mask = np.zeros(n_features, dtype=bool)
        mask[categorical_features] = True
    else:
        if categorical_features.shape[0] != n_features:
            raise ValueError(
                "categorical_features set as a boolean mask must have shape (n_features,), "
                f"got: {categorical_features.shape}"
            )
        mask = categorical_features.astype(bool)
    return mask if mask.any() else None


def columns(X, index):
    """Columns ``index`` of a DataFrame or a 2-D array, as a 2-D array or a DataFrame."""
    return X.iloc[:, index] if is_dataframe(X) else X[:, index]


def column_values(X, j):
    """Column ``j`` of a DataFrame or a 2-D array as a 1-D NumPy array."""
    if is_dataframe(X):
        return np.asarray(X.iloc[:, j].to_numpy())
    return np.asarray(X[:, j])


def is_missing(values):
    """Missing entries of a 1-D array: NaN, None, pandas' NA and NaT."""
    if values.dtype.kind == "f":
        return np.isnan(values)
    if values.dtype.kind in "biuU":
        return np.zeros(len(values), dtype=bool)
    return np.asarray(pd.isna(values), dtype=bool)


def _is_number(value):
    return isinstance(value, (Integral, float, np.number, bool, np.bool_))


def fit_categories(values, name, min_count=1):
    """The sorted distinct non-missing values of a categorical column that occur at least
    ``min_count`` times.

    Numbers keep their dtype (int, float or bool); strings come back as an object array of
    ``str``. A column that mixes strings and numbers is refused, as scikit-learn's
    encoders refuse it.
    """
    return fit_encode_categories(values, name, min_count)[0]


def fit_encode_categories(values, name, min_count=1):
    """:func:`fit_categories` and the column's codes under them, in one pass over it.

    Returns ``(categories, codes)``: the same as ``fit_categories(values, name,
    min_count)`` and then ``encode_categories(values, categories)``, without looking
    every row up a second time (the codes follow from the distinct values found).
    """
    missing = is_missing(values)
    present = values[~missing]
    if present.dtype.kind in "biufU":
        categories, inverse, counts = np.unique(present, return_inverse=True, return_counts=True)
        if present.dtype.kind == "U":
            categories = categories.astype(object)
        keep = counts >= min_count
        return categories[keep], _codes(missing, _kept_codes(keep)[inverse.ravel()])
    # Distinct values by hashing (pandas' factorize, in C), then the type checks and the
    # sort on those few values rather than a Python loop over every row.
    try:
        rows, distinct = pd.factorize(present, use_na_sentinel=False)
    except TypeError:  # unhashable values (dicts, lists): refused by the type check below
        rows, distinct = None, present
    items = distinct.tolist()
    types = {type(v) for v in items}
    if all(isinstance(v, str) for v in items):
        categories, inverse = np.unique(np.asarray(items, dtype=str), return_inverse=True)
        categories = categories.astype(object)
    elif all(_is_number(v) for v in items):
        categories, inverse = np.unique(np.asarray(items), return_inverse=True)
    else:
        # scikit-learn's encoders' message, word for word, then the column.
        raise TypeError(
            "Encoders require their input argument must be uniformly strings or numbers. "
            f"Got {sorted(t.__name__ for t in types)} in categorical feature {name}."
        )
    row_categories = inverse.ravel()[rows]  # each present row's sorted category
    keep = np.bincount(row_categories, minlength=len(categories)) >= min_count
    return categories[keep], _codes(missing, _kept_codes(keep)[row_categories])


def _kept_codes(keep):
    """Code of each sorted distinct value: its position among the kept ones plus
    :data:`N_RESERVED_CODES`, or :data:`UNKNOWN_CODE` where it is dropped as rare."""
    return np.where(keep, np.cumsum(keep) - 1 + N_RESERVED_CODES, UNKNOWN_CODE).astype(np.int64)


def _codes(missing, present_codes):
    codes = np.full(len(missing), MISSING_CODE, dtype=np.int64)
    codes[~missing] = present_codes
    return codes


def encode_categories(values, categories):
    """Codes of a categorical column: :data:`MISSING_CODE` for a missing value,
    :data:`UNKNOWN_CODE` for a value not among ``categories``, else its position in
    ``categories`` plus :data:`N_RESERVED_CODES`. Returns int64 of shape (n,)."""
    codes = np.full(len(values), UNKNOWN_CODE, dtype=np.int64)
    missing = is_missing(values)
    codes[missing] = MISSING_CODE
    present = values[~missing]
    if len(categories) == 0 or len(present) == 0:
        return codes
    if categories.dtype.kind not in "biuf":
        # Strings: a hash lookup (pandas' get_indexer, in C), several times faster than a
        # binary search over string comparisons. Values that are not all str already are
        # compared as their str(), as before.
        found = present if pd.api.types.infer_dtype(present) == "string" else present.astype(str)
        position = pd.Index(categories.astype(str), dtype=object).get_indexer(found)
        codes[~missing] = np.where(position >= 0, position + N_RESERVED_CODES, UNKNOWN_CODE)
        return codes
    keys = categories.astype(np.float64)
    found = _as_float(present)
    position = np.searchsorted(keys, found)
    inside = np.minimum(position, len(keys) - 1)
    hit = keys[inside] == found
    codes[~missing] = np.where(hit, position + N_RESERVED_CODES, UNKNOWN_CODE)
    return codes


def _as_float(values):
    """Values as float64; anything that is not a number becomes NaN (so: unknown)."""
    if values.dtype.kind in "biuf":
        return values.astype(np.float64)
    out = np.full(len(values), np.nan)
    for i, v in enumerate(values.tolist()):
        if _is_number(v):
            out[i] = float(v)
    return out


def default_embedding_dim(n_categories):
    """The embedding width of a column with ``n_categories`` training categories:
    ``min(50, round(1.6 * n_categories ** 0.56))``, at least 1.

    >>> [default_embedding_dim(n) for n in (2, 5, 10, 100, 1000, 10000)]
    [2, 4, 6, 21, 50, 50]
    """
    return int(max(1, min(EMBEDDING_DIM_CAP, round(1.6 * n_categories**0.56))))


def _sample_rows(X, random_state=0):
    if len(X) <= QUANTILE_ROWS:
        return X
    rows = np.random.RandomState(random_state).choice(len(X), QUANTILE_ROWS, replace=False)
    return X[np.sort(rows)]


def fit_robust_scaling(X):
    """Centre (the median) and scale of each column of a float array, NaN ignored.

    The scale is the interquartile range; where that is 0, half the range; where that is 0
    too (a constant column), 1. (RealMLP's robust scaling, Holzmuller et al. 2024.)
    """
    X = _sample_rows(X).astype(np.float64)
    # All-NaN columns warn in NumPy; they get centre 0 and scale 1.
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        q25, center, q75 = np.nanquantile(X, [0.25, 0.5, 0.75], axis=0)
        half_range = (np.nanmax(X, axis=0) - np.nanmin(X, axis=0)) / 2
    scale = np.where(q75 - q25 > 0, q75 - q25, half_range)
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    center = np.where(np.isfinite(center), center, 0.0)
    return center.astype(np.float64), scale.astype(np.float64)


def robust_scale(X, center, scale):
    """``(X - center) / scale``, smoothly clipped into (-3, 3), missing values at 0 (the
    median); float32."""
    Z = (X.astype(np.float64) - center) / scale
    Z = Z / np.sqrt(1 + (Z / SMOOTH_CLIP) ** 2)
    return np.nan_to_num(Z, nan=0.0).astype(np.float32)


def fit_bins(X, n_bins=None):
    """Bin edges of each column: its distinct quantiles at ``n_bins + 1`` evenly spaced
    levels. Returns a list of float32 arrays (one edge, or none, for a constant column)."""
    X = _sample_rows(X).astype(np.float64)
    levels = np.linspace(0, 1, (N_BINS if n_bins is None else n_bins) + 1)
    edges = []
    for j in range(X.shape[1]):
        values = X[:, j][np.isfinite(X[:, j])]
        if len(values) == 0:
            edges.append(np.zeros(0, dtype=np.float32))
            continue
        edges.append(np.unique(np.quantile(values, levels).astype(np.float32)))
    return edges
