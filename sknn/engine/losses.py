"""Per-sample losses on raw module outputs, scaled as scikit-learn's MLP scales them."""

import torch
import torch.nn.functional as F
from torch import nn


def _softmax_loss(output, target, label_smoothing):
    return F.cross_entropy(output, target, reduction="none", label_smoothing=label_smoothing)


def _logistic_loss(output, target, label_smoothing):
    if label_smoothing:
        target = target * (1 - label_smoothing) + 0.5 * label_smoothing
    return F.binary_cross_entropy_with_logits(output, target, reduction="none").sum(dim=1)


def _squared_loss(output, target, label_smoothing):
    return 0.5 * (output - target).square().mean(dim=1)


def _poisson_loss(output, target, label_smoothing):
    # Half Poisson deviance with a log link: exp(raw) - y * raw + (y log y - y).
    return (torch.exp(output) - target * output + torch.xlogy(target, target) - target).sum(dim=1)


#: Output activation name (scikit-learn's ``out_activation_``) -> per-sample loss.
LOSSES = {
    "softmax": _softmax_loss,
    "logistic": _logistic_loss,
    "identity": _squared_loss,
    "exp": _poisson_loss,
}

#: Output activation name -> map from raw outputs to predictions / probabilities.
OUTPUT_ACTIVATIONS = {
    "softmax": lambda raw: torch.softmax(raw, dim=1),
    "logistic": torch.sigmoid,
    "identity": lambda raw: raw,
    "exp": torch.exp,
}


class TaskLoss(nn.Module):
    """Per-sample loss for a task, taking the module's raw outputs.

    Parameters
    ----------
    out_activation : {'softmax', 'logistic', 'identity', 'exp'}
        The output activation the loss is the canonical partner of: cross-entropy over
        classes, binary cross-entropy summed over outputs, half squared error averaged
        over outputs (trained on summed over them, see :meth:`gradient_scale`), half
        Poisson deviance summed over outputs.
    label_smoothing : float, default=0.0
        Label smoothing for the classification losses.

    Shape
    -----
    output : (N, n_outputs); target : (N,) class indices for 'softmax', else
    (N, n_outputs); returns (N,).
    """

    def __init__(self, out_activation, label_smoothing=0.0):
        super().__init__()
        self.out_activation = out_activation
        self.label_smoothing = label_smoothing

    def forward(self, output, target):
        return LOSSES[self.out_activation](output, target, self.label_smoothing)

    def gradient_scale(self, output):
        """The factor from the recorded mean loss to the loss trained on.

        scikit-learn's MLP reports half the squared error averaged over samples and
        outputs, but its gradient is that of half the squared error summed over outputs
        (averaged over samples): with ``k`` outputs it trains on ``k`` times the loss it
        reports, against the same ``alpha`` penalty. sknn records the reported loss and
        trains on this multiple of it, so that a multi-output regressor learns at
        scikit-learn's rate and regularisation. 1 for every other loss, whose
        per-sample value already sums over outputs.
        """
        return output.shape[1] if self.out_activation == "identity" else 1
