"""Model files and checkpoints: ``save`` / ``sknn.load``, safe by construction.

Every round trip runs with pickle's and torch's unpickling loaders patched to raise: a
model file is data (safetensors and JSON), never code.
"""

import errno
import json
import os
import pickle
import struct
import sys
import types
import warnings
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.ensemble import BaggingClassifier, StackingClassifier, VotingClassifier
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.exceptions import InconsistentVersionWarning as SklearnVersionWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.utils import Bunch
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted

import sknn
from sknn import (
    ConvNetClassifier,
    MLPClassifier,
    MLPRegressor,
    SequenceClassifier,
    SequenceRegressor,
    TransformerClassifier,
    Word2Vec,
)
from sknn.persistence import (
    FORMAT_VERSION,
    InconsistentVersionWarning,
    UntrustedTypesError,
    _container,
)
from sknn.text import TextVectorizer, word_tokenize
from sknn.timeseries import LagWindows, PastRows, TimeOrderedSplit

FIXTURES = Path(__file__).parent / "fixtures"
needs_cuda = pytest.mark.gpu  # skipped without a CUDA device (tests/conftest.py)

RNG = np.random.RandomState(0)
X_TABLE = RNG.randn(80, 6).astype(np.float32)
Y_CLASS = np.array(["no", "yes"])[(X_TABLE[:, 0] + X_TABLE[:, 1] > 0).astype(int)]
Y_REG = X_TABLE[:, 0] - 2 * X_TABLE[:, 2]
IMAGES = RNG.rand(60, 8, 8).astype(np.float32)
Y_IMAGES = (IMAGES[:, :4].mean(axis=(1, 2)) > IMAGES[:, 4:].mean(axis=(1, 2))).astype(int)
SEQUENCES = RNG.randn(60, 12, 2).astype(np.float32)
Y_SEQUENCES = (SEQUENCES[:, :, 0].mean(axis=1) > 0).astype(int)
TEXTS = [
    "a wonderful film with a great cast",
    "dull and far too long",
    "great fun from start to finish",
    "a boring mess of a movie",
    "the cast is wonderful and the story great",
    "long dull and boring",
] * 8
Y_TEXTS = np.array(["pos", "neg"] * 24)
SERIES = pd.DataFrame(
    {"load": np.sin(np.arange(40) / 3) + RNG.randn(40) * 0.1, "hour": np.arange(40) % 24}
)

QUICK = dict(max_iter=3, device="cpu", random_state=0)

# (estimator, X, y, output methods) for each of sknn's estimators.
CASES = {
    "MLPClassifier": (
        MLPClassifier(hidden_layer_sizes=(8,), early_stopping=True, **QUICK),
        X_TABLE,
        Y_CLASS,
        ("predict", "predict_proba"),
    ),
    "MLPRegressor": (MLPRegressor(hidden_layer_sizes=(8,), **QUICK), X_TABLE, Y_REG, ("predict",)),
    "ConvNetClassifier": (
        ConvNetClassifier(channels=(4,), dense_sizes=(8,), batch_norm=True, **QUICK),
        IMAGES,
        Y_IMAGES,
        ("predict_proba", "transform"),
    ),
    # cell='auto': the fully convolutional network; normalize='auto': two features per
    # step, so 'channel', with its fitted statistics.
    "SequenceClassifier": (
        SequenceClassifier(hidden_size=8, **QUICK),
        SEQUENCES,
        Y_SEQUENCES,
        ("predict", "predict_proba"),
    ),
    "SequenceRegressor": (
        SequenceRegressor(hidden_size=8, cell="gru", **QUICK),
        SEQUENCES,
        SEQUENCES[:, -1, 0],
        ("predict",),
    ),
    "SequenceRegressor-resnet": (
        SequenceRegressor(
            hidden_size=8, cell="resnet", normalize="series_stats", time_index=True, **QUICK
        ),
        SEQUENCES,
        SEQUENCES[:, -1, 0],
        ("predict",),
    ),
    "SequenceClassifier-text": (
        SequenceClassifier(hidden_size=8, **QUICK),
        TEXTS,
        Y_TEXTS,
        ("predict_proba",),
    ),
    "TransformerClassifier": (
        TransformerClassifier(d_model=8, n_heads=2, n_layers=1, **QUICK),
        TEXTS,
        Y_TEXTS,
        ("predict", "predict_proba"),
    ),
    "Word2Vec": (
        Word2Vec(vector_size=8, min_count=1, epochs=2, sample=0, device="cpu", random_state=0),
        TEXTS,
        None,
        ("transform",),
    ),
    "TextVectorizer": (TextVectorizer(max_len=6), TEXTS, None, ("transform",)),
    # Non-regression: sknn's time-series transformers could not be saved.
    "LagWindows": (LagWindows(window=3, target="load", exog="hour"), SERIES, None, ("transform",)),
    "PastRows": (PastRows(window=4), SERIES, None, ("transform",)),
}


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture
def no_unpickling(monkeypatch):
    """Make every unpickling loader raise for the duration of a test."""
    # torch imports its compiler lazily (building a module on the meta device can), and
    # the compiler subclasses pickle.Unpickler: imported under the patch it would fail,
    # and stay half-imported for the rest of the session.
    import torch._dynamo  # noqa: F401

    def refuse(*args, **kwargs):
        raise AssertionError("a model file was unpickled")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    monkeypatch.setattr(torch, "load", refuse)


@pytest.fixture(scope="module")
def fitted():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            name: (est.fit(X) if y is None else est.fit(X, y), X, methods)
            for name, (est, X, y, methods) in CASES.items()
        }


def _outputs(est, X, methods):
    return {m: _as_array(getattr(est, m)(X)) for m in methods}


def _as_array(output):
    """An output as one array: PastRows' ragged sequences concatenated."""
    if isinstance(output, list):
        return np.concatenate([np.ravel(item) for item in output])
    return np.asarray(output)


@pytest.mark.parametrize("name", list(CASES))
def test_round_trip_gives_identical_outputs(name, fitted, tmp_path, no_unpickling):
    est, X, methods = fitted[name]
    path = tmp_path / "model.sknn"
    assert est.save(path) is est
    restored = sknn.load(path)
    assert type(restored) is type(est)
    assert restored.get_params() == est.get_params()
    for method, expected in _outputs(est, X, methods).items():
        np.testing.assert_array_equal(_as_array(getattr(restored, method)(X)), expected)
        assert _as_array(getattr(restored, method)(X)).dtype == expected.dtype
    for attribute in (
        "classes_",
        "n_features_in_",
        "vocabulary_",
        "n_iter_",
        "loss_curve_",
        "channel_mean_",
        "channel_scale_",
        "series_stats_kept_",
        "time_index_span_",
    ):
        if hasattr(est, attribute):
            np.testing.assert_array_equal(getattr(restored, attribute), getattr(est, attribute))
    if hasattr(est, "history_"):
        assert pd.DataFrame(restored.history_).equals(pd.DataFrame(est.history_))
    for attribute in ("validation_scores_", "t_", "loss_"):  # the networks' training state
        if hasattr(est, attribute):
            assert getattr(restored, attribute) == getattr(est, attribute)


def test_round_trip_keeps_parameter_types(tmp_path, no_unpickling):
    est = MLPClassifier(
        hidden_layer_sizes=(5, 3),
        class_weight={0: 1.0, 1: 2.5},
        random_state=np.random.RandomState(3),
        device=torch.device("cpu"),
        checkpoint=tmp_path / "ckpt.sknn",
        n_iter_no_change=np.inf,
        max_iter=2,
    )
    sknn.save(est, tmp_path / "m.sknn")
    restored = sknn.load(tmp_path / "m.sknn")
    params = restored.get_params()
    assert params["hidden_layer_sizes"] == (5, 3)
    assert params["class_weight"] == {0: 1.0, 1: 2.5}
    assert params["device"] == torch.device("cpu")
    assert params["checkpoint"] == tmp_path / "ckpt.sknn"
    assert params["n_iter_no_change"] == np.inf
    np.testing.assert_array_equal(
        params["random_state"].randint(1000, size=5),
        np.random.RandomState(3).randint(1000, size=5),
    )
    with pytest.raises(NotFittedError):
        check_is_fitted(restored)


def test_lbfgs_attributes_survive(tmp_path):
    clf = MLPClassifier(solver="lbfgs", hidden_layer_sizes=(8,), **QUICK).fit(X_TABLE, Y_CLASS)
    restored = sknn.load(clf.save(tmp_path / "m.sknn") and tmp_path / "m.sknn")
    assert restored.n_iter_ == clf.n_iter_ and restored.loss_ == clf.loss_
    assert not hasattr(restored, "loss_curve_") and not hasattr(clf, "loss_curve_")


def test_averaged_restarts_round_trip(tmp_path, no_unpickling):
    clf = MLPClassifier(hidden_layer_sizes=(4,), n_init=2, ensemble="average", **QUICK)
    clf.fit(X_TABLE, Y_CLASS)
    restored = sknn.load(clf.save(tmp_path / "m.sknn") and tmp_path / "m.sknn")
    assert len(restored.runs_) == 2
    np.testing.assert_array_equal(restored.predict_proba(X_TABLE), clf.predict_proba(X_TABLE))
    # The kept run's network is the estimator's own: written once, shared again on load.
    assert clf.net_ is clf.runs_[clf.best_init_].net_
    assert restored.net_ is restored.runs_[restored.best_init_].net_
    with safe_open(tmp_path / "m.sknn", framework="pt") as reader:
        n_weights = sum(
            reader.get_slice(name).get_shape() != []
            for name in reader.keys()
            if ".module." in name
        )
    assert n_weights == 2 * len(clf.net_.module_.state_dict())


def test_a_network_shared_with_an_estimator_that_holds_none_is_refused(tmp_path):
    clf = MLPClassifier(hidden_layer_sizes=(4,), n_init=2, ensemble="average", **QUICK)
    clf.fit(X_TABLE, Y_CLASS)
    clf.save(tmp_path / "m.sknn")

    def point_at_the_root(metadata, document, tensors):
        document["objects"][1]["engine"] = {"same_as": 0}

    _rewrite(tmp_path / "m.sknn", point_at_the_root)
    with pytest.raises(ValueError, match="refers to estimator 0, which holds none"):
        sknn.load(tmp_path / "m.sknn")


def test_transformer_with_pretrained_vectors_round_trips(tmp_path, fitted, no_unpickling):
    word2vec = fitted["Word2Vec"][0]
    clf = TransformerClassifier(
        d_model=8, n_heads=2, n_layers=1, embeddings=word2vec.wv_, **QUICK
    ).fit(TEXTS, Y_TEXTS)
    restored = sknn.load(clf.save(tmp_path / "m.sknn") and tmp_path / "m.sknn")
    np.testing.assert_array_equal(restored.predict_proba(TEXTS), clf.predict_proba(TEXTS))
    assert restored.embedding_coverage_ == clf.embedding_coverage_


def test_loading_leaves_global_random_state_alone(tmp_path, fitted):
    fitted["TransformerClassifier"][0].save(tmp_path / "m.sknn")
    torch_state = torch.random.get_rng_state()
    numpy_state = np.random.get_state()[1].copy()
    sknn.load(tmp_path / "m.sknn")
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)


def test_partial_fit_after_load_continues_the_saved_optimizer(tmp_path):
    clf = MLPClassifier(hidden_layer_sizes=(8,), **QUICK).fit(X_TABLE, Y_CLASS)
    clf.save(tmp_path / "m.sknn", include_optimizer=True)
    restored = sknn.load(tmp_path / "m.sknn")
    clf.partial_fit(X_TABLE, Y_CLASS)
    restored.partial_fit(X_TABLE, Y_CLASS)
    np.testing.assert_array_equal(restored.predict_proba(X_TABLE), clf.predict_proba(X_TABLE))
    assert restored.t_ == clf.t_


def test_without_the_optimizer_the_file_is_the_size_of_the_weights(tmp_path):
    clf = MLPClassifier(hidden_layer_sizes=(256, 256), **QUICK).fit(X_TABLE, Y_CLASS)
    weights = sum(p.numel() * 4 for p in clf.module_.parameters())
    clf.save(tmp_path / "small.sknn")
    clf.save(tmp_path / "full.sknn", include_optimizer=True)
    assert os.path.getsize(tmp_path / "small.sknn") < 1.05 * weights
    assert os.path.getsize(tmp_path / "full.sknn") > 2.9 * weights  # Adam's two moments


# -- pipelines ---------------------------------------------------------------------------

TWO_D = {
    "MLPClassifier": (MLPClassifier(hidden_layer_sizes=(8,), **QUICK), Y_CLASS),
    "MLPRegressor": (MLPRegressor(hidden_layer_sizes=(8,), **QUICK), Y_REG),
    "ConvNetClassifier": (
        ConvNetClassifier(
            image_shape=(1, -1), channels=(4,), pooling=None, dense_sizes=(), **QUICK
        ),
        Y_CLASS,
    ),
    "SequenceClassifier": (SequenceClassifier(hidden_size=8, **QUICK), Y_CLASS),
    "SequenceRegressor": (SequenceRegressor(hidden_size=8, **QUICK), Y_REG),
}


@pytest.mark.parametrize("name", list(TWO_D))
def test_pipeline_with_a_scaler_round_trips(name, tmp_path, no_unpickling):
    est, y = TWO_D[name]
    pipe = make_pipeline(StandardScaler(), est).fit(X_TABLE, y)
    sknn.save(pipe, tmp_path / "pipe.sknn")
    restored = sknn.load(tmp_path / "pipe.sknn")
    assert [step for step, _ in restored.steps] == [step for step, _ in pipe.steps]
    np.testing.assert_array_equal(restored.predict(X_TABLE), pipe.predict(X_TABLE))
    assert sknn.get_untrusted_types(tmp_path / "pipe.sknn") == []


def test_column_transformer_and_feature_union_round_trip(tmp_path, no_unpickling):
    frame = pd.DataFrame(X_TABLE, columns=list("abcdef"))
    frame["kind"] = np.where(X_TABLE[:, 3] > 0, "up", "down")
    prep = ColumnTransformer(
        [("num", StandardScaler(), list("abcdef")), ("cat", OneHotEncoder(), ["kind"])]
    )
    union = FeatureUnion([("scaled", StandardScaler()), ("raw", "passthrough")])
    model = make_pipeline(prep, union, MLPClassifier(hidden_layer_sizes=(8,), **QUICK))
    model.fit(frame, Y_CLASS)
    sknn.save(model, tmp_path / "m.sknn")
    restored = sknn.load(tmp_path / "m.sknn")
    np.testing.assert_array_equal(restored.predict_proba(frame), model.predict_proba(frame))
    assert isinstance(restored[-1], MLPClassifier)


def test_a_container_of_models_round_trips_and_keeps_shared_objects_shared(tmp_path):
    clf = MLPClassifier(hidden_layer_sizes=(4,), **QUICK).fit(X_TABLE, Y_CLASS)
    sknn.save({"a": clf, "b": [clf, 3]}, tmp_path / "m.sknn")
    restored = sknn.load(tmp_path / "m.sknn")
    assert restored["a"] is restored["b"][0] and restored["b"][1] == 3


def test_objects_of_untrusted_types_need_the_callers_trust(tmp_path):
    from skorch.callbacks import EpochTimer

    clf = MLPClassifier(hidden_layer_sizes=(4,), callbacks=[EpochTimer()], **QUICK)
    clf.fit(X_TABLE, Y_CLASS)
    path = clf.save(tmp_path / "m.sknn") and tmp_path / "m.sknn"
    untrusted = sknn.get_untrusted_types(path)
    assert untrusted == ["skorch.callbacks.logging.EpochTimer"]
    with pytest.raises(UntrustedTypesError, match="EpochTimer"):
        sknn.load(path)
    restored = sknn.load(path, trusted=untrusted)
    assert isinstance(restored.callbacks[0], EpochTimer)
    np.testing.assert_array_equal(restored.predict(X_TABLE), clf.predict(X_TABLE))


class _Holder:
    """A user's own object holding models: sknn looks inside its ``__dict__``."""

    def __init__(self, model, extra):
        self.model = model
        self.extra = extra


def _split_words(text):
    return text.split()


def test_estimators_inside_plain_objects_and_dict_subclasses_round_trip(tmp_path):
    clf = MLPClassifier(hidden_layer_sizes=(4,), **QUICK).fit(X_TABLE, Y_CLASS)
    holder = _Holder(clf, {"bunch": Bunch(model=clf), "ordered": OrderedDict(model=clf)})
    path = tmp_path / "m.sknn"
    sknn.save(holder, path)
    untrusted = sknn.get_untrusted_types(path)
    assert f"{_Holder.__module__}._Holder" in untrusted
    restored = sknn.load(path, trusted=untrusted)
    assert isinstance(restored.model, MLPClassifier)
    assert restored.extra["bunch"].model is restored.model
    assert type(restored.extra["ordered"]) is OrderedDict
    assert restored.extra["ordered"]["model"] is restored.model
    np.testing.assert_array_equal(restored.model.predict(X_TABLE), clf.predict(X_TABLE))
    assert holder.model is clf and holder.extra["bunch"].model is clf  # left as it was


def test_an_sknn_estimator_where_sknn_cannot_look_is_refused(tmp_path):
    with pytest.raises(TypeError, match="not inside sets"):
        sknn.save({MLPClassifier()}, tmp_path / "m.sknn")
    with pytest.raises(TypeError, match="cannot be saved"):
        sknn.save(torch.nn.Linear(2, 2), tmp_path / "m.sknn")
    assert not (tmp_path / "m.sknn").exists()


def _in_a_local_class():
    class Local:  # skops finds a class by its module and name: no import finds this one
        def __init__(self, model):
            self.model = model

    return Local(MLPClassifier())


def _a_nested_split_words():
    def _split_words(text):  # skops would save it by name, and load the top-level one
        return text.lower().split()

    return _split_words


# Non-regression: save wrote files that no `trusted` list could load (skops writes
# str.split as a 'builtins.method_descriptor' object and a lambda by a name that does not
# resolve); load then called them "not a valid sknn model file". A nested function named
# like a top-level one would have loaded as that one.
@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda: Word2Vec(tokenizer=str.split),
            "cannot build them again.*: the Word2Vec parameter tokenizer, <method 'split'",
        ),
        (
            lambda: make_pipeline(FunctionTransformer(lambda X: 2 * X), MLPClassifier()),
            "the function .*<lambda> would be saved by its name .*<lambda>, which is not found",
        ),
        (
            lambda: Word2Vec(tokenizer=_a_nested_split_words()),
            "Word2Vec parameter tokenizer: the function .*_a_nested_split_words.<locals>."
            "_split_words would be saved by its name .*_split_words, which is another object",
        ),
        (_in_a_local_class, "cannot build them again.*: the object saved, .*Local"),
    ],
    ids=["str.split", "lambda", "nested-function", "local-class"],
)
def test_what_skops_cannot_load_back_is_refused_at_save(make, message, tmp_path):
    with pytest.raises(TypeError, match=message):
        sknn.save(make(), tmp_path / "m.sknn")
    assert list(tmp_path.iterdir()) == []


def test_a_function_defined_at_the_top_of_a_module_round_trips(tmp_path):
    path = tmp_path / "m.sknn"
    Word2Vec(tokenizer=_split_words).save(path)
    untrusted = sknn.get_untrusted_types(path)
    assert untrusted == [f"{_split_words.__module__}._split_words"]
    assert sknn.load(path, trusted=untrusted).tokenizer is _split_words


def test_a_model_with_a_function_tokenizer_continues_after_load(tmp_path):
    # The tokenizer the model was fitted with is kept to refuse a changed one; read back
    # from the file it is another object, and still the same function.
    texts = ["a good film", "bad movie here", "great fun film", "awful and bad"] * 5
    y = [1, 0, 1, 0] * 5
    est = sknn.SequenceClassifier(tokenizer=_split_words, max_iter=1, random_state=0)
    path = tmp_path / "m.sknn"
    est.fit(texts, y).save(path)
    loaded = sknn.load(path, trusted=sknn.get_untrusted_types(path))
    loaded.set_params(warm_start=True).fit(texts, y)
    loaded.partial_fit(texts, y)
    with pytest.raises(ValueError, match="tokenizer=None"):
        loaded.set_params(tokenizer=None).fit(texts, y)


def test_a_file_naming_a_function_this_python_lacks_says_so(tmp_path, monkeypatch):
    module = types.ModuleType("sknn_probe_tokenizers")
    exec("def split(text):\n    return text.split()\n", module.__dict__)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    path = tmp_path / "m.sknn"
    Word2Vec(tokenizer=module.split).save(path)
    monkeypatch.delitem(sys.modules, module.__name__)
    with pytest.raises(ValueError, match="cannot be found here") as error:
        sknn.load(path, trusted=["sknn_probe_tokenizers.split"])
    assert "not a valid" not in str(error.value)


# Non-regression: save wrote estimators with invalid parameters, which load then refused.
@pytest.mark.parametrize(
    "est, name",
    [
        (ConvNetClassifier(kernel_size=0), "kernel_size"),
        (Word2Vec(weighting="tfidff"), "weighting"),
    ],
    ids=["ConvNetClassifier", "Word2Vec"],
)
def test_invalid_parameters_are_refused_at_save(est, name, tmp_path):
    for obj in (est, make_pipeline(StandardScaler(), est)):
        with pytest.raises(InvalidParameterError, match=f"Cannot save this .*'{name}'"):
            sknn.save(obj, tmp_path / "m.sknn")
    assert list(tmp_path.iterdir()) == []


def test_a_deeply_nested_object_is_refused_at_save(tmp_path):
    nested = []
    for _ in range(5000):
        nested = [nested]
    with pytest.raises(ValueError, match="nested too deeply"):
        sknn.save(nested, tmp_path / "m.sknn")


@pytest.mark.parametrize("limit", [1000, 20_000])
def test_what_saves_and_loads_does_not_depend_on_the_recursion_limit(tmp_path, limit):
    # Non-regression: the depth a file could have was the interpreter's recursion limit,
    # which libraries raise: a file of 700 levels loaded or not depending on which ran
    # before.
    from sknn.persistence._tree import MAX_DEPTH

    def nested(depth):
        value = []
        for _ in range(depth - 1):
            value = [value]
        return value

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(limit)
    try:
        sknn.save(nested(MAX_DEPTH - 1), tmp_path / "ok.sknn")  # the document adds one
        assert sknn.load(tmp_path / "ok.sknn") == nested(MAX_DEPTH - 1)
        with pytest.raises(ValueError, match="nested too deeply"):
            sknn.save(nested(MAX_DEPTH + 1), tmp_path / "deep.sknn")
        _rewrite(tmp_path / "ok.sknn", _nested(700))
        with pytest.raises(ValueError, match="nested too deeply"):
            sknn.load(tmp_path / "ok.sknn")
    finally:
        sys.setrecursionlimit(old)


# -- meta-estimators ---------------------------------------------------------------------


def _mlp():
    return MLPClassifier(hidden_layer_sizes=(4,), **QUICK)


# Non-regression: GridSearchCV (its scorer_ holds the estimator), VotingClassifier and
# StackingClassifier (a Bunch holds them) and CalibratedClassifierCV (plain objects hold
# them) could not be saved.
META_ESTIMATORS = {
    "GridSearchCV": lambda: GridSearchCV(_mlp(), {"alpha": [1e-4, 1e-3]}, cv=2),
    "RandomizedSearchCV": lambda: RandomizedSearchCV(
        _mlp(), {"alpha": [1e-4, 1e-3]}, n_iter=2, cv=2, random_state=0
    ),
    "VotingClassifier": lambda: VotingClassifier(
        [("mlp", _mlp()), ("lr", LogisticRegression())], voting="soft"
    ),
    "StackingClassifier": lambda: StackingClassifier(
        [("mlp", _mlp()), ("lr", LogisticRegression())], cv=2
    ),
    "CalibratedClassifierCV": lambda: CalibratedClassifierCV(_mlp(), cv=2),
    "BaggingClassifier": lambda: BaggingClassifier(_mlp(), n_estimators=2, random_state=0),
    "OneVsRestClassifier": lambda: OneVsRestClassifier(_mlp()),
    "TransformedTargetRegressor": lambda: TransformedTargetRegressor(
        MLPRegressor(hidden_layer_sizes=(4,), **QUICK), transformer=StandardScaler()
    ),
}


NEED_TRUST = (
    "GridSearchCV",
    "RandomizedSearchCV",
    "VotingClassifier",
    "StackingClassifier",
    "CalibratedClassifierCV",
)


@pytest.mark.parametrize("name", list(META_ESTIMATORS))
def test_meta_estimators_round_trip(name, tmp_path, no_unpickling):
    model = META_ESTIMATORS[name]()
    y = Y_REG if name == "TransformedTargetRegressor" else Y_CLASS
    model.fit(X_TABLE, y)
    path = tmp_path / "m.sknn"
    sknn.save(model, path)
    untrusted = sknn.get_untrusted_types(path)
    assert all(t.startswith("sklearn.") for t in untrusted), untrusted  # no sknn part
    assert bool(untrusted) == (name in NEED_TRUST)  # as the user guide lists them
    restored = sknn.load(path, trusted=untrusted)
    method = "predict" if name == "TransformedTargetRegressor" else "predict_proba"
    np.testing.assert_array_equal(
        getattr(restored, method)(X_TABLE), getattr(model, method)(X_TABLE)
    )
    assert restored.score(X_TABLE, y) == model.score(X_TABLE, y)
    if name.endswith("SearchCV"):
        assert isinstance(restored.best_estimator_, MLPClassifier)
        assert restored.scorer_._estimator is restored.estimator
    if name in ("VotingClassifier", "StackingClassifier"):
        assert restored.named_estimators_["mlp"] is restored.estimators_[0]


def test_sknn_objects_inside_scikit_learn_objects_round_trip(tmp_path, no_unpickling):
    # Non-regression: skops refuses sknn's types, so a forecasting pipeline, a search with
    # cv=TimeOrderedSplit or a FunctionTransformer of word_tokenize could not be saved.
    target = SERIES["load"].to_numpy()
    pipe = make_pipeline(PastRows(window=4), SequenceRegressor(hidden_size=4, **QUICK))
    search = GridSearchCV(pipe, {"sequenceregressor__alpha": [1e-4]}, cv=TimeOrderedSplit(0.25))
    tokenize = FunctionTransformer(word_tokenize)
    value = {"search": search.fit(SERIES, target), "tokenize": tokenize, "split": search.cv}
    path = tmp_path / "m.sknn"
    sknn.save(value, path)
    untrusted = sknn.get_untrusted_types(path)
    assert all(t.startswith("sklearn.") for t in untrusted), untrusted
    restored = sknn.load(path, trusted=untrusted)
    np.testing.assert_array_equal(restored["search"].predict(SERIES), search.predict(SERIES))
    assert isinstance(restored["search"].best_estimator_[0], PastRows)
    cv = restored["search"].cv
    assert isinstance(cv, TimeOrderedSplit) and vars(cv) == vars(search.cv)
    assert isinstance(restored["split"], TimeOrderedSplit)
    assert restored["tokenize"].func is word_tokenize


# -- devices and versions ---------------------------------------------------------------


def test_a_model_fitted_on_cuda_loads_on_the_cpu(tmp_path, monkeypatch):
    # Stands in for a GPU-made file on machines without one: the engine records the
    # device the model was fitted on, and loading maps a missing CUDA device to the CPU.
    clf = MLPClassifier(hidden_layer_sizes=(8,), **QUICK).fit(X_TABLE, Y_CLASS)
    expected = clf.predict_proba(X_TABLE)
    monkeypatch.setattr(clf.net_, "device", "cuda:0")
    clf.save(tmp_path / "m.sknn")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="loaded on the CPU"):
        restored = sknn.load(tmp_path / "m.sknn")
    assert restored.device_ == "cpu"
    np.testing.assert_array_equal(restored.predict_proba(X_TABLE), expected)
    assert sknn.load(tmp_path / "m.sknn", device="cpu").device_ == "cpu"


@needs_cuda
def test_a_model_fitted_on_the_gpu_loads_on_the_cpu(tmp_path):
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0, device="cuda")
    clf.fit(X_TABLE, Y_CLASS)
    clf.save(tmp_path / "m.sknn")
    restored = sknn.load(tmp_path / "m.sknn", device="cpu")
    assert next(restored.module_.parameters()).device.type == "cpu"
    np.testing.assert_allclose(
        restored.predict_proba(X_TABLE), clf.predict_proba(X_TABLE), atol=1e-5
    )


def test_fixture_saved_on_gpu_predicts_on_cpu():
    path = FIXTURES / "mlp_fitted_on_cuda.sknn"
    if not path.exists():
        pytest.skip(
            "tests/fixtures/mlp_fitted_on_cuda.sknn not generated yet: it is made on a GPU "
            "machine by `python tests/fixtures/make_cuda_fixture.py`"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        clf = sknn.load(path)
    data = np.load(FIXTURES / "mlp_fitted_on_cuda_expected.npz")
    np.testing.assert_allclose(clf.predict_proba(data["X"]), data["proba"], atol=1e-5)


def test_other_versions_warn_as_scikit_learn_does(tmp_path, monkeypatch):
    clf = MLPClassifier(hidden_layer_sizes=(4,), **QUICK).fit(X_TABLE, Y_CLASS)
    real = _container.current_versions
    monkeypatch.setattr(
        _container, "current_versions", lambda extra=(): {**real(extra), "sknn": "0.0.1"}
    )
    clf.save(tmp_path / "m.sknn")
    monkeypatch.setattr(_container, "current_versions", real)
    with pytest.warns(InconsistentVersionWarning, match="sknn 0.0.1") as record:
        sknn.load(tmp_path / "m.sknn")
    assert isinstance(record[0].message, SklearnVersionWarning)
    assert record[0].message.original_version == "0.0.1"


def test_a_torch_build_tag_alone_does_not_warn(tmp_path, monkeypatch):
    clf = MLPClassifier(hidden_layer_sizes=(4,), **QUICK).fit(X_TABLE, Y_CLASS)
    real = _container.current_versions
    release = torch.__version__.split("+")[0]
    monkeypatch.setattr(
        _container,
        "current_versions",
        lambda extra=(): {**real(extra), "torch": release + "+cu121"},
    )
    clf.save(tmp_path / "m.sknn")
    monkeypatch.setattr(_container, "current_versions", real)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        sknn.load(tmp_path / "m.sknn")


def test_a_newer_format_version_is_refused(tmp_path):
    path = tmp_path / "m.sknn"
    save_file(
        {"x": torch.zeros(1)},
        path,
        metadata={"format": "sknn", "version": str(FORMAT_VERSION + 1), "kind": "model"},
    )
    with pytest.raises(ValueError, match="newer sknn.*Upgrade sknn"):
        sknn.load(path)


# -- damage and hostile files ------------------------------------------------------------


@pytest.fixture
def saved_model(tmp_path):
    clf = MLPClassifier(hidden_layer_sizes=(8,), **QUICK).fit(X_TABLE, Y_CLASS)
    path = tmp_path / "m.sknn"
    clf.save(path)
    return path


def _header_size(data):
    return struct.unpack("<Q", data[:8])[0]


@pytest.mark.parametrize("keep", [0, 5, 8, 100, "header", "half", -1])
def test_a_truncated_file_raises_valueerror(saved_model, keep):
    data = saved_model.read_bytes()
    cut = {"header": 8 + _header_size(data), "half": len(data) // 2}.get(keep, keep)
    saved_model.write_bytes(data[:cut])
    with pytest.raises(ValueError, match=str(saved_model)):
        sknn.load(saved_model)


def test_every_bit_flip_is_caught(saved_model):
    data = saved_model.read_bytes()
    positions = np.random.RandomState(0).choice(len(data), size=60, replace=False)
    positions = sorted(set(positions) | {0, 3, 8, 20, len(data) - 1, 8 + _header_size(data)})
    for position in positions:
        for bit in (0, 7):
            damaged = bytearray(data)
            damaged[position] ^= 1 << bit
            saved_model.write_bytes(bytes(damaged))
            with pytest.raises(ValueError, match=str(saved_model)):
                sknn.load(saved_model)


def _edit_metadata(path, edit):
    data = path.read_bytes()
    size = _header_size(data)
    header = json.loads(data[8 : 8 + size])
    edit(header["__metadata__"])
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data[8 + size :])


def test_an_edited_file_is_refused(saved_model):
    def more_layers(metadata):
        document = json.loads(metadata["document"])
        document["objects"][0]["params"]["$dict"]["max_iter"] = 999
        metadata["document"] = json.dumps(document)

    _edit_metadata(saved_model, more_layers)
    with pytest.raises(ValueError, match="checksum"):
        sknn.load(saved_model)


def test_a_crafted_file_naming_a_foreign_class_builds_nothing(saved_model, monkeypatch):
    # A file whose checksum was recomputed after naming another class: the class list is
    # closed, so the name is refused whatever the checksum says.
    def other_class(metadata):
        document = json.loads(metadata["document"])
        document["objects"][0]["class"] = "os.system"
        metadata["document"] = json.dumps(document)
        body = {k: v for k, v in metadata.items() if k != "checksum"}
        from safetensors.torch import load_file

        metadata["checksum"] = (
            _container._CHECKSUM + ":" + _container._digest(body, load_file(saved_model))
        )

    _edit_metadata(saved_model, other_class)
    with pytest.raises(ValueError, match="os.system"):
        sknn.load(saved_model)


def _rewrite(path, edit):
    """Apply ``edit(metadata, document, tensors)`` and recompute the checksum: a file
    edited by someone who knows the format."""
    with safe_open(path, framework="pt") as reader:
        metadata = dict(reader.metadata())
        tensors = {name: reader.get_tensor(name) for name in reader.keys()}
    raw = metadata["document"]
    document = json.loads(raw)
    edit(metadata, document, tensors)
    if metadata["document"] is raw:  # the edit changed the document, not its text
        metadata["document"] = json.dumps(document)
    body = {k: v for k, v in metadata.items() if k != "checksum"}
    metadata["checksum"] = _container._CHECKSUM + ":" + _container._digest(body, tensors)
    save_file(tensors, path, metadata=metadata)


def _drop_attribute(name):
    def edit(metadata, document, tensors):
        del document["objects"][0]["attributes"]["$dict"][name]

    return edit


def _set_device(metadata, document, tensors):
    document["objects"][0]["engine"]["device"] = "bogus"


def _weights_to_float64(metadata, document, tensors):
    for name in tensors:
        if ".module." in name and tensors[name].is_floating_point():
            tensors[name] = tensors[name].double()


def _nested(depth):
    def edit(metadata, document, tensors):
        metadata["document"] = '{"root": %s, "objects": []}' % ("[" * depth + "]" * depth)

    return edit


def _set_version(metadata, document, tensors):
    metadata["version"] = "\u00b2"  # '²'.isdigit(), but no int


def _class_as_a_list(metadata, document, tensors):
    document["objects"][0]["class"] = ["MLPClassifier"]


def _invalid_parameter(metadata, document, tensors):
    document["objects"][0]["params"]["$dict"]["alpha"] = -1.0


# Non-regression: each of these loaded with a raw AttributeError, RuntimeError or
# RecursionError, or loaded and then failed in predict (float64 weights).
@pytest.mark.parametrize(
    "edit, expected",
    [
        (_drop_attribute("_module_input"), "lacks a fitted attribute.*_module_input"),
        (_drop_attribute("n_outputs_"), "lacks a fitted attribute.*n_outputs_"),
        (_set_device, "device 'bogus'"),
        (_weights_to_float64, "torch.float64, not torch.float32"),
        (_nested(200_000), "nested too deeply"),  # too deep for the JSON parser
        (_nested(700), "nested too deeply"),  # parsed, too deep to decode
        (_set_version, "format version"),
        (_invalid_parameter, "parameters of its MLPClassifier are invalid.*alpha"),
        (_class_as_a_list, "of class \\['MLPClassifier'\\]"),
    ],
    ids=[
        "no-module-input",
        "no-n-outputs",
        "device",
        "float64",
        "json-depth",
        "tree-depth",
        "version",
        "parameter",
        "class",
    ],
)
def test_an_edited_file_with_a_recomputed_checksum_is_refused_clearly(saved_model, edit, expected):
    _rewrite(saved_model, edit)
    with pytest.raises(ValueError, match=expected) as error:
        sknn.load(saved_model)
    assert str(saved_model) in str(error.value)


class _CreatesAFile:
    """Unpickling this creates a file: the payload of a hostile pickle."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (Path.touch, (Path(self.target),))


def test_a_pickle_named_like_a_model_is_refused_without_running(tmp_path):
    target = tmp_path / "pwned"
    path = tmp_path / "m.sknn"
    path.write_bytes(pickle.dumps(_CreatesAFile(target)))
    with pytest.raises(ValueError, match="pickle"):
        sknn.load(path)
    assert not target.exists()


# Non-regression: pickles of protocol 0 and 1 and compressed joblib files were reported as
# "truncated or its header is corrupt".
@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_a_pickle_of_any_protocol_is_named(protocol, tmp_path):
    path = tmp_path / "m.sknn"
    path.write_bytes(pickle.dumps({"weights": np.arange(3.0), "name": "m"}, protocol=protocol))
    with pytest.raises(ValueError, match="looks like a pickle"):
        sknn.load(path)


@pytest.mark.parametrize("compress", [0, 3, "gzip", "bz2", "lzma", "xz"])
def test_a_joblib_file_is_named(compress, tmp_path):
    joblib = pytest.importorskip("joblib")
    path = tmp_path / "m.sknn"
    joblib.dump({"weights": np.arange(3.0)}, path, compress=compress)
    expected = "looks like a pickle" if compress == 0 else "-compressed.*joblib"
    with pytest.raises(ValueError, match=expected):
        sknn.load(path)


def test_a_file_that_is_no_sknn_file_is_refused(tmp_path):
    path = tmp_path / "weights.safetensors"
    save_file({"w": torch.zeros(2)}, path)
    with pytest.raises(ValueError, match="without sknn's metadata"):
        sknn.load(path)
    with pytest.raises(FileNotFoundError):
        sknn.load(tmp_path / "missing.sknn")


def test_saving_into_a_missing_folder_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        MLPClassifier().save(tmp_path / "no" / "m.sknn")


# Non-regression: saving onto a folder raised an IsADirectoryError naming the temporary
# file it had written first.
def test_saving_onto_a_folder_names_the_folder(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match=f"Cannot write {folder}: it is a folder"):
        MLPClassifier().save(folder)
    clf = MLPClassifier(checkpoint=folder, **QUICK)  # refused before training starts
    with pytest.raises(IsADirectoryError, match="is a folder; name a file in it"):
        clf.fit(X_TABLE, Y_CLASS)
    assert not hasattr(clf, "n_iter_")
    assert list(folder.iterdir()) == []


def test_a_failed_write_names_the_file_not_its_temporary(tmp_path, monkeypatch):
    def full(tensors, filename, metadata=None):
        raise OSError(errno.ENOSPC, "No space left on device", filename)

    monkeypatch.setattr(_container, "save_file", full)
    path = tmp_path / "m.sknn"
    with pytest.raises(OSError, match="No space left") as error:
        MLPClassifier().save(path)
    assert error.value.filename == str(path) and ".tmp" not in str(error.value)
    assert list(tmp_path.iterdir()) == []


# -- checkpoints -------------------------------------------------------------------------


def _checkpointed(tmp_path, **params):
    path = tmp_path / "run.ckpt"
    MLPClassifier(
        hidden_layer_sizes=(8,),
        max_iter=3,
        checkpoint=path,
        device="cpu",
        random_state=0,
        **params,
    ).fit(X_TABLE, Y_CLASS)
    return path


def test_a_crafted_pickle_checkpoint_runs_nothing(tmp_path):
    target = tmp_path / "pwned"
    path = tmp_path / "hostile.ckpt"
    torch.save({"module": _CreatesAFile(target)}, path)
    with pytest.raises(ValueError, match="zip archive"):
        MLPClassifier(resume_from=path, **QUICK).fit(X_TABLE, Y_CLASS)
    assert not target.exists()


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty"])
def test_a_damaged_checkpoint_raises_valueerror(tmp_path, damage):
    path = _checkpointed(tmp_path)
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) - 10])
    elif damage == "flip":
        damaged = bytearray(data)
        damaged[len(data) - 5] ^= 0x10
        path.write_bytes(bytes(damaged))
    else:
        path.write_bytes(b"")
    with pytest.raises(ValueError, match=str(path)):
        MLPClassifier(hidden_layer_sizes=(8,), resume_from=path, **QUICK).fit(X_TABLE, Y_CLASS)


def test_checkpoints_and_model_files_are_not_confused(tmp_path, saved_model):
    checkpoint = _checkpointed(tmp_path)
    with pytest.raises(ValueError, match="training checkpoint"):
        sknn.load(checkpoint)
    with pytest.raises(ValueError, match="not a training checkpoint"):
        MLPClassifier(hidden_layer_sizes=(8,), resume_from=saved_model, **QUICK).fit(
            X_TABLE, Y_CLASS
        )


def test_a_checkpoint_of_another_network_is_refused(tmp_path):
    checkpoint = _checkpointed(tmp_path)
    with pytest.raises(ValueError, match=r"hidden_layer_sizes=\(9,\) \(the checkpoint's \(8,\)\)"):
        MLPClassifier(hidden_layer_sizes=(9,), resume_from=checkpoint, **QUICK).fit(
            X_TABLE, Y_CLASS
        )
    # Other data shapes: the fitted classes or features, named.
    with pytest.raises(ValueError, match=r"the classes \['no', 'yes'\]; y has \['a', 'b'\]"):
        MLPClassifier(hidden_layer_sizes=(8,), resume_from=checkpoint, **QUICK).fit(
            X_TABLE, np.where(Y_CLASS == "no", "a", "b")
        )
    with pytest.raises(ValueError, match=f"on {X_TABLE.shape[1]} features; X has 2"):
        MLPClassifier(hidden_layer_sizes=(8,), resume_from=checkpoint, **QUICK).fit(
            X_TABLE[:, :2], Y_CLASS
        )
    with pytest.raises(ValueError, match="checkpoint of a MLPClassifier"):
        MLPRegressor(hidden_layer_sizes=(8,), resume_from=checkpoint, **QUICK).fit(X_TABLE, Y_REG)


def test_early_stopping_checkpoint_resumes_with_its_best_weights(tmp_path):
    path = tmp_path / "es.ckpt"
    params = dict(
        hidden_layer_sizes=(8,),
        early_stopping=True,
        n_iter_no_change=50,
        device="cpu",
        random_state=0,
    )
    first = MLPClassifier(max_iter=4, checkpoint=path, **params).fit(X_TABLE, Y_CLASS)
    resumed = MLPClassifier(max_iter=6, resume_from=path, **params).fit(X_TABLE, Y_CLASS)
    straight = MLPClassifier(max_iter=6, **params).fit(X_TABLE, Y_CLASS)
    assert resumed.validation_scores_[:4] == first.validation_scores_
    np.testing.assert_allclose(resumed.validation_scores_, straight.validation_scores_)
    np.testing.assert_allclose(
        resumed.predict_proba(X_TABLE), straight.predict_proba(X_TABLE), atol=1e-5
    )


def test_a_checkpoint_into_a_missing_folder_fails_before_training(tmp_path):
    clf = MLPClassifier(checkpoint=tmp_path / "no" / "run.ckpt", **QUICK)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        clf.fit(X_TABLE, Y_CLASS)
    assert not hasattr(clf, "net_")


def test_checkpoints_are_written_whole(tmp_path, monkeypatch):
    # An interruption during a write leaves the previous checkpoint, not half a file.
    path = _checkpointed(tmp_path)
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_container, "save_file", fail)
    with pytest.raises(KeyboardInterrupt):
        _container.write(path, "checkpoint", {}, {})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_a_pickle_from_before_the_engine_held_the_state_still_loads():
    # Models pickled when n_iter_, loss_curve_, ... were the estimator's own attributes.
    clf = MLPClassifier(hidden_layer_sizes=(4,), **QUICK).fit(X_TABLE, Y_CLASS)
    state = clf.net_.training_state_
    old = dict(
        n_iter_=state.n_iter,
        t_=state.t,
        loss_=state.loss,
        loss_curve_=list(state.loss_curve),
        best_loss_=state.best_loss,
        validation_scores_=None,
        best_validation_score_=None,
        _no_improvement_count=state.no_improvement_count,
        _optimizer_steps=7,
        _base_lr=0.001,
        _best_state=None,
    )
    del clf.net_.training_state_
    clf.__dict__.update(old)
    restored = pickle.loads(pickle.dumps(clf))
    assert restored.n_iter_ == old["n_iter_"] and restored.loss_curve_ == old["loss_curve_"]
    assert restored.net_.training_state_.optimizer_steps == 7
    assert "n_iter_" not in vars(restored)
    restored.partial_fit(X_TABLE, Y_CLASS)
    assert restored.t_ == old["t_"] + len(X_TABLE)


# -- non-regressions of the persistence probe --------------------------------------------


def test_callbacks_are_saved_unfitted(tmp_path):
    # Non-regression: a model fitted with an LRScheduler could not be saved (the callback
    # object, initialised in place by fit, held the optimizer in lr_scheduler_), and the
    # fitted state of other callbacks was written although load initialises them again.
    from skorch.callbacks import LRScheduler

    scheduler = LRScheduler(policy="StepLR", step_size=2)
    clf = MLPClassifier(hidden_layer_sizes=(4,), callbacks=[scheduler], **QUICK)
    clf.fit(X_TABLE, Y_CLASS)
    path = tmp_path / "m.sknn"
    clf.save(path, include_optimizer=True)
    assert clf.callbacks[0] is scheduler and hasattr(scheduler, "lr_scheduler_")
    restored = sknn.load(path, trusted=sknn.get_untrusted_types(path))
    loaded = restored.callbacks[0]
    assert type(loaded) is LRScheduler and loaded is not scheduler
    assert loaded.get_params() == scheduler.get_params()
    with safe_open(path, framework="pt") as reader:
        payload = reader.get_tensor("skops").numpy().tobytes()
    import skops.io

    (written,) = skops.io.loads(payload, trusted=skops.io.get_untrusted_types(data=payload))
    assert [name for name in vars(written) if name.endswith("_")] == []
    np.testing.assert_array_equal(restored.predict_proba(X_TABLE), clf.predict_proba(X_TABLE))
    restored.partial_fit(X_TABLE, Y_CLASS)  # the loaded callbacks start fresh
    clf.partial_fit(X_TABLE, Y_CLASS)
    assert loaded.lr_scheduler_ is not None
    assert [row["lr"] for row in restored.history_] == [row["lr"] for row in clf.history_]
    np.testing.assert_array_equal(restored.predict_proba(X_TABLE), clf.predict_proba(X_TABLE))


def test_a_function_of_torch_is_saved_by_name(tmp_path):
    # Non-regression: Initializer(..., torch.nn.init.zeros_) was refused as a torch object
    # that sknn cannot find "inside sets or __slots__"; skops writes the function by name.
    from skorch.callbacks import Initializer

    initializer = Initializer("layers.0.weight", torch.nn.init.zeros_)
    path = tmp_path / "m.sknn"
    MLPClassifier(callbacks=[initializer]).save(path)
    untrusted = sknn.get_untrusted_types(path)
    assert "torch.nn.init.zeros_" in untrusted
    assert sknn.load(path, trusted=untrusted).callbacks[0].fn is torch.nn.init.zeros_
    # A torch object still cannot go to skops.
    holder = FunctionTransformer(kw_args={"module": torch.nn.Linear(2, 2)})
    with pytest.raises(TypeError, match="cannot be saved"):
        sknn.save(make_pipeline(holder, MLPClassifier()), tmp_path / "n.sknn")


@pytest.mark.parametrize("func", [np.nan_to_num, np.round])
def test_a_function_transformer_with_a_numpy_function_round_trips(func, tmp_path):
    # Non-regression: np.nan_to_num, np.round, ... (NumPy's function wrappers, with a
    # __wrapped__) were taken for containers, and saving refused the function they wrap
    # as "not at module level".
    pipe = make_pipeline(
        FunctionTransformer(func), MLPClassifier(hidden_layer_sizes=(4,), **QUICK)
    )
    pipe.fit(X_TABLE, Y_CLASS)
    path = tmp_path / "m.sknn"
    sknn.save(pipe, path)
    untrusted = sknn.get_untrusted_types(path)
    assert untrusted == [f"numpy.{func.__name__}"]
    restored = sknn.load(path, trusted=untrusted)
    assert restored[0].func is func
    np.testing.assert_array_equal(restored.predict_proba(X_TABLE), pipe.predict_proba(X_TABLE))


def test_a_simple_imputer_needs_numpy_dtype_trusted(tmp_path):
    # As the user guide says: skops does not trust the np.dtype SimpleImputer keeps.
    from sklearn.impute import SimpleImputer

    pipe = make_pipeline(SimpleImputer(), MLPClassifier(hidden_layer_sizes=(4,), **QUICK))
    path = tmp_path / "m.sknn"
    sknn.save(pipe.fit(X_TABLE, Y_CLASS), path)
    assert sknn.get_untrusted_types(path) == ["numpy.dtype"]
    with pytest.raises(UntrustedTypesError, match="numpy.dtype"):
        sknn.load(path)
    restored = sknn.load(path, trusted=["numpy.dtype"])
    np.testing.assert_array_equal(restored.predict(X_TABLE), pipe.predict(X_TABLE))


def _mode(path):
    return os.stat(path).st_mode & 0o777


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_files_get_the_permissions_open_gives(tmp_path):
    # Non-regression: model files and checkpoints were written with mode 0o600 whatever
    # the umask (another user or a serving process could not read them), and replacing a
    # file reset its mode to 0o600.
    previous = os.umask(0o027)
    try:
        path = tmp_path / "m.sknn"
        MLPClassifier().save(path)
        assert _mode(path) == 0o640
        checkpoint = _checkpointed(tmp_path)
        assert _mode(checkpoint) == 0o640
        os.chmod(path, 0o664)
        MLPClassifier().save(path)
        assert _mode(path) == 0o664
    finally:
        os.umask(previous)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_file_the_user_may_not_write_is_not_replaced(tmp_path, monkeypatch):
    # Non-regression: a read-only model file was silently replaced (os.replace needs only
    # the folder's permission), where open(path, 'wb') and joblib.dump refuse.
    path = tmp_path / "m.sknn"
    MLPClassifier().save(path)
    os.chmod(path, 0o444)
    before = path.read_bytes()
    access = os.access  # root may write anything: deny it as the file's mode would
    monkeypatch.setattr(
        os, "access", lambda p, mode, **kw: False if Path(p) == path else access(p, mode, **kw)
    )
    with pytest.raises(PermissionError, match=f"Cannot write {path}"):
        MLPClassifier(alpha=1.0).save(path)
    assert path.read_bytes() == before
    assert list(tmp_path.iterdir()) == [path]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_saving_through_a_symbolic_link_writes_the_file_it_points_to(tmp_path):
    # Non-regression: the link was replaced by a regular file, the file it pointed to
    # left as it was.
    target = tmp_path / "v2.sknn"
    link = tmp_path / "latest.sknn"
    MLPClassifier().save(target)
    link.symlink_to(target.name)
    MLPClassifier(alpha=0.5).save(link)
    assert link.is_symlink()
    assert sknn.load(target).alpha == 0.5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.sknn", "v2.sknn"]


def test_load_checks_the_device_before_the_file(tmp_path, monkeypatch):
    # Non-regression: a device this machine lacks, or a typo, was reported as "not a
    # valid sknn model file"; a file without a network took any device.
    clf = MLPClassifier(hidden_layer_sizes=(4,), **QUICK).fit(X_TABLE, Y_CLASS)
    path = clf.save(tmp_path / "m.sknn") and tmp_path / "m.sknn"
    unfitted = MLPClassifier().save(tmp_path / "u.sknn") and tmp_path / "u.sknn"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for file in (path, unfitted):
        with pytest.raises(ValueError, match="'device' parameter must be .* Got 'gpu'") as error:
            sknn.load(file, device="gpu")
        assert "not a valid" not in str(error.value)
        with pytest.raises(ValueError, match="device='cuda' was requested but CUDA is not"):
            sknn.load(file, device="cuda")


def test_saving_the_same_model_twice_gives_the_same_bytes(tmp_path, fitted):
    # Non-regression: safetensors wrote the metadata keys in an order that changed from
    # save to save, so content hashes changed on every save.
    clf = fitted["MLPClassifier"][0]
    clf.save(tmp_path / "a.sknn")
    clf.save(tmp_path / "b.sknn")
    sknn.load(tmp_path / "a.sknn").save(tmp_path / "c.sknn")
    first = (tmp_path / "a.sknn").read_bytes()
    assert (tmp_path / "b.sknn").read_bytes() == first
    assert (tmp_path / "c.sknn").read_bytes() == first
    size = struct.unpack("<Q", first[:8])[0]
    metadata = json.loads(first[8 : 8 + size])["__metadata__"]
    assert list(metadata) == sorted(metadata)


def test_numpy_scalars_keep_their_type(tmp_path, no_unpickling):
    # Non-regression: np.float64 and np.str_ came back as Python float and str (they are
    # subclasses of those).
    params = dict(
        alpha=np.float64(1e-3),
        grad_clip=np.float32(1.0),
        activation=np.str_("tanh"),
        max_iter=np.int64(2),
        shuffle=np.bool_(False),
    )
    clf = MLPClassifier(hidden_layer_sizes=(4,), **params).fit(X_TABLE, Y_CLASS)
    clf.scale_ = np.float64(0.5)
    restored = sknn.load(clf.save(tmp_path / "m.sknn") and tmp_path / "m.sknn")
    for name, value in params.items():
        assert type(getattr(restored, name)) is type(value) and getattr(restored, name) == value
    assert type(restored.scale_) is np.float64


@pytest.mark.parametrize("order", ["estimators-first", "holder-first"])
def test_an_object_of_sknn_reached_twice_loads_as_one(order, tmp_path, fitted):
    # Non-regression: the word vectors shared by a Word2Vec and a TransformerClassifier
    # were written twice and loaded as two copies.
    word2vec = fitted["Word2Vec"][0]
    clf = TransformerClassifier(
        d_model=8, n_heads=2, n_layers=1, embeddings=word2vec.wv_, **QUICK
    ).fit(TEXTS, Y_TEXTS)
    holder = Bunch(vectors=word2vec.wv_)  # written by skops, the vectors by sknn
    saved = [word2vec, clf, holder] if order == "estimators-first" else [holder, word2vec, clf]
    path = tmp_path / "m.sknn"
    sknn.save(saved, path)
    restored = sknn.load(path, trusted=sknn.get_untrusted_types(path))
    if order == "holder-first":
        restored = restored[1:] + restored[:1]
    restored_word2vec, restored_clf, restored_holder = restored
    assert restored_clf.embeddings is restored_word2vec.wv_
    assert restored_holder.vectors is restored_word2vec.wv_
    with safe_open(path, framework="pt") as reader:
        vectors = [
            k for k in reader.keys() if reader.get_tensor(k).shape == word2vec.wv_.vectors.shape
        ]
    assert len(vectors) == 1
    np.testing.assert_array_equal(restored_clf.predict_proba(TEXTS), clf.predict_proba(TEXTS))


_DIVERGING = dict(
    hidden_layer_sizes=(8,),
    solver="sgd",
    learning_rate="adaptive",
    learning_rate_init=0.3,
    batch_size=16,
    n_iter_no_change=2,
    tol=1e-1,
    max_iter=5,
    random_state=0,
    device="cpu",
)


def _diverging_data():
    rng = np.random.RandomState(0)
    X = rng.randn(80, 5)
    return X, X @ rng.randn(5) + 0.1 * rng.randn(80)


def test_a_fit_that_diverged_saves_and_checkpoints(tmp_path):
    # Non-regression: a NaN in loss_curve_ made save fail ('Out of range float values are
    # not JSON compliant'), and with checkpoint= the fit itself raised it, losing the fit.
    X, y = _diverging_data()
    with pytest.warns(ConvergenceWarning, match="Training diverged"):
        reg = sknn.MLPRegressor(**_DIVERGING).fit(X, y)
    assert np.isnan(reg.loss_curve_[-1])
    for optimizer in (False, True):
        sknn.save(reg, tmp_path / "m.sknn", include_optimizer=optimizer)
        loaded = sknn.load(tmp_path / "m.sknn")
        np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))
        np.testing.assert_array_equal(loaded.loss_curve_, reg.loss_curve_)  # NaN included
    with pytest.warns(ConvergenceWarning, match="Training diverged"):
        checkpointed = sknn.MLPRegressor(checkpoint=tmp_path / "c.ckpt", **_DIVERGING).fit(X, y)
    np.testing.assert_array_equal(checkpointed.predict(X), reg.predict(X))


def test_a_checkpoint_of_the_epoch_that_met_the_stopping_rule_resumes_no_further(tmp_path):
    # Non-regression: the resumed fit ran one more epoch than the uninterrupted one, which
    # had stopped at that checkpoint's epoch (n_iter_ 6 against 5, other weights).
    X, y = _diverging_data()
    params = dict(_DIVERGING, solver="adam", learning_rate="constant", learning_rate_init=0.05)
    whole = sknn.MLPRegressor(**dict(params, max_iter=12)).fit(X, y)
    assert whole.n_iter_ == 5  # stopped by the tol rule, not by max_iter
    sknn.MLPRegressor(checkpoint=tmp_path / "c.ckpt", **params).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # no 'max_iter reached'
        resumed = sknn.MLPRegressor(resume_from=tmp_path / "c.ckpt", **dict(params, max_iter=12))
        resumed.fit(X, y)
    assert resumed.n_iter_ == whole.n_iter_
    np.testing.assert_array_equal(resumed.predict(X), whole.predict(X))


def test_a_fitted_search_with_the_default_scoring_loads_without_trust(tmp_path):
    # Non-regression: its scorer_ (scikit-learn's _PassthroughScorer, which only calls the
    # estimator's score) was an untrusted type, so the file needed trusted=[...].
    X, y = _diverging_data()
    search = GridSearchCV(
        sknn.MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, device="cpu"),
        {"alpha": [1e-4, 1e-2]},
        cv=TimeOrderedSplit(0.25),  # sknn's own splitter: no other foreign type
    ).fit(X, y)
    sknn.save(search, tmp_path / "search.sknn")
    assert sknn.get_untrusted_types(tmp_path / "search.sknn") == []
    np.testing.assert_array_equal(
        sknn.load(tmp_path / "search.sknn").predict(X), search.predict(X)
    )
