"""A transformer encoder for sequence classification and regression, as in the lectures."""

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

PAD_ID = 0


class SinusoidalPositionalEncoding(nn.Module):
    """Fixed sine/cosine positional encoding (Vaswani et al., 2017), added to the input.

    Parameters
    ----------
    d_model : int
        The embedding size ``E``.
    max_len : int
        The number of positions encoded.

    Shape
    -----
    - Input: ``(N, S, E)``, ``S <= max_len``.
    - Output: ``(N, S, E)``.

    Examples
    --------
    >>> import torch
    >>> from sknn.modules.transformer import SinusoidalPositionalEncoding
    >>> SinusoidalPositionalEncoding(8, max_len=16)(torch.zeros(2, 5, 8)).shape
    torch.Size([2, 5, 8])
    """

    def __init__(self, d_model: int, max_len: int):
        super().__init__()
        table = torch.zeros(max_len, d_model)
        # On the meta device (shapes only: sknn's size check) there are no values to
        # compute, and torch's meta ``arange`` would import its compiler stack.
        if not table.is_meta:
            position = torch.arange(max_len, dtype=torch.float32).unsqueeze(1)
            frequency = torch.exp(
                torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model)
            )
            table[:, 0::2] = torch.sin(position * frequency)
            table[:, 1::2] = torch.cos(position * frequency[: d_model // 2])
        # Not persistent: it is recomputed from the constructor arguments, so saving it in
        # every state dict would only waste space.
        self.register_buffer("table", table, persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.table[: x.shape[1]]


class LearnedPositionalEncoding(nn.Module):
    """A learned embedding per position, added to the input.

    Parameters
    ----------
    d_model : int
        The embedding size ``E``.
    max_len : int
        The number of positions encoded.

    Shape
    -----
    - Input: ``(N, S, E)``, ``S <= max_len``.
    - Output: ``(N, S, E)``.

    Examples
    --------
    >>> import torch
    >>> from sknn.modules.transformer import LearnedPositionalEncoding
    >>> LearnedPositionalEncoding(8, max_len=16)(torch.zeros(2, 5, 8)).shape
    torch.Size([2, 5, 8])
    """

    def __init__(self, d_model: int, max_len: int):
        super().__init__()
        self.embedding = nn.Embedding(max_len, d_model)
        # Small, so that positions do not drown the token embeddings at the start.
        nn.init.normal_(self.embedding.weight, std=0.02)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.embedding.weight[: x.shape[1]]


POSITIONAL_ENCODINGS = {
    "sinusoidal": SinusoidalPositionalEncoding,
    "learned": LearnedPositionalEncoding,
}


class MultiHeadSelfAttention(nn.Module):
    """Multi-head scaled dot-product self-attention with a key padding mask.

    The default path calls :func:`torch.nn.functional.scaled_dot_product_attention`, which
    picks a fused kernel on GPUs. With ``return_attention=True`` the weights are computed
    explicitly instead, so that they can be returned.

    Parameters
    ----------
    d_model : int
        The embedding size ``E``; must be divisible by ``n_heads``.
    n_heads : int
        The number of heads ``H``.
    attention_dropout : float, default=0.0
        Dropout on the attention weights, in training only.

    Shape
    -----
    - x: ``(N, S, E)``.
    - key_mask: ``(N, S)`` bool, True for the positions that may be attended to.
    - Output: ``(N, S, E)``, and with ``return_attention=True`` also the weights
      ``(N, H, S, S)``, each row summing to 1 over the unmasked keys.

    Examples
    --------
    >>> import torch
    >>> from sknn.modules.transformer import MultiHeadSelfAttention
    >>> attention = MultiHeadSelfAttention(8, n_heads=2)
    >>> out, weights = attention(torch.randn(3, 5, 8), torch.ones(3, 5, dtype=torch.bool),
    ...                          return_attention=True)
    >>> out.shape, weights.shape
    (torch.Size([3, 5, 8]), torch.Size([3, 2, 5, 5]))
    """

    def __init__(self, d_model: int, n_heads: int, attention_dropout: float = 0.0):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(
                f"d_model must be divisible by n_heads; got d_model={d_model} and "
                f"n_heads={n_heads}."
            )
        self.n_heads = n_heads
        self.attention_dropout = attention_dropout
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)

    def forward(self, x: Tensor, key_mask: Tensor, return_attention: bool = False):
        n, s, e = x.shape
        # (N, S, 3E) -> three (N, H, S, E/H)
        q, k, v = self.qkv(x).view(n, s, 3, self.n_heads, e // self.n_heads).permute(2, 0, 3, 1, 4)
        mask = key_mask[:, None, None, :]
        dropout_p = self.attention_dropout if self.training else 0.0
        if return_attention:
            scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
            weights = scores.masked_fill(~mask, float("-inf")).softmax(dim=-1)
            context = F.dropout(weights, dropout_p, self.training) @ v
        else:
            weights = None
            context = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
        out = self.out(context.transpose(1, 2).reshape(n, s, e))
        return (out, weights) if return_attention else out


class TransformerEncoderBlock(nn.Module):
    """One pre-norm encoder block: ``x + Attn(LN(x))``, then ``x + FFN(LN(x))``.

    Pre-norm (Xiong et al., 2020) rather than the original post-norm: it trains stably
    without a learning-rate warm-up, which matters for estimators fitted with default
    settings.

    Parameters
    ----------
    d_model : int
        The embedding size ``E``.
    n_heads : int
        The number of attention heads.
    dim_feedforward : int
        The hidden size of the feed-forward MLP.
    dropout : float
        Dropout on the outputs of the attention and of the MLP, and inside the MLP.
    attention_dropout : float
        Dropout on the attention weights.
    norm_eps : float, default=1e-5
        The epsilon of the layer normalisations.

    Shape
    -----
    - x: ``(N, S, E)``; key_mask: ``(N, S)`` bool, True where a key may be attended to.
    - Output: ``(N, S, E)`` (and the ``(N, H, S, S)`` weights with ``return_attention``).

    Examples
    --------
    >>> import torch
    >>> from sknn.modules.transformer import TransformerEncoderBlock
    >>> block = TransformerEncoderBlock(8, 2, 16, dropout=0.1, attention_dropout=0.0)
    >>> block(torch.randn(3, 5, 8), torch.ones(3, 5, dtype=torch.bool)).shape
    torch.Size([3, 5, 8])
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        dim_feedforward: int,
        dropout: float,
        attention_dropout: float,
        norm_eps: float = 1e-5,
    ):
        super().__init__()
        self.norm_attention = nn.LayerNorm(d_model, eps=norm_eps)
        self.attention = MultiHeadSelfAttention(d_model, n_heads, attention_dropout)
        self.norm_feedforward = nn.LayerNorm(d_model, eps=norm_eps)
        self.feedforward = nn.Sequential(
            nn.Linear(d_model, dim_feedforward),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(dim_feedforward, d_model),
        )
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, key_mask: Tensor, return_attention: bool = False):
        attended = self.attention(self.norm_attention(x), key_mask, return_attention)
        if return_attention:
            attended, weights = attended
        x = x + self.dropout(attended)
        x = x + self.dropout(self.feedforward(self.norm_feedforward(x)))
        return (x, weights) if return_attention else x


def _cls_pool(hidden: Tensor, key_mask: Tensor) -> Tensor:
    return hidden[:, 0]


def _mean_pool(hidden: Tensor, key_mask: Tensor) -> Tensor:
    weights = key_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)


def _max_pool(hidden: Tensor, key_mask: Tensor) -> Tensor:
    # Max over the tokens of each feature (max-over-time, as in convolutional text
    # classifiers); padding never wins. A row with no token at all gives zeros.
    masked = hidden.masked_fill(~key_mask.unsqueeze(-1), float("-inf"))
    pooled = masked.max(dim=1).values
    return torch.where(key_mask.any(dim=1, keepdim=True), pooled, torch.zeros_like(pooled))


POOLINGS = {"cls": _cls_pool, "mean": _mean_pool, "max": _max_pool}


class TransformerEncoderModule(nn.Module):
    """A transformer encoder over token ids, pooled into one vector, then a linear head.

    Token embedding (``padding_idx=0``), positional encoding, ``n_layers`` pre-norm blocks of
    multi-head self-attention and a GELU feed-forward MLP, a final layer normalisation,
    pooling by a ``[CLS]`` token or by the masked mean, and a linear layer to
    ``n_outputs`` logits. Padding (id 0) is masked out of every attention and of the mean,
    so a sequence gets the same output alone or padded inside a batch (in eval mode).

    Parameters
    ----------
    n_vocab : int
        The number of token ids, padding, OOV and ``[CLS]`` included.
    n_outputs : int
        The size of the output (the number of classes, or of regression targets).
    d_model : int, default=64
        The embedding size ``E``; must be divisible by ``n_heads``.
    n_heads : int, default=4
        The number of attention heads ``H``.
    n_layers : int, default=2
        The number of encoder blocks.
    dim_feedforward : int or None, default=None
        The hidden size of each block's MLP; None means ``4 * d_model``.
    dropout : float, default=0.1
        Dropout on the embeddings, on each block's residual branches and inside its MLP, and
        before the head.
    attention_dropout : float, default=0.0
        Dropout on the attention weights.
    token_dropout : float, default=0.0
        Word dropout: in training, each token (padding and ``[CLS]`` excepted) is
        replaced by ``oov_id`` with this probability, so the model cannot lean on single
        words and the out-of-vocabulary embedding learns to stand for unseen ones.
    oov_id : int, default=1
        The id that dropped tokens become (``sknn.text.OOV_ID``).
    max_len : int, default=512
        The longest input ``L`` accepted (the prepended ``[CLS]`` not counted).
    positional : {"sinusoidal", "learned"}, default="sinusoidal"
        The positional encoding.
    pooling : {"cls", "mean", "max"}, default="cls"
        ``"cls"`` prepends the token ``cls_id`` to every sequence and classifies from its
        final state; ``"mean"`` averages the final states of the non-padding tokens.
    cls_id : int, default=2
        The id of the ``[CLS]`` token (``sknn.text.CLS_ID``); used with ``pooling="cls"``.
    embedding_weights : Tensor or array-like of shape (n_vocab, d_embed) or None, default=None
        Initial token embeddings, e.g. pre-trained word vectors. When ``d_embed`` differs
        from ``d_model`` a linear projection to ``d_model`` follows the embedding.
    freeze_embedding : bool, default=False
        Keep the token embedding fixed during training.
    norm_eps : float, default=1e-5
        The epsilon of the layer normalisations.

    Shape
    -----
    - ids: ``(N, L)`` int64, 0 for padding.
    - Output: ``(N, n_outputs)`` logits. With ``return_attention=True`` also a list of
      ``n_layers`` tensors ``(N, H, S, S)``, where ``S = L + 1`` with ``pooling="cls"``
      (position 0 is ``[CLS]``) and ``S = L`` otherwise.

    Notes
    -----
    Padding is expected on the right, as :class:`sknn.text.TextVectorizer` writes it:
    positions count from the first column, so left padding would shift them.

    A row of ids that is all padding has no key to attend to; with ``pooling="mean"`` its
    first position is then treated as a token so that the output stays finite.
    :class:`sknn.text.TextVectorizer` never produces such rows.

    Examples
    --------
    >>> import torch
    >>> from sknn.modules.transformer import TransformerEncoderModule
    >>> _ = torch.manual_seed(0)
    >>> module = TransformerEncoderModule(n_vocab=10, n_outputs=3, d_model=16, n_heads=2)
    >>> ids = torch.tensor([[3, 4, 5], [6, 7, 0]])
    >>> module(ids).shape
    torch.Size([2, 3])
    >>> logits, attention = module.eval()(ids, return_attention=True)
    >>> len(attention), attention[0].shape
    (2, torch.Size([2, 2, 4, 4]))
    """

    def __init__(
        self,
        n_vocab: int,
        n_outputs: int,
        *,
        d_model: int = 64,
        n_heads: int = 4,
        n_layers: int = 2,
        dim_feedforward: int | None = None,
        dropout: float = 0.1,
        attention_dropout: float = 0.0,
        token_dropout: float = 0.0,
        oov_id: int = 1,
        max_len: int = 512,
        positional: str = "sinusoidal",
        pooling: str = "cls",
        cls_id: int = 2,
        embedding_weights=None,
        freeze_embedding: bool = False,
        norm_eps: float = 1e-5,
    ):
        super().__init__()
        if positional not in POSITIONAL_ENCODINGS:
            raise ValueError(
                f"positional must be one of {sorted(POSITIONAL_ENCODINGS)}; got {positional!r}."
            )
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {sorted(POOLINGS)}; got {pooling!r}.")
        if pooling == "cls" and not 0 < cls_id < n_vocab:
            raise ValueError(f"cls_id must lie in [1, n_vocab={n_vocab}); got {cls_id}.")
        if not 0.0 <= token_dropout < 1.0:
            raise ValueError(f"token_dropout must lie in [0, 1); got {token_dropout}.")
        if token_dropout and not 0 < oov_id < n_vocab:
            raise ValueError(f"oov_id must lie in [1, n_vocab={n_vocab}); got {oov_id}.")
        self.pooling = pooling
        self.cls_id = cls_id
        self.token_dropout = token_dropout
        self.oov_id = oov_id
        self.max_len = max_len
        self.embedding = self._make_embedding(n_vocab, d_model, embedding_weights)
        self.embedding.weight.requires_grad_(not freeze_embedding)
        d_embed = self.embedding.embedding_dim
        self.projection = nn.Linear(d_embed, d_model) if d_embed != d_model else nn.Identity()
        n_positions = max_len + (1 if pooling == "cls" else 0)
        self.positional = POSITIONAL_ENCODINGS[positional](d_model, n_positions)
        self.dropout = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            TransformerEncoderBlock(
                d_model,
                n_heads,
                dim_feedforward or 4 * d_model,
                dropout,
                attention_dropout,
                norm_eps,
            )
            for _ in range(n_layers)
        )
        self.norm = nn.LayerNorm(d_model, eps=norm_eps)
        self.head = nn.Linear(d_model, n_outputs)

    @staticmethod
    def _make_embedding(n_vocab, d_model, weights):
        if weights is None:
            return nn.Embedding(n_vocab, d_model, padding_idx=PAD_ID)
        weights = torch.as_tensor(weights, dtype=torch.float32)
        if weights.ndim != 2 or weights.shape[0] != n_vocab:
            raise ValueError(
                f"embedding_weights must have shape (n_vocab={n_vocab}, d_embed); got "
                f"{tuple(weights.shape)}."
            )
        # Copied, so that training never writes into the caller's matrix.
        return nn.Embedding.from_pretrained(weights.clone(), freeze=False, padding_idx=PAD_ID)

    def forward(self, ids: Tensor, return_attention: bool = False):
        """Compute the logits of a batch of id sequences.

        Parameters
        ----------
        ids : Tensor of shape (N, L), dtype=int64
            Token ids, 0 for padding, ``L <= max_len``.
        return_attention : bool, default=False
            Also return each layer's attention weights (computed explicitly, so slower).

        Returns
        -------
        logits : Tensor of shape (N, n_outputs)
        attention : list of Tensor of shape (N, H, S, S)
            Only with ``return_attention=True``: one per layer, in order.
        """
        if ids.ndim != 2:
            raise ValueError(f"ids must have shape (N, L); got {tuple(ids.shape)}.")
        if ids.shape[1] > self.max_len:
            raise ValueError(
                f"Sequences of length {ids.shape[1]} exceed max_len={self.max_len}; "
                "truncate them or build the module with a larger max_len."
            )
        if self.training and self.token_dropout > 0:
            # Drawn from torch's global generator on the ids' device, like dropout, so
            # seeded fits stay reproducible and the step can be captured.
            dropped = torch.rand(ids.shape, device=ids.device) < self.token_dropout
            ids = torch.where(dropped & (ids != PAD_ID), self.oov_id, ids)
        if self.pooling == "cls":
            cls = torch.full((ids.shape[0], 1), self.cls_id, dtype=ids.dtype, device=ids.device)
            ids = torch.cat([cls, ids], dim=1)
        key_mask = ids != PAD_ID
        # Keeps an all-padding row from a softmax over no keys (NaN); see Notes.
        key_mask[:, 0] |= ~key_mask.any(dim=1)

        hidden = self.dropout(self.positional(self.projection(self.embedding(ids))))
        attention = []
        for block in self.blocks:
            hidden = block(hidden, key_mask, return_attention)
            if return_attention:
                hidden, weights = hidden
                attention.append(weights)
        pooled = POOLINGS[self.pooling](self.norm(hidden), key_mask)
        logits = self.head(self.dropout(pooled))
        return (logits, attention) if return_attention else logits
