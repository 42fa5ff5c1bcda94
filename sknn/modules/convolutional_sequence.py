"""Convolutional encoders of sequences: the fully convolutional network and its residual variant.

The two deep baselines of time-series classification (Wang et al., 2017; compared over the
UCR archive by Ismail Fawaz et al., 2019): stacks of 1-D convolutions with 'same' padding,
batch normalisation and ReLU, then global average pooling over time and a linear layer.
Both read sequences of different lengths from one zero-padded batch: every block zeroes
the steps after each sequence's end, the batch statistics count only valid steps, and the
pooling averages valid steps only, so a sequence gives the same output alone as padded
among longer ones.
"""

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
    after short sequences does not shift the normalisation. Without a mask, and in
    evaluation mode (running statistics), it is exactly :class:`torch.nn.BatchNorm1d`.
    :meth:`forward_pieces` normalises a batch held in several pieces of different lengths
    with the statistics of all of them together.

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

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.forward_pieces([x], [mask])[0]

    def forward_pieces(self, xs: list, masks: list, relu: bool = False) -> list:
        """Normalise the pieces ``xs`` (each ``(N_i, C, T_i)``, with its mask or None) of
        one batch: in training, with the statistics of their valid steps together. With
        ``relu``, ReLU follows; the outputs are zero on padding."""
        if not self.training or (len(xs) == 1 and masks[0] is None):
            outputs = [super(MaskedBatchNorm1d, self).forward(x) for x in xs]
            # ReLU in place: batch norm's backward reads its input, not its output.
            return [
                _masked(F.relu_(x) if relu else x, m) for x, m in zip(outputs, masks, strict=True)
            ]
        weight, bias = (self.weight, self.bias) if self.affine else (None, None)
        *outputs, mean, var, count = _MaskedNormReLU.apply(
            weight, bias, self.eps, relu, len(xs), *xs, *masks
        )
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
        return outputs


class _MaskedNormReLU(torch.autograd.Function):
    """Training-mode batch norm over the valid steps of a batch held in pieces, then ReLU
    (optional) and zeros on padding, with a hand-written backward pass.

    Written out because autograd over the plain expression keeps many intermediates and
    runs about a hundred elementwise kernels per step of a three-layer network, a third
    of a CPU step on long ragged series; this keeps one centred copy of each piece and
    makes about six passes over it each way. Statistics are at least float32 whatever
    the autocast dtype (sums over many steps). Returns the outputs, then the batch's mean,
    (biased) variance and valid-step count, for the running statistics.
    """

    @staticmethod
    def forward(ctx, weight, bias, eps, relu, n_pieces, *pieces_and_masks):
        xs, masks = pieces_and_masks[:n_pieces], pieces_and_masks[n_pieces:]
        dtype = torch.promote_types(xs[0].dtype, torch.float32)
        count, total = 0.0, 0.0
        for x, mask in zip(xs, masks, strict=True):
            if mask is None:
                count = count + x.shape[0] * x.shape[2]
                total = total + x.to(dtype).sum(dim=(0, 2))
            else:
                count = count + mask.to(dtype).sum()
                total = total + (x.to(dtype) * mask).sum(dim=(0, 2))
        count = torch.as_tensor(count, dtype=dtype, device=xs[0].device)
        mean = total / count
        centred, squares = [], 0.0
        for x, mask in zip(xs, masks, strict=True):
            # Centred and zero on padding: what the backward pass needs of each piece.
            c = _masked_(x.to(dtype) - mean[:, None], mask)
            squares = squares + torch.linalg.vector_norm(c, dim=(0, 2)).square()
            centred.append(c)
        var = squares / count
        invstd = torch.rsqrt(var + eps)
        scale = invstd if weight is None else invstd * weight.to(dtype)
        outputs = []
        for c, mask in zip(centred, masks, strict=True):
            y = c * scale[:, None]
            if bias is not None:
                y.add_(bias.to(dtype)[:, None])
            if relu:
                y.relu_()
            outputs.append(_masked_(y, mask))
        ctx.relu = relu
        ctx.weight_dtype = None if weight is None else weight.dtype
        ctx.bias_dtype = None if bias is None else bias.dtype
        ctx.dtypes = [x.dtype for x in xs]
        ctx.save_for_backward(invstd, scale, count, *centred, *outputs, *masks)
        ctx.mark_non_differentiable(mean, var, count)
        return (*[y.to(x.dtype) for y, x in zip(outputs, xs, strict=True)], mean, var, count)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, *grads):
        invstd, scale, count, *saved = ctx.saved_tensors
        n = len(ctx.dtypes)
        centred, outputs, masks = saved[:n], saved[n : 2 * n], saved[2 * n :]
        gs, sum_g, sum_gc = [], 0.0, 0.0
        for grad, y, c, mask in zip(grads[:n], outputs, centred, masks, strict=True):
            if grad is None:
                g = torch.zeros_like(c)
            elif ctx.relu:  # y is zero on padding as where ReLU is off
                g = torch.ops.aten.threshold_backward(grad.to(c.dtype), y, 0)
            else:
                g = _masked(grad.to(c.dtype), mask)
            sum_g = sum_g + g.sum(dim=(0, 2))
            sum_gc = sum_gc + (g * c).sum(dim=(0, 2))
            gs.append(g)
        # d/dx of (x - mean) * invstd over the valid steps, mean and variance included.
        a = scale
        b = -scale * invstd * invstd * sum_gc / count
        shift = -scale * sum_g / count
        grad_xs = []
        for g, c, mask, dtype in zip(gs, centred, masks, ctx.dtypes, strict=True):
            # Not in place on g: without ReLU or mask it is the incoming gradient itself.
            dx = (g * a[:, None]).addcmul_(c, b[:, None])
            dx = dx.add_(shift[:, None]) if mask is None else dx.addcmul_(mask, shift[:, None])
            grad_xs.append(dx.to(dtype))
        grad_weight = None if ctx.weight_dtype is None else (sum_gc * invstd).to(ctx.weight_dtype)
        grad_bias = None if ctx.bias_dtype is None else sum_g.to(ctx.bias_dtype)
        return (grad_weight, grad_bias, None, None, None, *grad_xs, *[None] * n)


class _ConvNormReLU(nn.Module):
    """A 1-D convolution with 'same' padding, masked batch norm and (optionally) ReLU,
    applied to a batch held in pieces."""

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

    def forward(self, xs, masks):
        xs = [self.conv(x if self.padding is None else F.pad(x, self.padding)) for x in xs]
        return self.norm.forward_pieces(xs, masks, relu=self.relu)


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

    def forward(self, xs, masks):
        shortcuts = xs if self.shortcut is None else [self.shortcut(x) for x in xs]
        shortcuts = self.shortcut_norm.forward_pieces(shortcuts, masks)
        for conv in self.convs:
            xs = conv(xs, masks)
        return [
            _masked(F.relu(x + shortcut), mask)
            for x, shortcut, mask in zip(xs, shortcuts, masks, strict=True)
        ]


def _masked(x, mask):
    return x if mask is None else x * mask


def _masked_(x, mask):
    return x if mask is None else x.mul_(mask)


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

    Notes
    -----
    Shapes:

    - input: ``(N, T, d)`` float, or ``(N, T)`` int64 token ids when ``n_vocab`` is given;
    - lengths: ``(N,)`` int64, each in ``[1, T]``;
    - output: ``(N, n_outputs)``.

    On the CPU the module reads the lengths on the host: a batch whose sequences all have
    the same length takes the plain path (torch's batch norm, a plain mean), and one of
    different lengths is sorted by length and convolved in up to :data:`MAX_PIECES`
    pieces, each cut after its longest sequence, so the padding costs little (the batch
    norm still takes its statistics over the whole batch). On other devices it takes the
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
    ):
        super().__init__()
        _check_choice("architecture", architecture, ARCHITECTURES)
        _check_choice("pooling", pooling, POOLINGS)
        _check_choice("activation", activation, ACTIVATIONS)
        channels, kernel_sizes = tuple(channels), tuple(kernel_sizes)
        if not channels or not kernel_sizes:
            raise ValueError("channels and kernel_sizes need at least one entry each.")
        if architecture == "fcn" and len(kernel_sizes) != len(channels):
            raise ValueError(
                f"architecture='fcn' takes one kernel size per entry of channels; got "
                f"channels={channels} and kernel_sizes={kernel_sizes}."
            )
        if n_vocab is None and input_size is None:
            raise ValueError("input_size is required when n_vocab is None.")
        self.architecture = architecture
        self.pooling = pooling

        if n_vocab is not None:
            self.embedding = nn.Embedding(n_vocab, embedding_dim, padding_idx=0)
            input_size = embedding_dim
        else:
            self.embedding = None

        widths = [input_size, *channels]
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
        self.head = dense_head(out_size, dense_sizes, n_outputs, activation, dropout)

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
        h = x.transpose(1, 2)
        if x.device.type == "cpu":
            order, pieces = _pieces_by_length(h, lengths)
        else:
            # No host synchronisation: one piece, always masked.
            mask = (torch.arange(n_steps, device=x.device) < lengths[:, None]).unsqueeze(1)
            mask = mask.to(h.dtype)
            order, pieces = None, [(h * mask, mask, lengths)]
        xs, masks, piece_lengths = (list(part) for part in zip(*pieces, strict=True))
        for block in self.blocks:
            xs = block(xs, masks)
        pooled = torch.cat(
            [
                POOLINGS[self.pooling](self, h, mask, piece)
                for h, mask, piece in zip(xs, masks, piece_lengths, strict=True)
            ]
        )
        if order is not None:
            pooled = pooled[torch.argsort(order)]
        return self.head(pooled)


#: A CPU batch of sequences of different lengths is convolved in up to this many pieces of
#: similar lengths, each cut after its longest sequence. Two: on PLAID (batches of 16
#: sequences of 100 to 1,344 steps, two threads), an epoch took 5-20% less time than in
#: four pieces (less padding saved than the smaller convolutions and the extra masked
#: batch-norm passes cost), and more pieces took longer still; on 600 synthetic series
#: of log-uniform lengths from 20 to 1,000 steps, an epoch took 0.65 s in two pieces,
#: 0.62 s in three, 0.82 s in four and 0.86 s in one (medians of three).
MAX_PIECES = 2

#: Pieces are cut after a multiple of this many steps.
PIECE_STEPS = 32


def _pieces_by_length(h, lengths):
    """``(order, pieces)``: the rows of ``h`` (N, C, T) sorted by length (``order``, or None
    when the batch is one piece in its own order) in pieces ``(h_i, mask_i, lengths_i)``,
    each cut after its longest sequence, its mask None when every row fills it."""
    n_steps = h.shape[2]
    if len(lengths) and (lengths.min() < 1 or lengths.max() > n_steps):
        raise ValueError(f"lengths must be between 1 and {n_steps}, got {lengths.tolist()}.")
    if len(lengths) == 0 or bool((lengths == lengths[0]).all()):
        longest = int(lengths[0]) if len(lengths) else n_steps
        return None, [(h[:, :, :longest], None, lengths)]
    order = torch.argsort(lengths, stable=True)
    pieces = []
    for rows in torch.tensor_split(order, min(MAX_PIECES, len(order))):
        piece_lengths = lengths[rows]
        longest = int(piece_lengths.max())
        # A few lengths only, so that the CPU kernels prepared for a shape are reused.
        longest = min(n_steps, -(-longest // PIECE_STEPS) * PIECE_STEPS)
        piece = h[rows, :, :longest]
        if bool((piece_lengths == longest).all()):
            pieces.append((piece, None, piece_lengths))
            continue
        mask = (torch.arange(longest) < piece_lengths[:, None]).unsqueeze(1).to(h.dtype)
        pieces.append((piece * mask, mask, piece_lengths))
    return order, pieces


def _lengths_from_ids(ids):
    steps = torch.arange(1, ids.shape[1] + 1, device=ids.device)
    return (steps * (ids != 0)).amax(dim=1).clamp(min=1)
