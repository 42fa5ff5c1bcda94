"""MLPClassifier / MLPRegressor: parity with scikit-learn's MLP and the shared machinery."""

import pickle
import re
import subprocess
import sys
import warnings
from pathlib import Path
from unittest import mock

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback
from skorch.exceptions import DeviceWarning

from sknn import MLPClassifier, MLPRegressor

FIXTURES = Path(__file__).parent / "fixtures"
needs_cuda = pytest.mark.gpu  # skipped without a CUDA device (tests/conftest.py)


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _scaled(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _iris():
    return _scaled(load_iris)


# -- parity with scikit-learn ------------------------------------------------------------


@pytest.mark.parametrize(
    "loader, tolerance",
    [(load_iris, 0.04), (load_breast_cancer, 0.03), (load_digits, 0.03)],
    ids=["iris", "breast_cancer", "digits"],
)
def test_classifier_accuracy_matches_sklearn(loader, tolerance):
    X, y = _scaled(loader)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    params = dict(hidden_layer_sizes=(64,), max_iter=60, random_state=0)
    ours = MLPClassifier(device="cpu", **params).fit(X_train, y_train)
    theirs = SkMLPClassifier(**params).fit(X_train, y_train)
    assert ours.score(X_test, y_test) >= theirs.score(X_test, y_test) - tolerance


def test_regressor_r2_matches_sklearn():
    X, y = _scaled(load_diabetes)
    y = (y - y.mean()) / y.std()
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    params = dict(hidden_layer_sizes=(32,), max_iter=300, random_state=0, early_stopping=True)
    ours = MLPRegressor(device="cpu", **params).fit(X_train, y_train)
    theirs = SkMLPRegressor(**params).fit(X_train, y_train)
    assert ours.score(X_test, y_test) >= theirs.score(X_test, y_test) - 0.05


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("Ours, Theirs", [(MLPClassifier, SkMLPClassifier)])
def test_fitted_attributes_match_sklearn(Ours, Theirs, early_stopping):
    X, y = _iris()
    params = dict(
        hidden_layer_sizes=(7, 5), max_iter=20, early_stopping=early_stopping, n_iter_no_change=50
    )
    ours = Ours(device="cpu", random_state=0, **params).fit(X, y)
    theirs = Theirs(random_state=0, **params).fit(X, y)
    for name in [
        "classes_",
        "loss_",
        "best_loss_",
        "loss_curve_",
        "validation_scores_",
        "best_validation_score_",
        "t_",
        "n_iter_",
        "n_layers_",
        "n_outputs_",
        "out_activation_",
        "n_features_in_",
    ]:
        a, b = getattr(ours, name), getattr(theirs, name)
        assert type(a) is type(b) or (np.isscalar(a) and np.isscalar(b)), name
        if isinstance(b, list | np.ndarray):
            assert len(a) == len(b), name
    assert ours.t_ == theirs.t_
    assert ours.n_iter_ == theirs.n_iter_ == 20
    assert [c.shape for c in ours.coefs_] == [c.shape for c in theirs.coefs_]
    assert [c.shape for c in ours.intercepts_] == [c.shape for c in theirs.intercepts_]
    assert ours.out_activation_ == theirs.out_activation_ == "softmax"


def test_regressor_attributes_and_binary_output_layer_match_sklearn():
    X, y = _scaled(load_breast_cancer)
    clf = MLPClassifier(max_iter=5, device="cpu").fit(X, y)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 1
    assert clf.coefs_[-1].shape == (100, 1)
    Xr, yr = make_regression(n_samples=60, n_features=4, n_targets=2, random_state=0)
    reg = MLPRegressor(max_iter=5, device="cpu").fit(Xr, yr)
    sk = SkMLPRegressor(max_iter=5).fit(Xr, yr)
    assert reg.out_activation_ == sk.out_activation_ == "identity"
    assert reg.n_outputs_ == sk.n_outputs_ == 2
    assert reg.predict(Xr).shape == sk.predict(Xr).shape == (60, 2)


def _forward_from_coefs(est, X):
    """scikit-learn's MLP forward pass over coefs_ and intercepts_ (tanh hidden units),
    then the output activation."""
    h = X
    for W, b in zip(est.coefs_[:-1], est.intercepts_[:-1], strict=True):
        h = np.tanh(h @ W + b)
    out = h @ est.coefs_[-1] + est.intercepts_[-1]
    if est.out_activation_ == "softmax":
        out = np.exp(out - out.max(axis=1, keepdims=True))
        return out / out.sum(axis=1, keepdims=True)
    return out.ravel()


@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_coefs_and_intercepts_compute_the_predictions(Estimator, batch_norm):
    # Non-regression: with batch_norm=True, coefs_ and intercepts_ left out the batch
    # normalisation, so scikit-learn's forward pass over them was another function.
    if Estimator is MLPClassifier:
        X, y = _iris()
    else:
        X, y = make_regression(n_samples=120, n_features=5, random_state=0)
        X, y = StandardScaler().fit_transform(X), y / y.std()
    est = Estimator(
        hidden_layer_sizes=(9, 6),
        activation="tanh",
        batch_norm=batch_norm,
        max_iter=15,
        random_state=0,
        device="cpu",
    ).fit(X, y)
    predicted = est.predict_proba(X) if Estimator is MLPClassifier else est.predict(X)
    np.testing.assert_allclose(_forward_from_coefs(est, X), predicted, rtol=1e-4, atol=1e-5)
    assert [c.dtype for c in est.coefs_ + est.intercepts_] == [np.float32] * 6


def _raises_like_sklearn(make_ours, make_theirs, X, y, method="fit"):
    """Both estimators raise the same exception type for the same bad input."""
    with pytest.raises(Exception) as theirs:
        getattr(make_theirs(), method)(X, y)
    with pytest.raises(type(theirs.value)) as ours:
        getattr(make_ours(), method)(X, y)
    return str(ours.value), str(theirs.value)


X_OK, Y_OK = _iris()
X_NAN = X_OK.copy()
X_NAN[0, 0] = np.nan
X_INF = X_OK.copy()
X_INF[0, 0] = np.inf


@pytest.mark.parametrize(
    "X, y, needle",
    [
        (X_NAN, Y_OK, "NaN"),
        (X_INF, Y_OK, "infinity"),
        (X_OK[:0], Y_OK[:0], "0 sample"),
        (X_OK[:, 0], Y_OK, "Expected 2D array"),
        (X_OK, Y_OK[:-1], "inconsistent numbers of samples"),
        (X_OK, np.linspace(0, 1, len(Y_OK)), "Unknown label type"),
    ],
    ids=["nan", "inf", "empty", "1d", "mismatched", "continuous-y"],
)
def test_bad_input_errors_match_sklearn(X, y, needle):
    ours, theirs = _raises_like_sklearn(
        lambda: MLPClassifier(max_iter=2, device="cpu"), lambda: SkMLPClassifier(max_iter=2), X, y
    )
    assert needle in ours and needle in theirs


def test_wrong_number_of_features_and_unfitted_match_sklearn():
    ours = MLPClassifier(max_iter=2, device="cpu")
    with pytest.raises(NotFittedError):
        ours.predict(X_OK)
    ours.fit(X_OK, Y_OK)
    with pytest.raises(ValueError, match="X has 3 features, but MLPClassifier is expecting 4"):
        ours.predict(X_OK[:, :3])


@pytest.mark.parametrize(
    "params",
    [
        {"hidden_layer_sizes": -1},
        {"hidden_layer_sizes": (5, 0)},
        {"activation": "sigmoid"},
        {"solver": "newton"},
        {"alpha": -1.0},
        {"learning_rate_init": 0.0},
        {"batch_size": 0},
        {"max_iter": 0},
        {"validation_fraction": 1.0},
        {"momentum": 1.5},
    ],
)
def test_bad_hyperparameters_raise_like_sklearn(params):
    _raises_like_sklearn(
        lambda: MLPClassifier(device="cpu", **params),
        lambda: SkMLPClassifier(**{k: v for k, v in params.items()}),
        X_OK,
        Y_OK,
    )


def test_sknn_only_hyperparameters_are_validated_at_fit():
    for params in [{"dropout": 1.0}, {"init": "orthogonal"}, {"device": "tpu"}]:
        est = MLPClassifier(max_iter=2, **params)  # __init__ accepts anything
        with pytest.raises(ValueError):
            est.fit(X_OK, Y_OK)


@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_in_place_relu_gives_the_outputs_and_gradients_of_torch_relu(batch_norm, dropout):
    """The hidden ReLUs run in place; the outputs and every gradient are those of the same
    network with torch's out-of-place ReLU, bit for bit."""
    from sknn.modules.mlp import MLPModule

    torch.manual_seed(0)
    module = MLPModule(7, [16, 8], 3, batch_norm=batch_norm, dropout=dropout)
    assert [m.inplace for m in module.layers if isinstance(m, torch.nn.ReLU)] == [True, True]
    reference = pickle.loads(pickle.dumps(module))
    for layer in reference.layers:
        if isinstance(layer, torch.nn.ReLU):
            layer.inplace = False
    x = torch.randn(32, 7)
    results = []
    for net in (module, reference):
        torch.manual_seed(1)  # the same dropout masks
        out = net(x.clone().requires_grad_())
        out.square().sum().backward()
        results.append([out.detach(), *(p.grad for p in net.parameters())])
    for ours, theirs in zip(*results, strict=True):
        assert torch.equal(ours, theirs)


# -- labels and input types --------------------------------------------------------------


@pytest.mark.parametrize(
    "labels",
    [["setosa", "versicolor", "virginica"], [-1, 1, 1], [10, 20, 30], [True, False, True]],
    ids=["strings", "minus-one-one", "ten-twenty-thirty", "bools"],
)
def test_labels_round_trip(labels):
    X, y = _iris()
    y_labels = np.asarray(labels)[y]
    clf = MLPClassifier(max_iter=100, random_state=0, device="cpu").fit(X, y_labels)
    assert list(clf.classes_) == sorted(set(labels))
    pred = clf.predict(X)
    assert pred.dtype == y_labels.dtype
    assert set(pred) <= set(labels)
    assert clf.score(X, y_labels) > 0.8
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), len(clf.classes_))
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], pred)


def test_pandas_categorical_and_dataframe_input():
    X, y = _iris()
    df = pd.DataFrame(X, columns=["sl", "sw", "pl", "pw"])
    target = pd.Series(pd.Categorical(np.array(["a", "b", "c"])[y]))
    clf = MLPClassifier(max_iter=50, random_state=0, device="cpu").fit(df, target)
    np.testing.assert_array_equal(clf.feature_names_in_, ["sl", "sw", "pl", "pw"])
    assert set(clf.predict(df)) <= {"a", "b", "c"}
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(X)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_numeric_dtypes_and_lists(dtype):
    X, y = make_classification(n_samples=80, n_features=5, random_state=0)
    X = (X * 10).astype(dtype)
    clf = MLPClassifier(max_iter=20, random_state=0, device="cpu").fit(X, y)
    clf_list = MLPClassifier(max_iter=20, random_state=0, device="cpu").fit(X.tolist(), list(y))
    # Lists are read as float64 (float64 probabilities); the same values, equal.
    np.testing.assert_array_equal(
        clf.predict_proba(X.astype(np.float64)), clf_list.predict_proba(X.tolist())
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_outputs_are_batch_invariant_to_float32_precision(dtype):
    # The network computes in float32, and BLAS may round a row differently alone and
    # among others. Predictions and probabilities come in X's float dtype, as
    # scikit-learn's do (an inverse target transform keeps their dtype, float32 is too
    # coarse for large targets, and float64 probabilities sum to 1 in float64).
    X, y = make_regression(n_samples=60, n_features=5, random_state=0)
    X = X.astype(dtype)
    reg = MLPRegressor(max_iter=30, random_state=0, device="cpu").fit(X, y)
    clf = MLPClassifier(max_iter=30, random_state=0, device="cpu").fit(X, y > 0)
    for method in (reg.predict, clf.predict_proba, clf.predict_log_proba):
        full = method(X)
        assert full.dtype == dtype
        if method == clf.predict_proba:
            np.testing.assert_allclose(full.sum(axis=1), 1, rtol=np.finfo(dtype).eps * 4)
        alone = np.concatenate([method(X[i : i + 1]) for i in range(len(X))])
        np.testing.assert_allclose(alone, full, rtol=1e-5, atol=1e-6)


def test_multilabel_and_multioutput():
    X, Y = make_multilabel_classification(n_samples=100, n_classes=3, random_state=0)
    clf = MLPClassifier(max_iter=50, random_state=0, device="cpu").fit(X, Y)
    assert clf.predict(X).shape == Y.shape
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 3
    Xr, Yr = make_regression(n_samples=100, n_features=4, n_targets=3, random_state=0)
    reg = MLPRegressor(max_iter=50, random_state=0, device="cpu").fit(Xr, Yr)
    assert reg.predict(Xr).shape == (100, 3)


def test_predict_log_proba_is_log_of_predict_proba():
    clf = MLPClassifier(max_iter=10, random_state=0, device="cpu").fit(X_OK, Y_OK)
    np.testing.assert_allclose(
        clf.predict_log_proba(X_OK), np.log(clf.predict_proba(X_OK)), rtol=1e-12
    )


def test_poisson_loss():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3))
    y = rng.poisson(np.exp(0.5 * X[:, 0]))
    reg = MLPRegressor(loss="poisson", max_iter=100, random_state=0, device="cpu").fit(X, y)
    assert reg.out_activation_ == "exp"
    assert (reg.predict(X) > 0).all()
    with pytest.raises(ValueError, match="negative"):
        MLPRegressor(loss="poisson", device="cpu").fit(X, -y - 1)


# -- randomness --------------------------------------------------------------------------


def _weights(est):
    return [c.copy() for c in est.coefs_ + est.intercepts_]


def test_seeded_fit_is_bitwise_reproducible_with_dropout_shuffle_and_validation_split():
    X, y = _scaled(load_breast_cancer)
    params = dict(
        hidden_layer_sizes=(16, 16),
        dropout=0.2,
        batch_norm=True,
        early_stopping=True,
        max_iter=15,
        random_state=42,
        device="cpu",
    )
    first = MLPClassifier(**params).fit(X, y)
    second = MLPClassifier(**params).fit(X, y)
    for a, b in zip(_weights(first), _weights(second), strict=True):
        np.testing.assert_array_equal(a, b)
    assert first.validation_scores_ == second.validation_scores_
    other = MLPClassifier(**{**params, "random_state": 43}).fit(X, y)
    assert not np.array_equal(first.coefs_[0], other.coefs_[0])


def test_fit_leaves_global_rng_state_untouched():
    torch_state = torch.get_rng_state()
    np_state = np.random.get_state()[1].copy()
    MLPClassifier(max_iter=3, dropout=0.5, random_state=0, device="cpu").fit(X_OK, Y_OK)
    assert torch.equal(torch.get_rng_state(), torch_state)
    np.testing.assert_array_equal(np.random.get_state()[1], np_state)


def test_grid_search_n_jobs_2_matches_n_jobs_1():
    X, y = _iris()
    grid = {"hidden_layer_sizes": [(8,), (16,)], "alpha": [1e-4, 1e-2]}
    est = MLPClassifier(max_iter=30, random_state=0, device="cpu")
    one = GridSearchCV(est, grid, cv=3, n_jobs=1).fit(X, y)
    two = GridSearchCV(est, grid, cv=3, n_jobs=2).fit(X, y)
    np.testing.assert_allclose(
        one.cv_results_["mean_test_score"], two.cv_results_["mean_test_score"], rtol=0, atol=0
    )


# -- devices and persistence -------------------------------------------------------------


def test_device_resolution_and_errors():
    est = MLPClassifier(max_iter=2, device="auto").fit(X_OK, Y_OK)
    assert est.device_ == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            MLPClassifier(max_iter=2, device="cuda").fit(X_OK, Y_OK)
    with pytest.raises(ValueError, match="'auto', 'cpu', 'cuda' or 'cuda:N'"):
        MLPClassifier(max_iter=2, device="gpu0").fit(X_OK, Y_OK)


def test_import_construct_and_clone_never_touch_cuda():
    est = clone(MLPClassifier(device="cuda"))
    assert est.get_params()["device"] == "cuda"
    assert not torch.cuda.is_initialized()


@pytest.mark.parametrize("dump, load", [(pickle.dumps, pickle.loads), ("joblib", "joblib")])
def test_pickle_and_joblib_round_trip(tmp_path, dump, load):
    clf = MLPClassifier(max_iter=20, random_state=0, device="cpu").fit(X_OK, Y_OK)
    if dump == "joblib":
        joblib.dump(clf, tmp_path / "model.joblib")
        restored = joblib.load(tmp_path / "model.joblib")
    else:
        restored = load(dump(clf))
    np.testing.assert_array_equal(restored.predict_proba(X_OK), clf.predict_proba(X_OK))
    restored.partial_fit(X_OK, Y_OK)  # the optimizer state survived too
    assert restored.t_ == clf.t_ + len(X_OK)


def test_the_module_is_pickled_once_in_the_device_mapped_part():
    # Non-regression (the first GPU run): skorch keeps the module the estimator built as
    # its parameter `module` too and pickled it plainly, outside the part it loads with a
    # map to the CPU, so a model fitted on CUDA failed to load without CUDA; its weights
    # were stored twice, and the loaded net held two modules.
    import torch.storage

    clf = MLPClassifier(max_iter=10, random_state=0, device="cpu").fit(X_OK, Y_OK)
    plain = []  # tensors pickled outside skorch's device-mapped part
    load_from_bytes = torch.storage._load_from_bytes

    def spy(b):
        plain.append(1)
        return load_from_bytes(b)

    blob = pickle.dumps(clf)
    with mock.patch.object(torch.storage, "_load_from_bytes", spy):
        restored = pickle.loads(blob)
    assert plain == []
    assert restored.net_.module is restored.net_.module_
    np.testing.assert_array_equal(restored.predict_proba(X_OK), clf.predict_proba(X_OK))
    restored.partial_fit(X_OK, Y_OK)
    assert restored.net_.module is restored.net_.module_


@pytest.mark.parametrize(
    "scheduler", [dict(policy="StepLR", step_size=1), dict(policy="ReduceLROnPlateau")]
)
def test_an_lr_scheduler_callback_pickles_no_second_copy_of_the_weights(scheduler):
    # Non-regression (a probe of pickling): skorch's LRScheduler keeps the torch scheduler,
    # which holds the optimizer and every weight, and pickled them plainly, outside the
    # device-mapped part (a GPU fit with one would not load without CUDA).
    import copy

    import torch.storage
    from skorch.callbacks import LRScheduler

    callback = LRScheduler(**scheduler)
    params = dict(hidden_layer_sizes=(8,), max_iter=3, random_state=0, device="cpu")
    clf = MLPClassifier(callbacks=[callback], **params).fit(X_OK, Y_OK)
    twin = copy.deepcopy(clf)
    plain = []
    load_from_bytes = torch.storage._load_from_bytes
    blob = pickle.dumps(clf)
    with mock.patch.object(
        torch.storage, "_load_from_bytes", lambda b: plain.append(1) or load_from_bytes(b)
    ):
        restored = pickle.loads(blob)
    assert plain == []
    assert callback.lr_scheduler_ is not None  # the user's callback is left as it was
    np.testing.assert_array_equal(restored.predict_proba(X_OK), clf.predict_proba(X_OK))
    # A continued fit builds a new scheduler, as it would have without the round trip.
    restored.set_params(warm_start=True).fit(X_OK, Y_OK)
    twin.set_params(warm_start=True).fit(X_OK, Y_OK)
    np.testing.assert_allclose(restored.predict_proba(X_OK), twin.predict_proba(X_OK), atol=1e-6)
    # A net pickled with a module of its own (as before module was stored as module_)
    # loads with the one module.
    clf.net_.module = copy.deepcopy(clf.net_.module_)
    again = pickle.loads(pickle.dumps(clf))
    assert again.net_.module is again.net_.module_


def test_model_marked_as_fitted_on_cuda_loads_on_cpu_with_warning():
    # Stands in for the GPU-made fixture below on machines that have none: skorch stores
    # the device next to the weights, so a net whose device says CUDA goes through the
    # same map-to-CPU path on load.
    clf = MLPClassifier(max_iter=10, random_state=0, device="cpu").fit(X_OK, Y_OK)
    expected = clf.predict_proba(X_OK)
    clf.net_.device = "cuda"
    blob = pickle.dumps(clf)
    if torch.cuda.is_available():
        pytest.skip("CUDA is available: the map-to-CPU path is not taken")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        restored = pickle.loads(blob)
    # One warning, sknn's, at this line (skorch's two pointed into its own files).
    assert [(w.category, Path(w.filename).name) for w in caught] == [
        (DeviceWarning, Path(__file__).name)
    ]
    assert "fitted on cuda, which this machine does not have; it is loaded on cpu" in str(
        caught[0].message
    )
    assert restored.device_ == "cpu"
    np.testing.assert_array_equal(restored.predict_proba(X_OK), expected)


def test_fixture_fitted_on_gpu_predicts_on_cpu():
    path = FIXTURES / "mlp_fitted_on_cuda.pkl"
    if not path.exists():
        pytest.skip(
            "tests/fixtures/mlp_fitted_on_cuda.pkl not generated yet: it is made on a GPU "
            "machine by `python tests/fixtures/make_cuda_fixture.py`"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        clf = joblib.load(path)
    data = np.load(FIXTURES / "mlp_fitted_on_cuda_expected.npz")
    np.testing.assert_allclose(clf.predict_proba(data["X"]), data["proba"], atol=1e-5)


@needs_cuda
def test_cuda_fit_matches_cpu_accuracy():
    X, y = _scaled(load_breast_cancer)
    gpu = MLPClassifier(max_iter=50, random_state=0, device="cuda").fit(X, y)
    cpu = MLPClassifier(max_iter=50, random_state=0, device="cpu").fit(X, y)
    assert gpu.device_.startswith("cuda")
    assert abs(gpu.score(X, y) - cpu.score(X, y)) < 0.02


# -- training semantics ------------------------------------------------------------------


def test_partial_fit_is_one_epoch_and_needs_classes_first():
    clf = MLPClassifier(random_state=0, device="cpu")
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X_OK, Y_OK)
    clf.partial_fit(X_OK[:50], Y_OK[:50], classes=[0, 1, 2])
    assert clf.n_iter_ == 1 and clf.t_ == 50
    clf.partial_fit(X_OK, Y_OK)
    assert clf.t_ == 200 and len(clf.loss_curve_) == 2
    with pytest.raises(ValueError, match="classes not in"):
        clf.partial_fit(X_OK, Y_OK + 5)
    # As in scikit-learn, lbfgs has no partial_fit; the cause says why.
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as error:
        MLPClassifier(solver="lbfgs").partial_fit(X_OK, Y_OK, classes=[0, 1, 2])
    assert "only available for stochastic optimizers" in str(error.value.__cause__)
    with pytest.raises(ValueError, match="early_stopping"):
        MLPClassifier(early_stopping=True).partial_fit(X_OK, Y_OK, classes=[0, 1, 2])


def test_regressor_partial_fit():
    X, y = make_regression(n_samples=100, n_features=4, random_state=0)
    reg = MLPRegressor(random_state=0, device="cpu")
    for _ in range(3):
        reg.partial_fit(X, y)
    assert reg.t_ == 300 and len(reg.loss_curve_) == 3
    assert reg.loss_curve_[-1] < reg.loss_curve_[0]


def test_warm_start_continues_from_previous_weights():
    X, y = _iris()
    clf = MLPClassifier(max_iter=5, warm_start=True, random_state=0, device="cpu").fit(X, y)
    before = clf.loss_curve_[-1]
    clf.fit(X, y)
    assert len(clf.loss_curve_) == 10 and clf.t_ == 10 * len(X)
    assert clf.loss_curve_[5] < before + 1e-3
    with pytest.raises(ValueError, match="warm_start can only be used"):
        clf.fit(X[y < 2], y[y < 2])
    cold = MLPClassifier(max_iter=5, random_state=0, device="cpu").fit(X, y)
    cold.fit(X, y)
    assert len(cold.loss_curve_) == 5


class _Snapshots(Callback):
    """Records the module's weights at the end of every epoch."""

    def initialize(self):
        self.states = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.states.append({k: v.clone() for k, v in net.module_.state_dict().items()})


def test_early_stopping_restores_the_best_epoch_and_runs_user_callbacks():
    X, y = make_classification(n_samples=300, n_features=10, flip_y=0.3, random_state=0)
    snapshots = _Snapshots()
    clf = MLPClassifier(
        hidden_layer_sizes=(64,),
        early_stopping=True,
        n_iter_no_change=5,
        learning_rate_init=0.01,
        max_iter=200,
        random_state=0,
        device="cpu",
        callbacks=[snapshots],
    ).fit(X, y)
    scores = clf.validation_scores_
    assert len(scores) < 200  # it stopped early
    assert len(snapshots.states) == len(scores) == clf.n_iter_
    best = int(np.argmax(scores))
    assert best < len(scores) - 1
    assert clf.best_validation_score_ == max(scores)
    assert clf.best_loss_ is None
    for key, value in clf.module_.state_dict().items():
        torch.testing.assert_close(value, snapshots.states[best][key], rtol=0, atol=0)


def test_tol_stopping_rule_and_convergence_warning():
    X, y = _iris()
    params = dict(tol=10.0, n_iter_no_change=3, max_iter=100)
    clf = MLPClassifier(device="cpu", **params).fit(X, y)
    # the first epoch improves on an infinite best loss; then more than 3 epochs without
    assert clf.n_iter_ == SkMLPClassifier(**params).fit(X, y).n_iter_ == 5
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        warnings.simplefilter("always", ConvergenceWarning)
        MLPClassifier(max_iter=3, device="cpu").fit(X, y)


def test_sgd_schedules_follow_sklearn():
    X, y = _iris()
    inv = MLPClassifier(
        solver="sgd", learning_rate="invscaling", max_iter=3, device="cpu", random_state=0
    ).fit(X, y)
    expected = 0.001 / (inv.t_ + 1) ** 0.5
    assert inv.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(expected)
    ada = MLPClassifier(
        solver="sgd",
        learning_rate="adaptive",
        tol=10.0,
        n_iter_no_change=1,
        max_iter=6,
        device="cpu",
    ).fit(X, y)
    assert ada.history_[:, "lr"][-1] < 0.001  # divided by 5 when the loss stalls


def test_lbfgs_solver():
    X, y = _iris()
    clf = MLPClassifier(solver="lbfgs", max_iter=200, random_state=0, device="cpu").fit(X, y)
    assert clf.score(X, y) > 0.95
    assert 0 < clf.n_iter_ <= 200
    assert not hasattr(clf, "loss_curve_")
    sk = SkMLPClassifier(solver="lbfgs", max_iter=200, random_state=0).fit(X, y)
    assert clf.loss_ == pytest.approx(sk.loss_, abs=0.05)


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=needs_cuda)])
def test_lbfgs_with_batch_norm_predicts_with_its_final_statistics(device):
    # Non-regression: L-BFGS's line-search trials each moved batch norm's running
    # statistics, which then described earlier weights at predict. The statistics of one
    # pass at the final weights make predict's loss the training loss (the running
    # variance is the unbiased one: 1/(n-1) against 1/n, a 0.3% difference here).
    from sklearn.metrics import log_loss

    X, y = _iris()
    params = dict(hidden_layer_sizes=(16,), batch_norm=True, alpha=0.0, random_state=0)
    clf = MLPClassifier(solver="lbfgs", max_iter=30, device=device, **params).fit(X, y)
    assert log_loss(y, clf.predict_proba(X)) == pytest.approx(clf.loss_, rel=0.05, abs=1e-3)
    means = [m.running_mean for m in clf.net_.module_.modules() if hasattr(m, "running_mean")]
    assert means and all(mean.device.type == device for mean in means)


def test_class_weight_dict_equals_sample_weight_and_balanced_helps_minority():
    X, y = make_classification(n_samples=300, weights=[0.9], random_state=0)
    params = dict(max_iter=30, random_state=0, device="cpu")
    by_class = MLPClassifier(class_weight={0: 1.0, 1: 3.0}, **params).fit(X, y)
    by_sample = MLPClassifier(**params).fit(X, y, sample_weight=np.where(y == 1, 3.0, 1.0))
    np.testing.assert_array_equal(by_class.predict_proba(X), by_sample.predict_proba(X))
    plain = MLPClassifier(**params).fit(X, y)
    balanced = MLPClassifier(class_weight="balanced", **params).fit(X, y)
    recall = lambda est: (est.predict(X)[y == 1] == 1).mean()  # noqa: E731
    assert recall(balanced) > recall(plain)


def test_sample_weight_downweights_corrupted_rows():
    X, y = make_classification(n_samples=400, n_features=8, class_sep=2.0, random_state=0)
    rng = np.random.RandomState(0)
    corrupted = rng.rand(len(y)) < 0.35
    y_noisy = np.where(corrupted, 1 - y, y)
    params = dict(max_iter=60, random_state=0, device="cpu")
    uniform = MLPClassifier(**params).fit(X, y_noisy)
    weighted = MLPClassifier(**params).fit(X, y_noisy, sample_weight=(~corrupted).astype(float))
    assert weighted.score(X, y) > uniform.score(X, y)
    ones = MLPClassifier(**params).fit(X, y_noisy, sample_weight=np.ones(len(y)))
    np.testing.assert_allclose(ones.predict_proba(X), uniform.predict_proba(X), atol=1e-5)


def test_a_loss_that_becomes_non_finite_stops_training_and_keeps_the_best_epoch():
    X, y = make_regression(n_samples=50, n_features=3, random_state=0)
    reg = MLPRegressor(
        solver="sgd", learning_rate_init=10.0, max_iter=50, device="cpu", random_state=0
    )
    with pytest.warns(ConvergenceWarning, match="Training diverged.*weights of epoch 1"):
        reg.fit(X * 1e6, y * 1e6)
    assert not np.isfinite(reg.loss_curve_[-1]) and len(reg.loss_curve_) == reg.n_iter_ < 50
    assert np.isfinite(reg.predict(X * 1e6)).all()
    assert all(np.isfinite(c).all() for c in reg.coefs_)


def test_non_finite_from_the_first_epoch_raises_scikit_learns_error():
    rng = np.random.RandomState(0)
    X = np.finfo(np.float32).max * rng.uniform(size=(10, 2))
    msg = (
        "Solver produced non-finite parameter weights. The input data may contain large"
        " values and need to be preprocessed."
    )
    with pytest.raises(ValueError, match=msg):
        MLPRegressor(device="cpu").fit(X, rng.standard_normal(size=10))


def test_a_loss_far_above_a_zero_output_network_warns():
    # The loss stays finite but ends far above that of a network that outputs zeros: the
    # fit failed, and the user is told why (it used to return silently: lr=10 on X*1e30).
    X, y = _iris()
    clf = MLPClassifier(learning_rate_init=10, max_iter=20, random_state=0, device="cpu")
    with pytest.warns(ConvergenceWarning, match="fit failed.*more than 2 times.*StandardScaler"):
        clf.fit(X * 1e30, y)
    assert np.isfinite(clf.predict_proba(X * 1e30)).all()


def test_a_sound_fit_on_unscaled_targets_does_not_warn_of_divergence():
    # The yardstick is a network that predicts 0, so targets far from 0 do not trip it.
    X, y = load_diabetes(return_X_y=True)
    reg = MLPRegressor(learning_rate_init=0.1, max_iter=30, random_state=0, device="cpu")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reg.fit(X, y + 1e4)
    assert not [w for w in caught if "fit failed" in str(w.message)]


# -- scikit-learn's behaviour and words (its own tests run in test_sklearn_mlp_suite.py) -------


def _convergence_messages(estimator, X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        estimator.fit(X, y)
    return [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]


@pytest.mark.parametrize(
    "budget, stop",
    [
        ({"max_fun": 10}, "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT"),
        ({"max_iter": 3}, "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT"),
    ],
    ids=["max_fun", "max_iter"],
)
def test_lbfgs_budget_warnings_are_sklearns(budget, stop):
    X, y = _iris()
    params = dict(solver="lbfgs", random_state=0, **budget)
    ours = MLPClassifier(device="cpu", **params)
    theirs = SkMLPClassifier(**params)
    [message] = _convergence_messages(ours, X, y)
    [expected] = _convergence_messages(theirs, X, y)
    assert stop in message
    # Word for word, but for the iterations each ran before the budget was spent.
    assert message == expected.replace(
        "after %d iteration" % theirs.n_iter_, "after %d iteration" % ours.n_iter_
    )
    assert ours.n_iter_ <= budget.get("max_fun", budget.get("max_iter"))


def test_partial_fit_checks_labels_against_classes_and_needs_a_stochastic_solver():
    message = "`y` has classes not in `self.classes_`. `self.classes_` has [2]. 'y' has [0 1]."
    with pytest.raises(ValueError, match=re.escape(message)):
        MLPClassifier(solver="sgd", device="cpu").partial_fit(
            [[3, 2], [1, 6]], [1, 0], classes=[2]
        )
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    assert not hasattr(MLPRegressor(solver="lbfgs"), "partial_fit")
    assert hasattr(MLPRegressor(solver="sgd"), "partial_fit")


def test_values_float32_cannot_hold_are_refused_before_training():
    # scikit-learn trains in float64 on X near float64's maximum and then reports
    # non-finite weights; sknn computes in float32, where these values are infinite, and
    # refuses them at the door with scikit-learn's float32 message.
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(10, 2))
    y = rng.standard_normal(size=10)
    message = "Input X contains infinity or a value too large for dtype('float32')."
    with pytest.raises(ValueError, match=re.escape(message)):
        MLPRegressor(device="cpu").fit(X, y)


def test_diverging_fit_with_early_stopping_records_nan_and_keeps_the_best_weights():
    X, y = load_iris(return_X_y=True)  # unscaled: learning_rate_init=1 diverges
    reg = MLPRegressor(
        activation="identity",
        solver="sgd",
        learning_rate_init=1,
        max_iter=20,
        early_stopping=True,
        random_state=0,
        device="cpu",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        reg.fit(X, y)
    scores = reg.validation_scores_
    assert isinstance(scores[-1], float) and np.isnan(scores[-1])
    assert reg.best_validation_score_ == np.nanmax(scores) > -np.inf
    assert not np.isfinite(reg.loss_curve_[-1])
    assert np.isfinite(reg.predict(X)).all()  # the best epoch's weights


def test_too_rare_class_for_the_stratified_split_is_reported_in_sklearns_words():
    message = (
        r"The least populated classes in y have only 1 member.*Classes with too few "
        r"members are: \['True'\]"
    )
    with pytest.raises(ValueError, match=message):
        MLPClassifier(early_stopping=True, device="cpu").fit(
            [[1, 2], [2, 3], [3, 4], [4, 5]], [0, 0, 0, 1]
        )


def test_a_single_class_fits_and_predicts_with_early_stopping():
    X = np.random.RandomState(0).randn(10, 2)
    clf = MLPClassifier(early_stopping=True, validation_fraction=0.2, max_iter=3, device="cpu")
    clf.fit(X, np.full(10, 7))
    np.testing.assert_array_equal(clf.predict(X), np.full(10, 7))


class _InterruptAt(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


def test_ctrl_c_keeps_the_partly_trained_model_with_a_warning(monkeypatch):
    # A Ctrl-C lands in the training step (a callback's KeyboardInterrupt is a stopping
    # rule, and does not warn: see test_training_toolkit).
    from sknn.engine.net import TrainingNet

    train_step, steps = TrainingNet.train_step_single, []

    def step(self, *args, **kwargs):
        steps.append(1)
        if len(steps) == 4:  # the first batch of the fourth epoch
            raise KeyboardInterrupt
        return train_step(self, *args, **kwargs)

    monkeypatch.setattr(TrainingNet, "train_step_single", step)
    with pytest.warns(UserWarning, match="interrupted by user"):
        clf = MLPClassifier(max_iter=50, batch_size=len(X_OK), device="cpu").fit(X_OK, Y_OK)
    assert clf.n_iter_ == 3
    assert clf.predict(X_OK).shape == Y_OK.shape
    # Stopped by a callback, the same fit says nothing.
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        monkeypatch.undo()
        clf = MLPClassifier(max_iter=50, device="cpu", callbacks=[_InterruptAt(3)]).fit(X_OK, Y_OK)
    assert clf.n_iter_ == 3


@pytest.mark.parametrize("solver", ["adam", "sgd", "adamw", "rmsprop", "adagrad", "lbfgs"])
def test_every_solver_learns(solver):
    X, y = _iris()
    clf = MLPClassifier(
        solver=solver, max_iter=100, learning_rate_init=0.01, random_state=0, device="cpu"
    ).fit(X, y)
    assert clf.score(X, y) > 0.85


@pytest.mark.parametrize(
    "params",
    [
        {"activation": a}
        for a in ["identity", "logistic", "tanh", "gelu", "leaky_relu", "elu", "silu", "softplus"]
    ]
    + [{"dropout": 0.3}, {"batch_norm": True}, {"init": "he"}],
)
def test_extensions_train(params):
    X, y = _iris()
    clf = MLPClassifier(max_iter=100, learning_rate_init=0.01, random_state=0, device="cpu")
    assert clf.set_params(**params).fit(X, y).score(X, y) > 0.8


def test_in_a_pipeline_with_grid_search():
    X, y = load_iris(return_X_y=True)
    # Seeded, and trained long enough to converge: 30 epochs of one batch each left the
    # score near 0.8 whichever way the initial weights fell.
    mlp = MLPClassifier(max_iter=300, learning_rate_init=0.01, random_state=0, device="cpu")
    pipe = make_pipeline(StandardScaler(), mlp)
    search = GridSearchCV(pipe, {"mlpclassifier__alpha": [1e-4, 1e-1]}, cv=3).fit(X, y)
    assert search.best_score_ > 0.9


class _FirstBatch(Callback):
    def initialize(self):
        self.first = []
        return self

    def on_epoch_begin(self, net, **kwargs):
        self._seen = False

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training and not self._seen:
            self.first.append(batch[0][:5].clone())
            self._seen = True


def test_partial_fit_calls_do_not_replay_the_same_shuffle():
    record = _FirstBatch()
    clf = MLPClassifier(batch_size=20, random_state=0, device="cpu", callbacks=[record])
    clf.partial_fit(X_OK, Y_OK, classes=[0, 1, 2])
    clf.partial_fit(X_OK, Y_OK)
    assert not torch.equal(record.first[0], record.first[1])
    again = MLPClassifier(batch_size=20, random_state=0, device="cpu", callbacks=[_FirstBatch()])
    again.partial_fit(X_OK, Y_OK, classes=[0, 1, 2]).partial_fit(X_OK, Y_OK)
    np.testing.assert_array_equal(again.coefs_[0], clf.coefs_[0])  # still reproducible


def test_a_one_batch_fit_equals_as_many_partial_fits():
    # Non-regression: every epoch drew a permutation of the one batch, which changed only
    # the order of the float32 sums; a fit and its partial_fit calls, drawing from other
    # seeds, then differed in the last float32 digit (scikit-learn's
    # test_partial_fit_regression, once predictions were float64).
    X, y = make_regression(n_samples=50, n_features=4, random_state=0)
    params = dict(solver="sgd", batch_size=50, random_state=1, device="cpu")
    fitted = MLPRegressor(max_iter=20, **params).fit(X, y)
    partial = MLPRegressor(**params)
    for _ in range(20):
        partial.partial_fit(X, y)
    np.testing.assert_array_equal(partial.predict(X), fitted.predict(X))


def test_lbfgs_warm_start_counts_this_calls_iterations():
    clf = MLPClassifier(solver="lbfgs", warm_start=True, max_iter=15, device="cpu")
    clf.fit(X_OK, Y_OK)
    first_loss = clf.loss_
    clf.fit(X_OK, Y_OK)
    assert 0 < clf.n_iter_ <= 15
    assert clf.loss_ <= first_loss


def test_warm_start_fit_rebuilds_the_optimizer_with_new_settings():
    clf = MLPClassifier(max_iter=3, warm_start=True, random_state=0, device="cpu")
    clf.fit(X_OK, Y_OK)
    weights = clf.coefs_[0].copy()
    clf.set_params(learning_rate_init=0.01, max_iter=2).fit(X_OK, Y_OK)
    optimizer = clf.net_.optimizer_
    assert optimizer.param_groups[0]["lr"] == 0.01
    # Adam's step count restarted: this call's steps only, as scikit-learn rebuilds it
    assert int(next(iter(optimizer.state.values()))["step"]) == 2
    assert not np.array_equal(clf.coefs_[0], weights)  # and the weights continued
    clf.partial_fit(X_OK, Y_OK)
    assert int(next(iter(clf.net_.optimizer_.state.values()))["step"]) == 3


# -- DataFrames as pandas hands them out ---------------------------------------------------


def test_read_only_frame_trains_without_torch_warning():
    # pandas' copy-on-write hands out read-only arrays; torch's warning about them is not
    # the user's concern (the input tensors are never written to). torch warns once per
    # process, so the fit runs in a fresh one, with that warning an error.
    script = """
import numpy as np, pandas as pd
from sknn import MLPClassifier
df = pd.DataFrame({"a": np.arange(40, dtype=np.float32), "b": [True, False] * 20})
before = df.copy()
clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
clf.fit(df, np.arange(40) % 2).predict(df)
X = np.arange(80, dtype=np.float32).reshape(40, 2)
X.flags.writeable = False
clf.fit(X, np.arange(40) % 2).predict(X)
pd.testing.assert_frame_equal(df, before)
"""
    result = subprocess.run(
        [sys.executable, "-W", "error:The given NumPy array is not writable", "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_text_columns_without_categorical_features_name_the_parameter():
    df = pd.DataFrame(
        {
            "x": np.arange(20.0),
            "colour": ["red", "blue"] * 10,
            "size": pd.Categorical(["s", "l"] * 10),
        }
    )
    y = np.arange(20) % 2
    # scikit-learn's message first, then which columns and what reads them.
    with pytest.raises(
        ValueError, match=r"could not convert string to float.*Columns 'colour', 'size' of X"
    ):
        MLPClassifier(max_iter=2).fit(df, y)
    clf = MLPClassifier(max_iter=2, categorical_features="from_dtype", random_state=0)
    assert clf.fit(df, y).predict(df).shape == (20,)


@pytest.mark.parametrize("categorical_features", [None, "from_dtype"])
@pytest.mark.parametrize("method", ["warm_start", "partial_fit"])
def test_text_columns_on_a_continued_fit_say_the_encoding_is_fixed(method, categorical_features):
    # Non-regression: a continued fit told the user to pass
    # categorical_features='from_dtype', also when it was set already; the fitted
    # encoding (the column numeric) cannot change there.
    rng = np.random.RandomState(0)
    df = pd.DataFrame({"a": rng.randn(40), "b": rng.randn(40)})
    y = np.arange(40) % 2
    clf = MLPClassifier(
        max_iter=2, random_state=0, device="cpu", categorical_features=categorical_features
    ).fit(df, y)
    text = df.assign(b=["x", "y"] * 20)
    with pytest.raises(ValueError, match="could not convert string") as error:
        if method == "warm_start":
            clf.set_params(warm_start=True).fit(text, y)
        else:
            clf.partial_fit(text, y)
    message = str(error.value)
    assert "Columns 'b' of X are not numeric, but were numeric when the model was first" in (
        message
    )
    assert "Fit with warm_start=False" in message
    assert ("categorical_features='from_dtype'" in message) == (categorical_features is None)


# -- the same steps as scikit-learn's MLP from the same weights -------------------------


def _from_the_same_weights(theirs, ours, X, y):
    """scikit-learn's and sknn's MLP, each warm-started from one epoch and then given the
    same weights, ready to train on (X, y) without shuffling."""
    common = dict(warm_start=True, max_iter=1, random_state=0, shuffle=False)
    theirs.set_params(**common).fit(X, y)
    ours.set_params(device="cpu", **common).fit(X, y)
    rng = np.random.RandomState(1)
    weights = [rng.uniform(-0.5, 0.5, c.shape).astype(np.float32) for c in theirs.coefs_]
    biases = [rng.uniform(-0.5, 0.5, b.shape).astype(np.float32) for b in theirs.intercepts_]
    theirs.coefs_ = [w.copy() for w in weights]
    theirs.intercepts_ = [b.copy() for b in biases]
    with torch.no_grad():
        for layer, w, b in zip(ours.module_.linear_layers(), weights, biases, strict=True):
            layer.weight.copy_(torch.as_tensor(w.T))
            layer.bias.copy_(torch.as_tensor(b))
    return theirs, ours


def _largest_weight_gap(theirs, ours):
    return max(np.abs(a - b).max() for a, b in zip(theirs.coefs_, ours.coefs_, strict=True))


def test_multi_output_regression_steps_as_scikit_learn():
    # Non-regression: sknn trained on the squared error averaged over outputs, where
    # scikit-learn's gradient is that of its sum: with 3 outputs, a third of its learning
    # rate and three times its alpha (weights 0.27 apart after 5 epochs).
    X, Y = make_regression(n_samples=64, n_features=5, n_targets=3, random_state=0)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    Y = StandardScaler().fit_transform(Y).astype(np.float32)
    params = dict(hidden_layer_sizes=(8,), batch_size=16, solver="sgd", learning_rate_init=0.01)
    for alpha in (0.0, 1.0):
        theirs, ours = _from_the_same_weights(
            SkMLPRegressor(alpha=alpha, **params), MLPRegressor(alpha=alpha, **params), X, Y
        )
        theirs.set_params(max_iter=5).fit(X, Y)
        ours.set_params(max_iter=5).fit(X, Y)
        assert _largest_weight_gap(theirs, ours) < 1e-5
        # The reported loss is scikit-learn's: averaged over outputs, plus each batch's
        # penalty at the weights it was evaluated on.
        np.testing.assert_allclose(ours.loss_curve_[-5:], theirs.loss_curve_[-5:], rtol=1e-4)


@pytest.mark.parametrize(
    "schedule",
    [
        dict(learning_rate="invscaling", learning_rate_init=0.5),
        dict(learning_rate="invscaling", learning_rate_init=0.5, nesterovs_momentum=False),
        dict(learning_rate="adaptive", learning_rate_init=0.1, tol=1.0, n_iter_no_change=1),
    ],
    ids=["invscaling-nesterov", "invscaling", "adaptive"],
)
def test_sgd_momentum_under_a_changing_rate_steps_as_scikit_learn(schedule):
    # Non-regression: torch's momentum buffer took each new rate for the steps already
    # taken, where scikit-learn's velocity keeps the rates they were taken at (weights 5.8
    # apart after 10 epochs with momentum 0.9).
    X, y = _iris()
    X = X.astype(np.float32)
    params = dict(hidden_layer_sizes=(8,), batch_size=32, solver="sgd", momentum=0.9, **schedule)
    theirs, ours = _from_the_same_weights(SkMLPClassifier(**params), MLPClassifier(**params), X, y)
    theirs.set_params(max_iter=10).fit(X, y)
    ours.set_params(max_iter=10).fit(X, y)
    assert _largest_weight_gap(theirs, ours) < 1e-4
    assert ours.n_iter_ == theirs.n_iter_


def test_loss_with_sample_weight_and_alpha_is_scikit_learns():
    # Non-regression: the epoch's L2 term was scaled by the rows, where scikit-learn
    # scales it by their total sample weight (loss_ 1.2379 against 1.2232 at weight 10).
    X, y = _iris()
    X = X.astype(np.float32)
    weight = np.full(len(y), 10.0)
    params = dict(hidden_layer_sizes=(8,), batch_size=50, solver="sgd", alpha=1.0)
    theirs, ours = _from_the_same_weights(SkMLPClassifier(**params), MLPClassifier(**params), X, y)
    theirs.set_params(max_iter=3).fit(X, y, sample_weight=weight)
    ours.set_params(max_iter=3).fit(X, y, sample_weight=weight)
    assert _largest_weight_gap(theirs, ours) < 1e-5
    np.testing.assert_allclose(ours.loss_curve_[-3:], theirs.loss_curve_[-3:], rtol=1e-5)


@pytest.mark.parametrize("alpha", [0.1, 0.5])
@pytest.mark.parametrize("skewed", [False, True])
def test_the_tol_rule_stops_at_scikit_learns_epoch_under_a_penalty(alpha, skewed):
    # Non-regression (a probe of the engine): the penalty was added to the epoch's loss
    # once, at its final weights and an average batch's weight, where scikit-learn adds
    # each batch's at the weights that batch was evaluated on. With identical steps the
    # loss curves differed and the tol rule stopped elsewhere (n_iter_ 81 against 25 with
    # one batch of light rows).
    X, y = make_classification(
        n_samples=40, n_features=4, n_informative=3, n_redundant=0, n_classes=3, random_state=0
    )
    X = StandardScaler().fit_transform(X).astype(np.float32)
    weight = np.r_[np.ones(32), np.full(8, 0.01)] if skewed else None
    params = dict(hidden_layer_sizes=(5,), batch_size=8, solver="sgd", momentum=0.0)
    params.update(learning_rate_init=0.1, alpha=alpha, tol=1e-3, n_iter_no_change=2)
    theirs, ours = _from_the_same_weights(SkMLPClassifier(**params), MLPClassifier(**params), X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.set_params(max_iter=200).fit(X, y, sample_weight=weight)
        ours.set_params(max_iter=200).fit(X, y, sample_weight=weight)
    assert ours.n_iter_ == theirs.n_iter_
    # (The first entry is the warm-up epoch's, from each library's own initial weights.)
    np.testing.assert_allclose(ours.loss_curve_[1:], theirs.loss_curve_[1:], rtol=1e-5)
    assert ours.best_loss_ == pytest.approx(theirs.best_loss_, rel=1e-5)


def test_lbfgs_whose_line_search_fails_warns():
    # Non-regression: under dropout the loss changes between evaluations, torch's line
    # search finds no step and L-BFGS stops after two iterations, reported as a normal
    # finish. scikit-learn warns (status=2) where scipy's line search fails.
    X, y = _iris()
    with pytest.warns(
        ConvergenceWarning, match=r"status=2\):\nABNORMAL_TERMINATION_IN_LNSRCH(.|\n)*dropout=0.5"
    ):
        clf = MLPClassifier(solver="lbfgs", dropout=0.5, max_iter=50, random_state=0).fit(X, y)
    assert clf.n_iter_ < 50
    # Without dropout, a line search that finds no lower loss has reached float32's
    # resolution: converged, as scipy's relative-reduction rule says for scikit-learn,
    # on scaled and unscaled data alike.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        MLPClassifier(solver="lbfgs", max_iter=500, random_state=0).fit(X, y)
        for seed in range(3):
            MLPClassifier(solver="lbfgs", max_iter=500, random_state=seed).fit(
                *load_iris(return_X_y=True)
            )


@pytest.mark.parametrize(
    "params",
    [
        dict(beta_1=np.float32(0.9)),
        dict(beta_2=np.float32(0.999)),
        dict(early_stopping=True, validation_fraction=np.float32(0.2)),
        dict(learning_rate_init=np.float32(0.01)),
        dict(solver="sgd", learning_rate="invscaling", power_t=np.float32(0.5)),
    ],
    ids=["beta_1", "beta_2", "validation_fraction", "learning_rate_init", "power_t"],
)
def test_numpy_float_parameters_fit_and_save(params, tmp_path):
    # Non-regression: torch's Adam refused NumPy betas, train_test_split a NumPy
    # test_size, and the rates recorded from NumPy floats were no JSON for save.
    import sknn

    X, y = _iris()
    clf = MLPClassifier(max_iter=3, random_state=0, device="cpu", **params).fit(X, y)
    sknn.save(clf, tmp_path / "m.sknn")
    np.testing.assert_array_equal(
        sknn.load(tmp_path / "m.sknn").predict_proba(X), clf.predict_proba(X)
    )


def test_numpy_parameters_are_recorded_for_resume_and_load(tmp_path):
    # Non-regression: NumPy-typed parameters were neither recorded in a checkpoint nor
    # compared (a resumed fit went on with another batch_size), nor recorded as the
    # fitted network's (a model saved after set_params could not be loaded).
    import sknn

    X, y = _iris()
    path = tmp_path / "run.ckpt"
    MLPClassifier(max_iter=2, checkpoint=path, batch_size=np.int64(16), random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"batch_size=8 \(the checkpoint's 16\)"):
        MLPClassifier(max_iter=4, resume_from=path, batch_size=8, random_state=0).fit(X, y)
    MLPClassifier(max_iter=4, resume_from=path, batch_size=16, random_state=0).fit(X, y)
    clf = MLPClassifier(hidden_layer_sizes=np.array([5]), max_iter=3, random_state=0).fit(X, y)
    clf.set_params(hidden_layer_sizes=(7,))
    sknn.save(clf, tmp_path / "m.sknn")
    np.testing.assert_array_equal(
        sknn.load(tmp_path / "m.sknn").predict_proba(X), clf.predict_proba(X)
    )


def test_coefs_are_read_only_and_assignable():
    # Non-regression: coefs_ returned writeable copies, so an edit in place changed
    # nothing without a word, and assigning them raised a bare AttributeError.
    X, y = _iris()
    clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="read-only"):
        clf.coefs_[0][:] = 0
    sk = SkMLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0).fit(X, y)
    clf.coefs_ = sk.coefs_
    clf.intercepts_ = sk.intercepts_
    np.testing.assert_allclose(clf.predict_proba(X), sk.predict_proba(X), atol=1e-5)
    with pytest.raises(ValueError, match=r"coefs_ must be a list of 2 arrays of shapes"):
        clf.coefs_ = sk.coefs_[:1]
    normed = MLPClassifier(hidden_layer_sizes=(5,), batch_norm=True, max_iter=2).fit(X, y)
    with pytest.raises(AttributeError, match="batch_norm=True"):
        normed.coefs_ = normed.coefs_
    averaged = MLPClassifier(hidden_layer_sizes=(5,), n_init=2, ensemble="average", max_iter=2)
    averaged.fit(X, y)
    with pytest.raises(AttributeError, match="on an ensemble .* intercepts_ is run best_init_"):
        averaged.intercepts_ = averaged.intercepts_


def test_partial_fit_class_weight_of_a_class_absent_from_a_batch():
    # Non-regression: a batch without the weighted class raised "The classes, [0], are
    # not in class_weight"; SGDClassifier weighs against partial_fit's classes.
    rng = np.random.RandomState(0)
    X = rng.randn(60, 4)
    y = (X[:, 0] > 1.0).astype(int)
    y[40:] = 0
    clf = MLPClassifier(class_weight={1: 10}, random_state=0)
    for rows in (slice(0, 20), slice(20, 40), slice(40, 60)):
        clf.partial_fit(X[rows], y[rows], classes=[0, 1])
    # The weights are those of the classes: class 1's rows count ten times.
    assert clf._task_sample_weight(np.array([0, 1, 1]), None).tolist() == [1, 10, 10]


def test_regression_targets_beyond_float32_squares_are_refused():
    # Non-regression: the loss was infinite from the first epoch, the untrained network
    # was kept, and the warning blamed the inputs or the learning rate.
    X = np.random.RandomState(0).randn(50, 3)
    reg = MLPRegressor(max_iter=3)
    with pytest.raises(ValueError, match="targets are too large for float32.*StandardScaler"):
        reg.fit(X, X[:, 0] * 1e20)
    assert not hasattr(reg, "net_")


def test_weight_decay_outside_adamw_and_a_warmup_past_the_fit_warn():
    X, y = _iris()
    with pytest.warns(UserWarning, match="weight_decay=0.5 is the decoupled weight decay"):
        MLPClassifier(weight_decay=0.5, max_iter=2).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="warmup=5000 optimizer steps is at least"):
        MLPClassifier(warmup=5000, max_iter=2).fit(X, y)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="weight_decay")
        MLPClassifier(solver="adamw", weight_decay=0.5, max_iter=2).fit(X, y)


def test_a_validation_split_that_fails_names_early_stopping():
    # Non-regression: train_test_split's words (test_size) named no parameter of the
    # estimator; they stay in the message, after what it is about.
    X = np.random.RandomState(0).randn(8, 3)
    y = np.array([0, 1] * 4)
    with pytest.raises(
        ValueError, match=r"early_stopping=True holds out validation_fraction=0.1 .*test_size"
    ):
        MLPClassifier(early_stopping=True, max_iter=2).fit(X, y)


def test_predict_is_the_class_predict_proba_ranks_first_at_a_near_tie():
    # Non-regression: predict decided on float32 probabilities and predict_proba gave
    # float64 ones: at a near-tie (a logit of 1e-8) they named different classes.
    rng = np.random.RandomState(0)
    X = rng.randn(20, 2)
    clf = MLPClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0)
    clf.fit(X, (X[:, 0] > 0).astype(int))
    clf.coefs_ = [np.zeros_like(c) for c in clf.coefs_]
    clf.intercepts_ = [np.zeros(3), np.array([1e-8])]
    for rows in (X, X.astype(np.float32)):
        proba = clf.predict_proba(rows)
        np.testing.assert_array_equal(clf.predict(rows), clf.classes_[proba.argmax(axis=1)])


def test_callbacks_see_a_multi_output_regressors_mean_loss():
    # The gradient of a k-output squared error is scikit-learn's (summed over outputs),
    # but the batch loss handed to callbacks is the recorded mean, as loss_curve_ is.
    class Record(Callback):
        def initialize(self):
            self.losses = []
            return self

        def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
            if training:
                self.losses.append(float(loss))

    rng = np.random.RandomState(0)
    X = rng.randn(40, 3)
    record = Record()
    reg = MLPRegressor(max_iter=1, batch_size=40, random_state=0, callbacks=[record])
    reg.fit(X, np.c_[X[:, 0], X[:, 1], -X[:, 2]])
    # (loss_curve_ also holds the L2 penalty, about 1e-5 here; 3 times the mean is not.)
    np.testing.assert_allclose(record.losses, reg.loss_curve_, rtol=1e-3)


def test_momentum_is_rescaled_only_by_epoch_level_rate_changes():
    from types import SimpleNamespace

    from sknn.engine.callbacks import _set_lr

    weight = torch.nn.Parameter(torch.ones(3))
    optimizer = torch.optim.SGD([weight], lr=0.1, momentum=0.9)
    net = SimpleNamespace(optimizer_=optimizer)
    weight.grad = torch.ones(3)
    optimizer.step()
    buffer = optimizer.state[weight]["momentum_buffer"]
    _set_lr(net, 0.05)  # a per-batch schedule's change: torch's convention, no rescale
    np.testing.assert_array_equal(buffer.numpy(), np.ones(3))
    _set_lr(net, 0.1, rescale_momentum=True)  # scikit-learn's velocity: b * old / new
    np.testing.assert_allclose(buffer.numpy(), np.full(3, 0.5))
    # Non-regression: from a rate of 0 the rescale zeroed every buffer.
    _set_lr(net, 0.0, rescale_momentum=True)
    _set_lr(net, 0.05, rescale_momentum=True)
    np.testing.assert_allclose(buffer.numpy(), np.full(3, 0.5))
