"""A recurrent network that summarises a sequence into one vector and maps it to outputs."""

import contextlib
import operator
from functools import cache, partial

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

CELLS = {
    "rnn": partial(nn.RNN, nonlinearity="tanh"),
    "gru": nn.GRU,
    "lstm": nn.LSTM,
}

ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "logistic": nn.Sigmoid,
    "identity": nn.Identity,
}


def _last_pooling(module, outputs, mask, h_n):
    # h_n already holds each sequence's state at its own last step, because the input was
    # packed; the backward direction's final state is its output at step 0.
    if module.bidirectional:
        return torch.cat([h_n[-2], h_n[-1]], dim=1)
    return h_n[-1]


def _mean_pooling(module, outputs, mask, h_n):
    mask = mask.unsqueeze(-1).to(outputs.dtype)
    return (outputs * mask).sum(dim=1) / mask.sum(dim=1)


def _max_pooling(module, outputs, mask, h_n):
    return outputs.masked_fill(~mask.unsqueeze(-1), float("-inf")).amax(dim=1)


def _attention_pooling(module, outputs, mask, h_n):
    scores = module.attention(outputs).squeeze(-1).masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=1)
    return torch.bmm(weights.unsqueeze(1), outputs).squeeze(1)


POOLINGS = {
    "last": _last_pooling,
    "mean": _mean_pooling,
    "max": _max_pooling,
    "attention": _attention_pooling,
}


def dense_head(in_size, dense_sizes, n_outputs, activation, dropout):
    """The head of the sequence encoders: dropout on the pooled vector, hidden dense layers
    (each with ``activation`` and dropout), then a linear layer of ``n_outputs`` units."""
    # Python numbers, whatever the caller passed (NumPy integers from a grid over
    # np.arange, a NumPy float).
    in_size, dropout = operator.index(in_size), float(dropout)
    layers = [nn.Dropout(dropout)]
    for size in dense_sizes:
        size = operator.index(size)
        layers += [nn.Linear(in_size, size), ACTIVATIONS[activation](), nn.Dropout(dropout)]
        in_size = size
    layers.append(nn.Linear(in_size, operator.index(n_outputs)))
    return nn.Sequential(*layers)


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}.")


class RecurrentModule(nn.Module):
    """Recurrent encoder, pooling over time, then a dense head.

    The input goes through an optional embedding (token ids), a stack of recurrent layers,
    a pooling step that turns the per-step outputs into one vector per sequence, and a
    multi-layer perceptron ending in a linear layer with ``n_outputs`` units (no output
    activation: the loss applies it).

    Sequences of different lengths are packed with
    :func:`torch.nn.utils.rnn.pack_padded_sequence`, so the padding after a sequence's true
    end never changes its output.

    Parameters
    ----------
    input_size : int
        Number of features per time step ``d``. Ignored when ``n_vocab`` is given (the
        embedding dimension is used instead).
    n_outputs : int
        Number of output units.
    cell : {'rnn', 'gru', 'lstm'}, default='lstm'
        Recurrent cell: 'rnn' is the vanilla Elman network with tanh.
    hidden_size : int, default=64
        Number of hidden units of each recurrent layer and direction.
    num_layers : int, default=1
        Number of stacked recurrent layers.
    bidirectional : bool, default=False
        Also run each layer from the end to the start; per-step outputs are then the two
        directions concatenated, of size ``2 * hidden_size``.
    dropout : float, default=0.0
        Dropout probability between stacked recurrent layers, on the pooled vector and
        after each hidden dense layer.
    pooling : {'last', 'mean', 'max', 'attention'}, default='last'
        How the per-step outputs become one vector per sequence:

        - 'last': the hidden state at each sequence's true last step; when bidirectional,
          the forward direction's last step concatenated with the backward direction's
          output at the first step (each direction's final state).
        - 'mean' / 'max': mean / maximum over the valid steps.
        - 'attention': a learned linear score per step, a softmax over the valid steps,
          and the weighted sum of the outputs.
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
    For 'lstm', the forget-gate bias starts at 1 instead of 0 (Jozefowicz et al., 2015): the
    cell then starts by remembering, so gradients reach the early steps of long sequences.

    Shapes:

    - input: ``(N, T, d)`` float, or ``(N, T)`` int64 token ids when ``n_vocab`` is given;
    - lengths: ``(N,)`` int64, each in ``[1, T]``;
    - output: ``(N, n_outputs)``.

    Examples
    --------
    >>> import torch
    >>> from sknn.modules.recurrent import RecurrentModule
    >>> _ = torch.manual_seed(0)
    >>> module = RecurrentModule(input_size=3, n_outputs=2, cell="gru", hidden_size=8,
    ...                          pooling="attention")
    >>> x = torch.randn(4, 10, 3)
    >>> module(x, lengths=torch.tensor([10, 7, 3, 1])).shape
    torch.Size([4, 2])
    >>> tokens = RecurrentModule(input_size=None, n_outputs=1, n_vocab=50, embedding_dim=4)
    >>> tokens(torch.tensor([[5, 9, 2, 0], [7, 0, 0, 0]])).shape
    torch.Size([2, 1])
    """

    def __init__(
        self,
        input_size: int | None,
        n_outputs: int,
        cell: str = "lstm",
        hidden_size: int = 64,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        pooling: str = "last",
        dense_sizes: tuple = (),
        activation: str = "relu",
        n_vocab: int | None = None,
        embedding_dim: int = 32,
    ):
        super().__init__()
        _check_choice("cell", cell, CELLS)
        _check_choice("pooling", pooling, POOLINGS)
        _check_choice("activation", activation, ACTIVATIONS)
        if n_vocab is None and input_size is None:
            raise ValueError("input_size is required when n_vocab is None.")
        # Python numbers: torch's recurrent layers refuse NumPy integers (the values of a
        # grid over np.arange) and their kernels NumPy booleans.
        hidden_size, num_layers = operator.index(hidden_size), operator.index(num_layers)
        bidirectional, dropout = bool(bidirectional), float(dropout)
        self.cell = cell
        self.pooling = pooling
        self.bidirectional = bidirectional

        if n_vocab is not None:
            embedding_dim = operator.index(embedding_dim)
            self.embedding = nn.Embedding(operator.index(n_vocab), embedding_dim, padding_idx=0)
            input_size = embedding_dim
        else:
            self.embedding = None
            input_size = operator.index(input_size)

        self.rnn = CELLS[cell](
            input_size=input_size,
            hidden_size=hidden_size,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=bidirectional,
            # torch warns about dropout on a single layer, where it would do nothing.
            dropout=dropout if num_layers > 1 else 0.0,
        )
        if cell == "lstm":
            _open_forget_gates(self.rnn)

        out_size = hidden_size * (2 if bidirectional else 1)
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
            lengths = torch.full((x.shape[0],), n_steps, dtype=torch.int64)
        lengths = torch.as_tensor(lengths, dtype=torch.int64).cpu()
        if lengths.shape != (x.shape[0],):
            raise ValueError(
                f"lengths must have shape ({x.shape[0]},), got {tuple(lengths.shape)}."
            )
        if len(lengths) and (lengths.min() < 1 or lengths.max() > n_steps):
            raise ValueError(f"lengths must be between 1 and {n_steps}, got {lengths.tolist()}.")

        with _cpu_autocast_for(self.rnn, x):
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            packed_outputs, h_n = self.rnn(packed)
        if isinstance(h_n, tuple):  # the LSTM also returns its cell state
            h_n = h_n[0]
        outputs, _ = pad_packed_sequence(packed_outputs, batch_first=True, total_length=n_steps)
        mask = torch.arange(n_steps, device=x.device) < lengths.to(x.device).unsqueeze(1)
        pooled = POOLINGS[self.pooling](self, outputs, mask, h_n)
        return self.head(pooled)


def _open_forget_gates(lstm):
    # torch orders the LSTM gates (input, forget, cell, output); the two biases are summed.
    hidden_size = lstm.hidden_size
    with torch.no_grad():
        for name, param in lstm.named_parameters():
            if name.startswith("bias_ih"):
                param[hidden_size : 2 * hidden_size].fill_(1.0)
            elif name.startswith("bias_hh"):
                param[hidden_size : 2 * hidden_size].fill_(0.0)


def _lengths_from_ids(ids):
    # Position of the last non-padding id plus one, so an id 0 inside a sequence (should a
    # vocabulary use it) does not cut the sequence short.
    steps = torch.arange(1, ids.shape[1] + 1, device=ids.device)
    return (steps * (ids != 0)).amax(dim=1).cpu()


def first_step_gradient_norm(module: nn.Module, x: torch.Tensor, lengths=None) -> float:
    """Size of the gradient of the outputs with respect to the first time step.

    Measures how much the first input of a sequence can still influence, through
    back-propagation, what the network outputs after reading the whole sequence: with a deep
    vanilla tanh RNN it shrinks geometrically with the length (the vanishing gradient),
    with an LSTM it does much less.

    Parameters
    ----------
    module : torch.nn.Module
        A module taking float ``(N, T, d)`` input, such as :class:`RecurrentModule`.
    x : torch.Tensor of shape (N, T, d)
        Float input; it is not modified.
    lengths : torch.Tensor of shape (N,), default=None
        Passed on to the module when given.

    Returns
    -------
    float
        The Euclidean norm of ``d sum(module(x)) / d x[:, 0, :]``, averaged over the batch.

    Examples
    --------
    >>> import torch
    >>> from sknn.modules.recurrent import RecurrentModule, first_step_gradient_norm
    >>> _ = torch.manual_seed(0)
    >>> module = RecurrentModule(input_size=2, n_outputs=1, cell="lstm", hidden_size=4)
    >>> first_step_gradient_norm(module, torch.randn(3, 5, 2)) > 0
    True
    """
    x = x.detach().clone().requires_grad_(True)
    output = module(x) if lengths is None else module(x, lengths)
    (grad,) = torch.autograd.grad(output.sum(), x)
    return grad[:, 0, :].norm(dim=1).mean().item()


def _cpu_autocast_for(rnn, x):
    """Run the recurrent layer ``rnn`` in float32 under a CPU autocast that oneDNN cannot
    run it in: float16 (no LSTM kernel for some shapes), and bfloat16 on processors whose
    oneDNN builds no bfloat16 kernel for this kind of layer (the LSTM on CPUs without
    AVX-512; :func:`_cpu_bf16_runs`). torch raises "could not create a primitive
    descriptor" there. Elsewhere autocast applies as usual; the rest of the network keeps
    the autocast dtype either way."""
    if x.device.type != "cpu" or not torch.is_autocast_enabled("cpu"):
        return contextlib.nullcontext()
    dtype = torch.get_autocast_dtype("cpu")
    if dtype == torch.float16 or (dtype == torch.bfloat16 and not _cpu_bf16_runs(type(rnn))):
        return torch.autocast("cpu", enabled=False)
    return contextlib.nullcontext()


@cache
def _cpu_bf16_runs(rnn_class):
    """Whether a recurrent layer of ``rnn_class`` trains under bfloat16 autocast on this
    CPU: a forward and backward pass of a tiny one, once per process and class (with
    gradients on, whatever the caller's mode, so that a first call under ``no_grad`` does
    not cache a wrong answer)."""
    try:
        with torch.inference_mode(False), torch.enable_grad():
            probe = rnn_class(2, 2, batch_first=True)
            with torch.autocast("cpu", dtype=torch.bfloat16):
                outputs = probe(torch.randn(2, 3, 2, requires_grad=True))[0]
            outputs.float().sum().backward()
    except RuntimeError:
        return False
    return True
