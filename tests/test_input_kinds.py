"""Kinds of X, y and sample_weight that cannot train as they are: refused by name, and the
dtype of what comes back.

Each test pins a silent wrong result or a raw NumPy error found by probing the estimators
with the containers and dtypes users pass.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier, MLPRegressor, SequenceRegressor, TransformerClassifier

QUICK = dict(max_iter=3, random_state=0, device="cpu")
RNG = np.random.RandomState(0)


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _frame_with(column):
    return pd.DataFrame({"t": column, "z": RNG.randn(len(column))})


TIME_COLUMNS = {
    "datetime64[ns]": pd.Series(pd.date_range("2020-01-01", periods=30, freq="D")),
    "datetime64[s]": pd.Series(pd.date_range("2020-01-01", periods=30, freq="D")).astype(
        "datetime64[s]"
    ),
    "timezone": pd.Series(pd.date_range("2020-01-01", periods=30, freq="h", tz="UTC")),
    "timedelta64[ns]": pd.Series(pd.to_timedelta(np.arange(30), unit="D")),
    "period": pd.Series(pd.period_range("2020-01", periods=30, freq="M")),
}


@pytest.mark.parametrize("kind", list(TIME_COLUMNS))
@pytest.mark.parametrize(
    "make",
    [
        lambda: MLPClassifier(hidden_layer_sizes=(4,), **QUICK),
        lambda: MLPClassifier.tabular(fast=True, **QUICK),
        lambda: MLPClassifier(categorical_features="from_dtype", **QUICK),
    ],
    ids=["plain", "tabular", "from_dtype"],
)
def test_date_and_duration_columns_are_refused_by_name(kind, make):
    # Non-regression: NumPy's DTypePromotionError, which names no column.
    X = _frame_with(TIME_COLUMNS[kind])
    with pytest.raises(TypeError, match="Columns 't' of X hold dates, durations or periods"):
        make().fit(X, np.arange(30) % 2)


@pytest.mark.parametrize("kind", ["datetime64[ns]", "timedelta64[ns]", "datetime64[s]"])
def test_a_categorical_column_of_times_is_refused(kind):
    # Non-regression: a datetime64[ns] category column fitted with its categories as
    # nanosecond integers, and predict then coded every value, even the training rows',
    # as unknown (accuracy at chance, and a warning blaming strings).
    column = TIME_COLUMNS[kind][np.arange(30) % 3].reset_index(drop=True).astype("category")
    X = _frame_with(column)
    y = np.arange(30) % 3
    with pytest.raises(TypeError, match="holds (datetime|timedelta)64"):
        MLPClassifier(categorical_features=["t"], **QUICK).fit(X, y)


def test_a_time_column_at_predict_is_refused_too():
    X = _frame_with(np.arange(30.0))
    model = MLPClassifier(hidden_layer_sizes=(4,), **QUICK).fit(X, np.arange(30) % 2)
    with pytest.raises(TypeError, match="Columns 't' of X hold dates"):
        model.predict(_frame_with(TIME_COLUMNS["datetime64[ns]"]))


@pytest.mark.parametrize(
    "y",
    [
        RNG.randn(20).astype(str),
        np.array(pd.date_range("2020-01-01", periods=20, freq="D")),
        np.array(pd.to_timedelta(np.arange(20), unit="s")),
    ],
    ids=["numeric strings", "datetime64", "timedelta64"],
)
@pytest.mark.parametrize("Regressor", [MLPRegressor, SequenceRegressor])
def test_regressors_refuse_targets_that_are_not_numbers(Regressor, y):
    # Non-regression: numeric strings were parsed, and dates trained on as their integer
    # microseconds (R^2 of -2.5e6, no warning); scikit-learn's MLPRegressor refuses both.
    X = RNG.randn(20, 4, 1) if Regressor is SequenceRegressor else RNG.randn(20, 3)
    with pytest.raises(ValueError, match="needs numeric targets; got y of dtype"):
        Regressor(**QUICK).fit(X, y)


def test_object_targets_of_numbers_are_accepted_as_scikit_learn_accepts_them():
    X = RNG.randn(20, 3)
    y = np.array(list(RNG.randn(20)), dtype=object)
    MLPRegressor(**QUICK).fit(X, y)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("Regressor", [MLPRegressor, SequenceRegressor])
def test_regressors_predict_in_the_dtype_scikit_learn_gives(Regressor, dtype):
    X = RNG.randn(20, 4, 1) if Regressor is SequenceRegressor else RNG.randn(20, 3)
    X = X.astype(dtype)
    model = Regressor(**QUICK).fit(X, RNG.randn(20))
    assert model.predict(X).dtype == dtype
    assert model.predict(X.tolist()).dtype == np.float64


def test_a_large_target_scaled_by_a_wrapper_keeps_its_precision():
    # Non-regression: float32 predictions, inverse-transformed by TransformedTargetRegressor's
    # StandardScaler, stayed float32; near 1.7e9 float32 steps by 128, so 300 predictions
    # collapsed to 3 values and R^2 fell from 0.997 to 0.59.
    X = RNG.normal(size=(300, 3))
    y = 1.7e9 + 50 * X[:, 0] + 30 * X[:, 1]
    model = TransformedTargetRegressor(
        MLPRegressor(
            hidden_layer_sizes=(16,), learning_rate_init=0.01, **{**QUICK, "max_iter": 100}
        ),
        transformer=StandardScaler(),
    ).fit(X, y)
    pred = model.predict(X)
    assert pred.dtype == np.float64
    assert len(np.unique(pred)) > 250
    inner = model.regressor_.score(X, model.transformer_.transform(y[:, None]).ravel())
    assert model.score(X, y) == pytest.approx(inner, abs=1e-3)


@pytest.mark.parametrize(
    "weight, message",
    [
        (1e39, r"Input sample_weight contains infinity or a value too large"),
        (1e-50, "positive values below about 1e-45, which are 0 in float32"),
        # Each fits float32, their total does not: the loss became 0 and nothing trained.
        (1e37, "sample_weight sums to more than float32"),
    ],
)
def test_sample_weights_beyond_float32_are_refused(weight, message):
    # Non-regression: 1e39 became inf ("non-finite weights ... learning rate too high"),
    # and 1e-50 became 0, leaving every sample out of a fit that then trained nothing.
    X, y = RNG.randn(20, 3), np.arange(20) % 2
    with pytest.raises(ValueError, match=message):
        MLPClassifier(**QUICK).fit(X, y, sample_weight=np.full(20, weight))


def test_transformer_default_batch_does_not_warn_on_a_small_corpus():
    # Non-regression: the default batch_size=32 warned "larger than sample size" on every
    # corpus under 36 documents (every fold of a small one), though the user set nothing.
    docs = [f"word{i % 5} and more text {i % 3}" for i in range(20)]
    model = TransformerClassifier(d_model=8, n_heads=2, n_layers=1, **QUICK)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(docs, np.arange(20) % 2)
    assert model._batch_size(200) == 32 and model._batch_size(18) == 18
    with pytest.warns(UserWarning, match="larger than sample size"):
        model.set_params(batch_size=64).fit(docs, np.arange(20) % 2)
