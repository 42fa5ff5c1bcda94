"""Convolutional encoders of sequences: the fully convolutional network and its residual variant.

The two deep baselines of time-series classification (Wang et al., 2017; compared over the
UCR archive by Ismail Fawaz et al., 2019): stacks of 1-D convolutions with 'same' padding,
batch normalisation and ReLU, then global average pooling over time and a linear layer.
Both read sequences of different lengths from one zero-padded batch: every block zeroes
the steps after each sequence's end, the batch statistics count only valid steps, and the
pooling averages valid steps only, so a sequence gives the same output alone as padded
among longer ones.
"""

import operator

import torch
from torch import nn
from torch.nn import functional as F

from sknn.modules.recurrent import ACTIVATIONS, _check_choice, dense_head

#: The architectures: 'fcn' stacks one convolution per entry of ``channels``; 'resnet'
#: one residual block (a convolution per kernel size) per entry.
ARCHITECTURES = ("fcn", "resnet")

#: Kernel sizes of Wang et al.'s networks: one per FCN layer, one per convolution of a
#: ResNet block.
KERNEL_SIZES = (8, 5, 3)

#: Wang et al.'s widths: the FCN's three layers, the ResNet's three blocks.
PAPER_CHANNELS = {"fcn": (128, 256, 128), "resnet": (64, 128, 128)}


class MaskedBatchNorm1d(nn.BatchNorm1d):
    """:class:`torch.nn.BatchNorm1d` over ``(N, C, T)`` whose batch statistics skip padding.

    In training mode with a ``mask``, the mean and variance of each channel are taken over
    the valid steps only (and the running statistics updated with them), so zero padding
    after short sequences does not shift the normalisation; the backward pass is written
    out (:class:`_MaskedNormReLU`). Without a mask, and in evaluation mode (running
    statistics), it is exactly :class:`torch.nn.BatchNorm1d`. With ``relu=True`` ReLU
    follows. With a mask, the output is zero on padding.

    Shapes: input ``(N, C, T)``, mask ``(N, 1, T)`` (1 on valid steps, 0 on padding),
    output ``(N, C, T)``.

    Examples
    --------
    >>> import torch
    >>> from sknn.modules.convolutional_sequence import MaskedBatchNorm1d
    >>> norm = MaskedBatchNorm1d(2)
    >>> x = torch.randn(3, 2, 5)
    >>> mask = torch.ones(3, 1, 5)
    >>> torch.allclose(norm(x, mask), torch.nn.BatchNorm1d(2)(x), atol=1e-6)
    True
    """

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None = None, relu: bool = False
    ) -> torch.Tensor:
        if not self.training or mask is None:
            x = super().forward(x)
            # ReLU in place: batch norm's backward reads its input, not its output.
            return _masked(F.relu_(x) if relu else x, mask)
        weight, bias = (self.weight, self.bias) if self.affine else (None, None)
        output, mean, var, count = _MaskedNormReLU.apply(x, mask, weight, bias, self.eps, relu)
        if self.track_running_stats and self.running_mean is not None:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                momentum = (
                    1.0 / float(self.num_batches_tracked)
                    if self.momentum is None
                    else self.momentum
                )
                unbiased = var * count / (count - 1).clamp(min=1)
                self.running_mean.lerp_(mean.to(self.running_mean.dtype), momentum)
                self.running_var.lerp_(unbiased.to(self.running_var.dtype), momentum)
        return output


class _MaskedNormReLU(torch.autograd.Function):
    """Training-mode batch norm over the valid steps of a masked batch, then ReLU
    (optional) and zeros on padding, with a hand-written backward pass.

    Written out because autograd over the plain expression keeps many intermediates and
    runs about a hundred elementwise kernels per step of a three-layer network, a third
    of a CPU step on long ragged series; this keeps one centred copy of the input and
    makes about six passes over it each way. Statistics are at least float32 whatever
    the autocast dtype (sums over many steps). Returns the output, then the batch's mean,
    (biased) variance and valid-step count, for the running statistics.
    """

    @staticmethod
    def forward(ctx, x, mask, weight, bias, eps, relu):
        ctx.dtype = x.dtype
        dtype = torch.promote_types(x.dtype, torch.float32)
        x = x.to(dtype)  # once: under autocast, a copy
        count = mask.to(dtype).sum()
        mean = (x * mask).sum(dim=(0, 2)) / count
        # Centred and zero on padding: what the backward pass needs.
        centred = (x - mean[:, None]).mul_(mask)
        var = torch.linalg.vector_norm(centred, dim=(0, 2)).square() / count
        invstd = torch.rsqrt(var + eps)
        scale = invstd if weight is None else invstd * weight.to(dtype)
        output = centred * scale[:, None]
        if bias is not None:
            output.add_(bias.to(dtype)[:, None])
        if relu:
            output.relu_()
        output.mul_(mask)
        ctx.relu = relu
        ctx.weight_dtype = None if weight is None else weight.dtype
        ctx.bias_dtype = None if bias is None else bias.dtype
        ctx.save_for_backward(invstd, scale, count, centred, output, mask)
        ctx.mark_non_differentiable(mean, var, count)
        return output.to(ctx.dtype), mean, var, count

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad, *_):
        invstd, scale, count, centred, output, mask = ctx.saved_tensors
        if ctx.relu:  # the output is zero on padding as where ReLU is off
            g = torch.ops.aten.threshold_backward(grad.to(centred.dtype), output, 0)
        else:
            g = grad.to(centred.dtype) * mask
        sum_g = g.sum(dim=(0, 2))
        sum_gc = (g * centred).sum(dim=(0, 2))
        # d/dx of (x - mean) * invstd over the valid steps, mean and variance included.
        b = -scale * invstd * invstd * sum_gc / count
        shift = -scale * sum_g / count
        # In place on g, a new tensor either way (never the incoming gradient itself).
        dx = g.mul_(scale[:, None]).addcmul_(centred, b[:, None]).addcmul_(mask, shift[:, None])
        grad_weight = None if ctx.weight_dtype is None else (sum_gc * invstd).to(ctx.weight_dtype)
        grad_bias = None if ctx.bias_dtype is None else sum_g.to(ctx.bias_dtype)
        return dx.to(ctx.dtype), None, grad_weight, grad_bias, None, None


class _ConvNormReLU(nn.Module):
    """A 1-D convolution with 'same' padding, masked batch norm and (optionally) ReLU."""

    def __init__(self, in_channels, out_channels, kernel_size, relu=True):
        super().__init__()
        # 'same' padding, the extra step of an even kernel after the sequence (as Keras and
        # torch's padding='same' place it; spelled out, torch warns for even kernels). An
        # odd kernel's is symmetric, and the convolution pads without a padded copy.
        before = (kernel_size - 1) // 2
        symmetric = kernel_size % 2 == 1
        # The bias would be cancelled by the batch norm that follows.
        self.conv = nn.Conv1d(
            in_channels,
            out_channels,
            kernel_size,
            bias=False,
            padding=before if symmetric else 0,
        )
        self.norm = MaskedBatchNorm1d(out_channels)
        self.relu = relu
        # None: the convolution pads. (Modules pickled before it did carry the tuple.)
        self.padding = None if symmetric else (before, kernel_size - 1 - before)

    def forward(self, x, mask):
        x = self.conv(x if self.padding is None else F.pad(x, self.padding))
        return self.norm(x, mask, relu=self.relu)


class _ResidualBlock(nn.Module):
    """Wang et al.'s residual block: convolutions of ``kernel_sizes``, the last without ReLU,
    added to a shortcut (a 1x1 convolution and batch norm when the width changes, else batch
    norm alone), then ReLU."""

    def __init__(self, in_channels, out_channels, kernel_sizes):
        super().__init__()
        widths = [in_channels] + [out_channels] * len(kernel_sizes)
        self.convs = nn.ModuleList(
            _ConvNormReLU(widths[i], widths[i + 1], k, relu=i < len(kernel_sizes) - 1)
            for i, k in enumerate(kernel_sizes)
        )
        self.shortcut = (
            nn.Conv1d(in_channels, out_channels, 1, bias=False)
            if in_channels != out_channels
            else None
        )
        self.shortcut_norm = MaskedBatchNorm1d(out_channels)

    def forward(self, x, mask):
        shortcut = self.shortcut_norm(x if self.shortcut is None else self.shortcut(x), mask)
        for conv in self.convs:
            x = conv(x, mask)
        return _masked(F.relu(x + shortcut), mask)


def _masked(x, mask):
    return x if mask is None else x * mask


def _mean_pooling(module, outputs, mask, lengths):
    if mask is None:
        return outputs.mean(dim=2)
    return (outputs * mask).sum(dim=2) / lengths.to(outputs.dtype)[:, None]


def _max_pooling(module, outputs, mask, lengths):
    if mask is None:
        return outputs.amax(dim=2)
    return outputs.masked_fill(mask == 0, float("-inf")).amax(dim=2)


def _last_pooling(module, outputs, mask, lengths):
    index = (lengths - 1).to(outputs.device)[:, None, None].expand(-1, outputs.shape[1], 1)
    return outputs.gather(2, index).squeeze(2)


def _attention_pooling(module, outputs, mask, lengths):
    scores = module.attention(outputs.transpose(1, 2)).squeeze(-1)
    if mask is not None:
        scores = scores.masked_fill(mask[:, 0] == 0, float("-inf"))
    weights = torch.softmax(scores, dim=1)
    return torch.bmm(outputs, weights.unsqueeze(2)).squeeze(2)


POOLINGS = {
    "mean": _mean_pooling,
    "max": _max_pooling,
    "last": _last_pooling,
    "attention": _attention_pooling,
}


class ConvSequenceModule(nn.Module):
    """Fully convolutional (FCN) or residual (ResNet) encoder, pooling over time, dense head.

    The input goes through an optional embedding (token ids), the convolutional encoder, a
    pooling step over the valid time steps (global average pooling by default), and a
    multi-layer perceptron ending in a linear layer with ``n_outputs`` units (no output
    activation: the loss applies it).

    - 'fcn' (Wang et al., 2017): one block per entry of ``channels``, each a convolution
      of the matching kernel size with 'same' padding, batch norm and ReLU. The paper's
      network is ``channels=(128, 256, 128)``, ``kernel_sizes=(8, 5, 3)``.
    - 'resnet' (Wang et al., 2017): one residual block per entry of ``channels``, each
      ``len(kernel_sizes)`` convolutions with batch norm (ReLU between them) plus a
      shortcut, then ReLU. The paper's network is ``channels=(64, 128, 128)``.

    Sequences of different lengths share one zero-padded batch: the steps after a
    sequence's end are set to zero after every block (as the 'same' padding of that
    sequence alone would see them), the batch-norm statistics of training count only
    valid steps (:class:`MaskedBatchNorm1d`), and the pooling reads only valid steps, so
    the padding never changes a sequence's output.

    Parameters
    ----------
    input_size : int
        Number of features per time step ``d``. Ignored when ``n_vocab`` is given (the
        embedding dimension is used instead).
    n_outputs : int
        Number of output units.
    architecture : {'fcn', 'resnet'}, default='fcn'
        The encoder.
    channels : tuple of int, default=(128, 256, 128)
        Output channels of each convolution ('fcn') or residual block ('resnet').
    kernel_sizes : tuple of int, default=(8, 5, 3)
        'fcn': the kernel size of each convolution, one per entry of ``channels``;
        'resnet': the kernel sizes of the convolutions inside every block.
    pooling : {'mean', 'max', 'last', 'attention'}, default='mean'
        How the per-step features become one vector per sequence: their mean (global
        average pooling) or maximum over the valid steps, the features at the last valid
        step, or a learned attention-weighted sum.
    dropout : float, default=0.0
        Dropout probability on the pooled vector and after each hidden dense layer.
    dense_sizes : tuple of int, default=()
        Sizes of the hidden dense layers between the pooling and the output layer.
    activation : {'relu', 'tanh', 'logistic', 'identity'}, default='relu'
        Activation of the hidden dense layers.
    n_vocab : int, default=None
        When given, the input is int64 token ids in ``[0, n_vocab)`` with 0 as padding,
        embedded by an :class:`torch.nn.Embedding` first.
    embedding_dim : int, default=32
        Size of the embedding vectors; used only with ``n_vocab``.
    static_features : tuple of int, default=()
        Input features that are constant along each sequence (a sequence's own
        statistics, say): read at each sequence's first step, they skip the convolutions,
        and, batch-normalised, join the pooled vector before the head.

    Notes
    -----
    Shapes:

    - input: ``(N, T, d)`` float, or ``(N, T)`` int64 token ids when ``n_vocab`` is given;
    - lengths: ``(N,)`` int64, each in ``[1, T]``;
    - output: ``(N, n_outputs)``.

    On the CPU the module reads the lengths on the host: a batch whose sequences all have
    the same length takes the plain path (torch's batch norm, a plain mean), and one of
    different lengths is packed into one sequence, the sequences one after another with a
    few zero steps between them, so the padding after short sequences costs nothing (the
    batch norm still takes its statistics over the batch's valid steps, and the pooling
    reads each sequence's own steps). On other devices it takes the
    masked path over the whole padded batch, which gives the same result without reading
    the lengths back from the device (so that a training step can be captured in a CUDA
    graph).

    References
    ----------
    Z. Wang, W. Yan and T. Oates, "Time series classification from scratch with deep
    neural networks: a strong baseline", IJCNN 2017.

    H. Ismail Fawaz, G. Forestier, J. Weber, L. Idoumghar and P.-A. Muller, "Deep learning
    for time series classification: a review", Data Mining and Knowledge Discovery, 2019.

    Examples
    --------
    >>> import torch
    >>> from sknn.modules.convolutional_sequence import ConvSequenceModule
    >>> _ = torch.manual_seed(0)
    >>> module = ConvSequenceModule(input_size=3, n_outputs=2, channels=(8, 16, 8))
    >>> x = torch.randn(4, 10, 3)
    >>> module(x, lengths=torch.tensor([10, 7, 3, 1])).shape
    torch.Size([4, 2])
    >>> resnet = ConvSequenceModule(input_size=1, n_outputs=1, architecture="resnet",
    ...                             channels=(4, 8))
    >>> resnet(torch.randn(2, 20, 1)).shape
    torch.Size([2, 1])
    """

    def __init__(
        self,
        input_size: int | None,
        n_outputs: int,
        architecture: str = "fcn",
        channels: tuple = PAPER_CHANNELS["fcn"],
        kernel_sizes: tuple = KERNEL_SIZES,
        pooling: str = "mean",
        dropout: float = 0.0,
        dense_sizes: tuple = (),
        activation: str = "relu",
        n_vocab: int | None = None,
        embedding_dim: int = 32,
        static_features: tuple = (),
    ):
        super().__init__()
        _check_choice("architecture", architecture, ARCHITECTURES)
        _check_choice("pooling", pooling, POOLINGS)
        _check_choice("activation", activation, ACTIVATIONS)
        # Python ints, whatever the caller passed (NumPy integers from a grid over
        # np.arange): what torch's layers expect.
        channels = tuple(operator.index(size) for size in channels)
        kernel_sizes = tuple(operator.index(size) for size in kernel_sizes)
        if not channels or not kernel_sizes:
            raise ValueError("channels and kernel_sizes need at least one entry each.")
        if architecture == "fcn" and len(kernel_sizes) != len(channels):
            raise ValueError(
                f"architecture='fcn' takes one kernel size per entry of channels; got "
                f"channels={channels} and kernel_sizes={kernel_sizes}."
            )
        if n_vocab is None and input_size is None:
            raise ValueError("input_size is required when n_vocab is None.")
        static_features = tuple(int(i) for i in static_features)
        if static_features and (
            n_vocab is not None
            or len(set(static_features)) != len(static_features)
            or not all(0 <= i < input_size for i in static_features)
            or len(static_features) == input_size
        ):
            raise ValueError(
                "static_features lists distinct input features, from 0 to input_size - 1, "
                "leaving at least one for the convolutions (none with n_vocab); got "
                f"{static_features} for input_size={input_size}."
            )
        self.static_features = static_features
        n_static = len(static_features)
        if n_static:
            # Index tensors that move with the module: indexing with a Python list would
            # copy it to the device at every call (not allowed in a captured CUDA graph).
            kept = [i for i in range(input_size) if i not in static_features]
            self.register_buffer("_static_index", torch.tensor(static_features), False)
            self.register_buffer("_kept_index", torch.tensor(kept), False)
        self.architecture = architecture
        self.pooling = pooling

        if n_vocab is not None:
            embedding_dim = operator.index(embedding_dim)
            self.embedding = nn.Embedding(operator.index(n_vocab), embedding_dim, padding_idx=0)
            input_size = embedding_dim
        else:
            self.embedding = None
            input_size = operator.index(input_size)

        widths = [input_size - n_static, *channels]
        if architecture == "fcn":
            blocks = [
                _ConvNormReLU(widths[i], widths[i + 1], kernel_sizes[i])
                for i in range(len(channels))
            ]
        else:
            blocks = [
                _ResidualBlock(widths[i], widths[i + 1], kernel_sizes)
                for i in range(len(channels))
            ]
        self.blocks = nn.ModuleList(blocks)

        out_size = channels[-1]
        self.attention = nn.Linear(out_size, 1) if pooling == "attention" else None
        # Batch-normalised: as they are, the statistics of 'series_stats' scored lower on
        # each of four sets (the sequence user guide's defaults section).
        self.static_norm = nn.BatchNorm1d(n_static) if n_static else None
        self.head = dense_head(out_size + n_static, dense_sizes, n_outputs, activation, dropout)

        self.gap = _packing_gap(self)

    def __setstate__(self, state):
        super().__setstate__(state)
        if "gap" not in self.__dict__:  # pickled before packing existed
            self.gap = _packing_gap(self)
        if "static_features" not in self.__dict__:  # pickled before they existed
            self.static_features, self._modules["static_norm"] = (), None

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Map a batch of padded sequences to outputs.

        Parameters
        ----------
        x : torch.Tensor of shape (N, T, d) or (N, T)
            Float sequences, or int64 token ids (0 = padding) when the module has an
            embedding.
        lengths : torch.Tensor of shape (N,), default=None
            True length of each sequence; steps at or after it are padding. None means
            every sequence has length ``T``, except for token ids, where a sequence ends
            after its last non-zero id.

        Returns
        -------
        torch.Tensor of shape (N, n_outputs)
        """
        n_steps = x.shape[1]
        if self.embedding is not None:
            if lengths is None:
                lengths = _lengths_from_ids(x)
            x = self.embedding(x)
        if lengths is None:
            lengths = torch.full((x.shape[0],), n_steps, dtype=torch.int64, device=x.device)
        lengths = torch.as_tensor(lengths, dtype=torch.int64, device=x.device)
        if lengths.shape != (x.shape[0],):
            raise ValueError(
                f"lengths must have shape ({x.shape[0]},), got {tuple(lengths.shape)}."
            )
        static = None
        if self.static_features:
            # Constant along each sequence: read at its first step, given to the head.
            static = x[:, 0].index_select(1, self._static_index)
            x = x.index_select(2, self._kept_index)
        h = x.transpose(1, 2)
        if x.device.type == "cpu":
            layout = _cpu_layout(h, lengths, self.gap)
        else:
            # No host synchronisation: the padded batch, always masked.
            layout = _Padded(h, lengths, masked=True)
        h = layout.x
        for block in self.blocks:
            h = block(h, layout.mask)
        if self.pooling == "mean":
            pooled = layout.mean(h)
        else:
            outputs, mask = layout.padded(h)
            pooled = POOLINGS[self.pooling](self, outputs, mask, lengths)
        if static is not None:
            static = self.static_norm(static.float()).to(pooled.dtype)
            pooled = torch.cat([pooled, static], dim=1)
        return self.head(pooled)


def _packing_gap(module):
    """Zero steps between packed sequences on the CPU: what the widest convolution's 'same'
    padding reads past a sequence's end (``k // 2`` steps, the extra step of an even kernel
    lying after the sequence)."""
    sizes = [m.kernel_size[0] for m in module.modules() if isinstance(m, nn.Conv1d)]
    return max(1, *(k // 2 for k in sizes))


class _Padded:
    """A batch as the blocks read it: the padded ``(N, C, T)`` tensor ``x`` with its mask
    ``(N, 1, T)`` (1 on valid steps; None when every step is valid).

    ``padded(outputs)`` gives a block output back as rows in the batch's order with their
    mask, for the pooling; ``mean(outputs)`` is each row's mean over its valid steps."""

    def __init__(self, h, lengths, masked):
        self.lengths = lengths
        self.mask = None
        if masked:
            steps = torch.arange(h.shape[2], device=h.device)
            self.mask = (steps < lengths[:, None]).unsqueeze(1).to(h.dtype)
            h = h * self.mask
        self.x = h

    def padded(self, outputs):
        return outputs, self.mask

    def mean(self, outputs):
        return _mean_pooling(None, outputs, self.mask, self.lengths)


class _Packed:
    """A batch of sequences of different lengths as one sequence ``x`` of shape
    ``(1, C, S)``: each sequence's valid steps one after another, ``gap`` zero steps after
    each, and zeros up to a multiple of :data:`PACK_STEPS`; ``mask`` is 0 on the gaps.

    With the gap at least as wide as what the convolutions' 'same' padding reads past an
    end, and the gaps zeroed after every block (the mask), each sequence's steps are
    computed as the sequence alone would have them, and the masked batch norm takes its
    statistics over the valid steps of the batch, as in the padded batch; the padding
    after short sequences is never computed. ``padded`` and ``mean`` as :class:`_Padded`'s.
    """

    def __init__(self, h, lengths, gap):
        n, n_features = len(lengths), h.shape[1]
        longest = int(lengths.max())
        steps = torch.arange(longest)
        self.valid = steps < lengths[:, None]
        strides = lengths + gap
        starts = torch.cumsum(strides, 0) - strides
        total = -(-int(strides.sum()) // PACK_STEPS) * PACK_STEPS
        # Where each valid step of the padded batch lies in the packed sequence.
        self.where = (starts[:, None] + steps)[self.valid]
        values = h[:, :, :longest].transpose(0, 1)[:, self.valid]
        self.x = h.new_zeros(n_features, total).index_copy(1, self.where, values).unsqueeze(0)
        self.mask = h.new_zeros(1, 1, total)
        self.mask[0, 0, self.where] = 1
        # The row each packed step belongs to: a sequence's gap (zero) counts with it.
        self.rows = torch.repeat_interleave(torch.arange(n), strides)
        self.rows = F.pad(self.rows, (0, total - len(self.rows)), value=n - 1)
        self.lengths, self.shape = lengths, (n, longest)

    def padded(self, outputs):
        n, longest = self.shape
        values = outputs[0].index_select(1, self.where)
        flat = outputs.new_zeros(outputs.shape[1], n * longest)
        flat = flat.index_copy(1, self.valid.flatten().nonzero().squeeze(1), values)
        mask = self.valid.unsqueeze(1).to(outputs.dtype)
        return flat.view(-1, n, longest).transpose(0, 1), mask

    def mean(self, outputs):
        sums = outputs.new_zeros(outputs.shape[1], self.shape[0])
        sums = sums.index_add(1, self.rows, outputs[0])
        return (sums / self.lengths.to(outputs.dtype)).T


#: A packed batch is padded at its end to a multiple of this many steps, so that the CPU
#: convolution kernels prepared for a length are reused from batch to batch.
PACK_STEPS = 128


def _cpu_layout(h, lengths, gap):
    """The layout of a CPU batch ``h`` (N, C, T): sequences of one length cut after it,
    without a mask; sequences of different lengths packed (:class:`_Packed`), so that the
    convolutions and batch norms compute their valid steps and a few gap steps only."""
    n_steps = h.shape[2]
    if len(lengths) and (lengths.min() < 1 or lengths.max() > n_steps):
        raise ValueError(f"lengths must be between 1 and {n_steps}, got {lengths.tolist()}.")
    if len(lengths) == 0 or bool((lengths == lengths[0]).all()):
        longest = int(lengths[0]) if len(lengths) else n_steps
        return _Padded(h[:, :, :longest], lengths, masked=False)
    return _Packed(h, lengths, gap)


def _lengths_from_ids(ids):
    steps = torch.arange(1, ids.shape[1] + 1, device=ids.device)
    return (steps * (ids != 0)).amax(dim=1).clamp(min=1)
