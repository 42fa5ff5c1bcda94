"""Sequence input: the forms users pass as X, turned into one padded array and the lengths."""

import numbers

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.utils import assert_all_finite

from sknn.data.numeric import to_float32

_TRUNCATING = ("post", "pre")


def check_sequences(X, *, max_len=None, truncating="post", input_name="X", dtype=np.float32):
    """Convert sequence input to a zero-padded float array and the true lengths.

    Accepted forms:

    - a 3-D array ``(n_samples, n_timesteps, n_features)``: every sequence has the full
      length ``n_timesteps``;
    - a 2-D array or a pandas DataFrame ``(n_samples, n_timesteps)``: univariate sequences
      (``n_features=1``);
    - a list (or 1-D object array, or pandas Series) of sequences of possibly different
      lengths, each ``(T_i,)`` or ``(T_i, n_features)``: padded with zeros after its end
      up to the longest, and its length recorded.
    - a nested DataFrame, sktime's ``'nested_univ'`` form: one row per sample, one column
      per feature, each cell a sequence (a Series, array or list) of that row's length.

    Parameters
    ----------
    X : array-like, DataFrame or list of array-like
        The sequences, in one of the forms above.
    max_len : int, default=None
        Cut sequences longer than ``max_len``. By default nothing is ever cut and the padded
        length is that of the longest sequence.
    truncating : {'post', 'pre'}, default='post'
        Which steps ``max_len`` keeps: 'post' keeps the first ``max_len`` steps (drops the
        end), 'pre' keeps the last ``max_len`` steps (drops the beginning).
    input_name : str, default='X'
        Name used in error messages.
    dtype : {np.float32, np.float64}, default=np.float32
        The dtype of ``X_padded``. The sequence estimators read float64, so that their
        normalisation centres the values before the cast to float32: near 1e6, float32
        values are 0.0625 apart, and a sensor's 0.01 variations around such a level would
        become one value.

    Returns
    -------
    X_padded : ndarray of shape (n_samples, n_timesteps, n_features), dtype ``dtype``
        The sequences, each starting at step 0 and padded with zeros after its end.
    lengths : ndarray of shape (n_samples,), dtype int64
        The true length of each sequence, between 1 and ``n_timesteps``.

    Raises
    ------
    ValueError
        For empty input, a sequence of length 0, a list whose sequences (or the steps of
        one sequence) differ in their number of features, a list of dicts, a masked array
        that hides values (NumPy drops the mask), NaN or infinite values, arrays that are
        not 2-D or 3-D, and non-numeric values.
    TypeError
        For sparse input.

    Examples
    --------
    >>> from sknn.data.sequences import check_sequences
    >>> X, lengths = check_sequences([[1, 2, 3], [4, 5]])
    >>> X.shape, lengths
    ((2, 3, 1), array([3, 2]))
    >>> X[1, :, 0]
    array([4., 5., 0.], dtype=float32)
    >>> X, lengths = check_sequences([[[1, 2], [3, 4]], [[5, 6]]])
    >>> X.shape, lengths
    ((2, 2, 2), array([2, 1]))
    """
    sequences, lengths = read_sequences(
        X, max_len=max_len, truncating=truncating, input_name=input_name, dtype=dtype
    )
    return pad_sequences(sequences, lengths, dtype=dtype), lengths


def read_sequences(X, *, max_len=None, truncating="post", input_name="X", dtype=np.float32):
    """Read and check sequence input as :func:`check_sequences` does, without padding it.

    What the sequence estimators read: the padding is then written once, into the
    network's float32 input (:func:`pad_sequences`), so that one long sequence does not
    cost every short one its length several times over.

    Parameters are those of :func:`check_sequences`.

    Returns
    -------
    sequences : ndarray of shape (n_samples, n_timesteps, n_features) or list of ndarray
        An array where every sequence has the same length (the 2-D and 3-D forms), else
        one ``(T_i, n_features)`` array per sequence; all in ``dtype``.
    lengths : ndarray of shape (n_samples,), dtype int64
        The length of each sequence, after ``max_len``'s cut.

    Examples
    --------
    >>> from sknn.data.sequences import read_sequences
    >>> sequences, lengths = read_sequences([[1, 2, 3], [4, 5]])
    >>> [seq.shape for seq in sequences], lengths
    ([(3, 1), (2, 1)], array([3, 2]))
    """
    if max_len is not None and (
        not isinstance(max_len, numbers.Integral) or isinstance(max_len, bool) or max_len < 1
    ):
        raise ValueError(f"max_len must be None or a positive integer, got {max_len!r}.")
    if truncating not in _TRUNCATING:
        raise ValueError(f"truncating must be one of {list(_TRUNCATING)}, got {truncating!r}.")
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be np.float32 or np.float64, got {dtype!r}.")
    if sp.issparse(X):
        raise TypeError(
            f"Sparse data was passed for {input_name}, but dense data is required. "
            "Use '.toarray()' to convert to a dense numpy array."
        )

    X = check_unmasked(readable_tensor(X), input_name)
    frame_list_columns(X, input_name)
    if is_nested_array(X):
        X = pd.DataFrame(X)
    if is_nested_frame(X):
        X = nested_frame_sequences(X, input_name, dtype)
    elif isinstance(X, pd.DataFrame):
        check_nan_padding(X, input_name)  # its advice for a DataFrame
        X = _dataframe_to_numeric(X, input_name)
    elif isinstance(X, pd.Series):
        X = X.to_numpy()

    if isinstance(X, list | tuple) or (isinstance(X, np.ndarray) and _is_ragged(X)):
        return _sequence_list(list(X), max_len, truncating, input_name, dtype)
    return _check_array(X, max_len, truncating, input_name, dtype)


def check_unmasked(X, input_name):
    """``X`` without a NumPy mask that hides nothing; a ValueError for one that hides
    values, in X or in one of its sequences: NumPy drops masks, so the values under one
    (a padding of -999) would be read as data."""
    arrays = [X] if isinstance(X, np.ma.MaskedArray) else []
    if isinstance(X, list | tuple):
        arrays = [seq for seq in X if isinstance(seq, np.ma.MaskedArray)]
    hidden = sum(int(np.ma.count_masked(a)) for a in arrays)
    if hidden:
        raise ValueError(
            f"{input_name} holds masked arrays with {hidden} masked value(s); the values "
            "under a mask would be read as data. Pass sequences of different lengths as a "
            "list of arrays, each holding its own steps only (for rows masked after their "
            "end: [row.compressed() for row in X])."
        )
    if isinstance(X, np.ma.MaskedArray):
        return X.data
    if arrays:
        return [seq.data if isinstance(seq, np.ma.MaskedArray) else seq for seq in X]
    return X


def is_nested_frame(X):
    """True for a DataFrame whose cells hold sequences (sktime's ``'nested_univ'`` form):
    a column of object dtype whose cell in the first row is an array-like, not a string.
    Its other columns need not be sequences: :func:`nested_frame_sequences` then reports
    any cell that is not one (a numeric column beside the series, such as a subject's
    age, by name)."""
    if not isinstance(X, pd.DataFrame) or X.shape[0] == 0 or X.shape[1] == 0:
        return False
    return any(
        pd.api.types.is_object_dtype(dtype) and _is_sequence_cell(cell)
        for dtype, cell in zip(X.dtypes, X.iloc[0], strict=True)
    )


def is_nested_array(X):
    """True for a 2-D object array whose first cell holds a sequence: a nested DataFrame's
    values (``X.to_numpy()``), read as that DataFrame is."""
    return (
        isinstance(X, np.ndarray)
        and X.dtype == object
        and X.ndim == 2
        and X.size > 0
        and _is_sequence_cell(X[0, 0])
    )


def frame_list_columns(X, input_name="X"):
    """The first DataFrame of a list of per-sequence DataFrames (each ``(T_i,
    n_features)``, its columns the features), or None when X is not such a list.

    The features are read by position, so every frame must have the first one's columns
    in its order: the estimators record them as ``feature_names_in_`` and check them at
    predict, as for a nested DataFrame.

    Raises
    ------
    ValueError
        For a frame whose columns differ from the first frame's.
    """
    if not isinstance(X, list | tuple) or not X:
        return None
    if not all(isinstance(frame, pd.DataFrame) for frame in X):
        return None
    columns = list(X[0].columns)
    for i, frame in enumerate(X[1:], start=1):
        if list(frame.columns) != columns:
            raise ValueError(
                f"The DataFrames of {input_name} are its sequences, and their columns its "
                f"features, read by position: every frame needs the columns of frame 0 "
                f"({columns[:10]}), in that order, but frame {i} has "
                f"{list(frame.columns)[:10]}."
            )
    return X[0]


def is_long_frame(X):
    """True for a DataFrame whose row index has two levels, as in sktime's
    ``'pd-multiindex'`` form: (instance, time point), one row per time step and one
    column per feature. A table of samples can have such an index too; the sequence
    estimators read it as this form only when ``y`` has one value per instance (see
    :func:`long_frame_sequences`)."""
    return (
        isinstance(X, pd.DataFrame) and isinstance(X.index, pd.MultiIndex) and X.index.nlevels == 2
    )


def long_frame_sequences(df):
    """The instances of a DataFrame in sktime's ``'pd-multiindex'`` form as a list of
    per-instance DataFrames ``(T_i, n_columns)``: in the order of each instance's first
    row, each with its rows in the order given, which sktime's form requires to be that
    of the time points. The sequence estimators read such a frame so themselves;
    scikit-learn's cross-validation and searches split X by rows, so pass them this
    list, which they split by instance.

    Raises
    ------
    ValueError
        When the time points of an instance are numbers or dates out of increasing order
        (sort the frame first: ``df.sort_index()``). Other time points (strings) are not
        compared: their rows are read in the order given.

    >>> import pandas as pd
    >>> from sknn.data.sequences import long_frame_sequences
    >>> index = pd.MultiIndex.from_tuples([("b", 0), ("a", 0), ("b", 1)])
    >>> df = pd.DataFrame({"x": [1.0, 2.0, 3.0]}, index=index)
    >>> [frame["x"].tolist() for frame in long_frame_sequences(df)]
    [[1.0, 3.0], [2.0]]
    """
    frames = [frame.droplevel(0) for _, frame in df.groupby(level=0, sort=False, dropna=False)]
    times = df.index.levels[1]
    if pd.api.types.is_numeric_dtype(times) or pd.api.types.is_datetime64_any_dtype(times):
        for number, frame in enumerate(frames):
            if not frame.index.is_monotonic_increasing:
                raise ValueError(
                    f"Instance {number} of the DataFrame (index {frame.index[:5].tolist()}"
                    "...) has time points out of increasing order; its rows are read as "
                    "consecutive time steps, in the order given. Sort it first: "
                    "X.sort_index()."
                )
    return frames


def _is_sequence_cell(cell):
    return not isinstance(cell, str | bytes) and np.ndim(cell) > 0


def nested_frame_sequences(df, input_name="X", dtype=np.float32):
    """The rows of a nested DataFrame as a list of ``(T_i, n_columns)`` arrays.

    Each row's cells are the features of its time steps, so they must have one length.

    Raises
    ------
    ValueError
        For a cell that holds a single value or a sequence of more than one dimension,
        and for a row whose cells differ in length.

    Examples
    --------
    >>> import pandas as pd
    >>> from sknn.data.sequences import nested_frame_sequences
    >>> df = pd.DataFrame({"a": [pd.Series([1.0, 2.0, 3.0]), pd.Series([4.0])],
    ...                    "b": [pd.Series([0.0, 0.0, 1.0]), pd.Series([5.0])]})
    >>> [seq.shape for seq in nested_frame_sequences(df)]
    [(3, 2), (1, 2)]
    """
    columns = list(df.columns)
    sequences = []
    for i, row in enumerate(df.itertuples(index=False, name=None)):
        cells = []
        for column, cell in zip(columns, row, strict=True):
            if not _is_sequence_cell(cell) or np.ndim(cell) != 1:
                single = not _is_sequence_cell(cell)
                what = "a single value" if single else f"{np.ndim(cell)}-D data"
                raise ValueError(
                    f"{input_name} is a nested DataFrame (its cells hold sequences), but row "
                    f"{i}, column {column!r} holds {what}; every cell must be a 1-D sequence "
                    "(the values of that column's feature at each time step)."
                )
            cells.append(_as_numeric(np.asarray(cell), input_name, dtype))
        lengths = {len(cell) for cell in cells}
        if len(lengths) > 1:
            found = ", ".join(
                f"{column!r}: {len(cell)}" for column, cell in zip(columns, cells, strict=True)
            )
            raise ValueError(
                f"Row {i} of the nested DataFrame {input_name} has cells of different lengths "
                f"({found}); its columns are the features of each time step and need one "
                "length per row."
            )
        sequences.append(np.stack(cells, axis=1))
    return sequences


def _is_ragged(X):
    return X.dtype == object and X.ndim == 1 and any(_ndim(x) > 0 for x in X)


def _ndim(seq):
    """``np.ndim(seq)``, and 1 where NumPy cannot make an array of ``seq`` (steps of
    different widths): a sequence all the same, which _sequence_list then reports by
    its number."""
    try:
        return np.ndim(seq)
    except ValueError:
        return 1


def _dataframe_to_numeric(df, input_name):
    non_numeric = [
        column for column, dtype in df.dtypes.items() if not pd.api.types.is_numeric_dtype(dtype)
    ]
    if non_numeric:
        raise ValueError(
            f"Input {input_name} must contain numeric values; columns {non_numeric[:5]} are not "
            "numeric. Convert your data to numeric values explicitly instead."
        )
    # na_value turns pandas' nullable NA into NaN, which the finiteness check then reports.
    return df.to_numpy(dtype=np.float64, na_value=np.nan)


def _as_numeric(array, input_name, dtype):
    """``array`` in ``dtype`` (float32 or float64), checked numeric and finite."""
    array = np.asarray(array)
    kind = array.dtype.kind
    if kind == "c":
        raise ValueError(f"Complex data not supported in {input_name}.")
    if kind == "O":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"Input {input_name} must contain numeric values, got dtype {array.dtype}. "
                "Convert your data to numeric values explicitly instead."
            ) from None
    elif kind not in "biuf":
        # Strings are refused even when they look like numbers, as scikit-learn does.
        raise ValueError(
            f"Input {input_name} must contain numeric values, got dtype {array.dtype}. "
            "Convert your data to numeric values explicitly instead."
        )
    if dtype == np.float32:
        return to_float32(array, input_name)
    array = array.astype(np.float64, copy=False)
    assert_all_finite(array, input_name=input_name)
    return array


def check_nan_padding(X, input_name="X"):
    """Raise a ValueError that names the padding when ``X``, an array of 2 or 3
    dimensions ``(n_samples, n_timesteps[, n_features])``, holds NaN only as whole steps at
    the end of some of its sequences: sequences of different lengths padded with NaN (as
    tslearn's ``to_time_series_dataset`` pads them). NaN is missing data to sknn, refused
    as in scikit-learn; the message says how to pass such sequences instead. Other
    arrays pass unchanged, to the finiteness check. A DataFrame of float columns is read
    as its 2-D array."""
    rows = input_name
    if isinstance(X, pd.DataFrame):
        if not all(dtype.kind == "f" for dtype in X.dtypes):
            return
        # Column by column first: no float64 copy of a frame that holds no NaN.
        if not any(X.iloc[:, j].hasnans for j in range(X.shape[1])):
            return
        nullable = any(isinstance(dtype, pd.api.extensions.ExtensionDtype) for dtype in X.dtypes)
        X = X.to_numpy(dtype=np.float64, na_value=np.nan)  # pandas' Float64 too
        rows = f"{input_name}.to_numpy({'float, na_value=np.nan' if nullable else ''})"
    if not isinstance(X, np.ndarray) or X.ndim not in (2, 3) or X.dtype.kind != "f":
        return
    with np.errstate(over="ignore", invalid="ignore"):
        if not np.isnan(X.sum()):  # no NaN (as scikit-learn's finiteness check first asks)
            return
    missing = np.isnan(X)
    if not missing.any():
        return
    steps = missing if X.ndim == 2 else missing.all(axis=2)
    if X.ndim == 3 and (missing.any(axis=2) != steps).any():
        return  # a step with some features missing: missing data, not padding
    # Padding: once a step is NaN, every later step of that sequence is.
    if (np.diff(steps.astype(np.int8), axis=1) < 0).any() or steps[:, 0].any():
        return
    padded = int(steps[:, -1].sum())
    keep = "~np.isnan(x)" if X.ndim == 2 else "~np.isnan(x).all(axis=1)"
    raise ValueError(
        f"Input {input_name} contains NaN: {padded} of its {len(X)} sequences end in "
        "steps of NaN, with none before, as when sequences of different lengths are "
        "padded with NaN (tslearn's to_time_series_dataset). sknn reads NaN as missing "
        "data, which it refuses. Pass the sequences as a list, each holding its own steps "
        f"only: [x[{keep}] for x in {rows}]; the sequence estimators pad them "
        "themselves and record their lengths."
    )


def readable_tensor(X):
    """A torch tensor as NumPy can read it: a nested tensor as the list of its
    sequences, and a tensor of a dtype NumPy lacks (bfloat16, float8) in float32. Any
    other X unchanged (torch is not imported for this)."""
    if getattr(X, "is_nested", False) is True and hasattr(X, "unbind"):
        return list(X.unbind())
    if str(getattr(X, "dtype", "")).startswith(("torch.bfloat16", "torch.float8")):
        return X.float()
    return X


def _check_array(X, max_len, truncating, input_name, dtype):
    X = np.asarray(X)
    if X.ndim not in (2, 3):
        raise ValueError(
            f"Expected a 2-D (n_samples, n_timesteps) or 3-D (n_samples, n_timesteps, "
            f"n_features) array, or a list of sequences, got {X.ndim}-D array instead "
            f"(shape={X.shape})."
        )
    for count, what in zip(X.shape, ["sample", "time step", "feature"], strict=False):
        if count == 0:
            raise ValueError(
                f"Found array with 0 {what}(s) (shape={X.shape}) while a minimum of 1 is required."
            )
    check_nan_padding(X, input_name)
    if X.ndim == 2:
        X = X[:, :, np.newaxis]
    X = _as_numeric(X, input_name, dtype)
    X = _cut(X, max_len, truncating, axis=1)
    return X, np.full(len(X), X.shape[1], dtype=np.int64)


def _sequence_list(sequences, max_len, truncating, input_name, dtype):
    if len(sequences) == 0:
        raise ValueError(f"Found {input_name} with 0 sample(s) while a minimum of 1 is required.")
    odd = next((seq for seq in sequences if isinstance(seq, dict | set | str | bytes)), None)
    if odd is not None:
        advice = (
            "A list of records is a table: pass pd.DataFrame(records), or one array of "
            "steps per sequence."
            if isinstance(odd, dict)
            else "Every sequence must be an array or a list of numbers."
        )
        raise ValueError(
            f"Expected a list of sequences (arrays or lists of numbers), got a "
            f"{type(odd).__name__} in {input_name}. {advice}"
        )
    if all(_ndim(seq) == 0 for seq in sequences):
        raise ValueError(
            f"Expected a list of sequences, got a flat list of {len(sequences)} numbers in "
            f"{input_name}. Wrap a single univariate sequence as [sequence], or pass a 2-D "
            "array for several sequences of the same length."
        )

    arrays = []
    for i, seq in enumerate(sequences):
        if seq is None:
            # Not NaN, which _as_numeric would make of it and then report.
            raise ValueError(f"Sequence {i} of {input_name} is None; expected a sequence.")
        if isinstance(seq, pd.DataFrame):  # its columns named, pandas' NA read as NaN
            seq = _dataframe_to_numeric(seq, f"{input_name} (sequence {i})")
        seq = readable_tensor(seq)
        try:
            array = _as_numeric(seq, input_name, dtype)
        except ValueError as error:
            if "inhomogeneous" not in str(error):
                raise
            raise ValueError(
                f"Sequence {i} of {input_name} has steps with different numbers of "
                "features; every step of every sequence needs the same number."
            ) from None
        if array.ndim == 1:
            array = array[:, np.newaxis]
        elif array.ndim != 2:
            raise ValueError(
                f"Sequence {i} of {input_name} has {array.ndim} dimension(s) (shape="
                f"{array.shape}); expected 1 (n_timesteps,) or 2 (n_timesteps, n_features)."
            )
        if array.shape[0] == 0:
            raise ValueError(
                f"Sequence {i} of {input_name} has length 0; every sequence needs at least "
                "one time step."
            )
        if array.shape[1] == 0:
            raise ValueError(
                f"Sequence {i} of {input_name} has 0 features while a minimum of 1 is required."
            )
        if arrays and array.shape[1] != arrays[0].shape[1]:
            rows = arrays[0].shape[0]
            hint = ""
            if array.shape[0] == rows < min(array.shape[1], arrays[0].shape[1]):
                # aeon's unequal-length collections: a list of (n_channels, n_timepoints).
                hint = (
                    f" Sequences 0 and {i} have {rows} step(s) each: aeon lays out each "
                    "series as (n_channels, n_timepoints); if these are "
                    f"{rows} channel(s) over {arrays[0].shape[1]}, {array.shape[1]}, ... time "
                    f"points, pass [x.T for x in {input_name}]."
                )
            raise ValueError(
                f"Sequences of {input_name} have inconsistent numbers of features: sequence 0 "
                f"has {arrays[0].shape[1]}, sequence {i} has {array.shape[1]}.{hint}"
            )
        arrays.append(_cut(array, max_len, truncating, axis=0))
    return arrays, np.array([len(array) for array in arrays], dtype=np.int64)


def _cut(X, max_len, truncating, axis):
    """``X`` with at most ``max_len`` steps along ``axis``, as ``truncating`` keeps them."""
    n_steps = X.shape[axis]
    if max_len is None or n_steps <= max_len:
        return X
    keep = slice(None, max_len) if truncating == "post" else slice(n_steps - max_len, None)
    return X[(slice(None),) * axis + (keep,)]


def truncate_sequences(sequences, lengths, max_len, truncating="post"):
    """Sequences and lengths from :func:`read_sequences`, cut to ``max_len`` steps as
    ``truncating`` says (for a reading without ``max_len`` whose lengths were checked
    first)."""
    if isinstance(sequences, np.ndarray):
        sequences = _cut(sequences, max_len, truncating, axis=1)
    else:
        sequences = [_cut(seq, max_len, truncating, axis=0) for seq in sequences]
    if max_len is not None:
        lengths = np.minimum(lengths, max_len)
    return sequences, lengths


def n_step_features(sequences):
    """The number of features per step of sequences from :func:`read_sequences`."""
    return sequences.shape[2] if isinstance(sequences, np.ndarray) else sequences[0].shape[1]


#: The most values :func:`padded_chunks` pads at once (unless one sequence has more): the
#: normalisations make several float64 copies of what they are given.
CHUNK_VALUES = 2**20


def padded_chunks(sequences, lengths, max_values=CHUNK_VALUES):
    """The sequences from :func:`read_sequences` zero-padded in chunks of rows.

    Each chunk is padded to its own longest sequence and holds at most ``max_values``
    values, or one sequence where that alone has more: a transform applied chunk by
    chunk then costs memory by the chunk, not by the whole padded array.

    Yields
    ------
    rows : slice
        The chunk's rows.
    padded : ndarray of shape (n_rows, n_timesteps, n_features)
        The chunk's sequences padded with zeros, in their dtype.
    lengths : ndarray of shape (n_rows,)
    """
    lengths = np.asarray(lengths)
    n_samples = len(lengths)
    if isinstance(sequences, np.ndarray):
        step = max(1, max_values // max(1, sequences[0].size))
        for start in range(0, n_samples, step):
            rows = slice(start, start + step)
            yield rows, sequences[rows], lengths[rows]
        return
    n_features = sequences[0].shape[1]
    start = 0
    while start < n_samples:
        stop, longest = start + 1, int(lengths[start])
        while stop < n_samples:
            wider = max(longest, int(lengths[stop]))
            if (stop + 1 - start) * wider * n_features > max_values:
                break
            stop, longest = stop + 1, wider
        padded = np.zeros((stop - start, longest, n_features), dtype=sequences[start].dtype)
        for i in range(start, stop):
            padded[i - start, : lengths[i]] = sequences[i]
        yield slice(start, stop), padded, lengths[start:stop]
        start = stop


def pad_sequences(
    sequences, lengths, *, transform=None, dtype=np.float32, max_values=CHUNK_VALUES
):
    """The sequences from :func:`read_sequences` as one zero-padded array.

    Parameters
    ----------
    sequences : ndarray of shape (n_samples, n_timesteps, n_features) or list of ndarray
    lengths : ndarray of shape (n_samples,)
    transform : callable, default=None
        ``transform(padded, lengths)`` of a chunk of rows (:func:`padded_chunks`), which
        keeps each padded step zero and may change the number of features. Applied chunk
        by chunk and written straight into the result, so that only the result is ever
        padded in full.
    dtype : dtype, default=np.float32
        The result's dtype.
    max_values : int, default=CHUNK_VALUES
        The most values of a chunk given to ``transform`` (see :func:`padded_chunks`).

    Returns
    -------
    X_padded : ndarray of shape (n_samples, max(lengths), n_features_out)
    """
    lengths = np.asarray(lengths)
    if transform is None and isinstance(sequences, np.ndarray):
        return np.ascontiguousarray(sequences, dtype=dtype)
    if transform is None:
        padded = np.zeros((len(lengths), lengths.max(), sequences[0].shape[1]), dtype=dtype)
        for i, seq in enumerate(sequences):
            padded[i, : len(seq)] = seq
        return padded
    padded = None
    for rows, chunk, chunk_lengths in padded_chunks(sequences, lengths, max_values):
        chunk = transform(chunk, chunk_lengths)
        if padded is None:
            padded = np.zeros((len(lengths), lengths.max(), chunk.shape[2]), dtype=dtype)
        padded[rows, : chunk.shape[1]] = chunk
    return padded


def normalize_series(X, lengths):
    """z-normalise each sequence, feature by feature, over its valid steps.

    The UCR convention for time-series classification: every sequence and feature is
    shifted to mean 0 and scaled to standard deviation 1 over its own steps (a constant one
    becomes zeros), which removes its offset and amplitude. Stateless: nothing is learned,
    so it is the same at fit and predict. The padding after a sequence's end stays zero.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_timesteps, n_features)
        Zero-padded sequences, as :func:`check_sequences` returns them.
    lengths : ndarray of shape (n_samples,)
        The true length of each sequence.

    Returns
    -------
    X_normalized : ndarray of shape (n_samples, n_timesteps, n_features), dtype float32

    Examples
    --------
    >>> import numpy as np
    >>> from sknn.data.sequences import check_sequences, normalize_series
    >>> X, lengths = check_sequences([[1.0, 2.0, 3.0], [5.0, 5.0]])
    >>> normalize_series(X, lengths)[:, :, 0].round(3)
    array([[-1.225,  0.   ,  1.225],
           [ 0.   ,  0.   ,  0.   ]], dtype=float32)
    """
    X = np.asarray(X, dtype=np.float64)
    mean, std = _series_moments(X, lengths)
    centred = np.where(_valid_steps(X, lengths), X - mean[:, np.newaxis], 0.0)
    scaled = centred / np.where(std == 0, 1.0, std)[:, np.newaxis]
    # A constant sequence's leftover rounding error is not scaled up: it becomes zeros.
    return np.where((std == 0)[:, np.newaxis], 0.0, scaled).astype(np.float32)


#: ``normalize='series_stats'``: a sequence's standard deviation below this fraction of
#: the training set's counts as this fraction (a constant sequence's log is not -inf).
SCALE_FLOOR = 1e-6


def series_statistics(X, lengths, mean, scale):
    """What z-normalising each sequence removes, as two features per original feature.

    For ``normalize='series_stats'``: each sequence's mean over its valid steps, relative
    to the training set's statistics (``(m - mean) / scale``), and the log of its standard
    deviation relative to the training set's (``log(s / scale)``, floored at
    ``log(SCALE_FLOOR)`` so that a constant sequence stays finite). On series that were
    z-normalised beforehand (most of the UCR archive) both are zero for every sequence;
    where the level and amplitude differ between sequences they keep that information
    for the network.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_timesteps, n_features)
        Zero-padded sequences, as :func:`check_sequences` returns them.
    lengths : ndarray of shape (n_samples,)
        The true length of each sequence.
    mean, scale : ndarray of shape (n_features,)
        The training set's statistics (:func:`channel_statistics`).

    Returns
    -------
    statistics : ndarray of shape (n_samples, 2 * n_features), dtype float32
        The relative means of the features, then their log relative standard deviations.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn.data.sequences import channel_statistics, check_sequences, series_statistics
    >>> X, lengths = check_sequences([[1.0, 3.0], [10.0, 30.0], [5.0, 5.0]])
    >>> mean, scale = channel_statistics(X, lengths)
    >>> series_statistics(X, lengths, mean, scale).round(2)
    array([[ -0.72,  -2.28],
           [  1.12,   0.02],
           [ -0.41, -13.82]], dtype=float32)
    """
    X = np.asarray(X, dtype=np.float64)
    series_mean, series_std = _series_moments(X, lengths)
    level = (series_mean - mean) / scale
    spread = np.log(np.maximum(series_std / scale, SCALE_FLOOR))
    return np.concatenate([level, spread], axis=1).astype(np.float32)


#: ``normalize='series_stats'``: a statistic whose standard deviation over the training
#: sequences is at most this is constant there (series z-normalised beforehand) and left out.
STATISTICS_MIN_SPREAD = 1e-3


def varying_statistics(statistics, sample_weight=None):
    """Which columns of :func:`series_statistics` vary across the training sequences.

    A column whose standard deviation over the sequences is at most
    ``STATISTICS_MIN_SPREAD`` tells the sequences apart by rounding error only (on series
    z-normalised beforehand, every mean is 0 and every standard deviation 1, up to float32
    rounding): leaving it out makes ``normalize='series_stats'`` train exactly the network
    of ``normalize='series'`` on such data.

    Parameters
    ----------
    statistics : ndarray of shape (n_samples, n_statistics)
    sample_weight : ndarray of shape (n_samples,), default=None
        Weights of the sequences in the standard deviation: a sequence of weight zero
        counts as left out, one of weight 2 as given twice.

    Returns
    -------
    mask : ndarray of shape (n_statistics,), dtype bool

    Examples
    --------
    >>> import numpy as np
    >>> from sknn.data.sequences import varying_statistics
    >>> varying_statistics(np.array([[0.0, 1e-6, 2.0], [0.0, -1e-6, 3.0]]))
    array([False, False,  True])
    """
    statistics = np.asarray(statistics)
    if sample_weight is None:
        return statistics.std(axis=0) > STATISTICS_MIN_SPREAD
    weight = np.asarray(sample_weight, dtype=np.float64)[:, np.newaxis]
    mean = (weight * statistics).sum(axis=0) / weight.sum()
    spread = np.sqrt((weight * np.square(statistics - mean)).sum(axis=0) / weight.sum())
    return spread > STATISTICS_MIN_SPREAD


def with_series_statistics(X, lengths, statistics):
    """``X`` with ``statistics`` (one row per sequence) appended as features at every valid
    step; the padding stays zero."""
    repeated = np.broadcast_to(
        statistics[:, np.newaxis, :], (X.shape[0], X.shape[1], statistics.shape[1])
    )
    repeated = np.where(_valid_steps(X, lengths), repeated, 0.0)
    return np.concatenate([X, repeated], axis=2).astype(np.float32)


def with_time_index(X, lengths, span):
    """``X`` with each step's position in time appended as one more feature.

    For ``time_index=True`` of the sequence estimators: step ``t`` (counted from each
    sequence's first step) gets ``2 * t / (span - 1) - 1``, a ramp from -1 at the first
    step to 1 at step ``span - 1``, the same for every sequence, so that sequences of
    different lengths agree on what a step's value means; steps beyond ``span`` continue
    the ramp past 1. The padding after a sequence's end stays zero.

    Convolutions with global average pooling do not see where in a sequence a pattern
    lies; this feature tells them, which helps on series aligned in time (the hours of a
    day, the samples after a trigger) and hurts where the starting point is arbitrary
    (outlines traced from any point).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_timesteps, n_features)
        Zero-padded sequences, as :func:`check_sequences` returns them.
    lengths : ndarray of shape (n_samples,)
        The true length of each sequence.
    span : int
        The length over which the ramp goes from -1 to 1: the longest training sequence.

    Returns
    -------
    X_with_time : ndarray of shape (n_samples, n_timesteps, n_features + 1), dtype float32

    Examples
    --------
    >>> import numpy as np
    >>> from sknn.data.sequences import check_sequences, with_time_index
    >>> X, lengths = check_sequences([[5.0, 6.0, 7.0], [8.0, 9.0]])
    >>> with_time_index(X, lengths, span=3)[:, :, 1]
    array([[-1.,  0.,  1.],
           [-1.,  0.,  0.]], dtype=float32)
    """
    n_samples, n_timesteps = X.shape[:2]
    ramp = 2.0 * np.arange(n_timesteps) / max(span - 1, 1) - 1.0
    ramp = np.broadcast_to(ramp[np.newaxis, :, np.newaxis], (n_samples, n_timesteps, 1))
    ramp = np.where(_valid_steps(X, lengths), ramp, 0.0)
    return np.concatenate([X, ramp], axis=2).astype(np.float32)


def _series_moments(X, lengths):
    """Each sequence's mean and standard deviation over its valid steps, feature by
    feature: two ``(n_samples, n_features)`` float64 arrays."""
    valid = _valid_steps(X, lengths)
    count = np.maximum(np.asarray(lengths), 1)[:, np.newaxis]
    mean = np.where(valid, X, 0.0).sum(axis=1, dtype=np.float64) / count
    centred = np.where(valid, X - mean[:, np.newaxis], 0.0)
    var = np.square(centred, dtype=np.float64).sum(axis=1) / count
    return mean, np.sqrt(np.where(_is_constant(var, mean, count), 0.0, var))


def _is_constant(var, mean, count):
    """Whether a variance computed in two passes over ``count`` values of mean ``mean`` is
    within its rounding error of zero: the bound of scikit-learn's ``StandardScaler``
    (Chan, Golub and LeVeque), so that a constant feature, whose computed variance is a
    rounding error such as 1e-31, counts as constant and is not divided by its square root."""
    eps = np.finfo(np.float64).eps
    return var <= count * eps * var + (count * mean * eps) ** 2


def channel_statistics(X, lengths, sample_weight=None):
    """Mean and scale of each feature over the valid steps of every sequence.

    What ``normalize='channel'`` learns at fit: the statistics of the training set, as a
    :class:`~sklearn.preprocessing.StandardScaler` would take them over all the steps
    stacked, with the padding left out. A constant feature gets scale 1.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_timesteps, n_features) or list of ndarray
        Zero-padded sequences, as :func:`check_sequences` returns them, or the sequences
        of :func:`read_sequences`.
    lengths : ndarray of shape (n_samples,)
        The true length of each sequence.
    sample_weight : ndarray of shape (n_samples,), default=None
        Weights of the sequences, given to each of their steps, as
        ``StandardScaler.fit(sample_weight=...)`` weighs rows: a sequence of weight zero
        counts as left out, one of weight 2 as given twice.

    Returns
    -------
    mean, scale : ndarray of shape (n_features,), dtype float64

    Examples
    --------
    >>> from sknn.data.sequences import channel_statistics, check_sequences
    >>> X, lengths = check_sequences([[1.0, 2.0, 3.0], [5.0]])
    >>> channel_statistics(X, lengths)
    (array([2.75]), array([1.47901995]))
    """
    values = _valid_values(X, lengths)
    if sample_weight is None:
        count = max(len(values), 1)
        mean = values.sum(axis=0, dtype=np.float64) / count
        var = np.square(values - mean.astype(values.dtype), dtype=np.float64).sum(axis=0) / count
    else:
        weight = np.repeat(np.asarray(sample_weight, dtype=np.float64), lengths)[:, np.newaxis]
        count = max(float(weight.sum()), np.finfo(float).tiny)
        mean = (weight * values).sum(axis=0) / count
        var = (weight * np.square(values - mean)).sum(axis=0) / count
    scale = np.sqrt(var)
    scale[_is_constant(var, mean, count)] = 1.0
    return mean, scale


def standardize_channels(X, lengths, mean, scale):
    """Standardise each feature with given statistics (:func:`channel_statistics`).

    ``(x - mean) / scale`` on the valid steps; the padding after each sequence's end
    stays zero.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_timesteps, n_features)
        Zero-padded sequences, as :func:`check_sequences` returns them.
    lengths : ndarray of shape (n_samples,)
        The true length of each sequence.
    mean, scale : ndarray of shape (n_features,)

    Returns
    -------
    X_standardized : ndarray of shape (n_samples, n_timesteps, n_features), dtype float32
    """
    # float64 sequences are centred in float64: the cast comes after (see check_sequences).
    dtype = np.float64 if X.dtype == np.float64 else np.float32
    standardized = (X - mean.astype(dtype)) / scale.astype(dtype)
    return np.where(_valid_steps(X, lengths), standardized, 0.0).astype(np.float32)


def _valid_values(X, lengths):
    """The values of every valid step of ``X`` (padded, or from :func:`read_sequences`),
    stacked: ``(sum(lengths), n_features)``."""
    if isinstance(X, list | tuple):
        return np.concatenate(X, axis=0)
    if np.all(np.asarray(lengths) == X.shape[1]):
        return X.reshape(-1, X.shape[2])
    return X[_valid_steps(X, lengths)[:, :, 0]]


def _valid_steps(X, lengths):
    """``(n_samples, n_timesteps, 1)``: True on each sequence's steps, False on padding."""
    return (np.arange(X.shape[1]) < np.asarray(lengths)[:, np.newaxis])[:, :, np.newaxis]
