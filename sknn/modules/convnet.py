"""A configurable convolutional network for image classification and feature extraction."""

import numbers
import operator
from collections.abc import Sequence

import torch
from torch import nn

ACTIVATIONS = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
}

POOLINGS = {
    "max": nn.MaxPool2d,
    "avg": nn.AvgPool2d,
    None: None,
}

PADDINGS = ("same", "valid")


def _choice(table, name, what):
    if name not in table:
        options = ", ".join(repr(key) for key in table)
        raise ValueError(f"Unknown {what} {name!r}; expected one of {options}.")
    return table[name]


def _conv_output_size(size: int, kernel_size: int, stride: int, padding: int) -> int:
    # Python's floor division keeps this <= 0 whenever the kernel no longer fits, so a
    # single "> 0" check catches every way an image can vanish.
    return (size + 2 * padding - kernel_size) // stride + 1


class _Conv(nn.Sequential):
    """A 2-D convolution with TensorFlow-style 'same' padding that also works with stride > 1.

    ``nn.Conv2d(padding='same')`` refuses strides above one and even kernels need uneven
    padding, so 'same' is built from an explicit zero pad: the output is then always
    ``ceil(size / stride)``, the rule Keras users expect.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, bias):
        layers = []
        if padding == "same":
            total = kernel_size - 1
            before, after = total // 2, total - total // 2
            if before == after:
                conv_padding = before
            else:
                layers.append(nn.ZeroPad2d((before, after, before, after)))
                conv_padding = 0
        elif padding == "valid":
            conv_padding = 0
        else:
            conv_padding = padding
        layers.append(
            nn.Conv2d(
                in_channels, out_channels, kernel_size, stride, padding=conv_padding, bias=bias
            )
        )
        super().__init__(*layers)
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding

    def output_size(self, size: int) -> int:
        if self.padding == "same":
            return -(-size // self.stride)
        padding = 0 if self.padding == "valid" else self.padding
        return _conv_output_size(size, self.kernel_size, self.stride, padding)


class _PlainBlock(nn.Module):
    """Convolution, optional batch norm, activation."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, batch_norm, act):
        super().__init__()
        # A bias before batch norm is cancelled by its mean subtraction.
        self.conv = _Conv(in_channels, out_channels, kernel_size, stride, padding, not batch_norm)
        self.norm = nn.BatchNorm2d(out_channels) if batch_norm else nn.Identity()
        self.act = act()

    def output_size(self, size: int) -> int:
        return self.conv.output_size(size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.conv(x)))


class _ResidualBlock(nn.Module):
    """A ResNet basic block: two convolutions plus a skip connection.

    The skip is the identity when the block keeps channels and stride, otherwise a 1x1
    strided convolution (with batch norm when the block has it) projects it to match.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, batch_norm, act):
        super().__init__()
        bias = not batch_norm
        self.conv1 = _Conv(in_channels, out_channels, kernel_size, stride, padding, bias)
        self.norm1 = nn.BatchNorm2d(out_channels) if batch_norm else nn.Identity()
        self.act1 = act()
        self.conv2 = _Conv(out_channels, out_channels, kernel_size, 1, padding, bias)
        self.norm2 = nn.BatchNorm2d(out_channels) if batch_norm else nn.Identity()
        if in_channels != out_channels or stride != 1:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=bias),
                nn.BatchNorm2d(out_channels) if batch_norm else nn.Identity(),
            )
        else:
            self.shortcut = nn.Identity()
        self.act2 = act()
        self.stride = stride

    def output_size(self, size: int) -> int:
        inner = self.conv1.output_size(size)
        # A vanished inner map must stay vanished, even if conv2's padding would regrow it.
        return self.conv2.output_size(inner) if inner > 0 else inner

    def shortcut_size(self, size: int) -> int:
        return _conv_output_size(size, 1, self.stride, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act1(self.norm1(self.conv1(x)))
        out = self.norm2(self.conv2(out))
        return self.act2(out + self.shortcut(x))


class ConvNetModule(nn.Module):
    """Convolutional network: convolution blocks, optional pooling, then a dense head.

    Each block is a convolution, optional batch norm and the activation (or, with
    ``residual=True``, a ResNet basic block of two convolutions and a skip connection),
    followed by optional pooling and dropout. The blocks' output is either averaged over
    its spatial positions (``global_pool=True``) or flattened, then passes through the
    hidden dense layers and a final linear layer to ``n_outputs`` logits.

    Every spatial size is worked out from ``input_shape`` at construction, so a
    configuration that shrinks the image to nothing fails there, naming the block.

    Parameters
    ----------
    input_shape : tuple of int
        Shape ``(C, H, W)`` of one input image.
    n_outputs : int
        Number of logits returned by :meth:`forward`.
    channels : tuple of int, default=(32, 64)
        Output channels of each convolution block; its length is the number of blocks.
    kernel_size : int, default=3
        Side of the square convolution kernels.
    stride : int, default=1
        Stride of the first convolution of each block.
    padding : {'same', 'valid'} or int, default='same'
        'same' pads so that each convolution gives ``ceil(size / stride)`` (the Keras
        rule, also with even kernels and strides above one); 'valid' does not pad; an int
        pads that many zeros on every side.
    pooling : {'max', 'avg'} or None, default='max'
        Pooling after each block, with window and stride ``pool_size``; None for none.
    pool_size : int, default=2
        Window and stride of the pooling.
    batch_norm : bool, default=False
        Whether each convolution is followed by batch normalisation.
    dropout : float, default=0.0
        Dropout probability after each block and after each hidden dense layer.
    residual : bool, default=False
        Whether each block is a ResNet basic block with a skip connection (a 1x1
        projection when the channels or the stride change). The padding must then keep
        the size, as 'same' does.
    global_pool : bool, default=False
        Whether to average each channel over its spatial positions before the head,
        instead of flattening.
    dense_sizes : tuple of int, default=(128,)
        Sizes of the hidden dense layers of the head; empty for a linear head.
    activation : {'relu', 'gelu', 'leaky_relu', 'elu', 'silu', 'tanh'}, default='relu'
        Activation after every convolution block and hidden dense layer.

    Attributes
    ----------
    blocks : torch.nn.Sequential
        The convolution blocks with their pooling and dropout.
    head : torch.nn.Sequential
        Global pooling or flattening, then the hidden dense layers.
    output : torch.nn.Linear
        The final layer, from :attr:`n_features` to ``n_outputs``.
    feature_map_shape : tuple of int
        Shape ``(C, H, W)`` of the blocks' output for one image.
    n_features : int
        Number of values :meth:`features` returns per image.

    Shape:
        - Input: :math:`(N, C, H, W)`, float, with ``(C, H, W) == input_shape``.
        - Output of :meth:`forward`: :math:`(N, n\\_outputs)`, logits.
        - Output of :meth:`features`: :math:`(N, n\\_features)`.

    Examples
    --------
    >>> import torch
    >>> from sknn.modules.convnet import ConvNetModule
    >>> net = ConvNetModule((1, 28, 28), 10, channels=(8, 16), dense_sizes=(32,))
    >>> net.feature_map_shape
    (16, 7, 7)
    >>> net(torch.zeros(5, 1, 28, 28)).shape
    torch.Size([5, 10])
    >>> net.features(torch.zeros(5, 1, 28, 28)).shape
    torch.Size([5, 32])
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        n_outputs: int,
        *,
        channels: Sequence[int] = (32, 64),
        kernel_size: int = 3,
        stride: int = 1,
        padding: str | int = "same",
        pooling: str | None = "max",
        pool_size: int = 2,
        batch_norm: bool = False,
        dropout: float = 0.0,
        residual: bool = False,
        global_pool: bool = False,
        dense_sizes: Sequence[int] = (128,),
        activation: str = "relu",
    ):
        super().__init__()
        act = _choice(ACTIVATIONS, activation, "activation")
        pool = _choice(POOLINGS, pooling, "pooling")
        if len(input_shape) != 3:
            raise ValueError(f"input_shape must be (C, H, W), got {tuple(input_shape)}.")
        if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
            padding = int(padding)  # a NumPy integer too, from a grid over np.arange
        elif not (isinstance(padding, str) and padding in PADDINGS):
            raise ValueError(f"padding must be 'same', 'valid' or an int, got {padding!r}.")
        # Python numbers, whatever the caller passed (NumPy integers from a grid over
        # np.arange, a NumPy float): what torch's layers expect.
        channels = tuple(operator.index(size) for size in channels)
        dense_sizes = tuple(operator.index(size) for size in dense_sizes)
        kernel_size, stride = operator.index(kernel_size), operator.index(stride)
        pool_size, dropout = operator.index(pool_size), float(dropout)
        n_outputs = operator.index(n_outputs)
        if not isinstance(padding, str) and not 0 <= padding < kernel_size:
            # More than kernel_size - 1 zeros on a side only adds outputs that see nothing
            # but padding (and memory: padding=1000 on 8x8 images makes 2008x2008 maps).
            raise ValueError(
                f"padding={padding} must be between 0 and kernel_size - 1 = {kernel_size - 1}; "
                "use padding='same' to keep the size of the maps."
            )
        in_channels, height, width = (int(size) for size in input_shape)
        block_type = _ResidualBlock if residual else _PlainBlock

        layers = []
        for index, out_channels in enumerate(channels):
            number = index + 1
            if number == 1 and height * width > 1 and kernel_size > 2 * max(height, width) - 1:
                # Whatever the padding, such a kernel has weights that only ever see it: a
                # mistake (kernel_size=100 on 8x8 images). One-pixel images (a table of one
                # feature, read as images) stay allowed: any kernel sees their pixel.
                raise ValueError(
                    f"kernel_size={kernel_size} is too large for images of {height}x{width}: "
                    f"beyond 2 x {max(height, width)} - 1 = {2 * max(height, width) - 1}, "
                    "some of its weights would only ever see padding. Use a smaller "
                    "kernel_size or larger images."
                )
            block = block_type(
                in_channels, out_channels, kernel_size, stride, padding, batch_norm, act
            )
            new_height, new_width = block.output_size(height), block.output_size(width)
            if new_height <= 0 or new_width <= 0:
                raise ValueError(
                    f"input_shape={tuple(input_shape)} shrinks to zero in convolution "
                    f"block {number}, which gets {height}x{width} maps (kernel_size="
                    f"{kernel_size}, stride={stride}, padding={padding!r}); use larger "
                    "images, padding='same' or fewer blocks."
                )
            if residual:
                skip = (block.shortcut_size(height), block.shortcut_size(width))
                if skip != (new_height, new_width):
                    raise ValueError(
                        f"Residual block {number} turns {height}x{width} into "
                        f"{new_height}x{new_width} but its skip connection into "
                        f"{skip[0]}x{skip[1]}; residual=True needs a padding that keeps "
                        "the size, such as padding='same'."
                    )
            height, width, in_channels = new_height, new_width, out_channels
            layers.append(block)
            if pool is not None:
                if height < pool_size or width < pool_size:
                    raise ValueError(
                        f"input_shape={tuple(input_shape)} shrinks to zero in the pooling "
                        f"after block {number}: its {height}x{width} maps are smaller than "
                        f"pool_size={pool_size}; use larger images, pooling=None or fewer "
                        "blocks."
                    )
                height, width = height // pool_size, width // pool_size
                layers.append(pool(pool_size))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
        self.blocks = nn.Sequential(*layers)
        self.feature_map_shape = (in_channels, height, width)

        if global_pool:
            head = [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
            n_features = in_channels
        else:
            head = [nn.Flatten()]
            n_features = in_channels * height * width
        for size in dense_sizes:
            head += [nn.Linear(n_features, size), act()]
            if dropout > 0:
                head.append(nn.Dropout(dropout))
            n_features = size
        self.head = nn.Sequential(*head)
        self.n_features = n_features
        self.output = nn.Linear(n_features, n_outputs)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Activations before the final linear layer, shape ``(N, n_features)``."""
        return self.head(self.blocks(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of shape ``(N, n_outputs)`` for images ``x`` of shape ``(N, C, H, W)``."""
        return self.output(self.features(x))
