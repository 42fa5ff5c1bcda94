import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.model_selection import TimeSeriesSplit, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn.estimators.sequence import SequenceRegressor
from sknn.timeseries import (
    LagWindows,
    PastRows,
    TimeOrderedSplit,
    last_fraction_split,
    make_windows,
)


def _time_frame(n_steps=30):
    # Each value is its own time stamp (exog offset by 1000), so a window's values say which
    # times it looks at.
    time = np.arange(n_steps, dtype=float)
    return pd.DataFrame({"load": time, "temp": time + 1000, "unused": -1.0})


@pytest.mark.parametrize("horizon", [1, 3])
@pytest.mark.parametrize("stride", [1, 2, 5])
@pytest.mark.parametrize("window", [1, 4])
def test_every_target_is_after_every_feature_of_its_row(window, horizon, stride):
    frame = _time_frame()
    X, y = make_windows(
        frame, window, horizon, stride=stride, target="load", exog="temp", flatten=False
    )
    feature_times = np.concatenate([X[:, :, 0], X[:, :, 1] - 1000], axis=1)
    target_times = y.reshape(len(y), -1)
    assert np.all(target_times.min(axis=1) > feature_times.max(axis=1))
    # The first target is exactly the step after the window, and rows advance by stride.
    assert_array_equal(target_times[:, 0], feature_times.max(axis=1) + 1)
    assert_array_equal(np.diff(X[:, -1, 0]), stride)
    assert len(X) == (30 - window - horizon) // stride + 1
    # The last row uses the last observation as its last target.
    assert target_times[-1, -1] == 29 or stride > 1


def test_time_series_split_over_rows_never_trains_on_test_targets():
    horizon = 3
    X, y = make_windows(np.arange(60.0), window=5, horizon=horizon)
    cv = TimeSeriesSplit(n_splits=4, gap=horizon - 1)
    for train_idx, test_idx in cv.split(X):
        # Times seen in training, as features or targets, all precede every test target.
        seen = np.concatenate([X[train_idx].ravel(), y[train_idx].ravel()])
        assert seen.max() < y[test_idx].min()


def test_pipeline_with_time_series_split_just_works():
    rng = np.random.RandomState(0)
    t = np.arange(300)
    series = np.sin(t / 8) + 0.05 * rng.randn(len(t))
    X, y = make_windows(series, window=12)
    pipeline = make_pipeline(StandardScaler(), Ridge(alpha=1e-3))
    scores = cross_val_score(pipeline, X, y, cv=TimeSeriesSplit(n_splits=3))
    assert scores.min() > 0.9
    # Forecast the step after the end of the series from the latest window.
    pipeline.fit(X, y)
    latest = LagWindows(window=12).fit_transform(series)[-1:]
    assert_array_equal(latest[0], series[-12:])
    assert abs(pipeline.predict(latest)[0] - np.sin(300 / 8)) < 0.2


def test_y_layout():
    frame = pd.DataFrame({"a": np.arange(10.0), "b": np.arange(10.0) * 10})
    X, y = make_windows(frame, window=2, horizon=3)
    assert X.shape == (6, 4) and y.shape == (6, 6)
    # Step-major: a(t+1), b(t+1), a(t+2), b(t+2), ...
    assert_array_equal(y[0], [2, 20, 3, 30, 4, 40])
    _, y = make_windows(frame, window=2, horizon=1, target="a")
    assert y.shape == (8,)
    _, y = make_windows(frame, window=2, horizon=2, target="a")
    assert_array_equal(y[0], [2, 3])


def test_flat_layout_is_time_major_and_matches_3d():
    frame = _time_frame(10)
    X2, _ = make_windows(frame, 3, target="load", exog=["temp"])
    X3, _ = make_windows(frame, 3, target="load", exog=["temp"], flatten=False)
    assert X3.shape == (7, 3, 2) and X2.shape == (7, 6)
    assert_array_equal(X2, X3.reshape(7, -1))
    assert_array_equal(X2[0], [0, 1000, 1, 1001, 2, 1002])


@pytest.mark.parametrize(
    "series",
    [np.arange(8.0), pd.Series(np.arange(8.0), name="y"), np.arange(8.0)[:, None]],
    ids=["array", "series", "column"],
)
def test_univariate_forms_agree(series):
    X, y = make_windows(series, window=3)
    assert_array_equal(X[0], [0, 1, 2])
    assert_array_equal(y, np.arange(3.0, 8.0))


def test_array_columns_by_index():
    values = np.column_stack([np.arange(6.0), np.arange(6.0) + 100])
    X, y = make_windows(values, 2, target=1, exog=0)
    assert_array_equal(X[0], [100, 0, 101, 1])
    assert_array_equal(y[:2], [102, 103])


@pytest.mark.parametrize("stride", [1, 3])
def test_lag_windows_rows_extend_make_windows_rows(stride):
    frame = _time_frame(20)
    params = dict(stride=stride, target="load", exog="temp")
    X, _ = make_windows(frame, 4, 2, **params)
    windows = LagWindows(4, **params).fit_transform(frame)
    assert_array_equal(windows[: len(X)], X)
    assert len(windows) == (20 - 4) // stride + 1
    if stride == 1:
        assert windows[-1, -2] == 19  # the last row ends at the last observation


def test_lag_windows_feature_names_and_attributes():
    frame = _time_frame(10)
    windows = LagWindows(2, target="load", exog="temp").fit(frame)
    assert windows.n_features_in_ == 3
    assert_array_equal(windows.feature_names_in_, ["load", "temp", "unused"])
    assert_array_equal(
        windows.get_feature_names_out(), ["load_t-1", "temp_t-1", "load_t", "temp_t"]
    )
    assert windows.transform(frame).shape == (9, 4)
    flat = clone(windows).set_params(flatten=False).fit(frame)
    assert_array_equal(flat.get_feature_names_out(), ["load", "temp"])
    assert flat.transform(frame).shape == (9, 2, 2)
    assert not hasattr(LagWindows(2).fit(np.arange(5.0)), "feature_names_in_")


def test_lag_windows_transform_checks_columns_and_length():
    frame = _time_frame(10)
    windows = LagWindows(4, target="load").fit(frame)
    with pytest.raises(ValueError, match="feature names should match those that were passed"):
        windows.transform(frame.rename(columns={"temp": "temperature"}))
    with pytest.raises(ValueError, match="expecting 3 columns"):
        windows.transform(frame[["load", "temp"]])
    with pytest.raises(ValueError, match="fewer than window=4"):
        windows.transform(frame.iloc[:3])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(window=0), "window"),
        (dict(window=3, horizon=0), "horizon"),
        (dict(window=3, stride=0), "stride"),
        (dict(window=8), "need at least 9"),
        (dict(window=2, target="nope"), "not one of the series' column names"),
        (dict(window=2, target="load", exog="load"), "both target and exog"),
        (dict(window=2, exog=["load", "temp", "unused"]), "No target column left"),
    ],
)
def test_make_windows_invalid(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_windows(_time_frame(8), **kwargs)


def test_make_windows_invalid_series():
    with pytest.raises(ValueError, match="column indices"):
        make_windows(np.arange(8.0), 2, target="load")
    with pytest.raises(ValueError, match="3-D"):
        make_windows(np.zeros((8, 2, 2)), 2)
    with pytest.raises(ValueError, match="numeric"):
        make_windows(np.array(["a"] * 8), 2)


@pytest.mark.parametrize("gap", [0, 1, 4])
@pytest.mark.parametrize(
    "n_samples, fraction, n_valid",
    # 0.3 * 10 is 3.0000000000000004 in floating point: still 3 rows, not 4.
    [(10, 0.2, 2), (101, 0.1, 11), (9, 0.3, 3), (10, 0.3, 3)],
)
def test_last_fraction_split_is_time_ordered(n_samples, fraction, n_valid, gap):
    train_idx, valid_idx = last_fraction_split(n_samples, fraction, gap=gap)
    assert valid_idx.min() > train_idx.max() + gap
    assert len(valid_idx) == n_valid
    assert valid_idx.max() == n_samples - 1
    assert len(train_idx) + len(valid_idx) + gap == n_samples
    assert_array_equal(np.diff(train_idx), 1)
    assert_array_equal(np.diff(valid_idx), 1)


@pytest.mark.parametrize(
    "args, match",
    [
        ((10, 0.0), "validation_fraction"),
        ((10, 1.0), "validation_fraction"),
        ((10, 0.2, -1), "gap"),
        ((10, 0.5, 5), "no training sample"),
        ((10.0, 0.2), "n_samples"),
    ],
)
def test_last_fraction_split_invalid(args, match):
    with pytest.raises(ValueError, match=match):
        last_fraction_split(*args)


def test_time_ordered_split_is_a_splitter():
    cv = TimeOrderedSplit(validation_fraction=0.25, gap=2)
    assert cv.get_n_splits() == 1
    ((train_idx, valid_idx),) = list(cv.split(np.zeros((20, 3))))
    expected = last_fraction_split(20, 0.25, gap=2)
    assert_array_equal(train_idx, expected[0])
    assert_array_equal(valid_idx, expected[1])
    scores = cross_val_score(Ridge(), np.random.rand(20, 3), np.random.rand(20), cv=cv)
    assert scores.shape == (1,)


# -- PastRows: a time-ordered table as sequences (#20) ------------------------------------------
def test_past_rows_reads_only_earlier_rows_and_continues_the_fit_rows():
    rows = np.arange(20.0).reshape(10, 2)
    past = PastRows(window=4)
    train = past.fit_transform(rows[:6])
    assert [len(x) for x in train] == [1, 2, 3, 4, 4, 4]
    np.testing.assert_array_equal(train[5], rows[2:6])
    test = past.transform(rows[6:])
    # The test rows continue the training rows: their past comes from the end of the fit.
    for i, x in enumerate(test, start=6):
        np.testing.assert_array_equal(x, rows[i - 3 : i + 1])
    assert past.n_features_in_ == 2 and past.history_.shape == (3, 2)
    with pytest.raises(ValueError, match="expecting 2 features"):
        past.transform(rows[:, :1])
    with pytest.raises(ValueError, match="'window' parameter"):
        PastRows(window=0).fit(rows)


def test_past_rows_feed_a_sequence_estimator_in_a_time_series_split():
    rng = np.random.RandomState(0)
    x = np.cumsum(rng.normal(size=120))
    X = np.column_stack([x, np.roll(x, 1)])
    y = np.roll(x, -1)[:-1]  # tomorrow's value
    model = make_pipeline(
        PastRows(window=5),
        SequenceRegressor("fcn", hidden_size=8, max_iter=3, device="cpu", random_state=0),
    )
    scores = cross_val_score(model, X[:-1], y, cv=TimeSeriesSplit(n_splits=2))
    assert scores.shape == (2,) and np.isfinite(scores).all()


# -- Probe findings: what the series may hold, and how columns are named -------------------------
def _six(**columns):
    return pd.DataFrame({**columns, "v": np.arange(6.0)})


@pytest.mark.parametrize(
    "series, match",
    [
        (_six(date=pd.date_range("2020", periods=6)), r"columns \['date'\] are not numeric"),
        (_six(lag=pd.to_timedelta(np.arange(6), unit="s")), r"\['lag'\] are not numeric"),
        (_six(s=list("abcdef")), r"\['s'\] are not numeric"),
        (_six(c=pd.Categorical(list("abcabc"))), r"\['c'\] are not numeric"),
        (pd.Series(pd.date_range("2020", periods=6)), "numeric values, got dtype datetime"),
        (pd.Series(list("abcdef")), "numeric values"),
        (pd.Series(pd.Categorical(list("abcabc"))), "numeric values, got dtype category"),
        (np.arange(6).astype("datetime64[D]"), "numeric values, got dtype datetime64"),
        # As in scikit-learn, strings are refused even when they look like numbers.
        (np.array(["1", "2", "3", "4", "5", "6"]), "numeric values"),
        (np.arange(6.0) + 1j, "Complex data not supported"),
        (pd.Series(np.arange(6.0) + 1j), "Complex data not supported"),
        (_six(z=np.arange(6.0) + 1j), "Complex data not supported"),
        ([[1.0, 2.0], [3.0]], "different lengths"),
    ],
)
def test_non_numeric_series_are_refused_not_converted(series, match):
    """Datetimes once became nanosecond floats (and targets); strings a raw pandas error."""
    with pytest.raises(ValueError, match=match):
        make_windows(series, 2)
    with pytest.raises(ValueError, match=match):
        LagWindows(2).fit(series)


def test_non_numeric_column_message_suggests_the_index():
    with pytest.raises(ValueError, match=r"set_index\('date'\)"):
        make_windows(_six(date=pd.date_range("2020", periods=6)), 2)


def test_numeric_pandas_dtypes_are_accepted():
    frame = pd.DataFrame(
        {
            "flag": [True, False] * 3,
            "count": pd.array([0, 1, 2, 3, 4, 5], dtype="Int64"),
            "level": pd.Categorical([10, 20, 30, 10, 20, 30]),
            "v": np.arange(6.0),
        }
    )
    X, y = make_windows(frame, 2, target="v", exog=["flag", "count", "level"])
    assert_array_equal(X[0], [0, 1, 0, 10, 1, 0, 1, 20])
    assert_array_equal(y, [2, 3, 4, 5])


def test_integer_column_labels_are_matched_as_integers():
    frame = pd.DataFrame({0: np.arange(8.0), 1: np.arange(8.0) * 10})
    X, y = make_windows(frame, 3, target=0, exog=1)
    assert_array_equal(y, np.arange(3.0, 8.0))
    assert_array_equal(X[0], [0, 0, 1, 10, 2, 20])
    with pytest.raises(ValueError, match=r"target '0' is not one of .* names \[0, 1\]"):
        make_windows(frame, 3, target="0")
    windows = LagWindows(2, target=1).fit(frame)
    assert not hasattr(windows, "feature_names_in_")  # scikit-learn's: str names only
    assert_array_equal(windows.get_feature_names_out(), ["1_t-1", "1_t"])
    assert_array_equal(windows.transform(frame)[0], [0, 10])


def test_lag_windows_follow_sklearns_feature_name_conventions():
    # Non-regression: integer labels were stored as the names '0', '1', mixed labels were
    # accepted, an array after a DataFrame fit raised, and input_features was ignored.
    import warnings

    values = np.arange(20.0).reshape(10, 2)
    windows = LagWindows(3).fit(pd.DataFrame(values))
    assert not hasattr(windows, "feature_names_in_")
    assert_array_equal(windows.transform(values), windows.transform(pd.DataFrame(values)))
    with pytest.raises(TypeError, match="Feature names are only supported if all input"):
        LagWindows(3).fit(pd.DataFrame(values, columns=["a", 1]))

    frame = pd.DataFrame(values, columns=["a", "b"])
    windows = LagWindows(3, target="b", exog="a").fit(frame)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        from_array = windows.transform(values)
    assert_array_equal(from_array, windows.transform(frame))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        windows.transform(frame)
    with pytest.raises(ValueError, match="feature names should match"):
        windows.transform(frame[["b", "a"]])
    with pytest.warns(UserWarning, match="X has feature names, but LagWindows was fitted"):
        LagWindows(3).fit(values).transform(frame)

    with pytest.raises(ValueError, match="input_features is not equal to feature_names_in_"):
        windows.get_feature_names_out(["p", "q"])
    assert_array_equal(windows.get_feature_names_out(["a", "b"]), windows.get_feature_names_out())
    on_array = LagWindows(2, exog=0).fit(values)
    assert_array_equal(on_array.get_feature_names_out(), ["x1_t-1", "x0_t-1", "x1_t", "x0_t"])
    assert_array_equal(
        on_array.get_feature_names_out(["p", "q"]), ["q_t-1", "p_t-1", "q_t", "p_t"]
    )
    with pytest.raises(ValueError, match="input_features should have length equal to"):
        on_array.get_feature_names_out(["p", "q", "r"])


def test_labels_1_and_string_1_are_different_columns():
    frame = pd.DataFrame({1: np.arange(8.0), "1": np.arange(8.0) * 10})
    assert_array_equal(make_windows(frame, 3, target=1)[1], np.arange(3.0, 8.0))
    assert_array_equal(make_windows(frame, 3, target="1")[1], np.arange(3.0, 8.0) * 10)


def test_duplicate_column_names_are_refused():
    frame = pd.DataFrame(np.arange(24.0).reshape(8, 3), columns=["a", "a", "b"])
    with pytest.raises(ValueError, match=r"duplicate column names \['a'\]"):
        make_windows(frame, 3, target="a")
    with pytest.raises(ValueError, match="duplicate column names"):
        LagWindows(3).fit(frame)


def test_nan_features_pass_through_but_nan_targets_are_refused():
    series = pd.Series(np.arange(10.0), index=pd.date_range("2020-01-01", periods=10))
    series.iloc[1] = np.nan  # only ever a feature with window=3
    X, y = make_windows(series, 3)
    assert np.isnan(X[0, 1]) and np.isfinite(y).all()
    series.iloc[6] = np.nan  # the target of row 3
    with pytest.raises(ValueError, match=r"time steps \[6\] \(index \['2020-01-07"):
        make_windows(series, 3)
    # Without targets, LagWindows keeps the NaN as a feature.
    assert np.isnan(LagWindows(3).fit_transform(series)[4]).sum() == 1
    frame = pd.DataFrame({"load": np.arange(8.0), "temp": np.arange(8.0)})
    frame.loc[5, "temp"] = np.nan  # exogenous: never a target
    frame["load"] = frame["load"].astype("Float64")
    frame.loc[4, "load"] = pd.NA
    match = r"\['load'\] contain NaN or infinity at time steps \[4\]"
    with pytest.raises(ValueError, match=match):
        make_windows(frame, 2, target="load", exog="temp")
    with pytest.raises(ValueError, match="infinity"):
        make_windows(np.r_[np.arange(5.0), np.inf], 2)


def test_nan_target_skipped_by_the_stride_is_not_a_target():
    series = np.arange(12.0)
    series[5] = np.nan  # anchors 1, 4, 7, 10: targets at 2, 5, 8, 11 ...
    with pytest.raises(ValueError, match=r"time steps \[5\]"):
        make_windows(series, 2, stride=3)
    series[5], series[6] = 5.0, np.nan  # ... so 6 is only a feature
    X, y = make_windows(series, 2, stride=3)
    assert np.isfinite(y).all() and np.isnan(X).sum() == 1


@pytest.mark.parametrize("fraction", [1e-12, 1e-3, 0.05])
def test_any_positive_fraction_holds_out_at_least_one_row(fraction):
    """``last_fraction_split(10, 1e-12)`` once returned an empty validation set."""
    train_idx, valid_idx = last_fraction_split(10, fraction)
    assert_array_equal(valid_idx, [9])
    assert_array_equal(train_idx, np.arange(9))
    ((train_idx, valid_idx),) = TimeOrderedSplit(fraction, gap=2).split(np.zeros((10, 1)))
    assert_array_equal(valid_idx, [9]) and len(train_idx) == 7


def test_parameters_set_after_fit_apply_at_the_next_fit():
    # Non-regression: transform read window, stride, target and flatten live, so after
    # set_params(target='a') it gave 3 columns while get_feature_names_out gave 6 names,
    # and PastRows mixed the fit's history with a new window (lengths 3, 4, 5, 5).
    frame = pd.DataFrame({"a": np.arange(20.0), "b": np.arange(20.0) ** 2})
    lags = LagWindows(window=3).fit(frame)
    expected, names = lags.transform(frame), lags.get_feature_names_out()
    lags.set_params(window=5, stride=2, target="a", flatten=False)
    assert_array_equal(lags.transform(frame), expected)
    assert_array_equal(lags.get_feature_names_out(), names)
    assert lags.fit(frame).transform(frame).shape == (8, 5, 1)  # the next fit takes them

    rows = np.arange(20.0).reshape(10, 2)
    past = PastRows(window=3).fit(rows[:6]).set_params(window=5)
    assert [len(x) for x in past.transform(rows[6:])] == [3, 3, 3, 3]


def test_past_rows_transform_of_the_fit_rows_is_fit_transform():
    # Non-regression: transform always put history_ (the end of the fit rows) before X,
    # so on the fit rows themselves (train scores, in-sample predictions) the first rows'
    # past was made of later rows, and fit(X).transform(X) != fit_transform(X).
    rows = np.arange(12.0).reshape(6, 2)
    past = PastRows(window=3)
    expected = past.fit_transform(rows)
    for got, want in zip(past.fit(rows).transform(rows), expected, strict=True):
        assert_array_equal(got, want)
    assert_array_equal(past.transform(rows[:1])[0][:, 0], [0.0])  # the first fit row
    later = past.transform(rows + 12)  # rows that continue the fit rows: history first
    assert_array_equal(later[0][:, 0], [8.0, 10.0, 12.0])


def test_past_rows_with_a_gap_reads_the_past_within_x():
    # Non-regression: after TimeSeriesSplit(gap=4) the first test rows' past skipped the
    # 4 rows left out ([2 3 4 5 10] for row 10), read by the network as consecutive.
    rows = np.arange(30.0)[:, np.newaxis]  # value == time index
    for train, test in TimeSeriesSplit(n_splits=2, gap=4).split(rows):
        sequences = PastRows(window=5, gap=4).fit(rows[train]).transform(rows[test])
        assert_array_equal(sequences[0][:, 0], [test[0]])
        assert_array_equal(sequences[4][:, 0], test[:5])
    assert len(PastRows(window=5).fit(rows[:10]).transform(rows[14:])[0]) == 5  # gap=0


def test_past_rows_and_lag_windows_take_a_pipelines_set_output():
    # Non-regression: both opted out of set_output, so Pipeline.set_output refused the
    # whole pipeline, and PastRows had no get_feature_names_out.
    frame = pd.DataFrame({"a": np.arange(20.0), "b": np.arange(20.0) ** 2})
    for step in (PastRows(window=4), LagWindows(window=4)):
        pipe = make_pipeline(StandardScaler(), step).set_output(transform="pandas")
        assert step.set_output(transform="pandas") is step
        pipe.fit_transform(frame)
        assert isinstance(pipe[0].transform(frame), pd.DataFrame)
    assert_array_equal(PastRows(3).fit(frame).get_feature_names_out(), ["a", "b"])
    assert_array_equal(PastRows(3).fit(frame.to_numpy()).get_feature_names_out(), ["x0", "x1"])


def test_window_sizes_refuse_booleans_and_make_windows_names_itself():
    # Non-regression: window=True crashed in NumPy, stride=True and gap=True were read as
    # 1, and make_windows' errors named LagWindows.
    series = np.arange(12.0)
    with pytest.raises(ValueError, match="'window' parameter of make_windows"):
        make_windows(series, window=3.0)
    with pytest.raises(ValueError, match="'horizon' parameter of make_windows"):
        make_windows(series, window=3, horizon=0)
    for make in (
        lambda: LagWindows(window=True),
        lambda: LagWindows(window=3, stride=True),
        lambda: PastRows(gap=True),
    ):
        with pytest.raises(ValueError, match="must be an int in the range"):
            make().fit(series.reshape(-1, 1))


def test_past_rows_gives_fit_rows_their_past_at_fit():
    # Non-regression: rows seen in fit, given to transform with later rows after them
    # (pipe.predict(df) after pipe.fit(df.iloc[:60]), to plot in-sample and new
    # predictions together) or alone (pipe.predict(df.iloc[-1:]) after pipe.fit(df)),
    # were given the last fit rows as their past: later rows, without a word for the
    # first case, and a warning for the second.
    rows = np.arange(40.0).reshape(20, 2)
    full = PastRows(window=4).fit_transform(rows)
    past = PastRows(window=4).fit(rows[:6])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for got, want in zip(past.transform(rows), full, strict=True):
            assert_array_equal(got, want)
        past.fit(rows[:10])
        for block in (slice(9, 10), slice(7, 10), slice(7, 12), slice(8, 14), slice(0, 3)):
            for got, want in zip(past.transform(rows[block]), full[block], strict=True):
                assert_array_equal(got, want)
        following = past.transform(rows[10:12] + 100)  # rows that follow the fit rows
        np.testing.assert_array_equal(following[0][:, 0], [14, 16, 18, 120])
        # A single value repeating one seen at fit is too weak a sign: a series of counts.
        PastRows(window=3).fit(np.array([[1.0], [2.0], [1.0]])).transform(np.array([[2.0]]))
    # A first row equal to the last fit row, then new rows: a new row that repeats it.
    counts = np.array([[0, 1], [1, 1], [1, 1], [2, 1], [1, 1]], dtype=float)
    repeats = PastRows(window=3).fit(counts[:3])
    assert repeats.transform(counts[2:])[0][:, 0].tolist() == [1.0, 1.0, 1.0]  # continues
    # Only the past of the last 2 * (window - 1) fit rows is kept: a slice that begins
    # before them (but after the first fit row) gets the past within X, and a warning.
    with pytest.warns(UserWarning, match=r"from row 2 of the 10 fit rows on\), whose past"):
        shorter = past.transform(rows[2:5])
    assert [x[:, 0].tolist() for x in shorter] == [[4.0], [4.0, 6.0], [4.0, 6.0, 8.0]]


@pytest.mark.parametrize("order", ["newest first", "not in time order"])
def test_a_date_index_out_of_time_order_is_refused(order):
    # Non-regression: a series saved newest first gave targets older than their features,
    # and LagWindows' "latest" window was the oldest one.
    dates = pd.date_range("2020-01-01", periods=8, freq="D")
    series = pd.Series(np.arange(8.0), index=dates)
    series = series[::-1] if order == "newest first" else series.iloc[[1, 0, *range(2, 8)]]
    with pytest.raises(ValueError, match=f"indexed by dates {order}.*sort_index"):
        make_windows(series, window=3)
    with pytest.raises(ValueError, match="sort_index"):
        LagWindows(3).fit(series)
    with pytest.raises(ValueError, match="sort_index"):
        PastRows(3).fit(series.to_frame())
    make_windows(series.sort_index(), window=3)


def test_a_date_index_that_repeats_is_refused():
    # Non-regression: two rows of one date (two stores, or a duplicated row) were read as
    # consecutive steps by make_windows, LagWindows and PastRows.
    dates = pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-02", "2020-01-03"] * 1)
    series = pd.Series(np.arange(4.0), index=dates)
    for make in (
        lambda: make_windows(series, window=2),
        lambda: LagWindows(2).fit(series),
        lambda: PastRows(2).fit(series.to_frame()),
    ):
        with pytest.raises(
            ValueError, match=r"dates that repeat \(2020-01-02 00:00:00, and 1 row"
        ):
            make()
    # Behind a scaler, PastRows sees the index only with the pipeline's pandas output.
    frame = series.to_frame()
    pipe = make_pipeline(StandardScaler(), PastRows(2)).set_output(transform="pandas")
    with pytest.raises(ValueError, match="dates that repeat"):
        pipe.fit_transform(frame)


def test_lag_windows_of_an_older_sknn_with_integer_labels_transform_their_frame():
    # An older LagWindows recorded integer column labels as strings: scikit-learn's
    # feature-name check then warned on the very frame it was fitted on (and raised for
    # mixed labels). Such names are accepted for the labels they were made from.
    values = np.arange(24.0).reshape(12, 2)
    expected = LagWindows(3).fit_transform(values)
    for labels in ([0, 1], [0, "v"]):
        lags = LagWindows(3).fit(values)
        lags.feature_names_in_ = np.array([str(c) for c in labels], dtype=object)  # as saved
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            frame = pd.DataFrame(values, columns=labels)
            np.testing.assert_array_equal(lags.transform(frame), expected)


def test_the_last_window_of_a_strided_transform_and_the_documented_way_to_the_latest():
    # With stride > 1 the last window can end before the last observation (documented);
    # transforming the last `window` observations gives the window that ends there.
    series = np.arange(20.0)
    lags = LagWindows(3, stride=3).fit(series)
    np.testing.assert_array_equal(lags.transform(series)[-1], [15, 16, 17])
    np.testing.assert_array_equal(lags.transform(series[-3:]), [[17, 18, 19]])
    assert "transform ``series[-window:]``" in LagWindows.__doc__
