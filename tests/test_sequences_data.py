import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal

from sknn.data.sequences import check_sequences


def test_3d_array_is_kept_with_full_lengths():
    X = np.arange(24, dtype=np.int64).reshape(2, 4, 3)
    X_padded, lengths = check_sequences(X)
    assert X_padded.dtype == np.float32 and X_padded.shape == (2, 4, 3)
    assert lengths.dtype == np.int64
    assert_array_equal(X_padded, X)
    assert_array_equal(lengths, [4, 4])


@pytest.mark.parametrize(
    "make", [np.asarray, pd.DataFrame, lambda a: a.tolist()], ids=["array", "frame", "list"]
)
def test_2d_input_is_univariate(make):
    X = np.arange(6.0).reshape(2, 3)
    X_padded, lengths = check_sequences(make(X))
    assert X_padded.shape == (2, 3, 1)
    assert_array_equal(X_padded[..., 0], X)
    assert_array_equal(lengths, [3, 3])


@pytest.mark.parametrize(
    "wrap",
    [list, tuple, lambda seqs: pd.Series(seqs), lambda seqs: np.array(seqs, dtype=object)],
    ids=["list", "tuple", "series", "object-array"],
)
def test_ragged_univariate_sequences_are_padded(wrap):
    sequences = [np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0, 6.0]), np.array([7.0])]
    X_padded, lengths = check_sequences(wrap(sequences))
    assert X_padded.shape == (3, 4, 1)
    assert_array_equal(lengths, [2, 4, 1])
    for row, seq in zip(X_padded, sequences, strict=True):
        assert_array_equal(row[: len(seq), 0], seq)
        assert_array_equal(row[len(seq) :], 0)


def test_ragged_multivariate_sequences_are_padded():
    sequences = [np.ones((2, 3)), pd.DataFrame(np.full((5, 3), 2.0)), [[3, 3, 3]]]
    X_padded, lengths = check_sequences(sequences)
    assert X_padded.shape == (3, 5, 3)
    assert_array_equal(lengths, [2, 5, 1])
    assert_array_equal(X_padded[0, 2:], 0)
    assert_array_equal(X_padded[2, 0], [3, 3, 3])


def test_nested_dataframe_rows_are_sequences():
    # sktime's 'nested_univ' form: a row per sample, a column per feature, each cell the
    # feature's values over that row's steps; rows may differ in length.
    nested = pd.DataFrame(
        {
            "dim_0": [pd.Series([1.0, 2.0, 3.0]), np.array([4.0]), [5, 6]],
            "dim_1": [pd.Series([7.0, 8.0, 9.0], index=[5, 6, 7]), np.array([0.5]), [1, 2]],
        }
    )
    X_padded, lengths = check_sequences(nested)
    assert X_padded.shape == (3, 3, 2)
    assert_array_equal(lengths, [3, 1, 2])
    assert_array_equal(X_padded[0], [[1, 7], [2, 8], [3, 9]])
    assert_array_equal(X_padded[1], [[4, 0.5], [0, 0], [0, 0]])
    assert_array_equal(X_padded[2, :2], [[5, 1], [6, 2]])


@pytest.mark.parametrize(
    "cells, match",
    [
        (
            {"a": [[1.0, 2.0], [3.0]], "b": [[1.0], [3.0]]},
            r"Row 0 .* different lengths \('a': 2, 'b': 1\)",
        ),
        ({"a": [[1.0, 2.0], 3.0]}, "row 1, column 'a' holds a single value"),
        ({"a": [[1.0, 2.0], np.ones((2, 2))]}, "row 1, column 'a' holds 2-D data"),
        ({"a": [[1.0, 2.0], ["x", "y"]]}, "must contain numeric values"),
        ({"a": [[1.0, 2.0], [np.nan, 1.0]]}, "Input X contains NaN"),
    ],
)
def test_nested_dataframe_errors_name_the_cell(cells, match):
    with pytest.raises(ValueError, match=match):
        check_sequences(pd.DataFrame(cells))


def test_nothing_is_truncated_by_default():
    sequences = [np.arange(1000.0), np.arange(3.0)]
    X_padded, lengths = check_sequences(sequences)
    assert X_padded.shape == (2, 1000, 1)
    assert_array_equal(lengths, [1000, 3])


@pytest.mark.parametrize(
    "truncating, expected", [("post", [0.0, 1.0, 2.0]), ("pre", [2.0, 3.0, 4.0])]
)
def test_max_len_truncates_when_set(truncating, expected):
    X_padded, lengths = check_sequences(
        [np.arange(5.0), np.arange(2.0)], max_len=3, truncating=truncating
    )
    assert X_padded.shape == (2, 3, 1)
    assert_array_equal(lengths, [3, 2])
    assert_array_equal(X_padded[0, :, 0], expected)

    X_padded, lengths = check_sequences(
        np.arange(10.0).reshape(2, 5), max_len=3, truncating=truncating
    )
    assert X_padded.shape == (2, 3, 1)
    assert_array_equal(lengths, [3, 3])
    assert_array_equal(X_padded[0, :, 0], expected)


def test_input_is_not_modified():
    X = np.arange(6.0).reshape(1, 3, 2)
    X_padded, _ = check_sequences(X)
    X_padded[:] = -1
    assert X[0, 0, 0] == 0


@pytest.mark.parametrize(
    "X, match",
    [
        ([], "0 sample"),
        (np.zeros((0, 3)), "0 sample"),
        (np.zeros((0, 3, 2)), "0 sample"),
        (np.zeros((2, 0)), "0 time step"),
        (np.zeros((2, 3, 0)), "0 feature"),
        ([np.arange(3.0), np.array([])], "Sequence 1 of X has length 0"),
        ([np.ones((2, 3)), np.ones((4, 2))], "inconsistent numbers of features"),
        ([np.ones(2), np.ones((4, 2))], "inconsistent numbers of features"),
        (np.array([[1.0, np.nan]]), "Input X contains NaN"),
        ([np.array([1.0]), np.array([2.0, np.nan])], "Input X contains NaN"),
        (pd.DataFrame({"a": pd.array([1, None], dtype="Int64")}), "Input X contains NaN"),
        (np.array([[1.0, np.inf]]), "infinity"),
        ([[1e300]], "infinity"),
        (np.arange(3.0), "got 1-D array"),
        (np.zeros((1, 2, 2, 2)), "got 4-D array"),
        ([1.0, 2.0, 3.0], "flat list"),
        ([np.zeros((2, 2, 2))], "Sequence 0 of X has 3 dimension"),
        ([None, np.ones((6, 2))], "Sequence 0 of X is None"),
        ([[[1, 2], [3, 4]], [[1, 2], [3]]], "Sequence 1 of X has steps with different numbers"),
        ([[[1, 2], [3]], [[1, 2]]], "Sequence 0 of X has steps with different numbers"),
        ([{"a": 1}, {"a": 2}], "got a dict in X. A list of records is a table"),
        (np.array([["a", "b"]]), "must contain numeric values"),
        (np.array([["1", "2"]]), "must contain numeric values"),
        ([["a", "b"], ["c"]], "must contain numeric values"),
        (np.array([[object()]], dtype=object), "must contain numeric values"),
        (pd.DataFrame({"a": [1.0], "b": ["x"]}), r"columns \['b'\] are not numeric"),
        (np.array([[1 + 1j]]), "Complex data"),
    ],
)
def test_invalid_input(X, match):
    with pytest.raises(ValueError, match=match):
        check_sequences(X)


def test_sparse_input_is_refused():
    with pytest.raises(TypeError, match="dense data is required"):
        check_sequences(sp.csr_matrix(np.eye(3)))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(max_len=0), "max_len"),
        (dict(max_len=2.5), "max_len"),
        (dict(truncating="middle"), "truncating"),
    ],
)
def test_invalid_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        check_sequences(np.ones((2, 3)), **kwargs)


def test_input_name_in_messages():
    with pytest.raises(ValueError, match="Input X_val contains NaN"):
        check_sequences(np.array([[np.nan]]), input_name="X_val")


def test_float64_keeps_a_small_signal_on_a_large_offset():
    # Non-regression: check_sequences always cast to float32, whose values near 1e6 are
    # 0.0625 apart, so a sensor's 0.01 variations were gone before any normalisation.
    X = 1e6 + 0.01 * np.sin(np.arange(40.0))[np.newaxis, :]
    X_padded, _ = check_sequences(X, dtype=np.float64)
    assert X_padded.dtype == np.float64
    assert_array_equal(X_padded[0, :, 0], X[0])
    assert check_sequences(X)[0].dtype == np.float32  # the default is unchanged
    with pytest.raises(ValueError, match="dtype"):
        check_sequences(X, dtype=np.int64)


def test_a_numeric_column_beside_nested_series_is_named():
    # Non-regression: a nested frame with one ordinary numeric column (a subject's age)
    # was read as a table, and the error said that its series columns "hold text".
    nested = pd.DataFrame(
        {"dim_0": [pd.Series([1.0, 2.0]), pd.Series([3.0])], "age": np.array([30, 40])}
    )
    with pytest.raises(ValueError, match="row 0, column 'age' holds a single value"):
        check_sequences(nested)


def test_a_list_of_frames_needs_one_set_of_columns():
    # Non-regression: the columns of per-sequence DataFrames were taken by position, so
    # frames whose columns were swapped or renamed were read without a word.
    first = pd.DataFrame({"temp": [1.0, 2.0], "volt": [3.0, 4.0]})
    X_padded, _ = check_sequences([first, first.iloc[:1]])
    assert_array_equal(X_padded[0], [[1, 3], [2, 4]])
    with pytest.raises(ValueError, match=r"frame 1 has \['volt', 'temp'\]"):
        check_sequences([first, first[["volt", "temp"]]])


@pytest.mark.parametrize("value", [0.1, 0.3, 0.7, 5.0, 1e6])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_constant_sequence_normalises_to_zeros(value, dtype):
    # Its computed standard deviation is a rounding error (1e-17), not 0: divided by it,
    # the leftover error became -1, 0 or +1 by the level.
    from sknn.data.sequences import normalize_series, series_statistics

    X, lengths = check_sequences([[value] * 3, [value] * 7, [1.0, 2.0]], dtype=dtype)
    Z = normalize_series(X, lengths)
    assert_array_equal(Z[:2], 0.0)
    np.testing.assert_allclose(Z[2, :2, 0], [-1.0, 1.0])
    spread = series_statistics(X, lengths, np.zeros(1), np.ones(1))[:, 1]
    np.testing.assert_allclose(spread[:2], np.log(1e-6), rtol=1e-6)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_constant_channel_gets_scale_one(weighted, dtype):
    # As StandardScaler: a variance within its rounding error of 0 is a constant feature.
    from sknn.data.sequences import channel_statistics

    rng = np.random.RandomState(0)
    X = np.empty((60, 16, 2))
    X[:, :, 0] = rng.randn(60, 16)
    X[:, :, 1] = 0.1
    X, lengths = check_sequences(X, dtype=dtype)
    weight = rng.uniform(0.5, 2.0, 60) if weighted else None
    mean, scale = channel_statistics(X, lengths, sample_weight=weight)
    assert scale[1] == 1.0
    assert 0.9 < scale[0] < 1.1


@pytest.mark.parametrize("regular", [False, True])
@pytest.mark.parametrize("max_values", [1, 7, 100, 10**6])
def test_padding_by_chunks_equals_padding_at_once(regular, max_values):
    # The estimators normalise and pad a chunk of rows at a time (one long sequence no
    # longer costs every other its length in float64 copies): the chunks must cover every
    # row once, each padded to its own longest, and give what the whole padded array gives.
    from sknn.data.sequences import (
        normalize_series,
        pad_sequences,
        padded_chunks,
        read_sequences,
    )

    rng = np.random.RandomState(0)
    if regular:
        X = rng.normal(size=(30, 9, 2))
    else:
        X = [rng.normal(size=(rng.choice([1, 3, 40]), 2)) for _ in range(30)]
    sequences, lengths = read_sequences(X, dtype=np.float64)
    whole = pad_sequences(sequences, lengths, dtype=np.float64)
    covered = []
    for rows, chunk, chunk_lengths in padded_chunks(sequences, lengths, max_values):
        assert chunk.shape[1] == chunk_lengths.max()
        assert chunk.size <= max_values or len(chunk) == 1
        assert_array_equal(chunk, whole[rows, : chunk.shape[1]])
        covered.extend(range(len(lengths))[rows])
    assert covered == list(range(len(lengths)))
    by_chunks = pad_sequences(
        sequences, lengths, transform=normalize_series, max_values=max_values
    )
    assert by_chunks.dtype == np.float32
    assert_array_equal(by_chunks, normalize_series(whole, lengths))


def test_nan_padding_is_named_with_the_list_to_pass_instead():
    # Sequences of different lengths padded with NaN after their ends (tslearn's
    # to_time_series_dataset): refused as NaN, with the list that reads them.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(6, 5, 2))
    X[1, 3:] = np.nan
    X[4, 2:] = np.nan
    with pytest.raises(ValueError, match=r"2 of its 6 sequences end in steps of NaN") as info:
        check_sequences(X)
    fix = "[x[~np.isnan(x).all(axis=1)] for x in X]"
    assert fix in str(info.value)
    padded, lengths = check_sequences([x[~np.isnan(x).all(axis=1)] for x in X])
    assert lengths.tolist() == [5, 3, 5, 5, 2, 5]
    with pytest.raises(ValueError, match=r"\[x\[~np.isnan\(x\)\] for x in X\]"):
        check_sequences(X[:, :, 0])  # the 2-D form
    # A DataFrame (pandas' pivot of long data pads with NaN), nullable floats too: the
    # advice loops over its rows, not its column labels.
    frame = pd.DataFrame(X[:, :, 0])
    for form in (frame, frame.astype("Float64")):
        with pytest.raises(ValueError, match=r"for x in X\.to_numpy\(") as info:
            check_sequences(form)
        advice = str(info.value).split("only: ")[1].split(";")[0]
        assert check_sequences(eval(advice, {"np": np, "X": form}))[1].tolist() == [
            5,
            3,
            5,
            5,
            2,
            5,
        ]
    # Missing values elsewhere are plain NaN, as scikit-learn reports them.
    for hole in [(1, 1, slice(None)), (1, 4, 0), (2, 0, slice(None))]:
        Y = rng.normal(size=(6, 5, 2))
        Y[hole] = np.nan
        with pytest.raises(ValueError, match=r"^Input X contains NaN\.$"):
            check_sequences(Y)


def test_channels_first_list_is_named():
    # aeon's unequal-length collections: a list of (n_channels, n_timepoints) arrays.
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(2, 5 + i)) for i in range(4)]
    with pytest.raises(ValueError, match=r"pass \[x\.T for x in X\]"):
        check_sequences(X)
    padded, lengths = check_sequences([x.T for x in X])
    assert padded.shape == (4, 8, 2) and lengths.tolist() == [5, 6, 7, 8]
