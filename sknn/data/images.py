"""Turning the forms in which users hold images into one float32 ``(N, C, H, W)`` array.

Images arrive as grey stacks ``(n, H, W)``, as channels-first ``(n, C, H, W)`` or
channels-last ``(n, H, W, C)`` batches, or flattened to ``(n, n_features)`` after a
scikit-learn transformer. :func:`to_image_batch` reads all of them, so a convolutional
estimator can sit anywhere in a pipeline.
"""

import math
from collections.abc import Sequence
from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_array

from sknn.data.numeric import to_float32

# Grey, grey plus alpha is rare enough to leave out, RGB, RGBA: the channel counts that let
# 'auto' tell a channel axis from a spatial one.
CHANNEL_COUNTS = frozenset({1, 3, 4})

DATA_FORMATS = ("auto", "first", "last")


def _channels_last(shape: tuple[int, ...], data_format: str) -> bool:
    """Whether a sample of ``shape`` (three axes) has its channels last."""
    if data_format != "auto":
        return data_format == "last"
    first, last = shape[0] in CHANNEL_COUNTS, shape[-1] in CHANNEL_COUNTS
    if last and not first:
        return True
    if first and not last:
        return False
    raise ValueError(
        f"Cannot tell which axis of the image shape {shape} holds the channels; pass "
        "data_format='first' for (C, H, W) or data_format='last' for (H, W, C)."
    )


def _channels_of_batch(sample_shape, data_format, expected_shape) -> bool:
    """Whether a 4D batch's samples of ``sample_shape`` have their channels last. Where
    'auto' cannot tell from the channel counts, a fitted model's ``(C, H, W)`` can: the
    one reading that gives it."""
    if data_format == "auto" and expected_shape is not None:
        expected = tuple(expected_shape)
        first = tuple(sample_shape) == expected
        last = (sample_shape[2], sample_shape[0], sample_shape[1]) == expected
        if first != last:
            return last
    return _channels_last(tuple(sample_shape), data_format)


def _checked_image_shape(image_shape) -> tuple[int, ...]:
    """``image_shape`` as a tuple of ints, refused unless each size is an integer (a
    float such as 8.5, or a bool, would have been truncated to another shape)."""
    try:
        sizes = tuple(image_shape)
    except TypeError:
        raise ValueError(
            f"image_shape must be (H, W), (H, W, C) or (C, H, W), got {image_shape!r}."
        ) from None
    if not all(isinstance(size, Integral) and not isinstance(size, bool) for size in sizes):
        raise ValueError(
            "image_shape must be (H, W), (H, W, C) or (C, H, W) with integer sizes (one of "
            f"them may be -1), got {image_shape!r}."
        )
    return tuple(int(size) for size in sizes)


def _shape_matches(image_shape: Sequence[int], shape: tuple[int, ...]) -> bool:
    """Whether ``image_shape`` (where -1 matches any size) describes ``shape``."""
    return len(image_shape) == len(shape) and all(
        int(want) in (-1, got) for want, got in zip(image_shape, shape, strict=True)
    )


def _as_float32(X: np.ndarray) -> np.ndarray:
    # uint8 is the one dtype with an agreed meaning (0-255 pixel levels); wider integers
    # may be labels or counts, so they keep their values.
    if X.dtype == np.uint8:
        return X.astype(np.float32) / np.float32(255)
    return to_float32(X, validated=True)  # check_array checked it


def _image_shape_of_flat(
    n_features: int, image_shape: Sequence[int] | None, data_format: str
) -> tuple[tuple[int, ...], bool]:
    """The per-sample shape to reshape flat rows into, and whether its channels are last."""
    if image_shape is None:
        side = math.isqrt(n_features)
        if side * side != n_features:
            raise ValueError(
                f"X is 2D with {n_features} features, which is not a square grey image; "
                "pass image_shape=(H, W), (H, W, C) or (C, H, W) to say how to read each "
                "row as an image."
            )
        return (side, side), False
    image_shape = tuple(int(size) for size in image_shape)
    known = [size for size in image_shape if size != -1]
    if (
        len(image_shape) not in (2, 3)
        or not known
        or min(known) < 1
        or len(known) < len(image_shape) - 1
    ):
        raise ValueError(
            "image_shape must be (H, W), (H, W, C) or (C, H, W) with positive sizes (one "
            f"of them may be -1), got {image_shape}."
        )
    if len(known) < len(image_shape):
        # One -1 is inferred from the row length, as in numpy.reshape: image_shape=(1, -1)
        # reads any row as a one-pixel-high strip, whatever the number of features.
        if n_features % math.prod(known):
            raise ValueError(
                f"X has {n_features} features, but image_shape={image_shape} needs a "
                f"multiple of {math.prod(known)} features."
            )
        inferred = n_features // math.prod(known)
        image_shape = tuple(inferred if size == -1 else size for size in image_shape)
    if math.prod(image_shape) != n_features:
        raise ValueError(
            f"X has {n_features} features, but image_shape={image_shape} needs "
            f"{math.prod(image_shape)} features."
        )
    channels_last = len(image_shape) == 3 and _channels_last(image_shape, data_format)
    return image_shape, channels_last


def images_ndim(X) -> int:
    """The number of dimensions of ``X`` read as an array of images.

    Arrays and DataFrames know it; lists and other array-likes only once converted, which
    images of different shapes cannot be: a ValueError names two of the shapes.
    """
    if hasattr(X, "ndim"):
        return X.ndim
    try:
        return np.asarray(X).ndim
    except ValueError:  # NumPy refuses inhomogeneous shapes
        shapes = list(dict.fromkeys(_shape_of_image(x, i) for i, x in enumerate(X)))
        if len(shapes) < 2:
            raise
        raise ValueError(
            f"X holds images of different shapes ({shapes[0]} and {shapes[1]}, among "
            f"{len(shapes)} shapes); the images must share one shape. Resize or crop them "
            "to one shape first."
        ) from None


def _shape_of_image(image, i):
    try:
        return np.shape(image)
    except ValueError:  # NumPy refuses inhomogeneous shapes
        raise ValueError(
            f"Image {i} of X is not a rectangular array: its rows (or channels) have "
            "different lengths."
        ) from None


def unpack_image_column(X):
    """A pandas Series, a one-column DataFrame or a 1-d object array whose entries are
    images, as a list of those images; anything else as it is.

    A column of images (a dataset library's ``df["image"]``) is a form users hold images
    in; NumPy would read it as one object per row. A frame of nullable ``UInt8`` pixel
    columns becomes one of plain uint8 columns.
    """
    X = _nullable_uint8_as_uint8(X)
    if hasattr(X, "columns") and len(X.columns) == 1 and X.dtypes.iloc[0] == np.dtype(object):
        X = X.iloc[:, 0]
    if hasattr(X, "to_numpy") and getattr(X, "ndim", None) == 1:
        values = X.to_numpy()
    elif isinstance(X, np.ndarray) and X.ndim == 1:
        values = X
    else:
        return X
    if values.dtype != object or not all(np.ndim(value) >= 1 for value in values[:1]):
        return X
    return list(values)


def _nullable_uint8_as_uint8(X):
    """A DataFrame of pandas' nullable ``UInt8`` pixel columns (``convert_dtypes()``) as
    one of plain uint8 columns, read as 0-255 levels like it (NumPy would make them
    int64 values, read as given); anything else as it is. Missing values are left for
    the check of X to refuse."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(X, "columns") or len(X.columns) == 0:
        return X
    if not all(str(dtype) == "UInt8" for dtype in dtypes) or X.isna().to_numpy().any():
        return X
    return X.astype(np.uint8)


def _palette_images_as_colours(X):
    """A list of PIL images with the palette ones ('P', 'PA': GIFs, many PNGs) converted
    to their colours, RGB or RGBA: NumPy reads such an image as its palette indices."""
    if not isinstance(X, (list, tuple)) or not X:
        return X
    if not any(type(item).__module__.startswith("PIL.") for item in X):
        return X

    def colours(image):
        mode = getattr(image, "mode", None)
        if mode not in ("P", "PA"):
            return image
        alpha = mode == "PA" or "transparency" in getattr(image, "info", {})
        return image.convert("RGBA" if alpha else "RGB")

    return [colours(item) for item in X]


def refuse_single_image(X):
    """Refuse one PIL image where a batch belongs (NumPy reads it as rows of pixels), and
    an empty list, which scikit-learn's check of 2D X would read as one row of nothing."""
    if type(X).__module__.startswith("PIL."):
        raise ValueError(
            f"X is a single image ({type(X).__name__}); pass a batch of images, e.g. [image]."
        )
    if isinstance(X, (list, tuple)) and len(X) == 0:
        raise ValueError("Found X with 0 sample(s) while a minimum of 1 is required.")


def to_image_batch(
    X,
    *,
    image_shape: Sequence[int] | None = None,
    data_format: str = "auto",
    expected_shape: Sequence[int] | None = None,
    return_dtype: bool = False,
) -> tuple[np.ndarray, tuple[int, int, int]]:
    """Validate images in any supported form and return them as float32 ``(N, C, H, W)``.

    Parameters
    ----------
    X : array-like of shape (n_samples, H, W), (n_samples, C, H, W), \
(n_samples, H, W, C) or (n_samples, n_features)
        The images. uint8 values are scaled from 0-255 to [0, 1]; other integers keep
        their values, booleans become 0 and 1, floats are kept. NaN and infinity are
        rejected.
    image_shape : tuple of int, default=None
        How to read each row of a 2D ``X``: ``(H, W)`` for grey images, ``(H, W, C)`` or
        ``(C, H, W)`` (decided by ``data_format``) otherwise. One entry may be -1, to be
        inferred from the row length as in :func:`numpy.reshape`. If None, a 2D ``X``
        must hold square grey images. For 3D or 4D ``X`` it must be None or equal to
        ``X.shape[1:]``, where -1 matches any size.
    data_format : {'auto', 'first', 'last'}, default='auto'
        Whether the channel axis comes first, ``(C, H, W)``, or last, ``(H, W, C)``, in
        a 4D ``X`` or a 3-element ``image_shape``. 'auto' decides when exactly one of the
        two end axes has 1, 3 or 4 entries and raises a ValueError otherwise.
    expected_shape : tuple of int, default=None
        The ``(C, H, W)`` seen in ``fit``; when given, images of another shape raise a
        ValueError. Pass it on every predict path.
    return_dtype : bool, default=False
        Also return the dtype of the values read, before the conversion to float32
        (uint8 says they were scaled by 1/255).

    Returns
    -------
    images : ndarray of shape (n_samples, C, H, W), dtype float32
        C-contiguous, ready for :func:`torch.from_numpy`.
    shape : tuple of int
        The ``(C, H, W)`` of one image.
    dtype : numpy.dtype
        Only with ``return_dtype=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn.data.images import to_image_batch
    >>> rgb = np.zeros((2, 32, 32, 3), dtype=np.uint8)
    >>> images, shape = to_image_batch(rgb)
    >>> images.shape, images.dtype, shape
    ((2, 3, 32, 32), dtype('float32'), (3, 32, 32))
    >>> flat = np.ones((5, 64))
    >>> to_image_batch(flat)[1]
    (1, 8, 8)
    >>> to_image_batch(np.ones((5, 75)), image_shape=(5, 5, 3))[1]
    (3, 5, 5)
    """
    if data_format not in DATA_FORMATS:
        raise ValueError(
            f"data_format must be one of {', '.join(map(repr, DATA_FORMATS))}, got "
            f"{data_format!r}."
        )
    if image_shape is not None:
        image_shape = _checked_image_shape(image_shape)
    X = _palette_images_as_colours(X)
    try:
        X = check_array(X, allow_nd=True, dtype="numeric", input_name="X")
    except ValueError:
        if not hasattr(X, "ndim"):
            images_ndim(X)  # images of different shapes: say so
        raise
    n_samples = X.shape[0]

    if X.ndim == 2:
        if (
            image_shape is None
            and expected_shape is not None
            and X.shape[1] == math.prod(expected_shape)
        ):
            channels, height, width = (int(size) for size in expected_shape)
            if channels > 1:
                # The order in which the channels were flattened is not in the rows, and a
                # fitted model reads X as its fit did (set_params(image_shape=...) takes
                # effect at the next fit): only unflattened images can say it.
                raise ValueError(
                    f"X is 2D with {X.shape[1]} features, the values of one image of shape "
                    f"(C, H, W) = {tuple(expected_shape)} as the estimator expects, but "
                    "rows can be flattened from (C, H, W) or from (H, W, C) images, which "
                    "cannot be told apart: pass the images unflattened, "
                    f"X.reshape(-1, {channels}, {height}, {width}) or "
                    f"X.reshape(-1, {height}, {width}, {channels}) as they were flattened."
                )
            # Rows of a fitted model's grey images: one reading only, the fitted shape.
            sample_shape, channels_last = (height, width), False
        else:
            sample_shape, channels_last = _image_shape_of_flat(
                X.shape[1], image_shape, data_format
            )
        X = X.reshape(n_samples, *sample_shape)
    elif X.ndim in (3, 4):
        if 0 in X.shape[1:]:
            raise ValueError(
                f"X holds images of shape {X.shape[1:]}: every axis of an image needs at "
                "least one entry."
            )
        # A fitted model knows its images' shape: image_shape, which reads 2D X, is not
        # asked to describe them.
        if (
            image_shape is not None
            and expected_shape is None
            and not _shape_matches(image_shape, X.shape[1:])
        ):
            raise ValueError(
                f"image_shape={tuple(image_shape)} does not match the shape {X.shape[1:]} "
                "of the images in X; image_shape is for reading 2D X and can be left out."
            )
        channels_last = X.ndim == 4 and _channels_of_batch(
            X.shape[1:], data_format, expected_shape
        )
    else:
        raise ValueError(
            f"Found array with dim {X.ndim}. Expected a 2D array of flattened images, a 3D "
            "array of grey images (n_samples, H, W) or a 4D array of images with channels."
        )

    if X.ndim == 3:
        X = X[:, np.newaxis]
    elif channels_last:
        X = X.transpose(0, 3, 1, 2)
    dtype = X.dtype
    images = np.ascontiguousarray(_as_float32(X))
    shape = tuple(int(size) for size in images.shape[1:])

    if expected_shape is not None and shape != tuple(expected_shape):
        raise ValueError(
            f"X has images of shape (C, H, W) = {shape}, but the estimator is expecting "
            f"{tuple(expected_shape)} as input."
        )
    return (images, shape, dtype) if return_dtype else (images, shape)


def pixel_scale_mismatch(fitted_scale, fitted_max, dtype, images):
    """What is wrong when images of ``dtype`` (read as ``images``) reach a model fitted
    on images read with ``fitted_scale`` (1/255 for uint8, else 1) whose largest value,
    as read, was ``fitted_max``; None when nothing is.

    uint8 levels are scaled to [0, 1] and every other dtype is read as given, so the
    same pixels in another container (a list, int64, float64) change scale. Only a
    reading that cannot match the fit's is named: values above 1 after a uint8 fit, or
    uint8 after a fit on values above 1; and, in either direction, a largest value
    :data:`_SCALE_RATIO` times or more away from the fit's, as when masks of 0 and 1
    (``(X > t).astype(np.uint8)``, which uint8 reads as 0 and 1/255) meet the same masks
    as floats or bools (read as 0 and 1).
    """
    scale = 1 / 255 if dtype == np.uint8 else 1.0
    if np.isclose(scale, fitted_scale) or images.size == 0:
        return None
    top = float(images.max())
    if dtype != np.uint8:
        if top > 1:
            return (
                "was fitted on uint8 images, whose 0-255 levels it reads as [0, 1], but X "
                f"holds {dtype} values up to {top:g}, which it reads as given. Pass the "
                "images as uint8, as in fit, or divide them by 255."
            )
        if 0 < fitted_max and top >= _SCALE_RATIO * fitted_max:
            return (
                f"was fitted on uint8 images {_levels(fitted_max)}, which it reads as at "
                f"most {fitted_max:.3g} (levels / 255), but X holds {dtype} values up to "
                f"{top:g}, which it reads as given: {top / fitted_max:.0f} times the fit's "
                "largest. Fit and predict on the same dtype (masks as float32 or bool read "
                "as 0 and 1)."
            )
        return None  # e.g. uint8 pixels divided by 255 beforehand: the fit's scale
    if fitted_max > 1:
        return (
            f"was fitted on images whose values (up to {fitted_max:g}) it reads as given, "
            "but X is uint8, whose 0-255 levels it reads as [0, 1]. Pass the images as "
            "floats, as in fit (X.astype(np.float32))."
        )
    if 0 < top and fitted_max >= _SCALE_RATIO * top:
        return (
            f"was fitted on images whose values (up to {fitted_max:g}) it reads as given, "
            f"but X is uint8 {_levels(top)}, which it reads as at most {top:.3g} (levels "
            f"/ 255): {fitted_max / top:.0f} times smaller. Pass them as floats, as in fit "
            "(X.astype(np.float32))."
        )
    return None


#: How many times larger (or smaller) than the fit's the largest value of images read on
#: the other scale must be to be named: masks of 0 and 1 are 255 times away, while images
#: 50 times darker than the fit's brightest are next to black on either reading.
_SCALE_RATIO = 50


def _levels(top):
    """How to name uint8 levels whose largest, read, is ``top``."""
    level = round(top * 255)
    return "of levels 0 and 1 only" if level <= 1 else f"of levels 0 to {level} only"


#: The largest value, as read, of uint8 images whose levels are only 0 and 1 (masks).
_MASK_TOP = 1.5 / 255


def uint8_mask_warning(dtype, images):
    """The warning text for fitting on uint8 images of levels 0 and 1 only (binary masks,
    ``(X > t).astype(np.uint8)``), which uint8's 0-255 reading turns into 0 and 1/255, or
    None."""
    if dtype != np.uint8 or images.size == 0 or float(images.max()) > _MASK_TOP:
        return None
    return (
        "X is uint8 with levels 0 and 1 only; uint8 images are read as 0-255 levels scaled "
        "to [0, 1], so these train as 0 and 1/255, inputs almost all zero. Pass binary "
        "masks as float32 or bool (X.astype(np.float32)) to read them as 0 and 1, or as "
        "0 and 255 in uint8."
    )


#: How much smaller the mean step between values ``C`` apart must be than between
#: neighbours for rows to look flattened from ``(H, W, C)`` images: 0.07 to 0.36 for RGB
#: and RGBA photographs and digits, 1.4 to 4 for grey ones (neighbours are alike) and 1
#: for noise.
_INTERLEAVED_RATIO = 0.5


def interleaved_channels_warning(rows):
    """The warning text for flat rows read as square grey images that look flattened from
    ``(H, W, C)`` colour images instead, or None.

    Rows of square RGBA images are square themselves (``H * W * 4 == (2H) ** 2``), so their
    length cannot tell them from grey images twice the size. Their values can: in rows of
    ``(H, W, C)`` images, neighbouring values are different channels of one pixel (colour
    next to alpha) and values ``C`` apart the same channel of neighbouring pixels, which
    are alike, while in grey images neighbours are the closest values of all.
    """
    n_features = rows.shape[1]
    sample = np.asarray(rows[:1000], dtype=np.float64)

    def step(lag):
        return float(np.abs(sample[:, lag:] - sample[:, :-lag]).mean())

    # Against the closer of lags 1 and 2, so that a grey texture of period 2 (dithering,
    # a checkerboard) is not taken for channels.
    nearest = min(step(1), step(2)) if n_features > 2 else 0.0
    if not nearest > 0:
        return None
    ratios = {
        channels: step(channels) / nearest
        for channels in (4, 3)
        if n_features % channels == 0 and n_features > 2 * channels
    }
    if not ratios or min(ratios.values()) >= _INTERLEAVED_RATIO:
        return None
    channels = min(ratios, key=ratios.get)
    side = math.isqrt(n_features)
    pixels = n_features // channels
    example = (
        f"image_shape=({math.isqrt(pixels)}, {math.isqrt(pixels)}, {channels})"
        if math.isqrt(pixels) ** 2 == pixels
        else f"image_shape=(H, W, {channels}) with H * W = {pixels}"
    )
    return (
        f"X is 2D with {n_features} features, read as square grey images of {side}x{side} "
        f"(image_shape=None), but its rows look flattened from images with {channels} "
        f"channels last: values {channels} apart are closer than neighbouring values, as "
        f"with the channels of one pixel side by side. Pass {example} (rows of (H, W, C) "
        f"images) if they are, or image_shape=({side}, {side}) to read them as grey "
        "images without this warning."
    )
