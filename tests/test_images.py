"""Tests for image input conversion and on-device augmentation."""

import re

import numpy as np
import pandas as pd
import pytest
import torch

from sknn.data.augment import RandomShiftFlip
from sknn.data.images import (
    interleaved_channels_warning,
    pixel_scale_mismatch,
    to_image_batch,
)


def _images(shape, seed=0):
    return np.random.default_rng(seed).random(shape).astype(np.float32)


# --- input forms -----------------------------------------------------------------------


def test_grey_stack_gets_a_channel_axis():
    X = _images((4, 5, 6))
    images, shape = to_image_batch(X)
    assert shape == (1, 5, 6)
    np.testing.assert_array_equal(images[:, 0], X)


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_channels_first_is_detected_and_kept(channels):
    X = _images((2, channels, 7, 9))
    images, shape = to_image_batch(X)
    assert shape == (channels, 7, 9)
    np.testing.assert_array_equal(images, X)


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_channels_last_is_detected_and_moved_first(channels):
    X = _images((2, 7, 9, channels))
    images, shape = to_image_batch(X)
    assert shape == (channels, 7, 9)
    np.testing.assert_array_equal(images, X.transpose(0, 3, 1, 2))
    assert images.flags.c_contiguous


@pytest.mark.parametrize("data_format, shape", [("first", (3, 8, 3)), ("last", (3, 3, 8))])
def test_data_format_settles_ambiguous_batches(data_format, shape):
    images, image_shape = to_image_batch(_images((2, 3, 8, 3)), data_format=data_format)
    assert image_shape == shape
    assert images.shape == (2, *shape)


def test_data_format_overrides_detection():
    # 'auto' would call this channels-last; the user says otherwise.
    images, shape = to_image_batch(_images((2, 16, 16, 3)), data_format="first")
    assert shape == (16, 16, 3)


@pytest.mark.parametrize("sample_shape", [(3, 8, 3), (5, 8, 8), (1, 1, 1)])
def test_ambiguous_channel_axis_asks_for_data_format(sample_shape):
    with pytest.raises(ValueError, match="Cannot tell which axis .* pass data_format='first'"):
        to_image_batch(_images((2, *sample_shape)))


def test_flat_square_rows_are_grey_images():
    X = _images((3, 36))
    images, shape = to_image_batch(X)
    assert shape == (1, 6, 6)
    np.testing.assert_array_equal(images.reshape(3, 36), X)


def test_flat_rows_with_grey_image_shape():
    X = _images((3, 24))
    images, shape = to_image_batch(X, image_shape=(4, 6))
    assert shape == (1, 4, 6)
    np.testing.assert_array_equal(images[:, 0], X.reshape(3, 4, 6))


@pytest.mark.parametrize("image_shape", [(4, 6.5), (True, 24), ("4", "6"), 24])
def test_an_image_shape_of_non_integer_sizes_is_refused(image_shape):
    # (4, 6.5) was truncated to (4, 6) and True read as 1: another shape, silently.
    with pytest.raises(ValueError, match="image_shape must be"):
        to_image_batch(_images((3, 24)), image_shape=image_shape)
    assert to_image_batch(_images((3, 24)), image_shape=(np.int64(4), -1))[1] == (1, 4, 6)


@pytest.mark.parametrize("data_format", ["auto", "last"])
def test_flat_rows_of_channels_last_images_round_trip(data_format):
    X = _images((3, 5, 4, 3))
    images, shape = to_image_batch(
        X.reshape(3, -1), image_shape=(5, 4, 3), data_format=data_format
    )
    assert shape == (3, 5, 4)
    np.testing.assert_array_equal(images, X.transpose(0, 3, 1, 2))


@pytest.mark.parametrize("data_format", ["auto", "first"])
def test_flat_rows_of_channels_first_images_round_trip(data_format):
    X = _images((3, 3, 5, 6))
    images, shape = to_image_batch(
        X.reshape(3, -1), image_shape=(3, 5, 6), data_format=data_format
    )
    assert shape == (3, 5, 6)
    np.testing.assert_array_equal(images, X)


def test_flat_dataframe_is_accepted():
    X = pd.DataFrame(_images((2, 16)))
    assert to_image_batch(X)[0].shape == (2, 1, 4, 4)


def test_image_shape_matching_nd_input_is_allowed():
    assert to_image_batch(_images((2, 6, 6, 3)), image_shape=(6, 6, 3))[1] == (3, 6, 6)


# --- dtypes ----------------------------------------------------------------------------


def test_uint8_is_scaled_to_unit_interval():
    X = np.array([[[0, 51], [102, 255]]], dtype=np.uint8)
    images, _ = to_image_batch(X)
    assert images.dtype == np.float32
    np.testing.assert_allclose(images[0, 0], [[0, 0.2], [0.4, 1.0]], rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.int16, np.int64, np.uint16])
def test_other_integers_keep_their_values(dtype):
    X = np.array([[[0, 3], [200, 1000]]], dtype=dtype)
    images, _ = to_image_batch(X)
    assert images.dtype == np.float32
    np.testing.assert_array_equal(images[0, 0], [[0, 3], [200, 1000]])


def test_bools_become_zero_and_one():
    X = np.array([[[True, False], [False, True]]])
    np.testing.assert_array_equal(to_image_batch(X)[0][0, 0], [[1, 0], [0, 1]])


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_floats_are_kept_as_float32(dtype):
    X = np.full((1, 2, 2), 1.5, dtype=dtype)
    images, _ = to_image_batch(X)
    assert images.dtype == np.float32
    np.testing.assert_array_equal(images, 1.5)


# --- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize("value, match", [(np.nan, "Input X contains NaN"), (np.inf, "infinity")])
def test_non_finite_values_are_rejected(value, match):
    X = _images((2, 3, 4, 4))
    X[1, 2, 3, 0] = value
    with pytest.raises(ValueError, match=match):
        to_image_batch(X)


def test_1d_input_is_rejected():
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        to_image_batch(np.zeros(16))


def test_5d_input_is_rejected():
    with pytest.raises(ValueError, match="Found array with dim 5"):
        to_image_batch(np.zeros((2, 1, 3, 4, 4)))


def test_images_of_different_shapes_are_named():
    images = [np.zeros((8, 8)), np.zeros((8, 8)), np.zeros((9, 7))]
    with pytest.raises(ValueError, match=r"different shapes \(\(8, 8\) and \(9, 7\), among 2"):
        to_image_batch(images)


def test_flat_non_square_rows_need_image_shape():
    with pytest.raises(ValueError, match="15 features, which is not a square .* image_shape"):
        to_image_batch(np.zeros((2, 15)))


@pytest.mark.parametrize("image_shape", [(4, 4), (2, 2, 2), (3, 5, 1)])
def test_wrong_number_of_features_for_image_shape(image_shape):
    with pytest.raises(ValueError, match=r"X has 12 features, but image_shape=.* needs"):
        to_image_batch(np.zeros((2, 12)), image_shape=image_shape)


@pytest.mark.parametrize("image_shape", [(12,), (1, 2, 3, 2), (0, 12)])
def test_malformed_image_shape(image_shape):
    with pytest.raises(ValueError, match="image_shape must be"):
        to_image_batch(np.zeros((2, 12)), image_shape=image_shape)


def test_ambiguous_flat_image_shape_asks_for_data_format():
    with pytest.raises(ValueError, match="Cannot tell which axis"):
        to_image_batch(np.zeros((2, 27)), image_shape=(3, 3, 3))


def test_image_shape_contradicting_nd_input():
    with pytest.raises(ValueError, match=r"image_shape=\(3, 6, 6\) does not match"):
        to_image_batch(np.zeros((2, 6, 6, 3)), image_shape=(3, 6, 6))


def test_unknown_data_format():
    with pytest.raises(ValueError, match="data_format must be one of 'auto', 'first', 'last'"):
        to_image_batch(np.zeros((2, 4, 4)), data_format="channels_last")


def test_expected_shape_mismatch():
    to_image_batch(np.zeros((2, 4, 4)), expected_shape=(1, 4, 4))
    with pytest.raises(ValueError, match=r"\(1, 4, 5\), but the estimator is expecting"):
        to_image_batch(np.zeros((2, 4, 5)), expected_shape=(1, 4, 4))


def test_flat_colour_rows_for_a_fitted_shape_name_both_orders():
    # The rows' length fits, but not which of (C, H, W) and (H, W, C) they were flattened
    # from; image_shape, which a fitted model does not read, is not the advice.
    with pytest.raises(ValueError, match=r"reshape\(-1, 3, 4, 5\) or X.reshape\(-1, 4, 5, 3\)"):
        to_image_batch(np.zeros((2, 60)), expected_shape=(3, 4, 5))
    assert to_image_batch(np.zeros((2, 20)), expected_shape=(1, 4, 5))[1] == (1, 4, 5)


@pytest.mark.parametrize(
    "fitted_scale, fitted_max, dtype, top, match",
    [
        (1 / 255, 1 / 255, np.float32, 1.0, "uint8 images of levels 0 and 1 only"),
        (1 / 255, 3 / 255, np.float64, 1.0, "uint8 images of levels 0 to 3 only"),
        (1.0, 1.0, np.uint8, 1 / 255, "X is uint8 of levels 0 and 1 only"),
        (1.0, 0.9, np.uint8, 4 / 255, "X is uint8 of levels 0 to 4 only"),
        (1.0, 200.0, np.uint8, 1.0, "it reads as given, but X is uint8"),
        (1 / 255, 1.0, np.float32, 200.0, "values up to 200"),
    ],
)
def test_pixels_on_the_other_scale_are_named(fitted_scale, fitted_max, dtype, top, match):
    images = np.array([0.0, top], np.float32)
    message = pixel_scale_mismatch(fitted_scale, fitted_max, np.dtype(dtype), images)
    assert re.search(match, message)


@pytest.mark.parametrize(
    "fitted_scale, fitted_max, dtype, top",
    [
        (1 / 255, 1.0, np.float32, 1.0),  # uint8 pixels divided by 255 beforehand
        (1.0, 1.0, np.uint8, 200 / 255),  # float pixels in [0, 1], then uint8 levels
        (1.0, 1.0, np.uint8, 0.0),  # zeros read the same either way
        (1 / 255, 1 / 255, np.float32, 0.0),
        (1.0, 1.0, np.float32, 1.0),  # the fit's dtype
    ],
)
def test_pixels_on_the_fit_s_scale_are_not_named(fitted_scale, fitted_max, dtype, top):
    images = np.array([0.0, top], np.float32)
    assert pixel_scale_mismatch(fitted_scale, fitted_max, np.dtype(dtype), images) is None


def test_rows_of_interleaved_channels_are_told_from_grey_rows():
    grey = np.kron(_images((30, 4, 4)), np.ones((4, 4), np.float32))  # smooth 16x16
    assert interleaved_channels_warning(grey.reshape(30, -1)) is None
    assert interleaved_channels_warning(_images((30, 256))) is None  # noise: cannot tell
    checkerboard = np.indices((16, 16)).sum(axis=0) % 2 * _images((30, 1, 1))
    assert interleaved_channels_warning(checkerboard.reshape(30, -1)) is None
    small = grey[:, ::2, ::2]
    rgba = np.stack([small, small / 2, 1 - small, np.ones_like(small)], axis=-1)
    assert "image_shape=(8, 8, 4)" in interleaved_channels_warning(rgba.reshape(30, -1))
    oblong = grey[:, :12, :9]
    rgb = np.stack([oblong, 1 - oblong, oblong / 2], axis=-1)
    message = interleaved_channels_warning(rgb.reshape(30, -1))  # 324 values: 18x18
    assert "image_shape=(H, W, 3) with H * W = 108" in message


def test_empty_input_is_rejected():
    with pytest.raises(ValueError, match="0 sample"):
        to_image_batch(np.zeros((0, 4, 4)))


# --- augmentation ----------------------------------------------------------------------


def _batch():
    return torch.rand(16, 3, 10, 12, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("shift, flip", [(2, False), (0, True), (3, True)])
def test_augmentation_keeps_shape_and_changes_images(shift, flip):
    x = _batch()
    out = RandomShiftFlip(shift, flip)(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape and out.dtype == x.dtype
    changed = (out != x).flatten(1).any(1)
    assert changed.sum() >= 4  # some images may draw the identity, most must not


def test_augmentation_off_or_in_eval_is_identity():
    x = _batch()
    assert RandomShiftFlip()(x, torch.Generator()) is x
    augment = RandomShiftFlip(2, True).eval()
    assert augment(x, torch.Generator()) is x


def test_augmentation_is_reproducible_from_the_generator_seed():
    x = _batch()
    augment = RandomShiftFlip(2, True)
    first = augment(x, torch.Generator().manual_seed(7))
    assert torch.equal(first, augment(x, torch.Generator().manual_seed(7)))
    assert not torch.equal(first, augment(x, torch.Generator().manual_seed(8)))


def test_shift_is_a_zero_padded_translation_per_image():
    x = torch.arange(1, 1 + 2 * 6 * 6, dtype=torch.float32).reshape(2, 1, 6, 6)
    out = RandomShiftFlip(shift=2)(x, torch.Generator().manual_seed(3))
    for image, shifted in zip(x[:, 0], out[:, 0], strict=True):
        # Find the translation from the surviving values and check every pixel against it.
        kept = shifted[shifted > 0]
        assert kept.numel() > 0
        row, col = divmod(int(kept[0] - image[0, 0]), 6)
        top, left = torch.nonzero(shifted == kept[0])[0].tolist()
        dy, dx = top - row, left - col
        assert abs(dy) <= 2 and abs(dx) <= 2
        expected = torch.zeros_like(image)
        expected[max(dy, 0) : 6 + min(dy, 0), max(dx, 0) : 6 + min(dx, 0)] = image[
            max(-dy, 0) : 6 + min(-dy, 0), max(-dx, 0) : 6 + min(-dx, 0)
        ]
        assert torch.equal(shifted, expected)


def test_flip_mirrors_whole_images():
    x = _batch()
    out = RandomShiftFlip(flip=True)(x, torch.Generator().manual_seed(0))
    flipped = torch.tensor([torch.equal(o, i.flip(-1)) for o, i in zip(out, x, strict=True)])
    kept = torch.tensor([torch.equal(o, i) for o, i in zip(out, x, strict=True)])
    assert (flipped | kept).all() and flipped.any() and kept.any()


@pytest.mark.parametrize("shift", [-1, 1.5, True])
def test_bad_shift_is_rejected(shift):
    with pytest.raises(ValueError, match="shift must be a non-negative int"):
        RandomShiftFlip(shift=shift)
