"""Tests for ConvNetClassifier on its image forms (the flat form also runs test_common)."""

import pickle
import re
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sknn.estimators.convnet as convnet_module
from sknn.data.images import to_image_batch
from sknn.estimators.convnet import ConvNetClassifier

# Tiny network and few epochs: these tests check behaviour, not accuracy.
FAST = dict(
    channels=(4,),
    dense_sizes=(8,),
    max_iter=3,
    learning_rate_init=0.01,
    batch_size=32,
    device="cpu",
    random_state=0,
)


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    # On a busy two-core machine torch's intra-op threads wait on each other: a tiny fit
    # then takes seconds instead of a tenth of one.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def digits():
    """120 grey 8x8 digit images in [0, 1] and their labels."""
    X, y = load_digits(return_X_y=True)
    return (X[:120] / 16).reshape(-1, 8, 8).astype(np.float32), y[:120]


def _fit(X, y, **params):
    return ConvNetClassifier(**{**FAST, **params}).fit(X, y)


@pytest.fixture(scope="module")
def fitted(digits):
    """A classifier fitted on the grey digits with FAST settings; do not modify it."""
    return _fit(*digits)


# --- input forms ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form, params",
    [
        (lambda X: X[:, None], {}),
        (lambda X: X[..., None], {}),
        (lambda X: X.reshape(len(X), -1), {}),
        (lambda X: X.reshape(len(X), -1), {"image_shape": (8, 8)}),
    ],
    ids=["channels_first", "channels_last", "flat_square", "flat_image_shape"],
)
def test_every_form_of_the_same_images_gives_the_same_model(digits, fitted, form, params):
    X, y = digits
    clf = _fit(form(X), y, **params)
    assert clf.input_shape_ == (1, 8, 8) and clf.n_features_in_ == 64
    np.testing.assert_array_equal(clf.predict_proba(form(X)), fitted.predict_proba(X))
    # Any form is accepted at predict time once the image shape matches.
    np.testing.assert_array_equal(clf.predict_proba(X), fitted.predict_proba(X))


def test_uint8_is_scaled_to_unit_range(digits):
    X, y = digits
    X8 = np.round(X * 255).astype(np.uint8)
    clf = _fit(X8, y)
    assert clf.pixel_scale_ == 1 / 255
    # float64 probabilities for uint8 X, as for any X but float32: compared on float64 X.
    scaled = (X8 / np.float32(255)).astype(np.float64)
    np.testing.assert_array_equal(clf.predict_proba(X8), clf.predict_proba(scaled))
    with pytest.warns(UserWarning, match="fitted on uint8 images"):
        assert not np.allclose(clf.predict_proba(X8), clf.predict_proba(X8.astype(np.float32)))


@pytest.mark.parametrize(
    "fit_as, predict_as, match",
    [
        (np.uint8, np.float64, "fitted on uint8 images, .* float64 values up to 255"),
        (np.uint8, list, "fitted on uint8 images, .* int64 values up to 255"),
        (np.float32, np.uint8, r"values \(up to 255\) it reads as given, but X is uint8"),
    ],
    ids=["uint8-then-float", "uint8-then-list", "float-then-uint8"],
)
def test_pixels_read_on_another_scale_than_in_fit_warn(digits, fit_as, predict_as, match):
    # Non-regression: uint8 levels are scaled to [0, 1] and other dtypes read as given,
    # so the same 0-255 pixels in another container changed 38-74% of the predictions
    # without a word.
    X, y = digits
    levels = np.round(X * 255).astype(np.uint8)
    clf = _fit(levels.astype(fit_as), y)
    other = levels.tolist() if predict_as is list else levels.astype(predict_as)
    with pytest.warns(UserWarning, match=match):
        clf.predict(other)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.predict(levels.astype(fit_as))  # as in fit
        if fit_as is np.uint8:
            clf.predict(levels / 255)  # on the fit's scale already


@pytest.mark.parametrize("fit_as, predict_as", [(np.uint8, np.float32), (bool, np.uint8)])
def test_binary_masks_in_uint8_warn(digits, fit_as, predict_as):
    # Non-regression: uint8 masks of 0 and 1 ((X > t).astype(np.uint8)) are read as 0 and
    # 1/255; a fit on them trained on near-zero inputs, and the same masks in another
    # dtype at predict (255 times larger or smaller) changed predictions without a word.
    X, y = digits
    masks = X > 0.5
    if fit_as is np.uint8:
        with pytest.warns(UserWarning, match="uint8 with levels 0 and 1 only"):
            clf = _fit(masks.astype(np.uint8), y)
        match = "uint8 images of levels 0 and 1 only"
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf = _fit(masks, y)
        match = "X is uint8 of levels 0 and 1 only"
    with pytest.warns(UserWarning, match=match):
        clf.predict(masks.astype(predict_as))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        clf.predict(masks.astype(fit_as))


def test_a_column_of_images_is_read_as_a_list_of_them(digits, fitted):
    # Non-regression: a Series, a one-column DataFrame or an object array of images
    # raised NumPy's 'setting an array element with a sequence'.
    pd = pytest.importorskip("pandas")
    X, _ = digits
    objects = np.empty(len(X), dtype=object)
    objects[:] = list(X)
    expected = fitted.predict_proba(X.astype(np.float64))  # as a column's: float64
    for column in (pd.Series(list(X)), pd.DataFrame({"image": list(X)}), objects):
        np.testing.assert_array_equal(fitted.predict_proba(column), expected)


def test_a_single_pil_image_is_refused_with_a_hint(digits, fitted):
    # Non-regression: one PIL image at predict was read as rows of pixels ('X does not
    # contain any features'); a list of them is a batch.
    image_module = pytest.importorskip("PIL.Image")
    X, _ = digits
    image = image_module.fromarray(np.round(X[0] * 255).astype(np.uint8))
    with pytest.raises(ValueError, match=r"X is a single image \(Image\); pass a batch"):
        fitted.predict(image)
    assert fitted.predict([image, image]).shape == (2,)


def test_a_batch_the_fitted_shape_tells_apart_is_read_in_either_layout():
    # Non-regression: (n, 3, 8, 4) was refused as ambiguous (3 and 4 are both channel
    # counts) though only its channels-first reading gives the fitted (3, 8, 4).
    rng = np.random.default_rng(0)
    hwc = rng.random((20, 8, 4, 3), dtype=np.float32)
    clf = ConvNetClassifier(**{**FAST, "pooling": None}).fit(hwc, np.arange(20) % 2)
    assert clf.input_shape_ == (3, 8, 4)
    np.testing.assert_array_equal(
        clf.predict_proba(hwc.transpose(0, 3, 1, 2)), clf.predict_proba(hwc)
    )


def test_images_of_a_fitted_shape_need_no_image_shape(digits, fitted):
    # image_shape reads 2D X; once fitted, unflattened images of the fitted shape pass.
    X, y = digits
    clf = _fit(X.reshape(len(X), -1), y, image_shape=(8, 8, 1))
    for form in (X, X[:, None], X[..., None]):
        np.testing.assert_array_equal(clf.predict_proba(form), fitted.predict_proba(X))


def test_set_params_after_fit_does_not_change_how_predict_reads_images():
    # Non-regression: predict read image_shape and data_format live, so set_params after
    # fit put the pixels of flat rows into other channels without a word.
    X = np.random.default_rng(0).random((20, 75), dtype=np.float32)
    clf = ConvNetClassifier(**{**FAST, "pooling": None, "image_shape": (5, 5, 3)})
    expected = clf.fit(X, np.arange(20) % 2).predict_proba(X)
    clf.set_params(image_shape=(3, 5, 5))
    np.testing.assert_array_equal(clf.predict_proba(X), expected)
    np.testing.assert_array_equal(clf.transform(X), clf.transform(X.reshape(20, 5, 5, 3)))


@pytest.mark.parametrize("continue_with", ["warm_start", "partial_fit"])
@pytest.mark.parametrize(
    "shape, first, then",
    [
        ((75,), {"image_shape": (5, 5, 3)}, {"image_shape": (3, 5, 5)}),
        ((4, 4, 4), {"data_format": "last"}, {"data_format": "first"}),
    ],
    ids=["image_shape", "data_format"],
)
def test_continuing_with_another_reading_of_the_pixels_is_refused(
    shape, first, then, continue_with
):
    # Non-regression: the same (C, H, W) read in another order continued the fit on
    # pixels in another order.
    X = np.random.default_rng(0).random((20, *shape), dtype=np.float32)
    y = np.arange(20) % 2
    clf = ConvNetClassifier(**{**FAST, "pooling": None, **first}).fit(X, y)
    clf.set_params(**then, warm_start=continue_with == "warm_start")
    name, value = next(iter(then.items()))
    with pytest.raises(ValueError, match=re.escape(f"different preprocessing: {name}={value!r}")):
        clf.partial_fit(X, y) if continue_with == "partial_fit" else clf.fit(X, y)


def test_rgb_channels_last_and_first(digits):
    X, y = digits
    rgb_last = np.stack([X, X[:, ::-1], X.transpose(0, 2, 1)], axis=-1)
    clf = _fit(rgb_last, y)
    assert clf.input_shape_ == (3, 8, 8)
    assert clf.n_features_in_ == 192
    np.testing.assert_array_equal(
        clf.predict_proba(rgb_last), clf.predict_proba(rgb_last.transpose(0, 3, 1, 2))
    )


def test_flat_rows_with_inferred_image_side(digits):
    # image_shape=(1, -1) reads any row as a strip: what test_common relies on.
    X, y = digits
    clf = _fit(X.reshape(len(X), -1)[:, :10], y, image_shape=(1, -1), pooling=None)
    assert clf.input_shape_ == (1, 1, 10)
    assert clf.predict(X.reshape(len(X), -1)[:5, :10]).shape == (5,)


@pytest.mark.parametrize(
    "X, image_shape, shape",
    [
        (np.zeros((2, 12)), (1, -1), (1, 1, 12)),
        (np.zeros((2, 12)), (-1, 2, 3), (3, 2, 2)),
        (np.zeros((2, 4, 6)), (-1, 6), (1, 4, 6)),
    ],
)
def test_to_image_batch_infers_one_minus_one(X, image_shape, shape):
    assert to_image_batch(X, image_shape=image_shape, data_format="last")[1] == shape


@pytest.mark.parametrize(
    "image_shape, match",
    [((-1, -1), "image_shape must be"), ((5, -1), "needs a multiple of 5 features")],
)
def test_to_image_batch_rejects_bad_minus_one(image_shape, match):
    with pytest.raises(ValueError, match=match):
        to_image_batch(np.zeros((2, 12)), image_shape=image_shape)


def test_flat_rgb_with_image_shape(digits):
    X, y = digits
    rgb = np.stack([X] * 3, axis=-1)
    clf = _fit(rgb.reshape(len(X), -1), y, image_shape=(8, 8, 3))
    assert clf.input_shape_ == (3, 8, 8)
    np.testing.assert_array_equal(
        clf.predict_proba(rgb.reshape(len(X), -1)), clf.predict_proba(rgb)
    )


# --- clear errors for wrong shapes --------------------------------------------------------


def test_predict_with_other_image_shape(fitted):
    clf = fitted
    with pytest.raises(ValueError, match=r"\(1, 8, 9\), but the estimator is expecting"):
        clf.predict(np.zeros((2, 8, 9), dtype=np.float32))
    with pytest.raises(ValueError, match="X has 81 features, but ConvNetClassifier is expecting"):
        clf.predict(np.zeros((2, 81)))


def test_flat_rows_for_a_model_of_oblong_images_are_read_with_its_shape():
    # Non-regression: they were read as square 8x8 images and refused, with advice to set
    # image_shape, which a fitted model does not read.
    strip = np.random.default_rng(0).random((20, 4, 16), dtype=np.float32)
    clf = ConvNetClassifier(**{**FAST, "pooling": None}).fit(strip, np.arange(20) % 2)
    np.testing.assert_array_equal(
        clf.predict_proba(strip.reshape(20, -1)), clf.predict_proba(strip)
    )
    flat = ConvNetClassifier(**{**FAST, "pooling": None, "image_shape": (4, 16)})
    np.testing.assert_array_equal(
        flat.fit(strip.reshape(20, -1), np.arange(20) % 2).predict_proba(strip),
        clf.predict_proba(strip),
    )


@pytest.mark.parametrize(
    "X, match",
    [
        (np.zeros((10, 1, 1, 8, 8)), "Found array with dim 5"),
        (np.zeros((10, 15)), "not a square grey image"),
        (np.zeros((10, 5, 8, 8)), "Cannot tell which axis"),
        (np.zeros(10), "Expected 2D array"),
        (
            [np.zeros((8, 8))] * 9 + [np.zeros((9, 9))],
            r"images of different shapes \(\(8, 8\) and \(9, 9\), among 2",
        ),
        (
            [np.zeros((8, 8))] * 9 + [[[0.0] * 8] * 7 + [[0.0] * 7]],
            "Image 9 of X is not a rectangular array",
        ),
        (np.zeros((10, 0, 8, 8)), r"images of shape \(0, 8, 8\): every axis"),
        (np.zeros((10, 8, 0)), r"images of shape \(8, 0\): every axis"),
    ],
)
def test_fit_rejects_unreadable_images(X, match):
    with pytest.raises(ValueError, match=match):
        ConvNetClassifier(**FAST).fit(X, np.arange(10) % 2)


def test_architecture_that_shrinks_images_to_nothing(digits):
    X, y = digits
    with pytest.raises(ValueError, match="shrinks to zero"):
        _fit(X, y, channels=(4, 4, 4, 4))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"channels": ()}, "channels must have at least one entry"),
        ({"channels": (4, 0)}, "channels must be > 0"),
        ({"dense_sizes": (-1,)}, "dense_sizes must be > 0"),
        ({"padding": "full"}, "'padding' parameter"),
        ({"augment_shift": -1}, "'augment_shift' parameter"),
        ({"solver": "lbfgs", "augment_flip": True}, "augmentation .* stochastic solver"),
    ],
)
def test_invalid_parameters(digits, params, match):
    X, y = digits
    with pytest.raises(ValueError, match=match):
        _fit(X, y, **params)


# Each size, count and rate of the network as NumPy gives it (a grid over np.arange, a
# float32 array): the parameter checks accept them, so the network must be built from them.
NUMPY_VALUES = [
    ("padding", np.int64(1)),
    ("padding", np.int32(0)),
    ("kernel_size", np.int64(5)),
    ("stride", np.int32(2)),
    ("pool_size", np.int64(3)),
    ("channels", np.int64(3)),
    ("channels", (np.int32(3), np.int64(5))),
    ("dense_sizes", np.int32(6)),
    ("dense_sizes", np.array([6, 5])),
    ("augment_shift", np.int64(1)),
    ("dropout", np.float32(0.25)),
]


def _python(value):
    if isinstance(value, np.ndarray | tuple):
        return tuple(int(v) for v in value)
    return value.item()


@pytest.mark.parametrize(
    "name, value", [pytest.param(*case, id=f"{case[0]}={case[1]!r}") for case in NUMPY_VALUES]
)
def test_numpy_numbers_build_the_network(digits, name, value):
    # Non-regression: padding=np.int64(1) (GridSearchCV over np.arange) passed the
    # parameter checks, then the network refused it ("padding must be 'same', 'valid' or
    # an int, got np.int64(1)").
    X, y = digits[0][:40], digits[1][:40]
    clf = _fit(X, y, max_iter=1, **{name: value})
    plain = _fit(X, y, max_iter=1, **{name: _python(value)})
    assert repr(clf.module_) == repr(plain.module_)
    np.testing.assert_allclose(clf.predict_proba(X), plain.predict_proba(X), rtol=1e-5)


def test_a_grid_over_np_arange_searches_the_padding(digits):
    from sklearn.model_selection import GridSearchCV

    X, y = digits[0][:40], digits[1][:40] % 2
    grid = {"padding": np.arange(0, 2), "kernel_size": np.arange(2, 4)}
    estimator = ConvNetClassifier(**{**FAST, "max_iter": 1, "batch_size": 10})
    search = GridSearchCV(estimator, grid, cv=2)
    search.set_params(error_score="raise").fit(X, y)
    assert search.best_params_["padding"] in (0, 1)


# --- the API checks, on 3-D input ---------------------------------------------------------


def test_init_stores_parameters_and_nothing_else():
    clf = ConvNetClassifier(channels=(3, 5), augment_shift=2)
    assert vars(clf) == clf.get_params(deep=False)
    assert not [name for name in vars(clf) if name.endswith("_")]


def test_clone_and_set_params(fitted):
    clf = fitted
    copy = clone(clf)
    assert copy.get_params() == clf.get_params()
    assert not hasattr(copy, "classes_")
    assert copy.set_params(channels=(2,), dropout=0.5) is copy
    assert copy.get_params()["channels"] == (2,) and copy.dropout == 0.5


def test_fit_returns_self_and_unfitted_raises(digits):
    X, y = digits
    clf = ConvNetClassifier(**FAST)
    for method in ("predict", "predict_proba", "predict_log_proba", "transform"):
        with pytest.raises(NotFittedError):
            getattr(clf, method)(X)
    assert clf.fit(X, y) is clf


def test_pickle_round_trip(digits):
    X, y = digits
    clf = _fit(X, y, augment_shift=1, batch_norm=True)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(restored.transform(X), clf.transform(X))


def test_refit_with_seed_is_bitwise_identical(digits):
    X, y = digits
    clf = ConvNetClassifier(**FAST, augment_shift=1, augment_flip=True, dropout=0.2)
    first = clf.fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(clf.fit(X, y).predict_proba(X), first)
    other = clone(clf).set_params(random_state=1).fit(X, y).predict_proba(X)
    assert not np.array_equal(other, first)


# --- classification semantics --------------------------------------------------------------


def test_string_labels_binary_and_proba(digits):
    X, y = digits
    labels = np.where(y % 2, "odd", "even")
    clf = _fit(X, labels)
    assert list(clf.classes_) == ["even", "odd"]
    assert set(clf.predict(X)) <= {"even", "odd"}
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)


def test_class_weight_changes_the_fit(digits, fitted):
    X, y = digits
    plain = fitted.predict_proba(X)
    weighted = _fit(X, y, class_weight={0: 10.0}).predict_proba(X)
    assert not np.allclose(plain, weighted)


def test_partial_fit_and_early_stopping(digits):
    X, y = digits
    clf = ConvNetClassifier(**FAST)
    clf.partial_fit(X[:60], y[:60], classes=np.arange(10))
    clf.partial_fit(X[60:], y[60:])
    assert clf.t_ == len(X)
    stopped = _fit(X, y, early_stopping=True, validation_fraction=0.2)
    assert len(stopped.validation_scores_) == stopped.n_iter_


def test_predictions_do_not_depend_on_the_batching(digits, fitted, monkeypatch):
    X, _ = digits
    clf = fitted
    full = clf.predict_proba(X)
    monkeypatch.setattr(convnet_module, "PREDICT_PIXELS", 7 * 64)
    np.testing.assert_allclose(clf.predict_proba(X), full, rtol=1e-6)


# --- augmentation -------------------------------------------------------------------------


def test_augmentation_acts_on_training_batches_only(digits, fitted):
    X, y = digits
    clf = _fit(X, y, augment_shift=2, augment_flip=True)
    # Predictions see the images as given: the same twice in a row...
    np.testing.assert_array_equal(clf.predict_proba(X), clf.predict_proba(X))
    augment = clf.module_.augment
    assert not augment.training
    images = torch.from_numpy(X[:, None])
    assert torch.equal(augment(images), images)
    # ...while training saw other images than a fit without augmentation did.
    assert not np.array_equal(clf.predict_proba(X), fitted.predict_proba(X))


@pytest.mark.parametrize("continue_with", ["warm_start", "partial_fit"])
def test_a_changed_augmentation_applies_to_the_continued_training(digits, continue_with):
    # Non-regression: the changed augmentation was refused as 'a different network',
    # though it acts only in training and the network stays the same.
    X, y = digits
    clf = _fit(X, y, warm_start=True)
    weights = clf.module_.convnet.output.weight.detach().clone()
    clf.set_params(augment_shift=2, augment_flip=True)
    if continue_with == "warm_start":
        clf.fit(X, y)
    else:
        clf.partial_fit(X, y)
    assert (clf.module_.augment.shift, clf.module_.augment.flip) == (2, True)
    assert not clf.module_.augment.training
    assert not torch.equal(clf.module_.convnet.output.weight, weights)  # trained on
    # A call refused for another reason leaves the fitted augmentation as it was.
    with pytest.raises(ValueError, match=r"different network: channels=\(5,\)"):
        clf.set_params(augment_shift=1, channels=(5,)).fit(X, y)
    assert clf.module_.augment.shift == 2
    with pytest.raises(ValueError, match="augment_shift=8 must be smaller"):
        clf.set_params(augment_shift=8, channels=(4,)).fit(X, y)
    assert clf.module_.augment.shift == 2


# --- learned features -----------------------------------------------------------------------


def test_transform_returns_features_before_the_head(digits, fitted):
    X, _ = digits
    clf = fitted
    features = clf.transform(X)
    assert features.shape == (len(X), 8) == (len(X), clf.n_features_out_)
    assert features.dtype == np.float32
    with torch.no_grad():
        logits = clf.module_.convnet.output(torch.from_numpy(features))
    np.testing.assert_allclose(
        torch.softmax(logits, 1).numpy(), clf.predict_proba(X), rtol=1e-5, atol=1e-6
    )
    assert list(clf.get_feature_names_out()) == [f"convnetclassifier{i}" for i in range(8)]


def test_features_in_a_pipeline(digits):
    X, y = digits
    flat = X.reshape(len(X), -1)
    pipe = make_pipeline(
        StandardScaler(), ConvNetClassifier(**FAST), LogisticRegression(max_iter=200)
    )
    assert pipe.fit(flat, y).predict(flat).shape == y.shape
    assert pipe[:-1].transform(flat).shape == (len(X), 8)


# --- devices --------------------------------------------------------------------------------


@pytest.mark.gpu
def test_cuda_fit_matches_cpu_api(digits):
    X, y = digits
    clf = _fit(X, y, device="cuda", augment_shift=1, augment_flip=True)
    assert clf.device_.startswith("cuda")
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))
    assert clf.transform(X).shape == (len(X), 8)


def test_a_failed_warm_start_keeps_the_recorded_augmentation():
    # Non-regression: the continued fit recorded the new augmentation in place, in the dict
    # that a failed fit puts back, so the failure left the new value recorded.
    rng = np.random.RandomState(0)
    X, y = rng.rand(20, 6, 6), np.arange(20) % 2
    clf = ConvNetClassifier(
        channels=(2,), dense_sizes=(), max_iter=1, warm_start=True, random_state=0
    ).fit(X, y)
    clf.set_params(augment_flip=True)

    def fail(*args, **kwargs):
        raise RuntimeError("the forward pass failed")

    forward = clf.net_.module_.forward
    clf.net_.module_.forward = fail
    with pytest.raises(RuntimeError, match="forward pass failed"):
        clf.fit(X, y)
    clf.net_.module_.forward = forward
    assert clf._module_params["augment_flip"] is False


@pytest.mark.parametrize(
    "params, limit, match",
    [
        # The probe's case: 5.5 GB of weights, 82 GB of activations in a batch of 32.
        ({"channels": (10**7,)}, 16 * 10**9, r"at least 2.32e\+10 float32 values"),
        # Small enough to fit when only the weights (1,290 values) are counted.
        (
            {"channels": (64,), "pooling": None, "global_pool": True, "dense_sizes": ()},
            4 * 10**5,
            r"at least 1.3.e\+05 float32 values",
        ),
    ],
    ids=["probe", "small"],
)
def test_a_network_whose_activations_cannot_fit_in_memory_is_refused(
    digits, monkeypatch, params, limit, match
):
    # Non-regression: the memory check counted weights only; channels=(10**7,) on 8x8
    # images (5.5 GB of weights, 100 GB of activations a batch) got the process killed.
    # The machine's memory is pinned between what the weights and what the weights and a
    # batch's convolution outputs need, so that the test does not depend on the machine.
    import sknn._sizes

    monkeypatch.setattr(sknn._sizes, "memory_limit", lambda device=None: limit)
    X, y = digits
    with pytest.raises(ValueError, match=match + r" .*channels=\("):
        _fit(X[:40], y[:40], **params)


def _activation_bound(clf, X, n_outputs=10, limit=1):
    # A machine of `limit` bytes: the count is exact only where an upper bound of it could
    # pass the machine's memory (its meta-device forward pass imports torch's compiler).
    from unittest import mock

    clf.n_outputs_, clf.device_ = n_outputs, "cpu"
    with mock.patch("sknn._sizes.memory_limit", lambda device=None: limit):
        return clf._activation_values(X)


def test_ordinary_fits_pass_the_memory_check():
    # The defaults on 60,000 28x28 images: 200 images of 32x28x28 and 64x14x14 maps.
    images = np.zeros((60_000, 1, 28, 28), np.float32)  # calloc'd: never touched
    values = _activation_bound(ConvNetClassifier(), images)
    assert values == 200 * (32 * 28 * 28 + 64 * 14 * 14)
    assert values * 4 < 2**30
    # On a machine of 4 GB the upper bound passes: nothing computed on the meta device.
    assert _activation_bound(ConvNetClassifier(), images, limit=4 * 2**30) == 0


def _saved_values(module, batch):
    # The float32 values that autograd keeps for the backward pass, each storage once.
    saved = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        saved[storage.data_ptr()] = storage.nbytes() // 4
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        module.train()(batch)
    return sum(saved.values())


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"batch_norm": True},
        {"residual": True},
        {"residual": True, "channels": (4, 8, 16)},
        {"residual": True, "batch_norm": True},
        {"stride": 2, "pooling": None},
        {"activation": "tanh", "pooling": "avg"},
        {"padding": "valid", "kernel_size": 2},
        {"global_pool": True, "dense_sizes": ()},
    ],
)
def test_the_memory_check_counts_no_more_than_a_batch_keeps(params):
    # A lower bound: a fit that fits in memory is never refused.
    X = np.random.default_rng(0).random((50, 3, 12, 12), dtype=np.float32)
    clf = ConvNetClassifier(**{**FAST, "channels": (6, 10), "batch_size": 16, **params})
    bound = _activation_bound(clf, X, n_outputs=3)
    assert 0 < bound <= _saved_values(clf._build_module(X, 3), torch.from_numpy(X[:16]))


@pytest.mark.parametrize(
    "params, rows",
    [
        ({"batch_size": 200}, 100),
        ({"batch_size": 200, "early_stopping": True, "validation_fraction": 0.25}, 75),
        ({"batch_size": 30, "early_stopping": True}, 30),
        ({"solver": "lbfgs", "early_stopping": True, "validation_fraction": 0.15}, 85),
    ],
)
def test_the_memory_check_counts_the_rows_of_a_training_batch(params, rows):
    # early_stopping trains on the rows it does not hold out: counting all of them could
    # refuse a fit that fits. _batch_size's warning about batch_size=200 is the fit's.
    X = np.zeros((100, 1, 8, 8), np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = _activation_bound(ConvNetClassifier(**{**FAST, **params}), X)
    assert values == rows * 4 * 8 * 8


def test_flat_rows_of_colour_images_name_both_orders():
    # Their channels may have been flattened first or last: the rows cannot say which.
    X = np.random.default_rng(0).random((20, 4, 8, 8), dtype=np.float32)
    clf = ConvNetClassifier(**FAST).fit(X, np.arange(20) % 2)
    with pytest.raises(ValueError, match=r"X.reshape\(-1, 4, 8, 8\) or X.reshape\(-1, 8, 8, 4\)"):
        clf.predict(X.reshape(20, -1))


def test_flat_rows_of_non_square_colour_images_name_both_orders():
    # Non-regression: rows of 8x8 RGB images (192 values, not a square) got the advice to
    # pass image_shape, which a fitted model does not read.
    X = np.random.default_rng(0).random((20, 8, 8, 3), dtype=np.float32)
    clf = ConvNetClassifier(**FAST).fit(X, np.arange(20) % 2)
    with pytest.raises(ValueError, match=r"X.reshape\(-1, 3, 8, 8\) or X.reshape\(-1, 8, 8, 3\)"):
        clf.predict(X.reshape(20, -1))
    np.testing.assert_array_equal(
        clf.predict_proba(X.reshape(20, -1).reshape(-1, 8, 8, 3)), clf.predict_proba(X)
    )


def _rgba_digits(digits):
    images, _ = digits
    return np.stack([images, images / 2, 1 - images, np.ones_like(images)], axis=-1)


def test_flat_rows_of_square_rgba_images_warn_that_they_look_interleaved(digits):
    # Non-regression: rows of 8x8 RGBA images are 256 values, a square: they were read as
    # 16x16 grey images, each colour pixel spread over four grey ones, without a word.
    X, y = digits
    rows = _rgba_digits(digits).reshape(len(X), -1)
    with pytest.warns(UserWarning, match=r"look flattened .* Pass image_shape=\(8, 8, 4\)"):
        clf = _fit(rows, y)
    assert clf.input_shape_ == (1, 16, 16)  # the documented reading, now with a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert _fit(rows, y, image_shape=(8, 8, 4)).input_shape_ == (4, 8, 8)
        assert _fit(rows, y, image_shape=(16, 16)).input_shape_ == (1, 16, 16)
        clf.predict(rows)  # a fitted model reads them as its fit did
        # Grey images with 256 values a row, which are also (8, 8, 4) long, do not warn.
        grey = np.kron(X, np.ones((1, 2, 2), np.float32)).reshape(len(X), -1)
        assert _fit(grey, y).input_shape_ == (1, 16, 16)


def test_uint8_images_far_darker_than_the_fit_s_warn(digits):
    # Levels 0-3 (quantised images, label maps) after a fit on [0, 1] floats read as at
    # most 3/255: far from the fit's values, as 0/1 masks are.
    X, y = digits
    clf = _fit(X, y)
    with pytest.warns(UserWarning, match="X is uint8 of levels 0 to 3 only"):
        clf.predict(np.round(X * 3).astype(np.uint8))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        clf.predict(np.round(X * 255).astype(np.uint8))  # the fit's scale
        clf.predict(np.zeros_like(X, dtype=np.uint8))  # zeros on either reading


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda X: X.reshape(len(X), 4, 16), r"input_shape \[1, 4, 16\] \(the checkpoint's"),
        (lambda X: np.round(X * 255).astype(np.uint8), r"pixel_scale 0.0039.*checkpoint's 1.0"),
    ],
    ids=["shape", "scale"],
)
def test_resume_refuses_images_of_another_shape_or_scale(digits, tmp_path, change, match):
    # Non-regression: the checkpoint compared the number of features only, so 8x8 images
    # resumed on 4x16 ones (64 values either way), and floats on uint8 levels.
    X, y = digits
    path = tmp_path / "fit.ckpt"
    _fit(X, y, max_iter=2, checkpoint=path)
    with pytest.raises(ValueError, match="written by a fit on other data: X has " + match):
        _fit(change(X), y, max_iter=3, resume_from=path)
    assert _fit(X, y, max_iter=3, resume_from=path).n_iter_ == 3


def test_a_frame_of_nullable_uint8_pixels_is_read_as_uint8(digits):
    # Non-regression: DataFrame.convert_dtypes() makes uint8 pixel columns 'UInt8', which
    # NumPy turned into int64 values read as given (0-255, where uint8 reads [0, 1]).
    pd = pytest.importorskip("pandas")
    X, y = digits
    frame = pd.DataFrame(np.round(X.reshape(len(X), -1) * 255).astype(np.uint8))
    frame.columns = [f"pixel{i}" for i in range(64)]
    plain = _fit(frame, y)
    nullable = _fit(frame.convert_dtypes(), y)
    assert (frame.convert_dtypes().dtypes == "UInt8").all()
    assert nullable.pixel_scale_ == plain.pixel_scale_ == 1 / 255
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(
            plain.predict_proba(frame.convert_dtypes()), plain.predict_proba(frame)
        )
    assert list(nullable.feature_names_in_) == list(frame.columns)


def test_palette_images_are_read_as_their_colours():
    # Non-regression: NumPy reads a 'P' image (GIF, many PNGs) as its palette indices,
    # which were taken for grey levels.
    Image = pytest.importorskip("PIL.Image")
    rgb = (np.random.RandomState(0).rand(20, 8, 8, 3) * 255).astype(np.uint8)
    palette = [Image.fromarray(a).convert("P") for a in rgb]
    as_rgb = [image.convert("RGB") for image in palette]
    clf = _fit(palette, np.arange(20) % 2)
    assert clf.input_shape_ == (3, 8, 8)
    np.testing.assert_array_equal(clf.predict_proba(palette), clf.predict_proba(as_rgb))


@pytest.mark.parametrize("empty", [[], (), np.zeros((0, 8, 8), np.float32)])
def test_no_images_is_refused_as_zero_samples(fitted, empty):
    # Non-regression: an empty list got scikit-learn's advice for tabular 1D input.
    with pytest.raises(ValueError, match="0 sample"):
        fitted.predict(empty)


def test_a_float32_tensor_predicts_float32(fitted, digits):
    # Non-regression: torch.float32 is not np.float32, so a tensor got float64 outputs.
    X, _ = digits
    proba = fitted.predict_proba(torch.from_numpy(X[:4]))
    assert proba.dtype == np.float32
    np.testing.assert_array_equal(proba, fitted.predict_proba(X[:4]))
