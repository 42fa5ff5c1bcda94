"""A multi-layer perceptron over a table of numeric and categorical columns.

Each categorical column is looked up in its own embedding table; the numeric columns go in
as they are or through a numeric-feature embedding (periodic, or piecewise linear over
quantile bins: Gorishniy, Rubachev & Babenko, "On Embeddings for Numerical Features in
Tabular Deep Learning", NeurIPS 2022); everything is concatenated and fed to an
:class:`~sknn.modules.mlp.MLPModule`.
"""

import math

import torch
from torch import nn

from sknn.modules.mlp import MLPModule

#: Rows every categorical embedding table reserves before the categories seen in training:
#: code 0 is a missing value, code 1 a category not seen in training.
MISSING_CODE = 0
UNKNOWN_CODE = 1
N_RESERVED_CODES = 2

#: Standard deviation of the initial embedding vectors (fastai's choice: small vectors
#: let the network grow the categories' effects from the data instead of starting from
#: large random features).
EMBEDDING_INIT_STD = 0.01


class CategoricalEmbeddings(nn.Module):
    """One embedding table per categorical column, outputs concatenated.

    Row 0 of each table is the missing value's vector and row 1 the unknown category's;
    both start at zero (the centre of the other rows' initial distribution), the other
    rows at N(0, :data:`EMBEDDING_INIT_STD` ** 2). A row that no training code reaches keeps
    its initial value: an unknown category then maps to that centre.

    Parameters
    ----------
    cardinalities : sequence of int
        Rows of each table: the column's training categories plus
        :data:`N_RESERVED_CODES`.
    dims : sequence of int
        Width of each table.

    Shape
    -----
    Input (N, n_columns) of int64 codes; output (N, sum(dims)).
    """

    def __init__(self, cardinalities, dims):
        super().__init__()
        self.tables = nn.ModuleList(
            nn.Embedding(int(n), int(d)) for n, d in zip(cardinalities, dims, strict=True)
        )
        with torch.no_grad():
            for table in self.tables:
                nn.init.normal_(table.weight, std=EMBEDDING_INIT_STD)
                table.weight[:N_RESERVED_CODES].zero_()

    def forward(self, codes):
        return torch.cat(self.lookups(codes), dim=1)

    def lookups(self, codes):
        """Each column's embedding vectors, (N, dims[j]) each: what :meth:`forward`
        concatenates."""
        return [table(codes[:, j]) for j, table in enumerate(self.tables)]


class _PerFeatureLinear(nn.Module):
    """A separate ``Linear(d_in, d_out)`` for each of ``n_features`` features.

    Shape: input (N, n_features, d_in); output (N, n_features, d_out).
    """

    def __init__(self, n_features, d_in, d_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_features, d_in, d_out))
        self.bias = nn.Parameter(torch.empty(n_features, d_out))
        bound = 1 / math.sqrt(d_in)  # nn.Linear's default initialisation
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return torch.einsum("nfi,fio->nfo", x, self.weight) + self.bias


class PeriodicEmbeddings(nn.Module):
    """Periodic embeddings of numeric features, "PLR" in Gorishniy et al. (2022).

    Feature ``x_j`` becomes ``ReLU(W_j [cos(2 pi c_j x_j), sin(2 pi c_j x_j)] + b_j)``,
    with ``n_frequencies`` trained frequencies ``c_j`` drawn from N(0, sigma^2) and a linear
    map of its own per feature. The inputs should be scaled (``sigma`` is relative to
    their unit).

    Parameters
    ----------
    n_features : int
    n_frequencies : int, default=48
    d_embedding : int, default=24
    sigma : float, default=0.01
        Standard deviation of the initial frequencies.

    Shape
    -----
    Input (N, n_features); output (N, n_features * d_embedding).
    """

    def __init__(self, n_features, n_frequencies=48, d_embedding=24, sigma=0.01):
        super().__init__()
        self.n_outputs = n_features * d_embedding
        self.frequencies = nn.Parameter(torch.empty(n_features, n_frequencies))
        nn.init.normal_(self.frequencies, std=sigma)
        self.linear = _PerFeatureLinear(n_features, 2 * n_frequencies, d_embedding)

    def forward(self, x):
        angles = 2 * math.pi * self.frequencies * x.unsqueeze(-1)
        periodic = torch.cat([torch.cos(angles), torch.sin(angles)], dim=-1)
        return torch.relu(self.linear(periodic)).flatten(1)


class PiecewiseLinearEmbeddings(nn.Module):
    """Piecewise-linear encoding over bins, then a linear map and ReLU per feature ("Q-LR"
    in Gorishniy et al., 2022).

    With bin edges ``e_0 < e_1 < ... < e_T`` (quantiles of the training values), bin ``t``
    encodes ``x`` as ``(x - e_{t-1}) / (e_t - e_{t-1})`` clipped to [0, 1]; the first bin is
    not clipped below nor the last above, so values beyond the training range extrapolate
    linearly. A feature with fewer bins than the widest pads with zeros.

    Parameters
    ----------
    edges : sequence of 1-D tensors or arrays
        Increasing bin edges of each feature (a feature with one edge or none has no bins
        and encodes to zero).
    d_embedding : int, default=24

    Shape
    -----
    Input (N, n_features); output (N, n_features * d_embedding).
    """

    def __init__(self, edges, d_embedding=24):
        super().__init__()
        # The tables follow from the edges (data, held on the CPU), so they are computed on
        # the CPU and then copied to the device the module is built on: on the meta device
        # (sknn's size check) the copy only records shapes.
        cpu = torch.device("cpu")
        edges = [torch.as_tensor(e, dtype=torch.float32, device=cpu).reshape(-1) for e in edges]
        n_features = len(edges)
        n_bins = max([len(e) - 1 for e in edges] + [1])
        left = torch.zeros(n_features, n_bins, device=cpu)
        width = torch.ones(n_features, n_bins, device=cpu)
        # Per bin: 1 where the encoding is clipped below at 0 / above at 1; 0 for padding.
        clip_low = torch.zeros(n_features, n_bins, device=cpu)
        clip_high = torch.zeros(n_features, n_bins, device=cpu)
        valid = torch.zeros(n_features, n_bins, device=cpu)
        for j, e in enumerate(edges):
            t = len(e) - 1
            if t < 1:
                continue
            left[j, :t] = e[:-1]
            width[j, :t] = e[1:] - e[:-1]
            valid[j, :t] = 1
            clip_low[j, 1:t] = 1
            clip_high[j, : t - 1] = 1
        for name, table in [
            ("left", left),
            ("width", width),
            ("clip_low", clip_low),
            ("clip_high", clip_high),
            ("valid", valid),
        ]:
            self.register_buffer(name, torch.empty(table.shape).copy_(table))
        self.n_outputs = n_features * d_embedding
        self.linear = _PerFeatureLinear(n_features, n_bins, d_embedding)

    def encode(self, x):
        """The piecewise-linear encoding, (N, n_features) -> (N, n_features, n_bins)."""
        ratio = (x.unsqueeze(-1) - self.left) / self.width
        ratio = torch.where(self.clip_low > 0, ratio.clamp(min=0), ratio)
        ratio = torch.where(self.clip_high > 0, ratio.clamp(max=1), ratio)
        return ratio * self.valid

    def forward(self, x):
        return torch.relu(self.linear(self.encode(x))).flatten(1)


#: ``numeric_embedding`` name -> builder(n_features, edges) of the embedding module.
NUMERIC_EMBEDDINGS = {
    "periodic": lambda n_features, edges: PeriodicEmbeddings(n_features),
    "piecewise_linear": lambda n_features, edges: PiecewiseLinearEmbeddings(edges),
}


class TabularMLPModule(nn.Module):
    """Embeddings of the categorical columns and (optionally) of the numeric ones,
    concatenated, then an :class:`~sknn.modules.mlp.MLPModule`.

    Parameters
    ----------
    n_numeric : int
        Number of numeric columns (0 for none).
    cardinalities : sequence of int
        Rows of each categorical column's embedding table (its categories plus
        :data:`N_RESERVED_CODES`).
    embedding_dims : sequence of int
        Width of each categorical column's embedding.
    hidden_layer_sizes, n_outputs, activation, dropout, batch_norm, init
        As for :class:`~sknn.modules.mlp.MLPModule`.
    numeric_embedding : {None, 'periodic', 'piecewise_linear'}, default=None
        How the numeric columns enter: as they are, or through :class:`PeriodicEmbeddings`
        or :class:`PiecewiseLinearEmbeddings`.
    numeric_bins : sequence of 1-D arrays or None, default=None
        Bin edges per numeric column, for 'piecewise_linear'.

    Shape
    -----
    Keyword inputs ``numeric`` (N, n_numeric) float and ``categorical`` (N, n_categorical)
    int64 codes (either may be omitted when there are no such columns); output
    (N, n_outputs).
    """

    def __init__(
        self,
        n_numeric,
        cardinalities,
        embedding_dims,
        hidden_layer_sizes,
        n_outputs,
        activation="relu",
        dropout=0.0,
        batch_norm=False,
        init="glorot",
        numeric_embedding=None,
        numeric_bins=None,
    ):
        super().__init__()
        self.numeric_embeddings = None
        n_inputs = n_numeric
        if n_numeric and numeric_embedding is not None:
            self.numeric_embeddings = NUMERIC_EMBEDDINGS[numeric_embedding](
                n_numeric, numeric_bins
            )
            n_inputs = self.numeric_embeddings.n_outputs
        self.categorical_embeddings = None
        if len(cardinalities):
            self.categorical_embeddings = CategoricalEmbeddings(cardinalities, embedding_dims)
            n_inputs += sum(int(d) for d in embedding_dims)
        self.mlp = MLPModule(
            n_inputs,
            hidden_layer_sizes,
            n_outputs,
            activation=activation,
            dropout=dropout,
            batch_norm=batch_norm,
            init=init,
        )

    def linear_layers(self):
        """The MLP's linear layers, input to output (the embeddings are not among them)."""
        return self.mlp.linear_layers()

    def affine_layers(self):
        """The MLP's :meth:`~sknn.modules.mlp.MLPModule.affine_layers`: its linear layers
        with batch normalisation folded in, input to output; the first one's input is the
        concatenation that :meth:`forward` feeds the MLP."""
        return self.mlp.affine_layers()

    def forward(self, numeric=None, categorical=None):
        parts = []
        if numeric is not None:
            if self.numeric_embeddings is not None:
                numeric = self.numeric_embeddings(numeric)
            parts.append(numeric)
        if categorical is not None:
            # One concatenation of everything: one copy of the rows, not two.
            parts.extend(self.categorical_embeddings.lookups(categorical))
        return self.mlp(torch.cat(parts, dim=1) if len(parts) > 1 else parts[0])
