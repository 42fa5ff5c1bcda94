"""Random shifts and flips of image batches, done on the batch's own device."""

import torch
from torch import nn


class RandomShiftFlip(nn.Module):
    """Randomly translate and mirror each image of a batch, without a loop over images.

    Each image is padded with ``shift`` zero pixels on every side and cropped back to its
    size at an offset drawn per image, so it moves by up to ``shift`` pixels in each
    direction; with ``flip=True`` each image is then mirrored left to right with
    probability 0.5. All randomness comes from the generator passed to :meth:`forward`,
    which must live on the batch's device; the generator is not stored, so the module
    pickles and the caller owns the random stream.

    Like dropout, the module only acts in training mode: after ``.eval()`` it returns
    its input unchanged.

    Parameters
    ----------
    shift : int, default=0
        Largest translation in pixels, along each axis; 0 for none.
    flip : bool, default=False
        Whether to mirror images horizontally at random.

    Shape:
        - Input: :math:`(N, C, H, W)`, on any device.
        - Output: :math:`(N, C, H, W)`, same dtype and device.

    Examples
    --------
    >>> import torch
    >>> from sknn.data.augment import RandomShiftFlip
    >>> augment = RandomShiftFlip(shift=2, flip=True)
    >>> images = torch.rand(8, 3, 16, 16)
    >>> out = augment(images, torch.Generator().manual_seed(0))
    >>> out.shape
    torch.Size([8, 3, 16, 16])
    >>> torch.equal(out, augment(images, torch.Generator().manual_seed(0)))
    True
    """

    def __init__(self, shift: int = 0, flip: bool = False):
        super().__init__()
        if isinstance(shift, bool) or not isinstance(shift, int) or shift < 0:
            raise ValueError(f"shift must be a non-negative int, got {shift!r}.")
        self.shift = shift
        self.flip = flip

    @property
    def active(self) -> bool:
        """Whether this augmentation changes anything at all when training."""
        return self.shift > 0 or bool(self.flip)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Augmented copy of ``x``; ``generator`` None draws from torch's global generator."""
        if not self.training or not self.active or x.shape[0] == 0:
            return x
        if self.shift > 0:
            x = self._shift(x, generator)
        if self.flip:
            flipped = torch.rand(x.shape[0], generator=generator, device=x.device) < 0.5
            x = torch.where(flipped[:, None, None, None], x.flip(-1), x)
        return x

    def _shift(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        n, channels, height, width = x.shape
        s = self.shift
        padded = nn.functional.pad(x, (s, s, s, s))
        offsets = torch.randint(0, 2 * s + 1, (2, n), generator=generator, device=x.device)
        # Two gathers, rows then columns, crop every image at its own offset in one go.
        rows = offsets[0, :, None] + torch.arange(height, device=x.device)
        rows = rows[:, None, :, None].expand(n, channels, height, width + 2 * s)
        padded = padded.gather(2, rows)
        cols = offsets[1, :, None] + torch.arange(width, device=x.device)
        cols = cols[:, None, None, :].expand(n, channels, height, width)
        return padded.gather(3, cols)

    def extra_repr(self) -> str:
        return f"shift={self.shift}, flip={self.flip}"
