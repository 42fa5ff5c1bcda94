"""Fully connected feed-forward network."""

import math

import torch
import torch.nn.functional as F
from torch import nn

#: Hidden-layer activation name -> module class.
ACTIVATIONS = {
    "identity": nn.Identity,
    "logistic": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "silu": nn.SiLU,
    "softplus": nn.Softplus,
}


def glorot_uniform_(linear, activation):
    """scikit-learn's MLP initialisation: U(-b, b), b = sqrt(f / (fan_in + fan_out)).

    ``f`` is 2 for the logistic activation and 6 otherwise; the bias is drawn the same way.
    """
    factor = 2.0 if activation == "logistic" else 6.0
    bound = math.sqrt(factor / (linear.in_features + linear.out_features))
    nn.init.uniform_(linear.weight, -bound, bound)
    nn.init.uniform_(linear.bias, -bound, bound)


def he_uniform_(linear, activation):
    """He (Kaiming) uniform initialisation for ReLU-like activations, zero bias."""
    nn.init.kaiming_uniform_(linear.weight, nonlinearity="relu")
    nn.init.zeros_(linear.bias)


#: Weight initialisation name -> in-place initialiser of an ``nn.Linear``.
INITIALIZERS = {"glorot": glorot_uniform_, "he": he_uniform_}


class InputMajorLinear(nn.Module):
    """A linear layer whose weight is stored input-major, for wide sparse input.

    ``weight_t`` has shape ``(in_features, out_features)``, the layout of an embedding
    table: a sparse batch's output is a weighted sum of the rows of its stored features
    (``embedding_bag``), and its gradient writes whole contiguous rows. ``weight`` is the
    usual ``(out_features, in_features)`` view of it, as in ``nn.Linear``.

    Shape
    -----
    Input (N, in_features), strided or sparse CSR (multiplied as sparse, never
    densified); output (N, out_features).
    """

    def __init__(self, in_features, out_features):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight_t = nn.Parameter(torch.empty(in_features, out_features))
        self.bias = nn.Parameter(torch.empty(out_features))

    @classmethod
    def from_linear(cls, linear):
        """The same layer as an ``nn.Linear``, with a copy of its weights."""
        layer = cls(linear.in_features, linear.out_features)
        with torch.no_grad():
            layer.weight_t.copy_(linear.weight.t())
            layer.bias.copy_(linear.bias)
        return layer

    @property
    def weight(self):
        return self.weight_t.t()

    def forward(self, x):
        if x.layout == torch.sparse_csr:
            out = F.embedding_bag(
                x.col_indices(),
                self.weight_t,
                x.crow_indices(),
                mode="sum",
                per_sample_weights=x.values(),
                include_last_offset=True,
            )
            return out + self.bias
        return torch.addmm(self.bias, x, self.weight_t)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}"


def _hidden_activation(name):
    """The activation module of a hidden layer. ReLU runs in place: it overwrites the output
    of the linear layer or batch norm before it, which their backward passes do not read,
    and saves a tensor and a pass over it per layer (about 5 % of a fit of the fast tabular
    preset on the CPU, measured side by side)."""
    return nn.ReLU(inplace=True) if name == "relu" else ACTIVATIONS[name]()


class MLPModule(nn.Module):
    """A multi-layer perceptron returning raw outputs (logits).

    Each hidden layer is ``Linear -> [BatchNorm1d] -> activation -> [Dropout]``; the last
    layer is a plain ``Linear``: the output activation belongs to the loss.

    Parameters
    ----------
    n_features : int
        Input size.
    hidden_layer_sizes : sequence of int
        Width of each hidden layer.
    n_outputs : int
        Output size.
    activation : str, default='relu'
        A key of :data:`ACTIVATIONS`.
    dropout : float, default=0.0
        Dropout probability after each hidden activation.
    batch_norm : bool, default=False
        Batch normalisation before each hidden activation.
    init : {'glorot', 'he'}, default='glorot'
        Weight initialisation of the linear layers.
    sparse_input : bool, default=False
        Make the first layer an :class:`InputMajorLinear` (initialised as the
        ``nn.Linear`` it replaces), the layout a wide sparse input trains fast in.

    Shape
    -----
    Input (N, n_features), strided, or sparse CSR (multiplied as sparse by the first
    layer, never densified); output (N, n_outputs).
    """

    def __init__(
        self,
        n_features,
        hidden_layer_sizes,
        n_outputs,
        activation="relu",
        dropout=0.0,
        batch_norm=False,
        init="glorot",
        sparse_input=False,
    ):
        super().__init__()
        layers = []
        sizes = [n_features, *hidden_layer_sizes]
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
            linear = nn.Linear(fan_in, fan_out)
            layers.append(linear)
            if batch_norm:
                layers.append(nn.BatchNorm1d(fan_out))
            layers.append(_hidden_activation(activation))
            if dropout:
                layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(sizes[-1], n_outputs))
        for layer in layers:
            if isinstance(layer, nn.Linear):
                INITIALIZERS[init](layer, activation)
        if sparse_input:
            layers[0] = InputMajorLinear.from_linear(layers[0])
        self.layers = nn.Sequential(*layers)

    def linear_layers(self):
        """The linear layers (``nn.Linear`` or :class:`InputMajorLinear`), input to output."""
        return [layer for layer in self.layers if isinstance(layer, nn.Linear | InputMajorLinear)]

    def affine_layers(self):
        """Each linear layer as the ``(weight, bias)`` it applies in evaluation mode,
        input to output, detached: weight ``(out_features, in_features)``, bias
        ``(out_features,)``.

        A hidden layer's batch normalisation is folded into its linear layer: in
        evaluation mode it is the affine map ``gamma * (z - running_mean) /
        sqrt(running_var + eps) + beta`` of each unit, so the layer computes
        ``W' x + b'`` with ``W' = W * s`` per output unit and ``b' = (b - running_mean)
        * s + beta``, ``s = gamma / sqrt(running_var + eps)`` (folded in float64).
        Without batch normalisation these are the linear layers' own parameters.
        """
        layers = list(self.layers)
        affine = []
        for layer, following in zip(layers, [*layers[1:], None], strict=True):
            if not isinstance(layer, nn.Linear | InputMajorLinear):
                continue
            weight, bias = layer.weight.detach(), layer.bias.detach()
            if isinstance(following, nn.BatchNorm1d):
                dtype = weight.dtype
                scale = following.weight.detach().double() / torch.sqrt(
                    following.running_var.double() + following.eps
                )
                bias = (bias.double() - following.running_mean.double()) * scale
                bias = (bias + following.bias.detach().double()).to(dtype)
                weight = (weight.double() * scale[:, None]).to(dtype)
            affine.append((weight, bias))
        return affine

    def forward(self, x):
        return self.layers(x)
