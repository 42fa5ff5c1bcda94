"""Nothing silent, nothing lost: degenerate data, failed fits and bad parameters end in a
clear scikit-learn error or warning, and a fit that raises changes nothing."""

import copy
import functools
import pickle
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import BatchScoring, Callback, EarlyStopping, EpochScoring

import sknn
import sknn.engine.optim
from sknn import (
    ConvNetClassifier,
    MLPClassifier,
    MLPRegressor,
    SequenceClassifier,
    SequenceRegressor,
    TransformerClassifier,
    Word2Vec,
)
from sknn.base import _module_signature
from sknn.engine.net import TrainingNet

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = StandardScaler().fit_transform(X_IRIS).astype(np.float32)
FAST = dict(device="cpu", random_state=0, max_iter=5)


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _outputs(est, X):
    return est.predict_proba(X) if hasattr(est, "predict_proba") else est.predict(X)


# -- one class ---------------------------------------------------------------------------

TEXTS = ["good fun", "a great film", "fine acting", "lovely story"] * 10
ONE_CLASS = {
    "MLPClassifier": (MLPClassifier(hidden_layer_sizes=(4,), **FAST), X_IRIS[:40]),
    "ConvNetClassifier": (
        ConvNetClassifier(channels=(2,), dense_sizes=(), **FAST),
        np.random.RandomState(0).rand(40, 6, 6),
    ),
    "SequenceClassifier": (
        SequenceClassifier(hidden_size=4, **FAST),
        np.random.RandomState(0).rand(40, 5, 2),
    ),
    "TransformerClassifier": (
        TransformerClassifier(d_model=8, n_heads=2, n_layers=1, **FAST),
        TEXTS,
    ),
}


@pytest.mark.parametrize("name", list(ONE_CLASS))
@pytest.mark.parametrize("label", ["only", 7])
def test_a_training_set_with_one_class_predicts_that_class(name, label):
    # A cross-validation fold of a rare class can hold one class: predict it, as
    # scikit-learn does, with probability 1.
    est, X = ONE_CLASS[name]
    y = np.full(len(X), label, dtype=object if isinstance(label, str) else type(label))
    est.fit(X, y)
    assert list(est.classes_) == [label]
    np.testing.assert_array_equal(est.predict(X[:5]), np.full(5, label, dtype=y.dtype))
    np.testing.assert_array_equal(est.predict_proba(X[:5]), np.ones((5, 1), np.float32))
    assert est.score(X, y) == 1.0


# -- a failed fit changes nothing --------------------------------------------------------


class _FailAt(Callback):
    """Raises RuntimeError at the end of epoch ``epoch`` (counting from 1 per call)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_train_begin(self, net, **kwargs):
        self.seen = 0

    def on_epoch_end(self, net, **kwargs):
        self.seen += 1
        if self.seen == self.epoch:
            raise RuntimeError("boom")


def _fingerprint(est, X):
    return (
        _outputs(est, X).copy(),
        est.n_iter_,
        est.t_,
        list(est.loss_curve_),
        len(est.history_),
        {
            k: v
            for k, v in vars(est).items()
            if k != "net_" and k not in est.get_params() and not hasattr(v, "__array__")
        },
    )


def _assert_same(a, b):
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1:] == b[1:]


@pytest.mark.parametrize("how", ["fit", "warm_start", "partial_fit"])
def test_a_fit_that_fails_in_training_leaves_the_fitted_model_as_it_was(how):
    clf = MLPClassifier(hidden_layer_sizes=(8,), **FAST).fit(X_IRIS, Y_IRIS)
    before = _fingerprint(clf, X_IRIS)
    clf.set_params(callbacks=[_FailAt(2)], warm_start=how == "warm_start")
    with pytest.raises(RuntimeError, match="boom"):
        if how == "partial_fit":
            clf.set_params(callbacks=[_FailAt(1)]).partial_fit(X_IRIS, Y_IRIS)
        else:
            clf.fit(X_IRIS, Y_IRIS)
    clf.set_params(callbacks=None, warm_start=False)
    _assert_same(_fingerprint(clf, X_IRIS), before)
    clf.partial_fit(X_IRIS, Y_IRIS)  # and it still trains
    assert clf.t_ == before[2] + len(X_IRIS)


@pytest.mark.parametrize(
    "bad",
    [
        lambda X, y: (np.where(X > 1, np.nan, X), y),
        lambda X, y: (X[:, :3], y),
        lambda X, y: (X, np.r_[y[:-1], 99]),
    ],
    ids=["nan", "width", "new-class"],
)
def test_a_fit_refused_on_its_data_changes_nothing(bad):
    clf = MLPClassifier(hidden_layer_sizes=(8,), warm_start=True, **FAST).fit(X_IRIS, Y_IRIS)
    before = _fingerprint(clf, X_IRIS)
    X, y = bad(X_IRIS, Y_IRIS)
    with pytest.raises(ValueError):
        clf.fit(X, y)
    _assert_same(_fingerprint(clf, X_IRIS), before)


@pytest.mark.parametrize("by", ["ctrl-c", "callback"])
def test_an_interrupted_fit_keeps_its_counts_in_step(monkeypatch, by):
    # A Ctrl-C, in the middle of a training step, warns; a callback's KeyboardInterrupt
    # (skorch's way to stop a fit) is a stopping rule and does not.
    steps = []
    train_step = TrainingNet.train_step_single

    def step(self, *args, **kwargs):
        steps.append(1)
        if by == "ctrl-c" and len(steps) == 8:  # the second batch of the third epoch
            raise KeyboardInterrupt
        return train_step(self, *args, **kwargs)

    class Interrupt(Callback):
        def on_batch_end(self, net, training=False, **kwargs):
            if by == "callback" and len(steps) == 8:
                raise KeyboardInterrupt

    monkeypatch.setattr(TrainingNet, "train_step_single", step)
    clf = MLPClassifier(
        hidden_layer_sizes=(8,), batch_size=64, callbacks=[Interrupt()], **{**FAST, "max_iter": 10}
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X_IRIS, Y_IRIS)
    assert any("interrupted" in str(w.message) for w in caught) == (by == "ctrl-c")
    assert clf.n_iter_ == len(clf.loss_curve_) == len(clf.history_) == 2
    assert clf.t_ == 2 * len(X_IRIS)


# -- warm_start and partial_fit continue the same network ---------------------------------


@pytest.mark.parametrize(
    "change, named",
    [
        ({"hidden_layer_sizes": (7,)}, "hidden_layer_sizes=(7,) (fitted with (8,))"),
        ({"activation": "tanh"}, "activation='tanh' (fitted with 'relu')"),
        ({"batch_norm": True}, "batch_norm=True"),
    ],
)
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_continuing_a_fit_with_another_network_is_refused(change, named, how):
    clf = MLPClassifier(hidden_layer_sizes=(8,), **FAST).fit(X_IRIS, Y_IRIS)
    _assert_continuing_refused(clf, X_IRIS, Y_IRIS, change, how, "different network.*" + named)
    if "hidden_layer_sizes" in change:
        assert clf.coefs_[0].shape == (4, 7)


def _assert_continuing_refused(est, X, y, change, how, match):
    """``change`` then a continued fit (``how``) raises a ValueError matching ``match``
    (regex-escaped but for its '.*') and leaves ``est`` as it was; a fresh fit takes it."""
    before = _fingerprint(est, X)
    est.set_params(**change, warm_start=how == "warm_start")
    with pytest.raises(ValueError, match=".*".join(map(_escape, match.split(".*")))):
        if how == "partial_fit":
            est.partial_fit(X, y)
        else:
            est.fit(X, y)
    _assert_same(_fingerprint(est, X), before)
    est.set_params(warm_start=False).fit(X, y)  # a fresh fit takes the change


def _words(text):
    return text.split()


def _letters(text):
    return list(text)


_SERIES = np.random.RandomState(0).normal(size=(20, 12, 1)).astype(np.float32) * 3 + 1
_SMALL_SEQ = dict(hidden_size=4, batch_size=10, **FAST)
_SMALL_TF = dict(d_model=8, n_heads=2, n_layers=1, early_stopping=False, batch_size=10, **FAST)


@pytest.mark.parametrize(
    "make, X, change, named",
    [
        (
            lambda: SequenceClassifier(**_SMALL_SEQ),
            _SERIES,
            {"normalize": "series"},
            "normalize='series' (fitted with 'auto')",
        ),
        (
            lambda: SequenceClassifier(time_index=False, **_SMALL_SEQ),
            _SERIES,
            {"time_index": True},
            "time_index=True (fitted with False)",
        ),
        (  # 'auto' gave these 12-step series the position: False takes it away
            lambda: SequenceClassifier(**_SMALL_SEQ),
            _SERIES,
            {"time_index": False},
            "time_index=False (fitted with 'auto')",
        ),
        (
            lambda: SequenceClassifier(normalize="channel", **_SMALL_SEQ),
            _SERIES,
            {"normalize": None},
            "normalize=None (fitted with 'channel')",
        ),
        (
            lambda: SequenceClassifier(**_SMALL_SEQ),
            TEXTS[:20],
            {"min_freq": 2},
            "min_freq=2 (fitted with 1)",
        ),
        (
            lambda: SequenceClassifier(**_SMALL_SEQ),
            TEXTS[:20],
            {"max_len": 1},
            "max_len=1 (fitted with None)",
        ),
        (
            lambda: TransformerClassifier(**_SMALL_TF),
            TEXTS[:20],
            {"lowercase": False},
            "lowercase=False (fitted with True)",
        ),
        (
            lambda: TransformerClassifier(**_SMALL_TF),
            TEXTS[:20],
            {"max_vocab": 3},
            "max_vocab=3 (fitted with 20000)",
        ),
        # Non-regression: a callable tokenizer was not recorded, so a change from or to
        # one was ignored and the fitted vocabulary's tokenizer kept reading the texts.
        (
            lambda: SequenceClassifier(tokenizer=str.split, **_SMALL_SEQ),
            TEXTS[:20],
            {"tokenizer": None},
            "tokenizer=None (fitted with <method 'split' of 'str' objects>)",
        ),
        (
            lambda: TransformerClassifier(tokenizer=_words, **_SMALL_TF),
            TEXTS[:20],
            {"tokenizer": _letters},
            "tokenizer=<function _letters.*(fitted with <function _words",
        ),
        (
            lambda: TransformerClassifier(
                tokenizer=functools.partial(re.findall, r"\w+"), **_SMALL_TF
            ),
            TEXTS[:20],
            {"tokenizer": functools.partial(re.findall, r"\w")},
            "tokenizer=functools.partial(<function findall.*'\\\\w')",
        ),
    ],
    ids=[
        "normalize",
        "time_index",
        "time_index-auto",
        "channel-none",
        "min_freq",
        "text-max_len",
        "tf-lowercase",
        "tf-max_vocab",
        "tokenizer-to-none",
        "tf-tokenizer-function",
        "tf-tokenizer-partial",
    ],
)
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_continuing_a_fit_with_other_preprocessing_is_refused(make, X, change, named, how):
    # warm_start and partial_fit keep the first fit's normalisation and vocabulary, as
    # predict does: a changed parameter would otherwise be ignored without a word.
    y = np.arange(len(X)) % 2
    est = make().fit(X, y)
    _assert_continuing_refused(est, X, y, change, how, "different preprocessing: " + named)
    for name, value in change.items():
        assert est._module_params[name] == value


def test_the_same_tokenizer_again_continues_the_fit():
    # Functions compare by where they are defined and their code, partials by what they
    # wrap: an equal partial, or a copy of the estimator, continues the fit.
    y = np.arange(20) % 2
    est = TransformerClassifier(tokenizer=functools.partial(re.findall, r"\w+"), **_SMALL_TF)
    est.set_params(warm_start=True).fit(TEXTS[:20], y)
    est.set_params(tokenizer=functools.partial(re.findall, r"\w+")).fit(TEXTS[:20], y)
    copy.deepcopy(est).partial_fit(TEXTS[:20], y)
    est.set_params(tokenizer=_words, warm_start=False).fit(TEXTS[:20], y)
    pickle.loads(pickle.dumps(est)).set_params(tokenizer=_words).partial_fit(TEXTS[:20], y)


@pytest.mark.parametrize(
    "make, X, change, named",
    [
        (
            lambda: SequenceClassifier("lstm", **_SMALL_SEQ),
            _SERIES,
            {"pooling": "mean"},
            "pooling='mean' (fitted with 'auto')",
        ),
        (
            lambda: SequenceClassifier("fcn", pooling="max", **_SMALL_SEQ),
            _SERIES,
            {"pooling": "last"},
            "pooling='last' (fitted with 'max')",
        ),
        (
            lambda: TransformerClassifier(**_SMALL_TF),
            TEXTS[:20],
            {"token_dropout": 0.3},
            "token_dropout=0.3 (fitted with 0.1)",
        ),
        (
            lambda: TransformerClassifier(**_SMALL_TF),
            TEXTS[:20],
            {"attention_dropout": 0.1},
            "attention_dropout=0.1 (fitted with 0.0)",
        ),
    ],
    ids=["lstm-pooling", "fcn-pooling", "tf-token_dropout", "tf-attention_dropout"],
)
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_continuing_with_a_setting_the_module_repr_hides_is_refused(make, X, change, named, how):
    # A pooling or a dropout rate kept as a plain attribute does not show in the module's
    # repr; the fitted module would keep it while get_params reported the new value.
    y = np.arange(len(X)) % 2
    est = make().fit(X, y)
    kept = _module_signature(est.net_.module_)
    _assert_continuing_refused(est, X, y, change, how, "different network: " + named + ". Fit")
    assert _module_signature(est.net_.module_) != kept  # the fresh fit took the change


@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_a_changed_label_smoothing_takes_effect_when_continuing(how):
    def continued(label_smoothing):
        clf = MLPClassifier(hidden_layer_sizes=(8,), warm_start=True, **FAST)
        clf.fit(X_IRIS, Y_IRIS).set_params(label_smoothing=label_smoothing)
        clf.partial_fit(X_IRIS, Y_IRIS) if how == "partial_fit" else clf.fit(X_IRIS, Y_IRIS)
        return clf

    same, smoothed = continued(0.0), continued(0.5)
    assert smoothed.net_.criterion_.label_smoothing == 0.5
    # Before, the continued fit trained on the first fit's loss: these were equal.
    assert smoothed.loss_curve_[-1] != same.loss_curve_[-1]


@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_continuing_with_another_regression_loss_is_refused(how):
    y = np.abs(X_IRIS[:, 0]) + 0.1
    reg = MLPRegressor(hidden_layer_sizes=(8,), **FAST).fit(X_IRIS, y)
    _assert_continuing_refused(
        reg, X_IRIS, y, {"loss": "poisson"}, how, "loss='poisson' (fitted with 'squared_error')"
    )
    assert reg.out_activation_ == "exp"  # the fresh fit took it


@pytest.mark.parametrize(
    "make, X, change",
    [
        (
            lambda: MLPClassifier(hidden_layer_sizes=(6,), **FAST),
            X_IRIS,
            {"activation": "tanh", "solver": "sgd", "label_smoothing": 0.1},
        ),
        (
            lambda: MLPClassifier(hidden_layer_sizes=(6,), **FAST),
            X_IRIS,
            {"hidden_layer_sizes": (7,), "dropout": 0.3, "batch_norm": True},
        ),
        (
            lambda: TransformerClassifier(**_SMALL_TF),
            TEXTS[:20],
            {"pooling": "cls", "n_heads": 4, "positional": "learned"},
        ),
        (lambda: SequenceClassifier(**_SMALL_SEQ), _SERIES, {"cell": "lstm", "pooling": "max"}),
    ],
    ids=["mlp-activation", "mlp-sizes", "transformer", "sequence"],
)
def test_a_model_saved_after_set_params_loads_as_fitted(make, X, change, tmp_path):
    # Non-regression: load rebuilt the network from the parameters as they were at
    # save, not at fit: a changed activation or pooling predicted otherwise without a
    # word, a changed size was 'not a valid sknn model file'. Like predict in memory,
    # the loaded model is the fitted one; the new parameters apply at the next fit.
    y = np.arange(len(X)) % 2 if X is not X_IRIS else Y_IRIS
    est = make().fit(X, y)
    expected = est.predict_proba(X)
    est.set_params(**change).save(tmp_path / "m.sknn", include_optimizer=True)
    loaded = sknn.load(tmp_path / "m.sknn")
    assert loaded.get_params() == est.get_params()
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)
    # The engine too: the fit's optimizer (its saved state loads) and loss.
    assert type(loaded.net_.optimizer_) is type(est.net_.optimizer_)
    assert loaded.net_.criterion_.label_smoothing == est.net_.criterion_.label_smoothing


@pytest.mark.parametrize("first, then", [("robust", None), (None, "robust")])
def test_numeric_scaling_set_after_fit_applies_at_the_next_fit(first, then):
    # Non-regression: predict read numeric_scaling live: switched off, the fitted
    # scaling was skipped (a regressor's score fell from -15 to -485); switched on, every
    # predict raised an AttributeError.
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.randn(60) * 100, "b": rng.choice(["x", "y"], 60)})
    y = X["a"].to_numpy() / 50
    reg = MLPRegressor(categorical_features="from_dtype", numeric_scaling=first, **FAST)
    expected = reg.fit(X, y).predict(X)
    np.testing.assert_array_equal(reg.set_params(numeric_scaling=then).predict(X), expected)


def test_attention_weights_follow_the_fitted_pooling():
    est = TransformerClassifier(pooling="mean", **_SMALL_TF).fit(TEXTS[:20], np.arange(20) % 2)
    est.set_params(pooling="cls")  # not refitted: the fitted module still pools the mean
    tokens, weights = est.attention_weights(["good fun"])
    assert tokens == [["good", "fun"]]
    assert weights[0].shape[-1] == len(tokens[0])


def test_continuing_with_preprocessing_that_resolves_the_same_is_allowed():
    y = np.arange(len(_SERIES)) % 2
    est = SequenceClassifier(warm_start=True, **_SMALL_SEQ).fit(_SERIES, y)
    assert est.normalize_ == "series_stats" and est.input_kind_ == "sequences"
    # What 'auto' resolved to may be given.
    est.set_params(normalize="series_stats", input_kind="sequences").fit(_SERIES, y)
    est.set_params(normalize="auto", input_kind="auto").partial_fit(_SERIES, y)
    assert est.n_iter_ == 1


@pytest.mark.parametrize(
    "first, then, how",
    [
        ({"early_stopping": True}, {"early_stopping": False}, "warm_start"),
        ({"early_stopping": True}, {"early_stopping": False}, "partial_fit"),
        ({"early_stopping": False}, {"early_stopping": True}, "warm_start"),
        ({"solver": "lbfgs"}, {"solver": "adam"}, "warm_start"),
        ({"solver": "lbfgs"}, {"solver": "sgd"}, "partial_fit"),
        ({"solver": "adam"}, {"solver": "lbfgs"}, "warm_start"),
    ],
    ids=["es-off", "es-off-partial", "es-on", "lbfgs-to-adam", "lbfgs-to-sgd-partial", "to-lbfgs"],
)
def test_continuing_with_another_stopping_record_starts_it(first, then, how):
    # Non-regression: switching early_stopping, or from 'lbfgs' to a stochastic solver,
    # then continuing crashed in the epoch rule (a raw TypeError or AttributeError, as in
    # scikit-learn). The continued fit now starts the record of its kind.
    clf = MLPClassifier(hidden_layer_sizes=(8,), warm_start=True, **{**FAST, **first})
    clf.fit(X_IRIS, Y_IRIS).set_params(**then)
    clf.partial_fit(X_IRIS, Y_IRIS) if how == "partial_fit" else clf.fit(X_IRIS, Y_IRIS)
    if clf.solver == "lbfgs":
        assert not hasattr(clf, "loss_curve_")
    elif clf.early_stopping:
        assert len(clf.validation_scores_) == clf.n_iter_ and clf.best_loss_ is None
    else:
        assert clf.validation_scores_ is None
        assert clf.best_loss_ == min(clf.loss_curve_)


def test_continuing_with_training_only_parameters_changed_is_allowed():
    clf = MLPClassifier(hidden_layer_sizes=(8,), warm_start=True, **FAST).fit(X_IRIS, Y_IRIS)
    clf.set_params(learning_rate_init=0.01, alpha=0.1, max_iter=2).fit(X_IRIS, Y_IRIS)
    clf.partial_fit(X_IRIS, Y_IRIS)


def _escape(text):
    import re

    return re.escape(text)


# -- valid data that used to be refused ---------------------------------------------------


@pytest.mark.parametrize("shuffle", [True, False])
def test_batch_norm_trains_when_the_last_batch_has_one_row(shuffle):
    X = np.random.RandomState(0).randn(201, 4).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    clf = MLPClassifier(hidden_layer_sizes=(8,), batch_norm=True, shuffle=shuffle, **FAST)
    clf.fit(X, y)
    assert clf.history_[-1, "train_batch_count"] == 1  # 201 rows: one batch of 201
    assert clf.t_ == 5 * 201
    images = np.random.RandomState(0).rand(33, 6, 6)
    ConvNetClassifier(channels=(2,), batch_norm=True, batch_size=16, **FAST).fit(
        images, np.arange(33) % 2
    )


def test_without_batch_norm_the_last_batch_of_one_row_stays():
    X = np.random.RandomState(0).randn(201, 4).astype(np.float32)
    clf = MLPClassifier(hidden_layer_sizes=(8,), **FAST).fit(X, (X[:, 0] > 0).astype(int))
    assert clf.history_[-1, "train_batch_count"] == 2


# -- errors that say what to do -----------------------------------------------------------


@pytest.mark.parametrize("callbacks", [["x"], [3], [("name", "x")], [(1, Callback())]])
def test_callbacks_that_are_not_callbacks_are_a_typeerror(callbacks):
    with pytest.raises(TypeError, match="skorch callbacks"):
        MLPClassifier(callbacks=callbacks, **FAST).fit(X_IRIS, Y_IRIS)


@pytest.mark.parametrize(
    "callback, early_stopping, match",
    [
        (EpochScoring("accuracy", lower_is_better=False), True, "EpochScoring cannot score"),
        (BatchScoring("accuracy", lower_is_better=False), False, "BatchScoring cannot score"),
        (EarlyStopping(), False, "monitors 'valid_loss', which the history records only"),
    ],
    ids=["epoch-scoring", "batch-scoring", "early-stopping-valid-loss"],
)
def test_skorch_callbacks_that_cannot_run_are_refused_before_training(
    callback, early_stopping, match
):
    # Non-regression: skorch's scoring callbacks failed mid-fit with skorch's raw
    # 'Cannot convert this data type to a numpy array' (they read skorch's batch layout),
    # and EarlyStopping() without early_stopping=True with a KeyError on 'valid_loss'.
    clf = MLPClassifier(callbacks=[callback], early_stopping=early_stopping, **FAST)
    with pytest.raises(ValueError, match=match):
        clf.fit(X_IRIS, Y_IRIS)
    assert not hasattr(clf, "net_")


def test_a_stop_by_skorch_early_stopping_is_not_called_a_user_interrupt():
    # Non-regression: the callback stops a fit by raising KeyboardInterrupt, which was
    # reported as 'Training interrupted by user.'
    stop = EarlyStopping(monitor="train_loss", patience=1, threshold=10.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = MLPClassifier(callbacks=[stop], **{**FAST, "max_iter": 50}).fit(X_IRIS, Y_IRIS)
    assert clf.n_iter_ == 2  # the first epoch, then one without the improvement asked


def _oom(*args, **kwargs):
    raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")


def test_running_out_of_memory_in_training_says_which_batch_size_to_try(monkeypatch):
    clf = MLPClassifier(hidden_layer_sizes=(8,), **FAST).fit(X_IRIS, Y_IRIS)
    before = _fingerprint(clf, X_IRIS)
    monkeypatch.setattr(TrainingNet, "train_step", _oom)
    with pytest.raises(MemoryError, match="batch_size=100. Try batch_size=50"):
        clf.set_params(batch_size=100).fit(X_IRIS, Y_IRIS)
    monkeypatch.undo()
    _assert_same(_fingerprint(clf.set_params(batch_size="auto"), X_IRIS), before)


def test_running_out_of_memory_in_predict_splits_the_batch(monkeypatch):
    clf = MLPClassifier(hidden_layer_sizes=(8,), **FAST).fit(X_IRIS, Y_IRIS)
    expected = clf.predict_proba(X_IRIS)
    forward = clf.module_.forward
    sizes = []

    def small_only(x):
        sizes.append(len(x))
        if len(x) > 40:
            _oom()
        return forward(x)

    monkeypatch.setattr(clf.module_, "forward", small_only)
    np.testing.assert_allclose(clf.predict_proba(X_IRIS), expected, rtol=1e-6)
    assert max(s for s in sizes if s <= 40) <= 40 and sizes[0] == 150
    monkeypatch.setattr(clf.module_, "forward", _oom)
    with pytest.raises(MemoryError, match="single row"):
        clf.predict(X_IRIS[:3])


def test_a_sound_fit_leaves_no_best_weights_behind():
    # The best epoch's weights are kept during a fit (to go back to on divergence) and
    # released at its end: a fitted model carries one copy of its weights.
    clf = MLPClassifier(hidden_layer_sizes=(8,), **FAST).fit(X_IRIS, Y_IRIS)
    assert clf.net_.training_state_.best_module is None


def test_a_fit_too_short_for_small_targets_says_so():
    # Targets of 0.01 next to the untrained network's outputs: the loss falls all along
    # but ends above a constant's; the learning rate was not the cause.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 5))
    y = 0.01 * (X[:, 0] + 0.1 * rng.normal(size=200))
    with pytest.warns(ConvergenceWarning, match=r"still falling.*raise max_iter=20\)") as caught:
        MLPRegressor(max_iter=20, random_state=0, device="cpu").fit(X, y)
    assert not any("may be too high" in str(w.message) for w in caught)
    with pytest.warns(ConvergenceWarning, match=r"still falling.*lower tol=0.0001, which stop"):
        MLPRegressor(random_state=0, device="cpu").fit(X, y)


@pytest.mark.parametrize(
    "params",
    [
        {"alpha": 100.0},
        {"l1": 1e-2, "max_iter": 30},
        {"alpha": 100.0, "solver": "lbfgs", "max_iter": 15},
    ],
)
def test_a_strong_penalty_is_not_a_failed_fit(params):
    # Non-regression: the health check compared the loss with alpha's (or l1's) penalty
    # against the data loss of a network whose outputs are all zero, declared a fit that
    # beats it "failed" and went back to an earlier epoch's weights.
    X, y = make_classification(200, 10, random_state=0)
    clf = MLPClassifier(**{**FAST, "max_iter": 15, **params})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings(
            "ignore", "(Stochastic Optimizer|lbfgs failed)", ConvergenceWarning
        )
        clf.fit(X, y)
    assert clf.score(X, y) > 0.6
    if params.get("solver") != "lbfgs":
        # The weights of the last epoch, as scikit-learn keeps them.
        assert clf.loss_curve_[-1] == clf.loss_


def test_history_and_pandas_agree_after_divergence():
    X, y = load_digits(return_X_y=True)
    clf = MLPClassifier(learning_rate_init=10, max_iter=10, random_state=0, device="cpu")
    with pytest.warns(ConvergenceWarning, match="fit failed"):
        clf.fit(X * 1e6, y)
    assert len(pd.DataFrame(clf.history_)) == clf.n_iter_ == len(clf.loss_curve_)
    assert np.isfinite(clf.predict_proba(X)).all()


# -- parameters that used to be accepted but meaningless -----------------------------------


@pytest.mark.parametrize(
    "params, match",
    [
        ({"hidden_layer_sizes": (2.5,)}, r"hidden_layer_sizes must hold positive integers"),
        ({"hidden_layer_sizes": ("a",)}, r"hidden_layer_sizes must hold positive integers"),
        ({"hidden_layer_sizes": (True,)}, r"hidden_layer_sizes must hold positive integers"),
        ({"hidden_layer_sizes": (0,)}, r"hidden_layer_sizes must be > 0"),
        ({"batch_size": True}, r"'batch_size' parameter .* Got True"),
        ({"max_iter": True}, r"'max_iter' parameter .* Got True"),
        ({"hidden_layer_sizes": (10**12,)}, r"hidden_layer_sizes=\(1000000000000,\)"),
    ],
)
def test_mlp_parameters_that_mean_nothing_are_refused(params, match):
    clf = MLPClassifier(**{**FAST, **params})
    with pytest.raises(ValueError, match=match):
        clf.fit(X_IRIS, Y_IRIS)
    assert not hasattr(clf, "net_")


DIGITS = load_digits()
IMAGES, IMAGE_LABELS = DIGITS.images[:60], DIGITS.target[:60]


@pytest.mark.parametrize(
    "params, match",
    [
        ({"padding": 1000}, r"padding=1000 must be between 0 and kernel_size - 1 = 2"),
        ({"kernel_size": 100}, r"kernel_size=100 is too large for images of 8x8"),
        ({"augment_shift": 1000}, r"augment_shift=1000 must be smaller than .* \(8x8\)"),
        ({"augment_shift": 8}, r"augment_shift=8 must be smaller"),
        ({"channels": (10**9,), "dense_sizes": (10**6,)}, r"channels=\(1000000000,\)"),
    ],
)
def test_convnet_parameters_that_mean_nothing_are_refused(params, match):
    with pytest.raises(ValueError, match=match):
        ConvNetClassifier(**{**FAST, **params}).fit(IMAGES, IMAGE_LABELS)


def test_convnet_parameters_at_their_limits_still_train():
    ConvNetClassifier(padding=2, kernel_size=3, augment_shift=7, **FAST).fit(IMAGES, IMAGE_LABELS)
    # A one-pixel image (a one-feature table read as images) takes any kernel.
    ConvNetClassifier(image_shape=(1, 1), pooling=None, **FAST).fit(IMAGES[:, 0, :1], IMAGE_LABELS)


@pytest.mark.parametrize("value", [1e39, -1e39, 1e308])
def test_values_beyond_float32_are_refused_at_fit_and_at_predict(value):
    message = r"Input X contains infinity or a value too large for dtype\('float32'\)"
    clf = MLPClassifier(hidden_layer_sizes=(8,), **FAST).fit(X_IRIS, Y_IRIS)
    bad = X_IRIS.astype(np.float64)
    bad[0, 0] = value
    for method in (clf.predict, clf.predict_proba):
        with pytest.raises(ValueError, match=message):
            method(bad)
    with pytest.raises(ValueError, match=message):
        MLPRegressor(**FAST).fit(bad, Y_IRIS)
    conv = ConvNetClassifier(channels=(2,), **FAST).fit(IMAGES, IMAGE_LABELS)
    images = IMAGES.astype(np.float64)
    images[0, 0, 0] = value
    for method in (conv.predict, conv.transform):
        with pytest.raises(ValueError, match=message):
            method(images)


def test_a_memory_map_beyond_float32_is_refused_before_training(tmp_path):
    # A memory map streams to the network without a whole cast: its range is checked by
    # slices, instead of a divergence blamed on the learning rate.
    bad = X_IRIS.astype(np.float64)
    bad[-1, 0] = 1e39
    np.save(tmp_path / "x.npy", bad)
    X = np.load(tmp_path / "x.npy", mmap_mode="r")
    with pytest.raises(ValueError, match=r"Input X contains infinity or a value too large"):
        MLPRegressor(**FAST).fit(X, Y_IRIS)
    np.save(tmp_path / "x.npy", X_IRIS.astype(np.float64))
    MLPRegressor(**FAST).fit(np.load(tmp_path / "x.npy", mmap_mode="r"), Y_IRIS)


def test_regression_targets_beyond_float32_are_refused():
    y = Y_IRIS.astype(np.float64)
    y[0] = 1e39
    with pytest.raises(ValueError, match=r"Input y contains infinity or a value too large"):
        MLPRegressor(**FAST).fit(X_IRIS, y)


def test_an_overflowing_line_search_is_divergence_not_a_torch_error(monkeypatch):
    # torch's L-BFGS raises RuntimeError when its line search leaves float range (seen on
    # X scaled by 1e30): reported as scikit-learn reports non-finite weights.
    reg = MLPRegressor(solver="lbfgs", **FAST).fit(X_IRIS, Y_IRIS)
    before = reg.predict(X_IRIS)

    def overflow(self, closure):
        raise RuntimeError("value cannot be converted to type float without overflow")

    monkeypatch.setattr(sknn.engine.optim.LBFGS, "step", overflow)  # torch's, undecorated
    with pytest.raises(ValueError, match="non-finite parameter weights.*line search"):
        reg.fit(X_IRIS, Y_IRIS)
    np.testing.assert_array_equal(reg.predict(X_IRIS), before)


def test_an_lstm_trains_under_bfloat16_autocast_on_any_cpu(monkeypatch):
    # oneDNN builds no bfloat16 LSTM on CPUs without AVX-512 (torch: "could not create a
    # primitive descriptor for the LSTM forward propagation primitive"): there the
    # recurrent layer runs in float32, the rest in bfloat16. Forced here, whatever this CPU.
    from sknn.modules import recurrent

    X = np.random.RandomState(0).rand(20, 5, 2).astype(np.float32)
    y = X[:, :, 0].mean(axis=1)
    params = dict(cell="lstm", precision="bf16", hidden_size=4, **FAST)
    native = recurrent._cpu_bf16_runs(torch.nn.LSTM)
    # The probe's answer does not depend on the caller's grad mode (it is cached).
    for rnn_class in (torch.nn.LSTM, torch.nn.GRU):
        recurrent._cpu_bf16_runs.cache_clear()
        with_grad = recurrent._cpu_bf16_runs(rnn_class)
        recurrent._cpu_bf16_runs.cache_clear()
        with torch.inference_mode():
            assert recurrent._cpu_bf16_runs(rnn_class) == with_grad
    reg = SequenceRegressor(**params).fit(X, y)
    assert np.isfinite(reg.predict(X)).all()
    dtypes = []
    monkeypatch.setattr(recurrent, "_cpu_bf16_runs", lambda rnn_class: False)
    reg = SequenceRegressor(**params).fit(X, y)
    reg.module_.rnn.register_forward_hook(lambda m, i, o: dtypes.append(o[0].data.dtype))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        reg.module_(torch.as_tensor(X))
    assert dtypes == [torch.float32]
    assert np.isfinite(reg.predict(X)).all()
    # Where the CPU has the kernel, the layer computes in bfloat16 as autocast asks.
    if native:
        monkeypatch.setattr(recurrent, "_cpu_bf16_runs", lambda rnn_class: True)
        dtypes.clear()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            reg.module_(torch.as_tensor(X))
        assert dtypes == [torch.bfloat16]


def test_an_lstm_trains_under_float16_autocast_on_the_cpu():
    # oneDNN has no float16 LSTM primitive for some shapes on the CPU (a RuntimeError from
    # torch): the recurrent layer runs in float32 there, the rest in float16.
    X = np.random.RandomState(0).rand(20, 5, 2).astype(np.float32)
    y = X[:, :, 0].mean(axis=1)
    reg = SequenceRegressor(cell="lstm", precision="fp16", hidden_size=4, **FAST).fit(X, y)
    assert np.isfinite(reg.predict(X)).all()


@pytest.mark.parametrize(
    "make, X",
    [
        (lambda: MLPClassifier(class_weight="balanced", **FAST), X_IRIS),
        (lambda: SequenceClassifier(class_weight="balanced", **_SMALL_SEQ), _SERIES[:15]),
    ],
    ids=["mlp", "sequence"],
)
def test_partial_fit_refuses_balanced_class_weight(make, X):
    # A batch's own class counts would balance it, not the data: scikit-learn's
    # SGDClassifier refuses it with this message.
    with pytest.raises(ValueError, match="class_weight 'balanced' is not supported for partial"):
        make().partial_fit(X, np.arange(len(X)) % 3, classes=[0, 1, 2])
    make().fit(X, np.arange(len(X)) % 3)  # fit sees all the data: balanced there


def test_balanced_class_weight_balances_the_weighted_counts():
    # Non-regression: 'balanced' counted rows, not weights, so classes weighted 1 and 3
    # stayed 1:3 apart; LogisticRegression balances the weighted counts, and integer
    # weights then balance as the repeated rows would.
    y = np.r_[np.zeros(150, int), np.ones(50, int)]
    sample_weight = np.r_[np.ones(150), np.full(50, 3.0)]
    weights = MLPClassifier(class_weight="balanced")._task_sample_weight(y, sample_weight)
    assert weights[y == 0].sum() == pytest.approx(weights[y == 1].sum())
    repeated = np.r_[np.zeros(150, int), np.ones(150, int)]
    plain = MLPClassifier(class_weight="balanced")._task_sample_weight(repeated, None)
    assert weights[y == 1].sum() == pytest.approx(plain[repeated == 1].sum())
    # A class whose rows all weigh zero adds nothing (not inf times zero).
    sample_weight[y == 1] = 0
    weights = MLPClassifier(class_weight="balanced")._task_sample_weight(y, sample_weight)
    assert np.isfinite(weights).all() and not weights[y == 1].any()


def test_early_stopping_with_a_held_out_part_of_zero_weight_is_refused():
    # Non-regression: scored with weights that sum to zero, the split gave scikit-learn's
    # 'Sample weights must contain at least one non-zero number' about weights that have
    # some, or NumPy's ZeroDivisionError with scoring='loss'.
    rng = np.random.RandomState(0)
    X, y = rng.randn(100, 4), rng.randint(0, 2, 100)
    sample_weight = np.zeros(100)
    sample_weight[0] = 1.0  # one row: one part or the other weighs nothing
    for est, target in (
        (MLPClassifier(early_stopping=True, scoring="loss", **FAST), y),
        (MLPRegressor(early_stopping=True, **FAST), y.astype(float)),
    ):
        with pytest.raises(ValueError, match="every row of the (validation|training) part"):
            est.fit(X, target, sample_weight)


def test_a_multiclass_validation_split_too_rare_to_stratify_is_drawn_at_random():
    # scikit-learn's MLP splits several classes at random; sknn stratifies them where it
    # can, and no longer refuses data scikit-learn fits (two validation rows for three
    # classes, a class of one row).
    rng = np.random.RandomState(0)
    for y in (np.arange(20) % 3, np.r_[np.zeros(18, int), 1, 2]):
        clf = MLPClassifier(early_stopping=True, **FAST).fit(rng.randn(len(y), 4), y)
        assert len(clf.validation_scores_) == clf.n_iter_
    # Two classes are stratified as scikit-learn does, which refuses a class of one row.
    with pytest.raises(ValueError, match="least populated class"):
        MLPClassifier(early_stopping=True, **FAST).fit(rng.randn(20, 4), np.r_[np.zeros(19), 1])


@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_multilabel_y_after_a_multiclass_fit_is_refused(how):
    # Non-regression: a label-indicator y after a multiclass fit reached the loss as
    # class indices, a raw torch RuntimeError.
    rng = np.random.RandomState(0)
    X = rng.randn(60, 4)
    clf = MLPClassifier(warm_start=True, **FAST).fit(X, rng.randint(0, 3, 60))
    Y = rng.randint(0, 2, (60, 3))
    with pytest.raises(ValueError, match="not fitted with multilabel input"):
        clf.partial_fit(X, Y) if how == "partial_fit" else clf.fit(X, Y)


@pytest.mark.parametrize(
    "params, sample_weight, match",
    [
        (
            {},
            np.r_[np.ones(100), -np.ones(50)],
            "Negative values in data passed to `sample_weight`",
        ),
        ({}, np.tile([1.0, -1.0], 75), "Negative values in data passed to `sample_weight`"),
        ({"class_weight": {0: -1, 1: 1, 2: 1}}, None, "finite, non-negative weights"),
        ({"class_weight": {0: np.nan, 1: 1, 2: 1}}, None, "finite, non-negative weights"),
        ({"class_weight": {0: 0, 1: 0, 2: 0}}, None, "Every training sample has a weight of zero"),
        (
            {"class_weight": {0: 1, 1: 0, 2: 0}},
            np.r_[np.zeros(50), np.ones(100)],
            "weight of zero",
        ),
    ],
    ids=[
        "negative-sum",
        "zero-sum",
        "negative-class",
        "nan-class",
        "zero-classes",
        "zero-product",
    ],
)
def test_weights_that_leave_nothing_to_train_are_refused(params, sample_weight, match):
    # Before: a diverged fit blamed the input's scale or the learning rate, or a fit that
    # went on with an overflow warning. Iris' labels are 50 of each class in order.
    with pytest.raises(ValueError, match=match):
        MLPClassifier(**FAST, **params).fit(X_IRIS, Y_IRIS, sample_weight=sample_weight)


# -- degenerate data and failed training: the network predict uses is judged -------------


def _price_targets():
    X, signal = make_regression(300, 8, noise=5, random_state=0)
    return X, 1e7 * (3 + signal / signal.std())  # amounts in cents, populations


def test_the_loss_curve_sees_progress_on_large_regression_targets():
    # Non-regression: the epoch loss was a float32 mean, whose rounding step at 5e14 (3e7)
    # exceeds an epoch's progress (2e6): loss_curve_ stayed flat and the tol rule stopped
    # the fit after 12 epochs as converged, without a word. scikit-learn trains on.
    X, y = _price_targets()
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        reg = MLPRegressor(max_iter=30, random_state=0, device="cpu").fit(X, y)
    assert reg.n_iter_ == 30
    assert (np.diff(reg.loss_curve_) <= 0).all() and reg.loss_ < reg.loss_curve_[0]


def test_a_regressor_no_better_than_the_mean_target_says_to_scale_the_targets():
    # Non-regression: targets of 3e7 gave R^2 -8.5 and no warning at all.
    X, y = _price_targets()
    with pytest.warns(ConvergenceWarning, match="no better than predicting the mean") as caught:
        reg = MLPRegressor(max_iter=20, random_state=0, device="cpu").fit(X, y)
    assert reg.score(X, y) < 0
    message = next(str(w.message) for w in caught if "mean of the training" in str(w.message))
    assert "TransformedTargetRegressor" in message and "StandardScaler" in message
    # Scaled targets train.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        MLPRegressor(max_iter=20, random_state=0, device="cpu").fit(X, (y - y.mean()) / y.std())
    assert not [w for w in caught if "no better than" in str(w.message)]
    # Constant targets near 0, which an untrained network reaches, are left to the
    # training (scikit-learn's own MLP tests fit constant targets and ask for no warning);
    # far from it, a network 10% or more away from them warns (1000 predicted as 5).
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        MLPRegressor(max_iter=20, random_state=0, device="cpu").fit(X, np.full(len(y), 3.0))
    assert not [w for w in caught if "no better than" in str(w.message)]
    with pytest.warns(ConvergenceWarning, match="no better than predicting the mean"):
        reg = MLPRegressor(max_iter=20, random_state=0, device="cpu").fit(X, np.full(len(y), 1e3))
    assert np.abs(reg.predict(X) - 1e3).max() > 100


def test_lbfgs_ending_far_above_a_constant_warns_instead_of_crashing():
    # Non-regression: the divergence rule read the loss curve that 'lbfgs' does not record:
    # TypeError: '_Missing' object is not iterable, and the model was lost.
    X, y = make_classification(100, 5, random_state=0)
    clf = MLPClassifier(solver="lbfgs", max_iter=10, random_state=0, device="cpu")
    with pytest.warns(ConvergenceWarning, match="fit failed"):
        clf.fit(X * 1e10, y)
    assert np.isfinite(clf.predict_proba(X * 1e10)).all()


def _lagging_batch_norm():
    # 60 images, one batch per epoch: 20 optimizer steps at a high rate, which the running
    # statistics cannot follow. In training mode the loss is ~0; predict is at chance.
    rng = np.random.RandomState(0)
    y = np.arange(60) % 3
    X = rng.rand(60, 8, 8) * 0.7 + 0.15 * y[:, None, None]
    params = dict(channels=(4,), dense_sizes=(8,), solver="sgd", learning_rate_init=0.1)
    return ConvNetClassifier(max_iter=20, random_state=0, device="cpu", **params), X, y


def test_batch_norm_statistics_that_lag_the_weights_warn():
    # Non-regression: the health check judged the training-mode loss (0.001) only; the
    # network in prediction mode scored 0.33 on its own training set, without a warning.
    clf, X, y = _lagging_batch_norm()
    clf.set_params(batch_norm=True)
    with pytest.warns(ConvergenceWarning, match="prediction mode.*Batch normalisation"):
        clf.fit(X, y)
    assert clf.loss_ < 0.01 and clf.score(X, y) < 0.5
    # A check only: the fit and its weights are those of a fit that ignores the warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = clone(clf).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    # Without batch normalisation the same fit has nothing to say.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.set_params(batch_norm=False).fit(X, y)
    assert not [w for w in caught if "prediction mode" in str(w.message)]


def test_a_batch_norm_regressor_worse_than_a_constant_in_prediction_mode_warns():
    # Non-regression: a training loss under twice the zero-output loss passed the rule,
    # while predict's squared error was 15 times it (R^2 -13.8).
    X, y = make_regression(200, 10, noise=1, random_state=0)
    reg = MLPRegressor(
        hidden_layer_sizes=(20,), learning_rate_init=10, batch_norm=True, max_iter=15
    )
    with pytest.warns(ConvergenceWarning, match=r"prediction mode.*all zero \(predicting 0\)"):
        reg.set_params(random_state=0, device="cpu").fit(X, y)


def test_weights_restored_by_early_stopping_are_judged():
    # Non-regression: the rule read the last epoch's loss (1.39), then early stopping
    # restored epoch 1's weights (a loss of ~300, one class predicted): no warning.
    rng = np.random.RandomState(0)
    y = np.arange(60) % 3
    X = rng.rand(60, 8, 8) + 0.3 * y[:, None, None]
    clf = ConvNetClassifier(
        channels=(4,),
        dense_sizes=(8,),
        max_iter=8,
        learning_rate_init=1,
        early_stopping=True,
        validation_fraction=0.2,
        random_state=0,
        device="cpu",
    )
    with pytest.warns(ConvergenceWarning, match="restored the weights of epoch 1"):
        clf.fit(X, y)


@pytest.mark.parametrize(
    "est, X",
    [
        (MLPClassifier(batch_norm=True), np.random.RandomState(0).normal(size=(10, 3))),
        (MLPRegressor(batch_norm=True), np.random.RandomState(0).normal(size=(10, 3))),
        (SequenceClassifier(), np.random.RandomState(0).normal(size=(10, 3, 1))),
    ],
    ids=["mlp-classifier", "mlp-regressor", "sequence-series-stats"],
)
def test_batch_size_1_with_batch_norm_of_flat_features_is_refused(est, X):
    # Non-regression: torch's 'Expected more than 1 value per channel when training'
    # from inside the training loop.
    est.set_params(batch_size=1, max_iter=2, device="cpu")
    with pytest.raises(ValueError, match="batch_size=1 .*batch normalisation.*batch_size=2"):
        est.fit(X, np.arange(10) % 2)
    assert not hasattr(est, "net_")


def test_batch_size_1_with_a_one_step_sequence_under_a_convolution_is_refused():
    # Non-regression: the check probed the first sequence only, so a later sequence of one
    # step reached torch's 'Expected more than 1 value per channel when training'.
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(n, 1)) for n in (5, 6, 1, 7, 8, 5)]
    est = SequenceClassifier(cell="fcn", normalize=None, batch_size=1, max_iter=2)
    with pytest.raises(ValueError, match="batch_size=1 .*a convolution's over a sequence"):
        est.fit(X, np.arange(6) % 2)
    assert not hasattr(est, "net_")


def test_batch_size_1_trains_where_batch_norm_has_many_values():
    # Convolutions give batch normalisation a map's values per row: one row is enough.
    rng = np.random.RandomState(0)
    y = np.arange(10) % 2
    ConvNetClassifier(channels=(2,), dense_sizes=(4,), batch_norm=True, batch_size=1, **FAST).fit(
        rng.rand(10, 6, 6), y
    )
    SequenceClassifier(normalize="series", batch_size=1, **FAST).fit(
        rng.normal(size=(10, 5, 1)), y
    )


def test_the_divergence_warning_gives_the_loss_of_the_weights_it_kept():
    # Non-regression: 'The weights of epoch 1, the best, were kept' named epoch 1's loss
    # (1.39, averaged while it trained), but kept the weights at its end (a loss of ~4500).
    X, y = make_classification(200, 10, n_informative=5, n_classes=3, random_state=0)
    clf = MLPClassifier(hidden_layer_sizes=(20,), learning_rate_init=10, max_iter=15)
    with pytest.warns(ConvergenceWarning, match="weights of epoch 1") as caught:
        clf.set_params(random_state=0, device="cpu").fit(X, y)
    message = next(str(w.message) for w in caught if "weights of epoch 1" in str(w.message))
    reported = float(
        re.search(r"give a loss of ([0-9.e+]+) on 200 of the rows given to fit", message)[1]
    )
    with torch.no_grad():
        logits = clf.module_(torch.as_tensor(X, dtype=torch.float32))
    actual = float(torch.nn.functional.cross_entropy(logits, torch.as_tensor(y)))
    assert reported == pytest.approx(actual, rel=1e-3)
    assert reported > 100 * clf.loss_curve_[0]


def test_batch_norm_statistics_that_overflow_are_refused():
    # Non-regression: X of 1e20 made running_var infinite; every prediction was the same
    # and nothing was said, as the final check read the parameters but not the buffers.
    X, y = make_classification(100, 5, random_state=0)
    with pytest.raises(ValueError, match="non-finite.*'layers.1.running_var'.*StandardScaler"):
        MLPClassifier(batch_norm=True, max_iter=10, random_state=0, device="cpu").fit(X * 1e20, y)


_TEXTS = ["a good film", "a bad film", "great plot", "dull plot"] * 10


@pytest.mark.parametrize(
    "run",
    [
        lambda X, y: TransformerClassifier(
            max_iter=2, d_model=8, n_heads=2, n_layers=1, early_stopping=False
        ).fit(_TEXTS, [1, 0, 1, 0] * 10),
        lambda X, y: SequenceClassifier(max_iter=2, batch_size=64).fit(
            np.random.RandomState(0).rand(30, 20, 1), np.arange(30) % 2
        ),
        lambda X, y: MLPClassifier(max_iter=3, n_init=3).fit(X, y),
        lambda X, y: cross_val_score(MLPClassifier(max_iter=3), X, y, cv=2),
        lambda X, y: Word2Vec(min_count=1, epochs=1, sample=0).fit(_TEXTS).transform(["zzz"]),
    ],
    ids=["transformer-max-iter", "sequence-batch-clip", "n-init", "cross-val", "word2vec"],
)
def test_warnings_point_at_the_users_line(run):
    # Non-regression: fixed stacklevels pointed at sknn's own frames from deeper paths
    # (TransformerClassifier's _fit, a run of n_init, SequenceClassifier's batch size,
    # scikit-learn's set_output wrapper of Word2Vec.transform).
    rng = np.random.RandomState(0)
    X = rng.randn(60, 3)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        run(X, (X[:, 0] > 0).astype(int))
    assert record
    assert {w.filename for w in record} == {__file__}
