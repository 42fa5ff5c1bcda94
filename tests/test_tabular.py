"""The MLPs on tables of numeric and categorical columns: ``categorical_features`` in every
form scikit-learn's HistGradientBoosting takes, unknown, rare and missing categories,
``embedding_dims``, numeric embeddings and robust scaling, and the contracts every sknn
estimator keeps (partial_fit, warm_start, sample weights, pickling and model files)."""

import pickle
import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sknn
from sknn import MLPClassifier, MLPRegressor
from sknn.data import tabular
from sknn.modules.tabular import (
    MISSING_CODE,
    UNKNOWN_CODE,
    CategoricalEmbeddings,
    PeriodicEmbeddings,
    PiecewiseLinearEmbeddings,
    TabularMLPModule,
)

QUICK = dict(hidden_layer_sizes=(16,), max_iter=5, device="cpu", random_state=0)
MLPS = [MLPClassifier, MLPRegressor]


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def make_frame(n=120, seed=0):
    """Two numeric columns and two categorical ones (strings with missing values, and
    ints); the label depends on the colour, and the target on the shop."""
    rng = np.random.RandomState(seed)
    colour = rng.choice(["red", "green", "blue"], n).astype(object)
    colour[::17] = None
    shop = rng.randint(0, 6, n)
    frame = pd.DataFrame(
        {
            "size": rng.normal(size=n),
            "colour": colour,
            "weight": rng.uniform(0, 100, n),
            "shop": shop,
        }
    )
    label = np.where(colour == "red", "yes", "no")
    target = shop * 1.5 + frame["size"].to_numpy()
    return frame, label, target


def target_for(Estimator, label, target):
    return label if Estimator is MLPClassifier else target


def outputs(model, X):
    return model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)


# -- categorical_features in every form -------------------------------------------------------


@pytest.mark.parametrize("Estimator", MLPS)
@pytest.mark.parametrize(
    "categorical_features",
    [
        [1, 3],
        np.array([False, True, False, True]),
        ["colour", "shop"],
        np.array(["colour", "shop"], dtype=object),
    ],
    ids=["indices", "mask", "names", "names-object-array"],
)
def test_every_form_of_categorical_features_gives_one_fit(Estimator, categorical_features):
    frame, label, target = make_frame()
    y = target_for(Estimator, label, target)
    reference = Estimator(categorical_features=[1, 3], **QUICK).fit(frame, y)
    model = Estimator(categorical_features=categorical_features, **QUICK).fit(frame, y)
    np.testing.assert_array_equal(model.is_categorical_, [False, True, False, True])
    assert model.categories_[0].tolist() == ["blue", "green", "red"]
    assert model.categories_[1].tolist() == [0, 1, 2, 3, 4, 5]
    np.testing.assert_array_equal(outputs(model, frame), outputs(reference, frame))
    assert model.feature_names_in_.tolist() == ["size", "colour", "weight", "shop"]


def test_from_dtype_reads_category_object_and_string_columns():
    frame, label, _ = make_frame()
    frame = frame.assign(
        colour=frame["colour"].astype("category"),
        shop=frame["shop"].astype(str).astype("string"),
        city=np.array(["a", "b"] * 60, dtype=object),
    )
    model = MLPClassifier(categorical_features="from_dtype", **QUICK).fit(frame, label)
    np.testing.assert_array_equal(model.is_categorical_, [False, True, False, True, True])
    assert model.categories_[1].tolist() == ["0", "1", "2", "3", "4", "5"]
    assert model.categories_[2].tolist() == ["a", "b"]
    assert model.predict(frame.iloc[:5]).shape == (5,)


def test_from_dtype_reads_object_columns_of_numbers_as_numbers():
    # Non-regression: an object column of numbers (each column of a DataFrame rebuilt from
    # a ColumnTransformer's NumPy output is one) was embedded with a category per distinct
    # value, and at predict every value of a scaled column was an unknown category.
    frame, label, _ = make_frame()
    pre = ColumnTransformer(
        [("scaled", StandardScaler(), ["size", "weight"])],
        remainder="passthrough",
        verbose_feature_names_out=False,
    )
    objects = pd.DataFrame(pre.fit_transform(frame), columns=pre.get_feature_names_out())
    assert all(objects[name].dtype.kind == "O" for name in ("size", "weight", "shop"))
    model = MLPClassifier(categorical_features="from_dtype", **QUICK).fit(objects, label)
    np.testing.assert_array_equal(model.is_categorical_, [False, False, True, False])
    typed = objects.astype({"size": float, "weight": float, "shop": float})
    reference = MLPClassifier(categorical_features="from_dtype", **QUICK).fit(typed, label)
    np.testing.assert_array_equal(model.coefs_[0], reference.coefs_[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no unknown categories
        np.testing.assert_array_equal(model.predict_proba(objects), reference.predict_proba(typed))


def test_object_numbers_with_missing_values_are_floats_and_booleans_stay_categories():
    from decimal import Decimal

    X = pd.DataFrame(
        {
            "v": pd.Series([1.5, None, 2, pd.NA, 4.0, 7] * 10, dtype=object),
            "d": pd.Series([Decimal("3.25"), None, Decimal("1")] * 20, dtype=object),
            "flag": pd.Series([True, False] * 30, dtype=object),
        }
    )
    assert tabular.categorical_mask(X, "from_dtype").tolist() == [False, False, True]
    floats = tabular.columns(X, [0, 1])
    assert floats.dtypes.tolist() == [np.float64, np.float64]
    np.testing.assert_array_equal(floats["v"][:6], [1.5, np.nan, 2.0, np.nan, 4.0, 7.0])
    np.testing.assert_array_equal(floats["d"][:3], [3.25, np.nan, 1.0])
    y = np.arange(60.0) % 7
    params = dict(categorical_features="from_dtype", numeric_scaling="robust", **QUICK)
    model = MLPRegressor(**params).fit(X, y)
    assert model.categories_[0].tolist() == [False, True]
    reference = MLPRegressor(**params).fit(X.assign(v=floats["v"], d=floats["d"]), y)
    np.testing.assert_array_equal(model.coefs_[0], reference.coefs_[0])


def test_from_dtype_on_an_array_of_strings_says_to_pass_a_dataframe():
    # Non-regression: a ColumnTransformer's NumPy output holding strings gave NumPy's bare
    # "could not convert string to float", on the plain path and the tabular preset's.
    frame, label, _ = make_frame()
    pre = ColumnTransformer([("scaled", StandardScaler(), ["size"])], remainder="passthrough")
    for model in (
        MLPClassifier(categorical_features="from_dtype", **QUICK),
        MLPClassifier.tabular(**QUICK),
    ):
        with pytest.raises(
            ValueError,
            match=r"could not convert string to float: '\w+'\. .* column 1 holds strings\. "
            r".*\.set_output\(transform='pandas'\).* indices of the categorical columns",
        ):
            make_pipeline(pre, model).fit(frame, label)
    # Numbers (and booleans) as objects convert: nothing to say.
    numbers = np.column_stack([frame["size"], frame["shop"] > 2]).astype(object)
    MLPClassifier(categorical_features="from_dtype", **QUICK).fit(numbers, label)


def test_from_dtype_on_an_array_is_scikit_learns_mlp_bit_for_bit():
    frame, label, _ = make_frame()
    X = frame[["size", "weight"]].to_numpy()
    plain = MLPClassifier(**QUICK).fit(X, label)
    from_dtype = MLPClassifier(categorical_features="from_dtype", **QUICK).fit(X, label)
    np.testing.assert_array_equal(plain.predict_proba(X), from_dtype.predict_proba(X))
    # As HistGradientBoosting's: None when 'from_dtype' finds no categorical column.
    assert from_dtype.is_categorical_ is None and from_dtype.categories_ == []
    assert not hasattr(plain, "is_categorical_") and not hasattr(plain, "categories_")
    # ... and on sparse input too: nothing is categorical there.
    sparse = MLPClassifier(categorical_features="from_dtype", **QUICK).fit(sp.csr_matrix(X), label)
    np.testing.assert_allclose(sparse.predict_proba(X), plain.predict_proba(X), rtol=1e-5)


def test_from_dtype_finding_no_categorical_column_says_so_as_histgradientboosting():
    """Non-regression: with 'from_dtype' and no categorical column in the DataFrame,
    ``is_categorical_`` did not exist (the documented value is None, HistGradientBoosting's)."""
    frame, label, _ = make_frame()
    numeric = frame[["size", "shop"]]
    hgb = HistGradientBoostingClassifier(categorical_features="from_dtype", max_iter=2)
    assert hgb.fit(numeric, label).is_categorical_ is None
    model = MLPClassifier(categorical_features="from_dtype", **QUICK).fit(numeric, label)
    assert model.is_categorical_ is None
    assert model.categories_ == [] and model.embedding_dims_ == []
    # A refit without categorical_features is scikit-learn's MLP: the earlier fit's
    # categorical attributes go, as they do after a fit that had categorical columns.
    for categorical_features in ("from_dtype", ["shop"]):
        model.set_params(categorical_features=categorical_features).fit(numeric, label)
        model.set_params(categorical_features=None).fit(numeric, label)
        for name in ("is_categorical_", "categories_", "embedding_dims_"):
            assert not hasattr(model, name)


def _scaled_then_embedded():
    """A ColumnTransformer with pandas output (numeric columns scaled, the others passed
    through) in front of an MLP that embeds the categorical ones."""
    pre = ColumnTransformer(
        [("scaled", StandardScaler(), ["size", "weight"])],
        remainder="passthrough",
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    return make_pipeline(pre, MLPClassifier(categorical_features="from_dtype", **QUICK))


def test_column_transformer_with_pandas_output_feeds_the_categorical_columns():
    frame, label, _ = make_frame()
    model = _scaled_then_embedded()
    model.fit(frame, label)
    mlp = model[-1]
    assert mlp.feature_names_in_.tolist() == ["size", "weight", "colour", "shop"]
    np.testing.assert_array_equal(mlp.is_categorical_, [False, False, True, False])
    by_name = MLPClassifier(categorical_features=["colour", "shop"], **QUICK)
    named = make_pipeline(model[0], by_name)
    assert named.fit(frame, label).score(frame, label) > 0.5


def test_object_arrays_and_lists_of_rows_take_string_categories():
    frame, label, _ = make_frame()
    X = frame.to_numpy(dtype=object)
    model = MLPClassifier(categorical_features=[1, 3], **QUICK).fit(X, label)
    assert model.categories_[0].tolist() == ["blue", "green", "red"]
    rows = X.tolist()
    from_list = MLPClassifier(categorical_features=[1, 3], **QUICK).fit(rows, label)
    np.testing.assert_array_equal(model.predict_proba(X), from_list.predict_proba(rows))


@pytest.mark.parametrize(
    "categorical_features",
    [
        [0, 7],
        [-1],
        [True, False],
        ["colour", "no such column"],
        np.array([0.5, 1.5]),
        [1, "colour"],
    ],
)
def test_bad_categorical_features_get_histgradientboostings_errors(categorical_features):
    frame, label, _ = make_frame()
    with pytest.raises(ValueError) as theirs:
        HistGradientBoostingClassifier(categorical_features=categorical_features).fit(
            frame.assign(colour=frame["colour"].fillna("none")), label
        )
    with pytest.raises(ValueError) as ours:
        MLPClassifier(categorical_features=categorical_features, **QUICK).fit(frame, label)
    assert str(ours.value) == str(theirs.value)


def test_names_need_feature_names():
    frame, label, _ = make_frame()
    with pytest.raises(ValueError, match="without feature names"):
        MLPClassifier(categorical_features=["colour"], **QUICK).fit(frame.to_numpy(), label)


def test_a_column_mixing_strings_and_numbers_is_refused():
    X = np.array([["a", 1.0], [2, 2.0], ["b", 3.0]], dtype=object)
    with pytest.raises(TypeError, match="uniformly strings or numbers.*feature at index 0"):
        MLPClassifier(categorical_features=[0], **QUICK).fit(X, [0, 1, 0])


def test_sparse_input_is_refused_when_columns_are_categorical():
    X = sp.random(20, 4, density=0.5, format="csr", random_state=0)
    with pytest.raises(TypeError, match="need dense data"):
        MLPClassifier(categorical_features=[0], **QUICK).fit(X, np.arange(20) % 2)


# -- unknown, rare and missing categories ---------------------------------------------------


def test_codes_missing_unknown_then_sorted_categories():
    categories = tabular.fit_categories(np.array(["b", None, "a", "b"], dtype=object), "c")
    assert categories.tolist() == ["a", "b"]
    values = np.array(["a", "b", None, np.nan, pd.NA, "zzz", 3], dtype=object)
    codes = tabular.encode_categories(values, categories)
    assert codes.tolist() == [2, 3, MISSING_CODE, MISSING_CODE, MISSING_CODE] + [UNKNOWN_CODE] * 2
    numbers = tabular.fit_categories(np.array([3.0, np.nan, 1.0, 3.0]), "c")
    assert numbers.tolist() == [1.0, 3.0]
    codes = tabular.encode_categories(np.array([3, 1, 2, np.nan]), numbers)
    assert codes.tolist() == [3, 2, UNKNOWN_CODE, MISSING_CODE]


def test_string_codes_the_same_for_every_spelling_of_the_values():
    """String categories are looked up by hash; values that are not all ``str`` (numbers,
    NumPy strings) are compared by their ``str()``, whichever array holds them."""
    categories = tabular.fit_categories(np.array(["10", "2", "b", "2"], dtype=object), "c")
    assert categories.tolist() == ["10", "2", "b"]
    expected = [3, 2, 4, UNKNOWN_CODE]
    for values in (
        np.array(["2", "10", "b", "c"], dtype=object),
        np.array(["2", "10", "b", "c"]),  # NumPy unicode
        np.array([2, 10, "b", "c"], dtype=object),  # numbers among strings: their str()
        np.array([np.str_("2"), "10", "b", "c"], dtype=object),
    ):
        assert tabular.encode_categories(values, categories).tolist() == expected
    assert tabular.encode_categories(np.array([2.0], dtype=object), categories).tolist() == [
        UNKNOWN_CODE  # str(2.0) is '2.0', not '2'
    ]


@pytest.mark.parametrize("min_count", [1, 2, 3])
@pytest.mark.parametrize(
    "values",
    [
        np.array(["b", None, "a", "b", "c", np.nan, "a", "b", pd.NA], dtype=object),
        np.array(["b", "a", "b", "c", "a", "b"]),  # NumPy unicode
        np.array([3.0, np.nan, 1.0, 3.0, -0.0, 0.0, 2.5, 1.0]),
        np.array([5, 1, 5, 2, 5, 1], dtype=np.int64),
        np.array([True, False, True, True]),
        np.array([1, 1.0, True, 2, None, 2.0, 3, 3, 3], dtype=object),
        np.array([None, np.nan], dtype=object),
        np.array([2**53 + 1, 2**53, 2**53 + 1, -(2**63), 2**53], dtype=np.int64),
        np.array([2**64 - 1, 2**64 - 2, 2**64 - 1, 0, 2**64 - 2], dtype=np.uint64),
        np.array([2**53 + 1, None, 2**53, 2**53 + 1, 2**53], dtype=object),
        np.array([0.1, 0.2, np.nan, 0.1, 0.2], dtype=np.float32),
    ],
    ids=[
        "objects",
        "unicode",
        "floats",
        "ints",
        "bools",
        "mixed-numbers",
        "all-missing",
        "ints-above-2**53",
        "uints-near-2**64",
        "python-ints-above-2**53",
        "float32",
    ],
)
def test_fitting_and_encoding_at_once_equals_fitting_then_encoding(values, min_count):
    """The codes of the one-pass fit are those of a separate lookup of every row, and its
    categories the sorted values (numbers by value) seen at least ``min_count`` times."""
    categories, codes = tabular.fit_encode_categories(values, "c", min_count=min_count)

    # Python's numbers compare exactly (2**53 + 1 != 2.0**53) and 1 == 1.0 == True.
    counts = Counter(v for v in values.tolist() if not pd.isna(v))
    assert categories.tolist() == sorted(k for k, n in counts.items() if n >= min_count)
    assert codes.dtype == np.int64
    assert codes.tolist() == tabular.encode_categories(values, categories).tolist()


def test_object_columns_count_each_category_once_whatever_its_spelling():
    """Equal numbers of different types (1, 1.0, True) are one category, and their counts
    add up before ``min_count``, as in NumPy's unique over the values."""
    mixed = np.array([1, 1.0, True, 2, None, 2.0, 3], dtype=object)
    assert tabular.fit_categories(mixed, "c").tolist() == [1, 2, 3]
    assert tabular.fit_categories(mixed, "c", min_count=2).tolist() == [1, 2]
    assert tabular.fit_categories(mixed, "c", min_count=3).tolist() == [1]
    words = np.array(["b", "a", "b", None, "c", "b", "a"], dtype=object)
    assert tabular.fit_categories(words, "c", min_count=2).tolist() == ["a", "b"]
    with pytest.raises(TypeError, match="uniformly strings or numbers"):
        tabular.fit_categories(np.array(["a", 1, "a"], dtype=object), "c")
    unhashable = np.empty(3, dtype=object)
    unhashable[:] = [{"a": 1}, "a", [2]]
    with pytest.raises(TypeError, match="uniformly strings or numbers"):
        tabular.fit_categories(unhashable, "c")


def codes_of(values, categories, name=None):
    return tabular.encode_categories(values, categories, name).tolist()


@pytest.mark.parametrize(
    "ids",
    [
        np.array([2**53, 2**53 + 1] * 10, dtype=np.int64),
        np.array([2**64 - 2, 2**64 - 1] * 10, dtype=np.uint64),
        np.array([2**53, 2**53 + 1] * 10, dtype=object),
    ],
    ids=["int64", "uint64", "python-ints"],
)
def test_integers_above_2_53_keep_their_codes_at_predict(ids):
    """Non-regression: integer categories above 2**53 were compared as float64 at predict
    (where 2**53 + 1 is 2**53), while fit told them apart: every row got one code."""
    X, y = pd.DataFrame({"user_id": ids}), np.array([0, 1] * 10)
    model = MLPClassifier(
        categorical_features=["user_id"], solver="lbfgs", max_iter=20, device="cpu"
    ).fit(X, y)
    assert model._validate_X(X[:4])["categorical"].ravel().tolist() == [2, 3, 2, 3]
    np.testing.assert_array_equal(model.predict(X[:4]), [0, 1, 0, 1])


def test_numbers_match_their_categories_exactly_whatever_their_dtype():
    big = np.array([2**53, 2**53 + 1], dtype=np.int64)
    u = np.array([2**63 - 1, 2**64 - 1], dtype=np.uint64)
    # Integers of another width or signedness: exact, out-of-range ones unknown.
    assert codes_of(np.array([2**53 + 1, 2**53, 2**63], dtype=np.uint64), big) == [3, 2, 1]
    assert codes_of(np.array([2**63 - 1, -1, 5], dtype=np.int64), u) == [2, 1, 1]
    assert codes_of(np.array([2**64 - 1, 2**63, 2**63 - 1], dtype=np.uint64), u) == [3, 1, 2]
    assert codes_of(np.array([-1, 2, 300], dtype=np.int64), np.array([2, 255], np.uint8)) == [
        1,
        2,
        1,
    ]
    # Floats against integers and the reverse: equal in value, not after rounding.
    assert codes_of(np.array([2.0**53, 2.5, np.inf, 2.0**64]), big) == [2, 1, 1, 1]
    small = np.array([1, 2, 3])
    assert codes_of(np.array([3.0, 1.0, 1.5], dtype=np.float32), small) == [4, 2, 1]
    floats = np.array([-1.5, 2.0, 2.0**53, np.inf])
    assert codes_of(np.array([2, 2**53, 2**53 + 1, -1]), floats) == [3, 4, 1, 1]
    assert codes_of(np.array([2**64 - 1], dtype=np.uint64), np.array([2.0**64])) == [1]
    # Bools are 0 and 1, as before; object arrays the same as arrays of their numbers.
    assert codes_of(np.array([1, 0, 2]), np.array([False, True])) == [3, 2, 1]
    mixed = np.array([2**53 + 1, 2.0**53, True, np.float32(0.5), "x", [1]], dtype=object)
    assert codes_of(mixed, np.array([0.5, 1.0, 2.0**53])) == [1, 4, 3, 2, 1, 1]
    assert codes_of(mixed, np.array([1, 2**53 + 1])) == [3, 1, 2, 1, 1, 1]


@pytest.mark.parametrize(
    "fit_dtype, predict_dtype", [("float64", "float32"), ("float32", "float64")]
)
def test_a_float_column_finds_its_categories_in_another_width(fit_dtype, predict_dtype):
    """Non-regression: a float column read back in another width (float32 values, float64
    categories, or the reverse) was coded unknown in every row; now compared in the
    narrower width."""
    X = pd.DataFrame({"rate": np.array([0.1, 0.2] * 10, dtype=fit_dtype)})
    y = np.array([0, 1] * 10)
    model = MLPClassifier(
        categorical_features=["rate"], solver="lbfgs", max_iter=20, device="cpu"
    ).fit(X, y)
    unseen = pd.DataFrame({"rate": [0.2, 0.1, 0.3, np.nan]}).astype(predict_dtype)
    codes = model._validate_X(unseen)["categorical"].ravel().tolist()
    assert codes == [3, 2, UNKNOWN_CODE, MISSING_CODE]
    np.testing.assert_array_equal(model.predict(X[:4].astype(predict_dtype)), model.predict(X[:4]))


def test_float_categories_that_float32_cannot_tell_apart_refuse_float32_values():
    """Two float64 categories equal in float32: a float32 value could be either, so the
    column is refused in float32 (float64 still tells them apart), not coded as a guess."""
    X = pd.DataFrame({"rate": np.array([0.1, 0.1 + 1e-12, 0.5] * 6)})
    y = np.array([0, 1, 0] * 6)
    model = MLPClassifier(categorical_features=["rate"], max_iter=2, device="cpu").fit(X, y)
    with pytest.raises(
        ValueError,
        match=r"Categorical feature 'rate' holds float32 values, but its categories were "
        r"fitted in float64 and float32 cannot tell them apart \(0\.1 and "
        r"0\.1000000000010\d* are both 0\.1 in float32\)\. Pass this column as float64",
    ):
        model.predict(X.astype(np.float32))
    assert model._validate_X(X[:3])["categorical"].ravel().tolist() == [2, 3, 4]
    categories = model.categories_[0]
    with pytest.raises(ValueError, match="cannot tell them apart"):
        codes_of(np.array([np.float32(0.5)], dtype=object), categories, "'rate'")
    # A finite category beyond float32's range is refused alike; a float64 value beyond
    # the float32 categories' range is unknown, not their infinity.
    with pytest.raises(ValueError, match=r"1e\+300 is beyond its range in float32"):
        codes_of(np.array([1.0], dtype=np.float32), np.array([1.0, 1e300]))
    wide = np.array([1e300, np.inf, 1.0])
    assert codes_of(wide, np.array([1.0, np.inf], dtype=np.float32)) == [1, 3, 2]
    assert codes_of(wide.astype(object), np.array([1.0, np.inf], dtype=np.float32)) == [1, 3, 2]


@pytest.mark.parametrize(
    "column, categories",
    [
        (pd.array([3, 1, pd.NA, 1], dtype="Int64"), [1, 3]),
        (pd.array([2**53 + 1, 2**53, pd.NA, 2**53], dtype="Int64"), [2**53, 2**53 + 1]),
        (pd.array([2**64 - 1, 2**63, pd.NA, 2**63], dtype="UInt64"), [2**63, 2**64 - 1]),
        (pd.Categorical([2**53 + 1, 2**53, None, 2**53]), [2**53, 2**53 + 1]),
    ],
    ids=["Int64", "Int64-above-2**53", "UInt64", "category-of-ints"],
)
def test_integer_columns_with_missing_values_keep_their_dtype(column, categories):
    """Non-regression: pandas makes integers with missing values float64, so the
    categories of an Int64 column with pd.NA came out as floats (and integers above 2**53
    merged); they keep their integer dtype and values, as documented."""
    X, y = pd.DataFrame({"n": column, "x": np.arange(4.0)}), np.array([0, 1, 0, 1])
    model = MLPClassifier(categorical_features=["n"], **QUICK).fit(X, y)
    assert model.categories_[0].dtype.kind in "iu"
    assert model.categories_[0].tolist() == categories
    assert model._validate_X(X)["categorical"].ravel().tolist() == [3, 2, MISSING_CODE, 2]
    # Read back without missing values (plain integers) or as floats: the same codes.
    full = X.iloc[[0, 1, 3]]
    assert model._validate_X(full)["categorical"].ravel().tolist() == [3, 2, 2]
    as_ints = full.astype({"n": model.categories_[0].dtype})
    assert model._validate_X(as_ints)["categorical"].ravel().tolist() == [3, 2, 2]


def test_unseen_categories_share_the_unknown_vector_and_missing_has_its_own():
    frame, label, _ = make_frame()
    model = MLPClassifier(categorical_features=["colour", "shop"], **QUICK).fit(frame, label)
    row = frame.iloc[[0, 0, 0, 0]].copy()
    row["colour"] = ["purple", "orange", None, "red"]
    proba = model.predict_proba(row)
    assert np.isfinite(proba).all()
    np.testing.assert_array_equal(proba[0], proba[1])  # both unknown: one shared vector
    assert not np.array_equal(proba[0], proba[2])  # missing has a vector of its own
    codes = model._validate_X(row)["categorical"][:, 0]
    assert codes.tolist() == [UNKNOWN_CODE, UNKNOWN_CODE, MISSING_CODE, 4]


@pytest.mark.parametrize("Estimator", MLPS)
def test_numbers_read_as_text_at_predict_warn(Estimator):
    # Non-regression: a column of number categories given as text at predict (a CSV read
    # with dtype=str) was encoded all unknown, silently.
    frame, label, target = make_frame()
    model = Estimator(categorical_features=["colour", "shop"], **QUICK).fit(
        frame, target_for(Estimator, label, target)
    )
    as_text = frame.assign(shop=frame["shop"].astype(str))
    with pytest.warns(UserWarning, match=r"Categorical features \['shop'\] of X hold values "):
        model.predict(as_text)
    with pytest.warns(UserWarning, match="but their categories"):
        codes = model._validate_X(as_text)["categorical"][:, 1]
    assert np.all(codes == UNKNOWN_CODE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict(frame)  # the training data: every category found
        model.predict(frame.assign(shop=frame["shop"].astype(float)))  # 2.0 is 2


def test_a_column_whose_values_are_all_unknown_warns():
    frame, label, _ = make_frame()
    model = MLPClassifier(categorical_features=["colour", "shop"], **QUICK).fit(frame, label)
    with pytest.warns(UserWarning, match=r"Found unknown categories in columns \['colour'\]: "):
        model.predict(frame.assign(colour="purple"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict(frame.assign(colour=["purple", "red"] * 60))  # some known: ordinary
        model.predict(frame.assign(colour=None))  # missing values are not unknown
    # Numbers for string categories are compared as their str(): say so when none match.
    numbers = frame[["size", "shop"]]
    model = MLPClassifier(categorical_features=[1], **QUICK).fit(
        numbers.astype({"shop": str}).to_numpy(), label
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict(numbers.astype(object).to_numpy())  # 1 is '1'
    with pytest.warns(UserWarning, match=r"columns \[1\]: all their values are numbers"):
        model.predict(numbers.assign(shop=numbers["shop"] + 0.5).to_numpy())


def test_the_unknown_value_check_only_looks_at_unknown_values():
    numbers, strings = np.array([1, 2, 3]), np.array(["1", "2"], dtype=object)
    problem = tabular.unknown_values_problem

    def check(values, categories):
        return problem(values, categories, tabular.encode_categories(values, categories))

    assert check(np.array(["1", "2"], dtype=object), numbers) == "strings"
    assert check(np.array([1, "2", None], dtype=object), numbers) == "strings"
    assert check(np.array(["1", "2"]), numbers) == "strings"  # a NumPy str array
    assert check(np.array([1, 7, 8]), numbers) is None  # unseen numbers among known ones
    assert check(np.array([7, 8]), numbers) == "all"
    assert check(np.array([7.0, np.nan]), numbers) == "all"
    assert check(np.array([np.nan, np.nan]), numbers) is None
    assert check(np.array([1, 2]), strings) is None
    assert check(np.array([1.0, 2.0]), strings) == "numbers"  # str(1.0) is '1.0'
    assert check(np.array(["x", "1"], dtype=object), strings) is None
    assert check(np.array(["x", None], dtype=object), strings) == "all"
    assert check(np.array(["x"], dtype=object), np.array([], dtype=object)) is None


@pytest.mark.parametrize("min_frequency", [10, 0.1])
def test_rare_categories_train_the_unknown_vector(min_frequency):
    n = 100
    city = np.array(["big"] * 60 + ["mid"] * 30 + [f"rare{i}" for i in range(10)], dtype=object)
    X = pd.DataFrame({"city": city, "x": np.linspace(-1, 1, n)})
    y = (city == "big").astype(int)
    model = MLPClassifier(categorical_features=["city"], min_frequency=min_frequency, **QUICK).fit(
        X, y
    )
    assert model.categories_[0].tolist() == ["big", "mid"]
    unknown = model.module_.categorical_embeddings.tables[0].weight[UNKNOWN_CODE]
    assert torch.any(unknown != 0)  # trained by the rare rows
    assert model.embedding_dims_ == [tabular.default_embedding_dim(2)]


# -- embedding widths ------------------------------------------------------------------------


def test_default_embedding_dims_follow_the_documented_rule():
    expected = [min(50, round(1.6 * n**0.56)) for n in (1, 2, 6, 30, 500, 5000)]
    assert [tabular.default_embedding_dim(n) for n in (1, 2, 6, 30, 500, 5000)] == expected
    assert tabular.default_embedding_dim(0) == 1
    frame, label, _ = make_frame()
    model = MLPClassifier(categorical_features=["colour", "shop"], **QUICK).fit(frame, label)
    assert model.embedding_dims_ == [tabular.default_embedding_dim(3), 4]
    assert [e.shape for e in model.embeddings_] == [(3, 3), (6, 4)]


@pytest.mark.parametrize(
    "embedding_dims, expected",
    [(8, [8, 8]), ([2, 7], [2, 7]), ((2, 7), [2, 7]), ({"shop": 9}, [3, 9]), ({1: 5}, [5, 4])],
)
def test_embedding_dims_override(embedding_dims, expected):
    frame, label, _ = make_frame()
    model = MLPClassifier(
        categorical_features=["colour", "shop"], embedding_dims=embedding_dims, **QUICK
    ).fit(frame, label)
    assert model.embedding_dims_ == expected
    assert [t.embedding_dim for t in model.module_.categorical_embeddings.tables] == expected


@pytest.mark.parametrize(
    "embedding_dims, match",
    [
        ([2], "has 1 entries, but X has 2 categorical features"),
        ({"size": 3}, "key 'size' that is not a categorical feature"),
        # Non-regression: each column was listed twice, by its index (as a string) and by
        # its name: ['1', '3', 'colour', 'shop'].
        (
            {"zz": 3},
            r"key 'zz' that is not a categorical feature; the categorical features are "
            r"\['colour', 'shop'\]\.$",
        ),
        ({"colour": 0}, r"embedding_dims\['colour'\] must be an int >= 1"),
        ([2, 2.5], r"embedding_dims\[1\] must be an int >= 1"),
        # Non-regression: a dict naming one column twice (by name and by index) let the
        # second key win silently; True was taken as a width of 1.
        (
            {"colour": 3, 1: 5},
            "embedding_dims has the keys 'colour' and 1 for one categorical feature, "
            "'colour': give it one width",
        ),
        (True, "'embedding_dims' parameter of MLPClassifier must be"),
        (np.True_, "'embedding_dims' parameter of MLPClassifier must be"),
        ([True, 2], r"embedding_dims\[0\] must be an int >= 1, got True"),
    ],
)
def test_bad_embedding_dims_are_refused(embedding_dims, match):
    frame, label, _ = make_frame()
    model = MLPClassifier(
        categorical_features=["colour", "shop"], embedding_dims=embedding_dims, **QUICK
    )
    with pytest.raises(ValueError, match=match):
        model.fit(frame, label)


def test_embedding_dims_names_the_categorical_columns_of_an_array_by_index():
    frame, label, _ = make_frame()
    model = MLPClassifier(categorical_features=[1, 3], embedding_dims={5: 2}, **QUICK)
    with pytest.raises(ValueError, match=r"the categorical features are \[1, 3\]\.$"):
        model.fit(frame.to_numpy(), label)


def test_embeddings_are_aligned_with_categories_and_absent_without_them():
    frame, label, _ = make_frame()
    model = MLPClassifier(categorical_features=["colour"], **QUICK).fit(frame, label)
    table = model.module_.categorical_embeddings.tables[0].weight.detach().numpy()
    np.testing.assert_array_equal(model.embeddings_[0], table[2:])
    numeric = MLPClassifier(numeric_scaling="robust", **QUICK).fit(frame[["size"]], label)
    assert numeric.is_categorical_ is None and numeric.categories_ == []
    assert not hasattr(numeric, "embeddings_")


def test_embeddings_learn_a_categorys_effect():
    rng = np.random.RandomState(0)
    n = 1500
    city = rng.randint(0, 40, n)
    effect = rng.normal(size=40)
    X = pd.DataFrame({"city": city, "x": rng.normal(size=n)})
    y = effect[city] + 0.5 * X["x"] + rng.normal(scale=0.1, size=n)
    model = MLPRegressor(
        categorical_features=["city"],
        hidden_layer_sizes=(32,),
        learning_rate_init=0.01,
        max_iter=60,
        device="cpu",
        random_state=0,
    ).fit(X[:1000], y[:1000])
    assert model.score(X[1000:], y[1000:]) > 0.9


# -- numeric columns ------------------------------------------------------------------------


def test_robust_scaling_centres_scales_clips_and_imputes():
    X = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [4.0, 5.0], [100.0, np.nan]])
    center, scale = tabular.fit_robust_scaling(X)
    np.testing.assert_allclose(center, [3.0, 5.0])
    np.testing.assert_allclose(scale, [2.0, 1.0])  # IQR; a constant column keeps 1
    Z = tabular.robust_scale(X, center, scale)
    assert Z.dtype == np.float32
    np.testing.assert_allclose(
        Z[:4, 0], [z / np.sqrt(1 + (z / 3) ** 2) for z in (-1, -0.5, 0, 0.5)]
    )
    assert 2.9 < Z[4, 0] < 3  # the outlier is clipped smoothly below 3
    assert Z[4, 1] == 0  # a missing value is the median
    # Half the range where the quartiles meet.
    assert tabular.fit_robust_scaling(np.array([[0.0], [0], [0], [0], [8]]))[1][0] == 4


def test_nan_in_numeric_columns_needs_robust_scaling():
    frame, label, _ = make_frame()
    frame.loc[3, "size"] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        MLPClassifier(categorical_features=["colour"], **QUICK).fit(frame, label)
    model = MLPClassifier(categorical_features=["colour"], numeric_scaling="robust", **QUICK)
    assert np.isfinite(model.fit(frame, label).predict_proba(frame)).all()
    frame.loc[4, "weight"] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        model.fit(frame, label)


def test_robust_scaling_makes_raw_scales_trainable():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(600, 3)) * [1e4, 1e-4, 1] + [1e6, 0, 0]
    y = (X[:, 0] - 1e6) / 1e4 + X[:, 1] * 1e4
    kwargs = dict(hidden_layer_sizes=(32,), max_iter=50, learning_rate_init=0.01)
    model = MLPRegressor(numeric_scaling="robust", device="cpu", random_state=0, **kwargs)
    assert model.fit(X[:400], y[:400]).score(X[400:], y[400:]) > 0.9


def test_piecewise_linear_encoding():
    embeddings = PiecewiseLinearEmbeddings([np.array([0.0, 1.0, 3.0]), np.array([5.0])])
    x = torch.tensor([[-1.0, 5.0], [0.5, 5.0], [2.0, 5.0], [4.0, 5.0]])
    encoded = embeddings.encode(x)
    assert encoded.shape == (4, 2, 2)
    # First bin unclipped below, last unclipped above; the one-edge feature encodes to 0.
    np.testing.assert_allclose(encoded[:, 0].numpy(), [[-1, 0], [0.5, 0], [1, 0.5], [1, 1.5]])
    assert torch.all(encoded[:, 1] == 0)
    assert embeddings(x).shape == (4, 2 * 24)


def test_bins_are_distinct_quantiles():
    X = np.column_stack([np.arange(1000.0), np.repeat([0.0, 1.0], 500), np.full(1000, 7.0)])
    edges = tabular.fit_bins(X, n_bins=4)
    np.testing.assert_allclose(edges[0], [0, 249.75, 499.5, 749.25, 999])
    np.testing.assert_allclose(edges[1], [0, 0.5, 1])
    np.testing.assert_allclose(edges[2], [7])


def test_periodic_embeddings_shapes():
    embeddings = PeriodicEmbeddings(3, n_frequencies=4, d_embedding=5)
    out = embeddings(torch.randn(7, 3))
    assert out.shape == (7, 15) and torch.all(out >= 0)


@pytest.mark.parametrize("numeric_embedding", ["periodic", "piecewise_linear"])
@pytest.mark.parametrize("Estimator", MLPS)
def test_numeric_embeddings_fit_and_predict(Estimator, numeric_embedding):
    frame, label, target = make_frame()
    model = Estimator(
        categorical_features=["colour"],
        numeric_embedding=numeric_embedding,
        numeric_scaling="robust",
        **QUICK,
    ).fit(frame, target_for(Estimator, label, target))
    assert isinstance(
        model.module_.numeric_embeddings, PeriodicEmbeddings | PiecewiseLinearEmbeddings
    )
    assert np.isfinite(outputs(model, frame)).all()
    # coefs_ are the hidden layers' (the embeddings are the module's own).
    assert model.coefs_[0].shape == (3 * 24 + 3, 16)  # 3 numeric columns, colour's 3


def test_coefs_rows_are_the_numeric_columns_then_the_embeddings():
    # The documented meaning of coefs_[0]'s rows on the table path (one per input of the
    # first linear layer), and batch normalisation folded in as everywhere.
    frame, _, target = make_frame()
    model = MLPRegressor(
        categorical_features=["colour", "shop"], numeric_scaling="robust", batch_norm=True, **QUICK
    ).fit(frame, target)
    encoded = model._validate_X(frame)
    vectors = [
        embeddings[codes]
        for embeddings, codes in zip(
            [t.weight.detach().numpy() for t in model.module_.categorical_embeddings.tables],
            encoded["categorical"].T,
            strict=True,
        )
    ]
    inputs = np.hstack([encoded["numeric"], *vectors])
    assert model.coefs_[0].shape[0] == 2 + sum(model.embedding_dims_) == inputs.shape[1]
    hidden = np.maximum(inputs @ model.coefs_[0] + model.intercepts_[0], 0)
    by_hand = (hidden @ model.coefs_[1] + model.intercepts_[1]).ravel()
    np.testing.assert_allclose(by_hand, model.predict(frame), rtol=1e-4, atol=1e-4)


def test_tabular_module_with_only_one_kind_of_column():
    only_codes = TabularMLPModule(0, [5, 4], [3, 2], [8], 1)
    assert only_codes(categorical=torch.tensor([[0, 1], [4, 3]])).shape == (2, 1)
    only_numbers = TabularMLPModule(3, [], [], [8], 2, numeric_embedding="periodic")
    assert only_numbers(numeric=torch.randn(4, 3)).shape == (4, 2)
    assert isinstance(CategoricalEmbeddings([3], [2]).tables[0], torch.nn.Embedding)


# -- the estimator's other contracts ----------------------------------------------------------


def test_partial_fit_maps_categories_seen_later_to_unknown():
    frame, label, _ = make_frame()
    model = MLPClassifier(categorical_features=["colour", "shop"], **QUICK)
    first = frame[frame["colour"] != "blue"]
    model.partial_fit(first, label[first.index], classes=["no", "yes"])
    assert model.categories_[0].tolist() == ["green", "red"]
    weights = [t.weight.shape for t in model.module_.categorical_embeddings.tables]
    model.partial_fit(frame, label)  # now with "blue": unknown, no new row
    assert model.categories_[0].tolist() == ["green", "red"]
    assert [t.weight.shape for t in model.module_.categorical_embeddings.tables] == weights
    codes = model._validate_X(frame)["categorical"][:, 0]
    assert np.all(codes[(frame["colour"] == "blue").to_numpy()] == UNKNOWN_CODE)


@pytest.mark.parametrize(
    "change",
    [
        dict(categorical_features=["shop"]),
        dict(numeric_scaling=None),
        dict(numeric_embedding="periodic"),
        dict(min_frequency=3),
        dict(embedding_dims=4),
    ],
)
def test_warm_start_refuses_another_encoding(change):
    frame, label, _ = make_frame()
    model = MLPClassifier(
        categorical_features=["colour"], numeric_scaling="robust", warm_start=True, **QUICK
    ).fit(frame, label)
    name = next(iter(change))
    model.set_params(**change)
    with pytest.raises(ValueError, match=f"different network: {name}="):
        model.fit(frame, label)
    with pytest.raises(ValueError, match=f"different network: {name}="):
        model.partial_fit(frame, label)


def test_a_plain_fit_refuses_categorical_features_on_warm_start():
    frame, label, _ = make_frame()
    model = MLPClassifier(warm_start=True, **QUICK).fit(frame[["size", "weight"]], label)
    model.set_params(categorical_features=[0])
    with pytest.raises(ValueError, match="categorical_features=\\[0\\] \\(fitted with None\\)"):
        model.fit(frame[["size", "weight"]], label)


def test_warm_start_keeps_the_fitted_encoding():
    frame, label, _ = make_frame()
    model = MLPClassifier(categorical_features=["colour"], warm_start=True, **QUICK)
    model.fit(frame[frame["colour"] != "blue"], label[(frame["colour"] != "blue").to_numpy()])
    model.fit(frame, label)
    assert model.categories_[0].tolist() == ["green", "red"]


def test_integer_weights_match_repeated_rows():
    # One encoding for both fits (every category and value is in a row of positive
    # weight; no numeric transform), one full batch: equal up to float32 rounding.
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"c": np.tile(["a", "b", "c"], 10), "x": rng.normal(size=30)})
    y = rng.normal(size=30)
    weight = rng.randint(1, 4, 30)
    repeated = X.loc[X.index.repeat(weight)]
    params = dict(categorical_features=["c"], hidden_layer_sizes=(8,), max_iter=20)
    params.update(device="cpu", random_state=0)
    weighted = MLPRegressor(**params).fit(X, y, sample_weight=weight)
    plain = MLPRegressor(**params).fit(repeated, np.repeat(y, weight))
    np.testing.assert_allclose(weighted.predict(X), plain.predict(X), rtol=1e-4, atol=1e-5)


def test_zero_weights_remove_rows():
    frame, label, _ = make_frame()
    keep = frame["colour"].notna().to_numpy() & (np.arange(len(frame)) % 3 > 0)
    # Five L-BFGS iterations: by ten, the line searches can branch on float32 rounding (the
    # sums over all rows and over the kept ones round differently), and the two fits part
    # by 1.4e-4 on an AVX-512 CPU. At five they agree to 7e-7 there, while a weight of 1e-4
    # left on the dropped rows moves the probabilities by 3.6e-5, one of 1e-3 by 3.5e-4.
    params = dict(QUICK, categorical_features=["colour"], solver="lbfgs", max_iter=5)
    on_all = MLPClassifier(**params).fit(frame, label, sample_weight=keep.astype(float))
    on_kept = MLPClassifier(**params).fit(frame[keep], label[keep])
    np.testing.assert_allclose(
        on_all.predict_proba(frame), on_kept.predict_proba(frame), rtol=0, atol=1e-5
    )


@pytest.mark.parametrize("Estimator", MLPS)
@pytest.mark.parametrize("numeric_embedding", [None, "piecewise_linear", "periodic"])
def test_model_files_and_pickles_round_trip(tmp_path, Estimator, numeric_embedding):
    frame, label, target = make_frame()
    model = Estimator(
        categorical_features="from_dtype",
        numeric_embedding=numeric_embedding,
        numeric_scaling="robust",
        min_frequency=2,
        embedding_dims={"colour": 4},
        early_stopping=numeric_embedding is None,
        **QUICK,
    ).fit(frame.assign(shop=frame["shop"].astype(str)), target_for(Estimator, label, target))
    test = frame.assign(shop=frame["shop"].astype(str)).iloc[:30].copy()
    test.loc[test.index[:3], "colour"] = ["unseen", None, "red"]
    expected = outputs(model, test)
    path = tmp_path / "model.sknn"
    model.save(path)
    loaded = sknn.load(path)
    np.testing.assert_array_equal(outputs(loaded, test), expected)
    for attribute in ("categories_", "embeddings_"):
        for a, b in zip(getattr(loaded, attribute), getattr(model, attribute), strict=True):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.is_categorical_, model.is_categorical_)
    assert loaded.embedding_dims_ == model.embedding_dims_
    unpickled = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(outputs(unpickled, test), expected)


def test_a_pipeline_with_a_column_transformer_saves_and_loads(tmp_path):
    frame, label, _ = make_frame()
    model = _scaled_then_embedded()
    model.fit(frame, label)
    sknn.save(model, tmp_path / "pipe.sknn")
    loaded = sknn.load(tmp_path / "pipe.sknn")
    np.testing.assert_array_equal(loaded.predict_proba(frame), model.predict_proba(frame))


@pytest.mark.parametrize("Estimator", MLPS)
def test_multi_output_early_stopping_and_restarts(Estimator):
    frame, label, target = make_frame()
    y = (
        np.column_stack([label == "yes", frame["shop"] > 2]).astype(int)
        if Estimator is MLPClassifier
        else np.column_stack([target, frame["size"]])
    )
    model = Estimator(
        categorical_features=["colour", "shop"], early_stopping=True, n_init=2, **QUICK
    ).fit(frame, y)
    assert outputs(model, frame).shape == (len(frame), 2)
    assert len(model.init_scores_) == 2


def test_feature_names_are_checked_at_predict():
    frame, label, _ = make_frame()
    model = MLPClassifier(categorical_features=["colour"], **QUICK).fit(frame, label)
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        model.predict(frame[["colour", "size", "weight", "shop"]])
    with (
        pytest.raises(ValueError, match="X has 3 features"),
        pytest.warns(UserWarning, match="does not have valid feature names"),
    ):
        model.predict(frame.iloc[:, :3].to_numpy(dtype=object))


# -- early stopping on the validation loss, and the tabular preset ----------------------------


@pytest.mark.parametrize("n_classes", [2, 3])
def test_validation_loss_is_minus_the_log_loss(n_classes):
    from sklearn.metrics import log_loss

    from sknn.estimators.mlp import _validation_loss

    frame, _, target = make_frame()
    y = np.digitize(target, np.quantile(target, np.linspace(0, 1, n_classes + 1)[1:-1]))
    # Robustly scaled inputs keep the probabilities away from log_loss's clipping.
    model = MLPClassifier(categorical_features=["colour"], numeric_scaling="robust", **QUICK)
    model.fit(frame, y)
    raw = model._raw_outputs(model._validate_X(frame))
    weights = np.linspace(0.5, 2, len(y))
    expected = -log_loss(y, model.predict_proba(frame), sample_weight=weights)
    assert _validation_loss(model, raw, y, weights) == pytest.approx(expected, rel=1e-5)
    regressor = MLPRegressor(**QUICK).fit(frame[["size", "weight"]], target)
    raw = regressor._raw_outputs(regressor._validate_X(frame[["size", "weight"]]))
    half_mse = 0.5 * np.mean((regressor.predict(frame[["size", "weight"]]) - target) ** 2)
    assert _validation_loss(regressor, raw, target, None) == pytest.approx(-half_mse, rel=1e-5)


@pytest.mark.parametrize("Estimator", MLPS)
def test_scoring_loss_stops_on_the_validation_loss(Estimator):
    frame, label, target = make_frame(n=400)
    y = target_for(Estimator, label, target)
    params = dict(QUICK, categorical_features=["colour"], early_stopping=True, max_iter=30)
    model = Estimator(scoring="loss", **params).fit(frame, y)
    scores = np.asarray(model.validation_scores_)
    assert np.all(scores < 0) and model.best_validation_score_ == scores.max()
    default = Estimator(**params).fit(frame, y)
    scores = np.asarray(default.validation_scores_)  # accuracy or R^2: scikit-learn's
    assert np.all(scores <= 1) and (Estimator is MLPRegressor or np.all(scores >= 0))
    assert default.best_validation_score_ == scores.max()


def test_tabular_preset_is_a_plain_instance_with_sklearns_defaults_untouched():
    from sklearn.base import clone

    from sknn.search_spaces import TABULAR_PRESET

    model = MLPClassifier.tabular(random_state=3, hidden_layer_sizes=(32,))
    params = model.get_params()
    assert params["random_state"] == 3 and params["hidden_layer_sizes"] == (32,)
    for name, value in TABULAR_PRESET.items():
        if name != "hidden_layer_sizes":
            assert params[name] == value, name
    assert clone(model).get_params() == params
    default = MLPRegressor()
    assert default.categorical_features is None and default.scoring is None
    assert default.numeric_scaling is None and default.early_stopping is False


def test_tabular_preset_takes_a_raw_dataframe():
    frame, label, _ = make_frame(n=3000)  # the preset's batches of 256 want thousands of rows
    frame.loc[::11, "weight"] = np.nan  # imputed by the robust scaling
    frame["colour"] = frame["colour"].astype("category")
    model = MLPClassifier.tabular(device="cpu", random_state=0).fit(frame, label)
    np.testing.assert_array_equal(model.is_categorical_, [False, True, False, False])
    assert model.score(frame, label) > 0.9


def test_fast_tabular_preset_keeps_the_input_handling_with_a_smaller_budget():
    from sknn.search_spaces import TABULAR_FAST_PRESET, TABULAR_PRESET

    fast = MLPRegressor.tabular(fast=True, random_state=0, max_iter=12)
    params = fast.get_params()
    assert params["max_iter"] == 12  # keyword arguments still override
    for name, value in TABULAR_FAST_PRESET.items():
        if name != "max_iter":
            assert params[name] == value, name
    for name in ("categorical_features", "min_frequency", "numeric_scaling"):
        assert TABULAR_FAST_PRESET[name] == TABULAR_PRESET[name]
    assert MLPRegressor.tabular(fast=False).get_params() == MLPRegressor.tabular().get_params()
    with pytest.raises(TypeError, match="fast must be True or False"):
        MLPClassifier.tabular(fast="yes")


def test_fast_tabular_preset_fits_a_raw_dataframe():
    # Thousands of rows, as the preset's batches of 2,048 want: 6 epochs of 10 steps.
    frame, label, target = make_frame(n=20_000)
    frame.loc[::11, "weight"] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # its 6 epochs are the plan
        model = MLPRegressor.tabular(fast=True, device="cpu", random_state=0)
        model.fit(frame, target)
    assert model.n_iter_ == 6 and model.embedding_dims_ == [16]  # colour: an object column
    # The cosine schedule ends at its floor: the budget was spent as planned.
    assert model.history_[-1]["lr"] < 0.1 * model.learning_rate_init
    assert model.score(frame, target) > 0.95


def test_the_table_streams_from_host_memory():
    frame, label, _ = make_frame()
    params = dict(QUICK, categorical_features=["colour", "shop"], numeric_scaling="robust")
    streamed = MLPClassifier(stream_data=True, **params).fit(frame, label)
    in_memory = MLPClassifier(**params).fit(frame, label)
    # The same batches, each read in increasing row order: equal up to float rounding.
    np.testing.assert_allclose(
        streamed.predict_proba(frame), in_memory.predict_proba(frame), rtol=1e-4, atol=1e-5
    )


@pytest.mark.parametrize(
    "params, named",
    [
        (dict(numeric_scaling="robust"), "Columns 'cut', 'color' of X are not numeric"),
        (dict(categorical_features=["cut"]), "Columns 'color' of X are not numeric"),
    ],
    ids=["numeric-scaling", "named-categories"],
)
def test_text_columns_left_numeric_on_the_table_path_are_named(params, named):
    # Non-regression: the table path gave only NumPy's "could not convert string to
    # float", where the plain path names the columns and what to do.
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {
            "carat": rng.rand(40),
            "cut": rng.choice(["fair", "good"], 40),
            "color": rng.choice(["H", "J"], 40),
        }
    )
    with pytest.raises(ValueError, match=f"could not convert string to float.*{named}"):
        MLPRegressor(max_iter=2, **params).fit(frame, rng.rand(40))


@pytest.mark.parametrize("embedding", ["piecewise_linear", "periodic"])
def test_alpha_and_l1_leave_the_numeric_embeddings_biases_alone(embedding):
    # Non-regression (a probe of the penalty path): the per-feature linear maps' biases
    # are 2-D, and were decayed like weight matrices; scikit-learn penalises no bias.
    rng = np.random.RandomState(0)
    X, y = rng.randn(40, 2).astype(np.float32), rng.randint(0, 2, 40)
    est = MLPClassifier(
        hidden_layer_sizes=(4,), numeric_embedding=embedding, alpha=1.0, l1=1e-3, max_iter=1
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.set_params(random_state=0, device="cpu").fit(X, y)
    penalised = {id(p) for p in est.net_.penalised_parameters()}
    names = {n for n, p in est.net_.module_.named_parameters() if id(p) in penalised}
    assert not [n for n in names if n.endswith("bias")]
    assert "mlp.layers.0.weight" in names
    assert any(n.startswith("numeric_embeddings") and n.endswith("weight") for n in names)
