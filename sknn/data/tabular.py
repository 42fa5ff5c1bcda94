"""Tables of numeric and categorical columns as the arrays a tabular network reads.

What the MLPs' ``categorical_features``, ``numeric_scaling`` and ``numeric_embedding``
fit and apply, as plain functions over NumPy arrays (the fitted state is the estimator's
attributes: arrays and lists, which its model file stores as they are):

- :func:`categorical_mask` resolves ``categorical_features`` as scikit-learn's
  HistGradientBoosting does, with its messages;
- :func:`fit_categories` and :func:`encode_categories` (both at once at fit:
  :func:`fit_encode_categories`) map each categorical column to integer codes: 0 for a
  missing value, 1 for a category not seen in training, then the training categories in
  sorted order from 2; :func:`unknown_values_problem` tells when a column's values
  found no category by what looks like a mistake (strings for number categories);
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


#: What ``pd.api.types.infer_dtype`` (skipping missing values) calls an object column whose
#: values are all numbers: ``'from_dtype'`` reads such a column as numeric.
_NUMBER_KINDS = frozenset({"integer", "floating", "mixed-integer-float", "decimal"})


def _holds_numbers(column):
    """Whether a DataFrame column of object dtype holds numbers only (missing values
    aside): a numeric column stored as objects, as every column is in a DataFrame built
    from a ``ColumnTransformer``'s NumPy output when one column holds strings. Booleans
    are not numbers here."""
    return column.dtype.kind == "O" and (
        pd.api.types.infer_dtype(column, skipna=True) in _NUMBER_KINDS
    )


def _categorical_column(X, j, dtype):
    """Whether ``"from_dtype"`` reads column ``j`` of the DataFrame X (of dtype ``dtype``)
    as categorical: pandas' category dtype, as scikit-learn does, and (sknn's addition)
    string columns and object columns, which a numeric model cannot read otherwise, except
    object columns of numbers only (see :func:`_holds_numbers`), which are numeric."""
    if isinstance(dtype, pd.CategoricalDtype) or isinstance(dtype, pd.StringDtype):
        return True
    return getattr(dtype, "kind", None) == "O" and not _holds_numbers(X.iloc[:, j])


def categorical_mask(X, categorical_features):
    """Boolean mask of the categorical columns of X, or None when there are none.

    ``categorical_features`` takes scikit-learn's HistGradientBoosting values: None, the
    string ``"from_dtype"`` (pandas category, object and string columns of a DataFrame,
    but not object columns whose values are all numbers, which are numeric; nothing for
    an array), a boolean mask, integer indices or column names; it is checked with
    HistGradientBoosting's messages.

    ``"from_dtype"`` on an array of strings (a ``ColumnTransformer``'s default NumPy
    output, say) raises NumPy's "could not convert string to float" with what to do: the
    dtypes it reads are a DataFrame's.
    """
    if categorical_features is None:
        return None
    n_features = X.shape[1]
    names = list(X.columns) if is_dataframe(X) else None
    if isinstance(categorical_features, str) and categorical_features == "from_dtype":
        if names is None:
            _explain_strings_in_array(X)
            return None
        categorical_features = np.asarray(
            [_categorical_column(X, j, dtype) for j, dtype in enumerate(X.dtypes)], dtype=bool
        )
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


def _explain_strings_in_array(X):
    """NumPy's "could not convert string to float" for an array (not a DataFrame) with
    columns of strings given to ``categorical_features='from_dtype'``, which finds no
    categorical column in an array, and what to do; nothing when its values convert."""
    if not isinstance(X, np.ndarray) or X.dtype.kind not in "OU" or X.ndim != 2:
        return
    for j in range(X.shape[1]):
        column = X[:, j]
        if column.dtype.kind == "O" and (
            pd.api.types.infer_dtype(column, skipna=True) in _INFERRED_NUMBERS
        ):
            continue
        try:
            column.astype(np.float64)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"{error}. categorical_features='from_dtype' reads the dtypes of a "
                "DataFrame's columns, but X is an array, in which it finds no categorical "
                f"column, and its column {j} holds strings. Pass X as a DataFrame (a "
                "ColumnTransformer gives one after .set_output(transform='pandas')), or "
                "pass the indices of the categorical columns in categorical_features."
            ) from error


def shown_names(names, limit=5):
    """Column names for a message: the first ``limit``, quoted, then "..." for the rest."""
    names = list(names)
    return ", ".join(repr(name) for name in names[:limit]) + (
        ", ..." if len(names) > limit else ""
    )


def _refuse_sparse_columns(X):
    """sknn's message for the sparse columns of a DataFrame (pandas' ``SparseDtype``) on
    the table path, as for a sparse matrix."""
    sparse = [name for name, dtype in X.dtypes.items() if isinstance(dtype, pd.SparseDtype)]
    if sparse:
        shown = shown_names(sparse)
        raise TypeError(
            f"Sparse data was passed for X (columns {shown} are pandas sparse columns), "
            "but categorical_features, numeric_embedding and numeric_scaling need dense "
            "data: make them dense (X.sparse.to_dense() for a DataFrame whose columns are "
            "all sparse, or pd.get_dummies(..., sparse=False)), or leave these parameters "
            "at None to train on the sparse data."
        )


def columns(X, index):
    """The numeric columns ``index`` of a DataFrame or a 2-D array, as a 2-D array or a
    DataFrame.

    A DataFrame's object columns of numbers (see :func:`_holds_numbers`) come as float64,
    their missing values (None, ``pd.NA``) as NaN. A DataFrame with sparse columns is
    refused (``TypeError``), as a sparse matrix is on this path.
    """
    if not is_dataframe(X):
        return X[:, index]
    _refuse_sparse_columns(X)
    table = X.iloc[:, index]
    objects = [
        j
        for j, dtype in enumerate(table.dtypes)
        if getattr(dtype, "kind", None) == "O" and _holds_numbers(table.iloc[:, j])
    ]
    if objects:
        table = table.copy(deep=False)
        for j in objects:
            table.isetitem(j, _as_float(table.iloc[:, j]))
    return table


def _as_float(column):
    """An object column of numbers as float64, missing values (None, ``pd.NA``) as NaN."""
    values = column.to_numpy(dtype=object)
    missing = np.asarray(pd.isna(values), dtype=bool)
    out = np.full(len(values), np.nan)
    out[~missing] = values[~missing].astype(np.float64)
    return pd.Series(out, index=column.index, name=column.name)


def check_no_time_columns(X):
    """Refuse a DataFrame with date, duration or period columns, naming them.

    Neither a number nor a category can be read from them as they are: NumPy cannot mix
    them with floats (scikit-learn's estimators fail inside NumPy), and as categories
    their values would be compared by a representation that depends on the time unit.
    """
    if not is_dataframe(X):
        return
    names = [
        name
        for name, dtype in X.dtypes.items()
        if getattr(dtype, "kind", None) in ("M", "m") or isinstance(dtype, pd.PeriodDtype)
    ]
    if not names:
        return
    shown = shown_names(names)
    raise TypeError(
        f"Columns {shown} of X hold dates, durations or periods, which cannot be used as "
        "they are. Convert them first: to numbers (for a date column d, d.dt.dayofyear, "
        "d.dt.hour or (d - d.min()).dt.days; for a duration, .dt.total_seconds()), or to "
        "categories (.astype(str), with categorical_features='from_dtype')."
    )


def column_values(X, j):
    """Column ``j`` of a DataFrame or a 2-D array as a 1-D NumPy array.

    Integers with missing values (pandas' nullable ``Int64``, a category column of
    integers) come as an object array of ints and None, not as the float64 that pandas
    makes of them: float64 holds integers exactly only up to 2**53, and the categories
    keep their integer dtype. A sparse column (pandas' ``SparseDtype``) is refused
    (``TypeError``), as a sparse matrix is on the table path.
    """
    if not is_dataframe(X):
        return np.asarray(X[:, j])
    column = X.iloc[:, j]
    dtype = column.dtype
    if isinstance(dtype, pd.SparseDtype):
        _refuse_sparse_columns(X)
    if isinstance(dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()
        if pd.api.types.is_integer_dtype(dtype.categories.dtype) and (codes < 0).any():
            values = np.asarray(dtype.categories.to_numpy(), dtype=object)[codes]
            values[codes < 0] = None
            return values
    elif pd.api.types.is_integer_dtype(dtype) and column.hasnans:
        return column.to_numpy(dtype=object, na_value=None)
    return np.asarray(column.to_numpy())


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
    if values.dtype.kind in "mM":
        # tolist() would give nanosecond ints for one unit and datetime objects for
        # another; no time value would then match its category at predict.
        raise TypeError(
            f"Categorical feature {name} holds {values.dtype} values: convert dates and "
            "durations first, to strings (.astype(str)) or to numbers."
        )
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


def encode_categories(values, categories, name=None):
    """Codes of a categorical column: :data:`MISSING_CODE` for a missing value,
    :data:`UNKNOWN_CODE` for a value not among ``categories``, else its position in
    ``categories`` plus :data:`N_RESERVED_CODES`. Returns int64 of shape (n,).

    Numbers match by value, exactly: integers as integers (never through float64, which
    rounds those above 2**53), an integer and a float when they are equal (2 and 2.0).
    Floats of two widths (float32 values, float64 categories, or the reverse) are compared
    in the narrower one, so that a column read back as float32 finds its categories.

    Raises
    ------
    ValueError
        If the values are floats narrower than the float ``categories`` and two categories
        are equal (or a finite one overflows) in the values' width: which category such a
        value is cannot be told. ``name`` (as in :func:`fit_categories`), if given,
        names the column in the message.

    >>> categories = np.array([0.1, 0.2])
    >>> encode_categories(np.array([0.2, 0.1, 0.3, np.nan], dtype=np.float32), categories)
    array([3, 2, 1, 0])
    >>> big = np.array([2**53, 2**53 + 1])
    >>> encode_categories(np.array([2**53 + 1, 2**53]), big)
    array([3, 2])
    """
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
    elif present.dtype.kind in "biuf":
        position = _numeric_positions(present, categories, name)
    else:
        position = _object_positions(present, categories, name)
    codes[~missing] = np.where(position >= 0, position + N_RESERVED_CODES, UNKNOWN_CODE)
    return codes


#: What ``pd.api.types.infer_dtype`` calls an object array of numbers only.
_INFERRED_NUMBERS = frozenset({"integer", "floating", "mixed-integer-float", "boolean", "empty"})


def unknown_values_problem(values, categories, codes):
    """Why values of a categorical column found no category, when that looks like a
    mistake: a column of numbers read back as text, or another column in its place.

    Parameters
    ----------
    values : ndarray of shape (n,)
        The column, as :func:`encode_categories` takes it.
    categories : ndarray
        Its categories, fitted on other data.
    codes : ndarray of shape (n,)
        ``encode_categories(values, categories)``.

    Returns
    -------
    problem : {'strings', 'numbers', 'all'} or None
        'strings' when some values coded unknown are not numbers (strings, say) and the
        categories are numbers: such values never equal a category. Else, when every
        present value is unknown (and there are categories to find): 'numbers' if they
        are numbers and the categories strings (numbers are compared to those as their
        ``str()``), 'all' otherwise. None when there is no such problem: unknown values
        among known ones are ordinary. Vectorised; the values are only looked at when some
        of them are unknown.
    """
    unknown = codes == UNKNOWN_CODE
    if len(categories) == 0 or not unknown.any():
        return None
    numeric_categories = categories.dtype.kind in "biuf"
    all_unknown = np.count_nonzero(unknown) == np.count_nonzero(codes != MISSING_CODE)
    if not (numeric_categories or all_unknown):
        return None
    unmatched = values[unknown]
    if unmatched.dtype.kind == "O":
        numbers = pd.api.types.infer_dtype(unmatched, skipna=True) in _INFERRED_NUMBERS
    else:
        numbers = unmatched.dtype.kind in "biuf"
    if numeric_categories and not numbers:
        return "strings"
    if all_unknown:
        return "numbers" if numbers and not numeric_categories else "all"
    return None


def _numeric_positions(values, keys, name):
    """Position of each number of ``values`` in the sorted numbers ``keys``, -1 where it
    is none of them; both arrays of kind b, i, u or f (see :func:`encode_categories`)."""
    if keys.dtype.kind == "b":
        keys = keys.astype(np.int64)
    if values.dtype.kind == "b":
        values = values.astype(np.int64)
    if keys.dtype.kind == "f" and values.dtype.kind == "f":
        width = min(keys.dtype, values.dtype, key=lambda d: d.itemsize)
        keys = _narrowed_categories(keys, width, name)
        with np.errstate(over="ignore"):
            narrowed = values.astype(width)
        # A finite value beyond the narrower width's range is none of its categories.
        fits = np.isfinite(narrowed) | ~np.isfinite(values)
        return _sorted_positions(keys, narrowed, fits)
    if keys.dtype.kind == "f":
        # Integer values: only the integral categories can equal them; look them up as
        # integers of the values' dtype (the cast keeps them sorted and distinct).
        integral = np.flatnonzero(_integral_within(keys, values.dtype))
        found = _sorted_positions(keys[integral].astype(values.dtype), values)
        return np.where(found >= 0, integral[np.maximum(found, 0)] if len(integral) else -1, -1)
    if values.dtype.kind == "f":
        fits = _integral_within(values, keys.dtype)
    else:
        fits = _integers_within(values, keys.dtype)
    # Outside keys' dtype, a value is no category: zeroed before the (then exact) cast.
    return _sorted_positions(keys, np.where(fits, values, 0).astype(keys.dtype), fits)


def _sorted_positions(keys, values, fits=None):
    """Position of each value in the sorted ``keys`` of the same dtype, -1 where absent
    (or where ``fits`` is False)."""
    if len(keys) == 0:
        return np.full(len(values), -1, dtype=np.int64)
    position = np.minimum(np.searchsorted(keys, values), len(keys) - 1)
    hit = keys[position] == values
    if fits is not None:
        hit &= fits
    return np.where(hit, position, -1).astype(np.int64)


def _integers_within(values, dtype):
    """Which integers of ``values`` the integer ``dtype`` holds."""
    own, other = np.iinfo(values.dtype), np.iinfo(dtype)
    low, high = max(own.min, other.min), min(own.max, other.max)
    kind = values.dtype.type
    return (values >= kind(low)) & (values <= kind(high))


def _integral_within(floats, dtype):
    """Which floats are integers that the integer ``dtype`` holds (and so cast to it
    exactly)."""
    info = np.iinfo(dtype)
    x = floats.astype(np.float64)  # exact; the bounds below are powers of 2, exact too
    with np.errstate(invalid="ignore"):
        return (
            np.isfinite(x)
            & (np.floor(x) == x)
            & (x >= float(info.min))
            & (x < float(info.max + 1))
        )


def _narrowed_categories(keys, dtype, name):
    """Float categories in the narrower float ``dtype``, refused where that makes two of
    them one (or a finite one infinite): a value of that width could be either."""
    if keys.dtype == dtype:
        return keys
    with np.errstate(over="ignore"):
        narrowed = keys.astype(dtype)
    overflow = np.flatnonzero(np.isfinite(keys) & ~np.isfinite(narrowed))
    same = np.flatnonzero(narrowed[1:] == narrowed[:-1])
    if len(overflow) or len(same):
        i = overflow[0] if len(overflow) else same[0]
        clash = (
            f"{keys[i].item()!r} is beyond its range"
            if len(overflow)
            else f"{keys[i].item()!r} and {keys[i + 1].item()!r} are both {narrowed[i]!s}"
        )
        feature = "A categorical feature" if name is None else f"Categorical feature {name}"
        raise ValueError(
            f"{feature} holds {dtype.name} values, but its categories "
            f"were fitted in {keys.dtype.name} and {dtype.name} cannot tell them apart "
            f"({clash} in {dtype.name}). Pass this column as {keys.dtype.name}, as in "
            "training."
        )
    return narrowed


def _object_positions(values, keys, name):
    """:func:`_numeric_positions` for an object array: each distinct value looked up by
    its Python value (Python compares ints and floats exactly), floats in the narrower
    width; anything that is not a number is no category."""
    try:
        rows, distinct = pd.factorize(values, use_na_sentinel=False)
    except TypeError:  # unhashable values (dicts, lists): not numbers
        rows, distinct = np.arange(len(values)), values
    tables = {}

    def table(dtype):
        if dtype not in tables:
            narrowed = _narrowed_categories(keys, dtype, name).tolist()
            tables[dtype] = {key: i for i, key in enumerate(narrowed)}
        return tables[dtype]

    def position(value):
        if not _is_number(value):
            return -1
        if isinstance(value, float) and not isinstance(value, np.floating):
            value = np.float64(value)
        if keys.dtype.kind == "f" and isinstance(value, np.floating):
            width = min(keys.dtype, value.dtype, key=lambda d: d.itemsize)
            with np.errstate(over="ignore"):
                narrowed = value.astype(width)
            if np.isfinite(value) and not np.isfinite(narrowed):
                return -1
            return table(width).get(narrowed.item(), -1)
        if isinstance(value, np.generic):
            value = value.item()
        return table(keys.dtype).get(value, -1)

    found = np.array([position(v) for v in distinct], dtype=np.int64)
    return found[rows]


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
