"""Property-based tests: whatever the input and the hyperparameters, every estimator ends
in a scikit-learn error, a warning or finite outputs.

Each test draws data (random shapes and dtypes, NaN, infinity, values beyond float32's
range, empty and ragged input, strings where numbers belong) and hyperparameters (many
outside their valid range or of the wrong type), then calls ``fit``, ``partial_fit``,
``predict``, ``predict_proba``, ``transform`` and ``score``. It fails on any exception
but the conventions scikit-learn's estimators share:

- ``ValueError`` and ``TypeError`` (scikit-learn's ``InvalidParameterError`` is both) for
  bad input and parameters, ``NotFittedError`` before ``fit``;
- ``AttributeError`` from ``partial_fit`` with ``solver='lbfgs'``, as scikit-learn's MLP;
- ``MemoryError`` for sizes no machine has;

and on any non-finite prediction. Profiles (``SKNN_HYPOTHESIS_PROFILE``): ``ci`` (the
default, under two minutes on a 2-core machine) and ``thorough`` (many more examples).
"""

import os
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.exceptions import NotFittedError

from sknn import (
    ConvNetClassifier,
    MLPClassifier,
    MLPRegressor,
    SequenceClassifier,
    SequenceRegressor,
    TransformerClassifier,
    Word2Vec,
)
from sknn.text import TextVectorizer

settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
settings.register_profile(
    "thorough",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("SKNN_HYPOTHESIS_PROFILE", "ci"))

#: Per estimator: examples run, and of them the fits that succeeded. With
#: SKNN_HYPOTHESIS_REPORT=path, written there as JSON at the end of the module.
EXAMPLES = {}
FITTED = {}


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    path = os.environ.get("SKNN_HYPOTHESIS_REPORT")
    if path:
        import json

        with open(path, "w") as stream:
            json.dump({"examples": EXAMPLES, "fitted": FITTED}, stream, indent=1)


ALLOWED = (ValueError, TypeError, NotFittedError, MemoryError)

# -- values ------------------------------------------------------------------------------

SPECIAL = [np.nan, np.inf, -np.inf, 1e39, -1e308, 1e308, 0.0, -0.0, 1e-320]

floats = st.one_of(
    st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(SPECIAL),
)


@st.composite
def tables(draw, max_rows=14, max_cols=4, min_rows=0):
    """2-D input in every form a user might pass, most of it numeric."""
    n = draw(st.one_of(st.integers(min_rows, max_rows), st.integers(4, max_rows)))
    d = draw(st.one_of(st.integers(0, max_cols), st.integers(1, max_cols)))
    kind = draw(st.sampled_from(["float"] * 6 + ["int", "bool", "object", "str"]))
    if kind == "float":
        dtype = draw(st.sampled_from([np.float32, np.float64]))
        special = draw(st.integers(0, 3)) == 0
        elements = floats if special else st.floats(-3, 3, width=32)
        X = draw(hnp.arrays(dtype, (n, d), elements=elements))
    elif kind == "int":
        X = draw(hnp.arrays(np.int64, (n, d), elements=st.integers(-5, 5)))
    elif kind == "bool":
        X = draw(hnp.arrays(np.bool_, (n, d)))
    elif kind == "object":
        X = np.empty((n, d), dtype=object)
        for index in np.ndindex(n, d):
            X[index] = draw(st.one_of(st.floats(-3, 3), st.none(), st.text(max_size=2)))
    else:
        X = draw(hnp.arrays(np.dtype("U3"), (n, d)))
    form = draw(st.sampled_from(["array"] * 6 + ["list", "1d", "3d", "sparse"]))
    if form == "list":
        return X.tolist()
    if form == "sparse" and X.dtype.kind in "biuf":
        return draw(st.sampled_from([sp.csr_matrix, sp.csc_matrix, sp.coo_array]))(X)
    if form == "1d":
        return X.ravel()
    if form == "3d":
        return X.reshape(n, d, 1)
    return X


@st.composite
def corrupted(draw, X):
    """``X`` (same shape) with a few entries replaced by NaN, infinity or huge values."""
    try:
        X = np.array(X, dtype=np.float64)
    except (TypeError, ValueError):
        return X  # not numeric: nothing to corrupt
    if X.size:
        flat = X.reshape(-1)
        for _ in range(draw(st.integers(1, 3))):
            flat[draw(st.integers(0, X.size - 1))] = draw(st.sampled_from(SPECIAL))
    return X


def new_inputs(X, fresh):
    """What predict gets: the training X, X with bad values, or fresh input."""
    return st.one_of(st.just(X), corrupted(X), fresh)


@st.composite
def labels(draw, n, regression=False):
    n = draw(st.sampled_from([n] * 8 + [max(n - 1, 0), n + 1]))  # sometimes the wrong length
    if regression:
        return draw(hnp.arrays(np.float64, n, elements=floats))
    kind = draw(st.sampled_from(["int", "int", "str", "str", "float", "one"]))
    if kind == "int":
        return draw(hnp.arrays(np.int64, n, elements=st.integers(0, 2)))
    if kind == "str":
        return np.array(draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n)))
    if kind == "one":
        return np.full(n, 7)
    return draw(hnp.arrays(np.float64, n, elements=floats))


def _params(draw, choices, Estimator):
    """Draw some of ``choices`` that ``Estimator`` takes: name -> (valid values, invalid
    values), an invalid one a quarter of the time, so that most examples train."""
    names = sorted(set(choices) & set(Estimator().get_params()))
    names = draw(st.lists(st.sampled_from(names), max_size=4, unique=True))
    params = {}
    for name in names:
        valid, invalid = choices[name]
        pool = invalid if invalid and draw(st.integers(0, 3)) == 0 else valid
        params[name] = draw(st.sampled_from(pool))
    return params


# Values each shared parameter is drawn from: (valid, invalid).
SHARED = {
    "max_iter": ([1, 2], [0, -1, 2.5, True, None, "3"]),
    "learning_rate_init": ([1e-3, 0.1, 10.0, 1e10], [0, -1, np.nan, np.inf]),
    "batch_size": (["auto", 1, 4, 10**9], [0, -3, True, 1.5]),
    "alpha": ([1e-4, 0.0, 10.0], [-1, np.nan, np.inf]),
    "solver": (["adam", "sgd", "lbfgs", "rmsprop", "adamw"], ["bogus"]),
    "early_stopping": ([False, True], ["yes"]),
    "validation_fraction": ([0.1, 0.5], [0, 1, -0.1, 2]),
    "n_iter_no_change": ([1, 10, np.inf], [0, -1]),
    "tol": ([1e-4, 0], [-1]),
    "momentum": ([0.9, 0, 1], [2]),
    "grad_clip": ([None, 1.0], [0, -1]),
    "warmup": ([0, 2, 0.5], [-1, 1.5]),
    "learning_rate": (["constant", "cosine", "plateau", "invscaling", "adaptive"], ["bogus"]),
    "precision": (["float32", "bf16", "fp16"], ["fp8"]),
    "label_smoothing": ([0.0, 0.2], [1.0, -0.1]),
    "weight_decay": ([0.0, 0.1], [-1]),
    "l1": ([0.0, 1e-3], [-1]),
}
QUICK = dict(max_iter=2, device="cpu", random_state=0)


def _run(estimator, X, y, X_pred, classifier):
    """fit, partial_fit, then every output method; only allowed errors pass through."""
    name = type(estimator).__name__
    EXAMPLES[name] = EXAMPLES.get(name, 0) + 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            estimator.fit(X, y)
        except ALLOWED:
            with pytest.raises(ALLOWED):
                _outputs(estimator, X_pred, y)  # not fitted: NotFittedError
            return
        FITTED[name] = FITTED.get(name, 0) + 1
        for X_new in (X, X_pred):
            try:
                outputs = _outputs(estimator, X_new, y)
            except ALLOWED:
                continue
            for value in outputs:  # predictions and transforms (a score may be NaN)
                if np.asarray(value).dtype.kind == "f":
                    assert np.isfinite(value).all(), (name, X_new, value)
        if hasattr(estimator, "partial_fit"):
            try:
                if classifier:
                    estimator.partial_fit(X, y, classes=getattr(estimator, "classes_", None))
                else:
                    estimator.partial_fit(X, y)
            except AttributeError as error:
                assert "lbfgs" in str(error), error  # scikit-learn's convention
            except ALLOWED:
                pass


def _outputs(estimator, X, y):
    outputs = [
        getattr(estimator, method)(X)
        for method in ("predict", "predict_proba", "transform")
        if hasattr(estimator, method)
    ]
    if hasattr(estimator, "score") and y is not None:
        try:
            estimator.score(X, y)  # scikit-learn's scores may be NaN (R^2 of one row)
        except ALLOWED:
            pass
    return outputs


# -- the estimators ------------------------------------------------------------------------

MLP_CHOICES = {
    **SHARED,
    "hidden_layer_sizes": ([(4,), (3, 2), (), 3], [(0,), (2.5,), ("a",), (10**12,), [True]]),
    "activation": (["relu", "tanh", "gelu"], ["bogus"]),
    "batch_norm": ([False, True], []),
    "dropout": ([0.0, 0.5], [1.0, -0.1]),
    "init": (["glorot", "he"], ["bogus"]),
    # The table path: categorical columns (any value a category, NaN missing), robust
    # scaling, numeric embeddings.
    "categorical_features": (
        [None, [0], "from_dtype", [True, False]],
        [[7], [-1], ["nope"], [0.5], [[0]]],
    ),
    "numeric_scaling": ([None, "robust"], ["bogus"]),
    "numeric_embedding": ([None, "piecewise_linear", "periodic"], ["bogus"]),
    "min_frequency": ([None, 2, 0.5], [0, 1.5, -1]),
    "embedding_dims": (["auto", 3, {0: 2}], [0, [0], {"x": 2}]),
    "scoring": ([None, "loss"], ["bogus"]),
}


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
@given(data=st.data())
def test_mlp_never_fails_badly(Estimator, data):
    classifier = Estimator is MLPClassifier
    X = data.draw(tables(), label="X")
    y = data.draw(labels(_length(X), regression=not classifier), label="y")
    X_pred = data.draw(new_inputs(X, tables()), label="X_pred")
    params = {**QUICK, **_params(data.draw, MLP_CHOICES, Estimator)}
    _run(Estimator(**params), X, y, X_pred, classifier)


CONV_CHOICES = {
    **SHARED,
    "channels": ([(2,), (2, 2)], [(), (0,), (1.5,), (10**9,)]),
    "kernel_size": ([1, 3], [100, 0, 2.5]),
    "padding": (["same", "valid", 0, 2], [1000, -1, "full"]),
    "pooling": ([None, "max", "avg"], ["bogus"]),
    "dense_sizes": ([(), (4,)], [(0,)]),
    "augment_shift": ([0, 1], [1000, -1]),
    "augment_flip": ([False, True], []),
    "batch_norm": ([False, True], []),
    "global_pool": ([False, True], []),
    "residual": ([False, True], []),
}


@st.composite
def images(draw):
    n = draw(st.integers(0, 10))
    shape = draw(st.sampled_from([(5, 5), (1, 6, 6), (6, 6, 3), (4, 4, 1), (3,)]))
    dtype = draw(st.sampled_from([np.float32, np.float64, np.uint8]))
    if dtype == np.uint8:
        elements = st.integers(0, 255)
    else:
        elements = floats if draw(st.booleans()) else st.floats(0, 1, width=32)
    X = draw(hnp.arrays(dtype, (n, *shape), elements=elements))
    return X.reshape(n, int(np.prod(shape))) if draw(st.booleans()) and len(shape) == 2 else X


@given(data=st.data())
def test_convnet_never_fails_badly(data):
    X = data.draw(images(), label="X")
    y = data.draw(labels(len(X)), label="y")
    X_pred = data.draw(new_inputs(X, images()), label="X_pred")
    params = {**QUICK, "channels": (2,), "dense_sizes": ()}
    params.update(_params(data.draw, CONV_CHOICES, ConvNetClassifier))
    _run(ConvNetClassifier(**params), X, y, X_pred, True)


SEQUENCE_CHOICES = {
    **SHARED,
    "cell": (["auto", "lstm", "gru", "rnn", "fcn", "resnet"], ["bogus"]),
    "hidden_size": ([4, 1], [0, 10**12, 2.5]),
    "num_layers": ([1, 2], [0]),
    "bidirectional": ([False, True], []),
    "pooling": (["auto", "last", "mean", "max", "attention"], ["bogus"]),
    "normalize": ([None, "series", "series_stats", "channel", "auto"], ["bogus", True]),
    "time_index": ([False, True], ["yes"]),
    "max_len": ([None, 3], [0]),
    "dense_sizes": ([(), (3,)], [(0,)]),
    "input_kind": (["auto", "sequences", "text"], ["bogus"]),
    "embedding_dim": ([4], [0, 10**12]),
    "validation_split": (["last", "random"], ["bogus"]),
}

words = st.sampled_from(["good", "bad", "film", "", "a", "ünïcode", "the", "1"])
texts = st.lists(words, max_size=6).map(" ".join)


@st.composite
def sequences(draw):
    kind = draw(st.sampled_from(["array", "ragged", "text", "text", "tokens", "ids", "other"]))
    n = draw(st.one_of(st.integers(0, 10), st.integers(12, 30)))
    if kind == "array":
        T, d = draw(st.integers(0, 5)), draw(st.integers(0, 3))
        return draw(hnp.arrays(np.float32, (n, T, d), elements=floats))
    if kind == "ragged":
        return [
            draw(hnp.arrays(np.float64, (draw(st.integers(0, 5)), 2), elements=floats))
            for _ in range(n)
        ]
    if kind == "text":
        return draw(st.lists(texts, min_size=n, max_size=n))
    if kind == "tokens":
        return draw(st.lists(st.lists(words, max_size=5), min_size=n, max_size=n))
    if kind == "ids":
        return draw(st.lists(st.lists(st.integers(-2, 50), max_size=5), min_size=n, max_size=n))
    return draw(
        st.sampled_from(
            ["one string", {"a": 1}, None, 3.5, [None, 1], [["a", 1]], [[[1.0]]], {"x", "y"}]
        )
    )


def _length(X):
    if sp.issparse(X):
        return X.shape[0]
    try:
        return len(X)
    except TypeError:
        return 0


@pytest.mark.parametrize("Estimator", [SequenceClassifier, SequenceRegressor])
@given(data=st.data())
def test_sequence_estimators_never_fail_badly(Estimator, data):
    classifier = Estimator is SequenceClassifier
    X = data.draw(sequences(), label="X")
    y = data.draw(labels(_length(X), regression=not classifier), label="y")
    X_pred = data.draw(new_inputs(X, sequences()), label="X_pred")
    params = {**QUICK, "hidden_size": 4, **_params(data.draw, SEQUENCE_CHOICES, Estimator)}
    _run(Estimator(**params), X, y, X_pred, classifier)


TEXT_CHOICES = {
    "d_model": ([8, 6], [0, 10**9]),
    "n_heads": ([2], [3, 0]),
    "n_layers": ([1], [0, 2.5]),
    "max_len": ([16, 1], [0]),
    "max_vocab": ([None, 5], [0]),
    "min_freq": ([1, 3], [0]),
    "pooling": (["mean", "cls", "max"], ["bogus"]),
    "positional": (["sinusoidal", "learned"], ["bogus"]),
    "token_dropout": ([0.0, 0.5], [1.0]),
    "lowercase": ([True, False], []),
    **{k: SHARED[k] for k in ("max_iter", "learning_rate_init", "batch_size", "early_stopping")},
}


@given(data=st.data())
def test_transformer_never_fails_badly(data):
    X = data.draw(sequences(), label="X")
    y = data.draw(labels(_length(X)), label="y")
    X_pred = data.draw(new_inputs(X, sequences()), label="X_pred")
    params = {**QUICK, "d_model": 8, "n_heads": 2, "n_layers": 1, "early_stopping": False}
    params.update(_params(data.draw, TEXT_CHOICES, TransformerClassifier))
    _run(TransformerClassifier(**params), X, y, X_pred, True)


WORD2VEC_CHOICES = {
    "vector_size": ([4], [0, 10**12]),
    "window": ([2, 10**12], [0]),
    "min_count": ([1, 100], [0]),
    "sample": ([0, 1e-3, 0.5], [1, -1]),
    "negative": ([2, 0], [10**9]),
    "ns_exponent": ([0.75, 0, -1, 1000], [np.nan]),
    "architecture": (["skipgram", "cbow"], ["bogus"]),
    "epochs": ([1], [0, 2.5]),
    "alpha": ([0.025], [0, -1]),
    "batch_size": ([64, 1], [0]),
    "lowercase": ([True, False], []),
}


@given(data=st.data())
def test_word2vec_never_fails_badly(data):
    X = data.draw(sequences(), label="X")
    X_pred = data.draw(new_inputs(X, sequences()), label="X_pred")
    params = {"vector_size": 4, "min_count": 1, "epochs": 1, "sample": 0, "device": "cpu"}
    params["random_state"] = 0
    params.update(_params(data.draw, WORD2VEC_CHOICES, Word2Vec))
    _run(Word2Vec(**params), X, None, X_pred, False)


VECTORIZER_CHOICES = {
    "max_vocab": ([None, 3], [0, -1]),
    "min_freq": ([1, 2], [0]),
    "max_len": ([None, 4], [0]),
    "lowercase": ([True, False], []),
}


@given(data=st.data())
def test_text_vectorizer_never_fails_badly(data):
    X = data.draw(sequences(), label="X")
    X_pred = data.draw(new_inputs(X, sequences()), label="X_pred")
    _run(
        TextVectorizer(**_params(data.draw, VECTORIZER_CHOICES, TextVectorizer)),
        X,
        None,
        X_pred,
        False,
    )
