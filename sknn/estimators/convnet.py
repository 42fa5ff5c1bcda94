"""Convolutional network classifier for images, usable as a feature extractor too."""

import contextlib
import math
import warnings
from collections import OrderedDict
from numbers import Real

import numpy as np
import torch
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from sknn import _sizes
from sknn._constraints import Count, positive_sizes
from sknn._docstrings import fill_doc
from sknn._stacklevel import stacklevel_outside_sknn
from sknn.base import (
    BaseNeuralNet,
    NeuralNetClassifierMixin,
)
from sknn.data.augment import RandomShiftFlip
from sknn.data.images import (
    DATA_FORMATS,
    images_ndim,
    interleaved_channels_warning,
    pixel_scale_mismatch,
    refuse_single_image,
    to_image_batch,
    uint8_mask_warning,
    unpack_image_column,
)
from sknn.modules.convnet import ACTIVATIONS, ConvNetModule

#: Pixels (N * H * W) per forward pass when predicting: the base's 65536 rows are fine for
#: an MLP but, as images, would make activation maps of many gigabytes.
PREDICT_PIXELS = 2**22


@fill_doc
class ConvNetClassifier(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, NeuralNetClassifierMixin, BaseNeuralNet
):
    """Convolutional neural network classifier for images, on the GPU when there is one.

    Takes images as NumPy arrays of shape ``(n_samples, H, W)``, ``(n_samples, C, H, W)``
    or ``(n_samples, H, W, C)`` (uint8 pixels are scaled to [0, 1]), or flattened to
    ``(n_samples, n_features)`` with ``image_shape``, so it also works after scikit-learn
    transformers. The network is built from the parameters below, its sizes worked out
    from the images seen in ``fit``: convolution blocks (plain or residual) with optional
    batch norm, pooling and dropout, optional global average pooling, hidden dense layers,
    and a final linear layer to the classes. :meth:`transform` returns the activations
    before that final layer, so a fitted network is a learned feature extractor in a
    :class:`~sklearn.pipeline.Pipeline`.

    Read more in the :ref:`User Guide <images>`.

    Parameters
    ----------
    %(training_parameters)s

    channels : int or tuple of int, default=(32, 64)
        Output channels of each convolution block; the number of entries is the number of
        blocks.

    kernel_size : int, default=3
        Side of the square convolution kernels.

    stride : int, default=1
        Stride of the first convolution of each block.

    padding : {'same', 'valid'} or int, default='same'
        'same' pads so each convolution gives ``ceil(size / stride)``; 'valid' does not
        pad; an int pads that many zeros on every side.

    pooling : {'max', 'avg'} or None, default='max'
        Pooling after each block, with window and stride ``pool_size``; None for none.

    pool_size : int, default=2
        Window and stride of the pooling.

    batch_norm : bool, default=False
        Batch normalisation after every convolution.

    dropout : float, default=0.0
        Dropout probability after each block and each hidden dense layer.

    residual : bool, default=False
        Make each block a ResNet basic block (two convolutions and a skip connection);
        needs a size-keeping ``padding`` such as 'same'.

    global_pool : bool, default=False
        Average each channel of the last block over its positions before the dense
        layers, instead of flattening the maps.

    dense_sizes : int or tuple of int, default=(128,)
        Sizes of the hidden dense layers after the blocks; ``()`` for a linear head.

    activation : {'relu', 'gelu', 'leaky_relu', 'elu', 'silu', 'tanh'}, default='relu'
        Activation after every convolution block and hidden dense layer.

    image_shape : tuple of int, default=None
        How to read each row of a 2-D ``X``: ``(H, W)`` for grey images, ``(H, W, C)`` or
        ``(C, H, W)`` (see ``data_format``). One entry may be -1, inferred from the row
        length as in :func:`numpy.reshape`. None reads 2-D rows as square grey images.
        Not needed for 3-D or 4-D ``X``.

    data_format : {'auto', 'first', 'last'}, default='auto'
        Whether channels come first ``(C, H, W)`` or last ``(H, W, C)`` in 4-D ``X`` or a
        3-entry ``image_shape``; 'auto' decides when exactly one end axis has 1, 3 or 4
        entries and raises otherwise.

    augment_shift : int, default=0
        Data augmentation: shift each training image by up to this many pixels along
        each axis (zero padded); 0 for none.

    augment_flip : bool, default=False
        Data augmentation: mirror each training image left to right with probability 0.5.
        Right for photographs, wrong for digits and text.

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes in the loss, multiplied with ``sample_weight``.
        ``partial_fit`` refuses 'balanced', as scikit-learn's ``SGDClassifier`` does.

    label_smoothing : float, default=0.0
        Label smoothing of the classification loss: the target puts
        ``1 - label_smoothing`` on the true class and spreads the rest uniformly.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray of shape (n_classes,)
        Class labels, in the order of :meth:`predict_proba`'s columns.

    %(training_attributes)s

    input_shape_ : tuple of int
        Shape ``(C, H, W)`` of one image as the network reads it, channels first.

    pixel_scale_ : float
        How the fit read the pixels: 1/255 for uint8 images (0-255 levels to [0, 1]),
        1.0 for every other dtype (read as given). Images read on another scale at
        predict (the same 0-255 pixels as a list or as floats after a uint8 fit) give a
        ``UserWarning``.

    n_features_out_ : int
        Number of features :meth:`transform` returns per image.

    See Also
    --------
    MLPClassifier : Fully connected network classifier on flat features.

    Notes
    -----
    The module is ``nn.Sequential(augment=RandomShiftFlip, convnet=ConvNetModule)``. The
    augmentation is on the training device and only in training mode, so predictions,
    validation scores and :meth:`transform` see the images as given; it draws from torch's
    generator seeded by ``random_state``, so seeded fits stay reproducible. Augmentation
    needs a stochastic solver: it is refused with ``solver='lbfgs'``, whose line search
    needs the same loss at every evaluation.

    Unlike :class:`MLPClassifier`, the default ``max_iter`` is 20 epochs: a
    convolutional network's training loss keeps falling long after its test accuracy
    has levelled off, so scikit-learn's stopping rule would rarely end training sooner.
    Use ``early_stopping=True`` to stop on a held-out score instead.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sknn.estimators.convnet import ConvNetClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> images = X.reshape(-1, 8, 8) / 16
    >>> clf = ConvNetClassifier(channels=(8,), dense_sizes=(), max_iter=10,
    ...                         learning_rate_init=0.01, random_state=0, device="cpu")
    >>> clf.fit(images[:500], y[:500]).predict_proba(images[500:502]).shape
    (2, 10)
    >>> bool(clf.score(images[500:], y[500:]) > 0.7)
    True
    >>> clf.transform(images[:3]).shape
    (3, 128)
    """

    _parameter_constraints: dict = {
        **BaseNeuralNet._parameter_constraints,
        "channels": ["array-like", Count(1, None, closed="left")],
        "kernel_size": [Count(1, None, closed="left")],
        "stride": [Count(1, None, closed="left")],
        "padding": [
            StrOptions({"same", "valid"}),
            Count(0, None, closed="left"),
        ],
        "pooling": [StrOptions({"max", "avg"}), None],
        "pool_size": [Count(1, None, closed="left")],
        "batch_norm": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "residual": ["boolean"],
        "global_pool": ["boolean"],
        "dense_sizes": ["array-like", Count(1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "image_shape": ["array-like", None],
        "data_format": [StrOptions(set(DATA_FORMATS))],
        "augment_shift": [Count(0, None, closed="left")],
        "augment_flip": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=20,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        weight_decay=0.0,
        device="auto",
        callbacks=None,
        warmup=0,
        min_lr=0.0,
        l1=0.0,
        grad_clip=None,
        n_init=1,
        ensemble="best",
        precision="auto",
        compile=False,
        cuda_graph="auto",
        stream_data="auto",
        checkpoint=None,
        resume_from=None,
        channels=(32, 64),
        kernel_size=3,
        stride=1,
        padding="same",
        pooling="max",
        pool_size=2,
        batch_norm=False,
        dropout=0.0,
        residual=False,
        global_pool=False,
        dense_sizes=(128,),
        activation="relu",
        image_shape=None,
        data_format="auto",
        augment_shift=0,
        augment_flip=False,
        class_weight=None,
        label_smoothing=0.0,
    ):
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.weight_decay = weight_decay
        self.device = device
        self.callbacks = callbacks
        self.warmup = warmup
        self.min_lr = min_lr
        self.l1 = l1
        self.grad_clip = grad_clip
        self.n_init = n_init
        self.ensemble = ensemble
        self.precision = precision
        self.compile = compile
        self.cuda_graph = cuda_graph
        self.stream_data = stream_data
        self.checkpoint = checkpoint
        self.resume_from = resume_from
        self.channels = channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.pooling = pooling
        self.pool_size = pool_size
        self.batch_norm = batch_norm
        self.dropout = dropout
        self.residual = residual
        self.global_pool = global_pool
        self.dense_sizes = dense_sizes
        self.activation = activation
        self.image_shape = image_shape
        self.data_format = data_format
        self.augment_shift = augment_shift
        self.augment_flip = augment_flip
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing

    # -- hooks of the base --------------------------------------------------------------
    def _validate_X_y(self, X, y, reset, sample_weight=None):
        positive_sizes(self.channels, "channels")
        positive_sizes(self.dense_sizes, "dense_sizes", allow_empty=True)
        if self.solver == "lbfgs" and (self.augment_shift or self.augment_flip):
            raise ValueError(
                "Data augmentation (augment_shift, augment_flip) needs a stochastic solver; "
                "solver='lbfgs' line-searches on a loss that must not change between "
                "evaluations."
            )
        expected = None if reset else self.input_shape_
        refuse_single_image(X)
        X = unpack_image_column(X)
        if images_ndim(X) <= 2:
            # The flat form: scikit-learn's own checks (feature count, feature names).
            X, y = validate_data(self, X, y, multi_output=True, dtype="numeric", reset=reset)
            images, shape = self._to_images(X, expected, reset)
        else:
            images, shape = self._to_images(X, expected, reset)
            _, y = validate_data(
                self, images.reshape(len(images), -1), y, multi_output=True, reset=reset
            )
        if reset:
            self.input_shape_ = shape
        return images, self._validate_targets(y)

    def _validate_X(self, X):
        refuse_single_image(X)
        X = unpack_image_column(X)
        if images_ndim(X) <= 2:
            X = validate_data(self, X, dtype="numeric", reset=False)
        return self._to_images(X, self.input_shape_, reset=False)[0]

    def _to_images(self, X, expected_shape, reset):
        # A fitted model reads X as its fit did: set_params(image_shape=...) takes effect
        # at the next fit, as in scikit-learn.
        with contextlib.nullcontext() if reset else self._fitted_params():
            images, shape, dtype = to_image_batch(
                X,
                image_shape=self.image_shape,
                data_format=self.data_format,
                expected_shape=expected_shape,
                return_dtype=True,
            )
        if reset:
            self.pixel_scale_ = 1 / 255 if dtype == np.uint8 else 1.0
            self._pixel_max = float(images.max()) if images.size else 0.0
            warned = [uint8_mask_warning(dtype, images)]
            if self.image_shape is None and getattr(X, "ndim", None) == 2:
                # Read as square grey images, the one reading a row's length allows.
                warned.append(interleaved_channels_warning(images.reshape(len(images), -1)))
            for message in filter(None, warned):
                warnings.warn(message, UserWarning, stacklevel=stacklevel_outside_sknn())
        elif hasattr(self, "pixel_scale_"):
            mismatch = pixel_scale_mismatch(self.pixel_scale_, self._pixel_max, dtype, images)
            if mismatch is not None:
                warnings.warn(
                    f"{type(self).__name__} {mismatch}",
                    UserWarning,
                    stacklevel=stacklevel_outside_sknn(),
                )
        return images, shape

    def _fitted_preprocessing_params(self):
        # How rows and batches become (C, H, W) images: continuing a fit with another
        # reading of the same shape would train on pixels in another order.
        return ("image_shape", "data_format")

    def _graph_blocker(self):
        return None  # images of one shape; augmentation draws from the graph-safe RNG

    def _bf16_helps(self, device):
        return True  # convolutions run on bfloat16 tensor cores

    def _build_module(self, X, n_outputs):
        # NumPy numbers (a grid over np.arange) become Python ones in ConvNetModule.
        convnet = ConvNetModule(
            X.shape[1:],
            n_outputs,
            channels=positive_sizes(self.channels, "channels"),
            kernel_size=self.kernel_size,
            stride=self.stride,
            padding=self.padding,
            pooling=self.pooling,
            pool_size=self.pool_size,
            batch_norm=self.batch_norm,
            dropout=self.dropout,
            residual=self.residual,
            global_pool=self.global_pool,
            dense_sizes=positive_sizes(self.dense_sizes, "dense_sizes", allow_empty=True),
            activation=self.activation,
        )
        # Part of the module, so it runs on the training device, only in training mode,
        # and draws from the torch generator the base seeds for the fit.
        augment = self._augmentation(X.shape[2:])
        return nn.Sequential(OrderedDict(augment=augment, convnet=convnet))

    def _augmentation(self, image_size):
        height, width = image_size
        if self.augment_shift >= min(height, width):
            raise ValueError(
                f"augment_shift={self.augment_shift} must be smaller than the images' height "
                f"and width ({height}x{width}): a larger shift moves the whole image out of "
                "the frame."
            )
        return RandomShiftFlip(int(self.augment_shift), bool(self.augment_flip))

    def _training_only_layers(self):
        # A changed augmentation continues the same network: only training sees it.
        return {"augment": self._augmentation(self._module_input["shape"][1:])}

    def _training_only_params(self):
        return ("augment_shift", "augment_flip")

    def _resume_signature(self):
        # Flat features do not tell 8x8 images from 4x16 ones, nor uint8 levels from floats.
        return {"input_shape": list(self.input_shape_), "pixel_scale": self.pixel_scale_}

    def _activation_values(self, X):
        # What the backward pass must keep of one training batch: each convolution's
        # output, or a tensor of its size (the activation's output, the pooling's input).
        # Measured by a forward pass of one image on the meta device (no memory). The
        # skip projections of residual blocks are left out: without batch norm their
        # output is summed and freed, so counting it could refuse a fit that fits.
        outputs = []

        def record(layer, inputs, output):
            outputs.append(output.numel())

        rows = self._training_batch_rows(len(X))
        try:
            with torch.device("meta"):
                module = self._build_module_quietly(X)
                convolutions = [
                    layer
                    for name, layer in module.named_modules()
                    if isinstance(layer, nn.Conv2d) and ".shortcut." not in name
                ]
                # Computing on the meta device imports torch's compiler stack (1-2 s): only
                # where an upper bound (no convolution shrinks the image by more than its
                # padding grows it) could pass the machine's memory.
                height, width = X.shape[2:]
                ceiling = rows * sum(
                    layer.out_channels
                    * (height + 2 * _padding(layer, 0))
                    * (width + 2 * _padding(layer, 1))
                    for layer in convolutions
                )
                limit = _sizes.memory_limit(self.device_)
                if limit is None or 4 * ceiling <= limit // 2:
                    return 0
                for layer in convolutions:
                    layer.register_forward_hook(record)
                module.eval()(torch.empty((1, *X.shape[1:]), device="meta"))
        except (RuntimeError, ValueError, OverflowError):
            return 0  # the build's own checks say what is wrong
        values = sum(outputs) * rows
        if self._resolve_precision(self.device_) != "float32":
            values //= 2  # autocast keeps 16-bit activations: half a float32 value each
        return values

    def _training_batch_rows(self, n_samples):
        # The rows of a training batch, as the fit will draw them from n_samples rows
        # (early_stopping holds out ceil(validation_fraction * n), as train_test_split
        # does), without _batch_size's warning, which the fit gives.
        n_train = n_samples
        if self.early_stopping and n_samples > 1:
            n_train = max(1, n_samples - math.ceil(self.validation_fraction * n_samples))
        if self.solver == "lbfgs":
            return n_train
        if self.batch_size == "auto":
            return min(200, n_train)
        return int(np.clip(self.batch_size, 1, n_train))

    def _module_sizes(self):
        return {
            "batch_size": self.batch_size,
            "channels": self.channels,
            "kernel_size": self.kernel_size,
            "dense_sizes": self.dense_sizes,
            "input_shape_": self.input_shape_,
        }

    # -- prediction -----------------------------------------------------------------------
    def _predict_batch_rows(self, X):
        # A batch of ~4M pixels: 65,536 whole images at once would need gigabytes of
        # activation maps.
        return max(1, PREDICT_PIXELS // (X.shape[2] * X.shape[3]))

    def transform(self, X):
        """Learned features: the activations before the final linear layer.

        With the default head these are the outputs of the last hidden dense layer; with
        ``dense_sizes=()`` the flattened (or, with ``global_pool``, averaged) maps of the
        last convolution block. In a :class:`~sklearn.pipeline.Pipeline` the network is
        fitted on the labels, then its features feed the next step. After ``n_init > 1``
        these are the features of the kept network (``best_init_``), also with
        ``ensemble='average'``, whose ``predict_proba`` averages every run: the runs'
        features are not averaged, since each network learns features of its own.

        Parameters
        ----------
        X : array-like of shape (n_samples, H, W), (n_samples, C, H, W), \
(n_samples, H, W, C) or (n_samples, n_features)
            The images, in the form used in ``fit``.

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out_), dtype float32
            The features of each image.
        """
        check_is_fitted(self)
        images = self._validate_X(X)
        return self._raw_outputs(images, forward=self.net_.module_.convnet.features).numpy()

    @property
    def n_features_out_(self):
        """Number of features :meth:`transform` returns per image."""
        check_is_fitted(self)
        return self.net_.module_.convnet.n_features

    @property
    def _n_features_out(self):
        # Read by ClassNamePrefixFeaturesOutMixin.get_feature_names_out.
        return self.n_features_out_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


def _padding(layer, axis):
    """A convolution's padding along ``axis`` (0: height, 1: width), in pixels; 'same'
    and 'valid' grow the image by less than the kernel."""
    padding = layer.padding
    if isinstance(padding, str):
        return layer.kernel_size[axis] if padding == "same" else 0
    return int(padding[axis])
