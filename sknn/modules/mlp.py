"""Fully connected feed-forward network."""

import itertools
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
        Lay the first layer's weight out for sparse input: stored input-major (the
        ``(n_features, width)`` layout of an embedding table, seen through ``.t()`` as the
        usual ``(width, n_features)``), so that a sparse batch reads, and its gradient
        writes, whole contiguous rows of it. Only the memory layout differs: values,
        ``state_dict`` keys and shapes are those of a dense network.

    Shape
    -----
    Input (N, n_features), strided or sparse CSR (multiplied as sparse: never densified);
    output (N, n_outputs).
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
            layers.append(ACTIVATIONS[activation]())
            if dropout:
                layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(sizes[-1], n_outputs))
        self.layers = nn.Sequential(*layers)
        for layer in self.layers:
            if isinstance(layer, nn.Linear):
                INITIALIZERS[init](layer, activation)
        if sparse_input:
            first = self.layers[0]
            first.weight = nn.Parameter(first.weight.detach().t().contiguous().t())

    def linear_layers(self):
        """The ``nn.Linear`` layers, input to output."""
        return [layer for layer in self.layers if isinstance(layer, nn.Linear)]

    def forward(self, x):
        if x.layout != torch.sparse_csr:
            return self.layers(x)
        # x @ W.T + b as a weighted sum of the weight columns of each row's stored features.
        first = self.layers[0]
        h = F.embedding_bag(
            x.col_indices(),
            first.weight.t(),
            x.crow_indices(),
            mode="sum",
            per_sample_weights=x.values(),
            include_last_offset=True,
        )
        h = h + first.bias
        for layer in itertools.islice(self.layers, 1, None):
            h = layer(h)
        return h
