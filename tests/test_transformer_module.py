import pytest
import torch

from sknn.modules.transformer import TransformerEncoderModule
from sknn.text import CLS_ID

N_VOCAB = 12


def make_module(**params):
    torch.manual_seed(0)
    defaults = dict(n_vocab=N_VOCAB, n_outputs=3, d_model=16, n_heads=2, n_layers=2, max_len=10)
    return TransformerEncoderModule(**{**defaults, **params})


def test_default_cls_id_matches_the_vectorizer():
    assert TransformerEncoderModule(N_VOCAB, 2).cls_id == CLS_ID


@pytest.mark.parametrize("pooling", ["cls", "mean", "max"])
@pytest.mark.parametrize("positional", ["sinusoidal", "learned"])
def test_output_shape_and_attention_shapes(pooling, positional):
    module = make_module(pooling=pooling, positional=positional, n_layers=3).eval()
    ids = torch.randint(3, N_VOCAB, (4, 7))
    logits = module(ids)
    assert logits.shape == (4, 3)
    assert logits.dtype == torch.float32
    logits_explicit, attention = module(ids, return_attention=True)
    seq_len = 8 if pooling == "cls" else 7
    assert len(attention) == 3
    assert all(w.shape == (4, 2, seq_len, seq_len) for w in attention)
    # The explicit path computes the same function as the fused one.
    torch.testing.assert_close(logits_explicit, logits, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("pooling", ["cls", "mean", "max"])
@pytest.mark.parametrize("positional", ["sinusoidal", "learned"])
def test_padding_invariance(pooling, positional):
    module = make_module(pooling=pooling, positional=positional, dropout=0.3).eval()
    short = torch.tensor([[5, 6, 7]])
    batch = torch.tensor([[5, 6, 7, 0, 0, 0, 0], [3, 4, 5, 6, 7, 8, 9], [8, 0, 0, 0, 0, 0, 0]])
    with torch.no_grad():
        alone = module(short)
        padded = module(batch)
    torch.testing.assert_close(padded[0:1], alone, atol=1e-5, rtol=1e-5)


def test_padding_token_values_do_not_matter():
    # The mask, not the embedding row of id 0, is what hides padding: changing the padding
    # embedding must leave the output unchanged.
    module = make_module(pooling="mean").eval()
    ids = torch.tensor([[5, 6, 0, 0], [4, 0, 0, 0]])
    before = module(ids).detach()
    with torch.no_grad():
        module.embedding.weight[0] = 100.0
    torch.testing.assert_close(module(ids), before, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("pooling", ["cls", "mean", "max"])
def test_attention_weights_sum_to_one_over_non_pad_keys(pooling):
    module = make_module(pooling=pooling).eval()
    ids = torch.tensor([[5, 6, 7, 0, 0], [3, 4, 0, 0, 0]])
    _, attention = module(ids, return_attention=True)
    key_mask = ids != 0
    if pooling == "cls":
        key_mask = torch.cat([torch.ones(2, 1, dtype=torch.bool), key_mask], dim=1)
    for weights in attention:
        pad_keys = ~key_mask[:, None, None, :].expand_as(weights)
        assert torch.all(weights[pad_keys] == 0)
        torch.testing.assert_close(weights.sum(dim=-1), torch.ones(weights.shape[:-1]))


def test_cls_and_mean_pooling_differ_and_cls_uses_the_cls_id():
    ids = torch.tensor([[5, 6, 7]])
    cls = make_module(pooling="cls").eval()
    mean = make_module(pooling="mean").eval()
    assert not torch.allclose(cls(ids), mean(ids))
    # Changing the [CLS] embedding changes the output with CLS pooling only.
    before_cls, before_mean = cls(ids).detach(), mean(ids).detach()
    with torch.no_grad():
        shift = torch.randn(16)
        cls.embedding.weight[CLS_ID] += shift
        mean.embedding.weight[CLS_ID] += shift
    assert not torch.allclose(cls(ids), before_cls)
    torch.testing.assert_close(mean(ids), before_mean)


@pytest.mark.parametrize("pooling", ["mean", "max"])
def test_all_padding_row_stays_finite(pooling):
    module = make_module(pooling=pooling).eval()
    assert torch.isfinite(module(torch.zeros(2, 4, dtype=torch.long))).all()


def test_max_pooling_takes_each_features_maximum_over_tokens_only():
    from sknn.modules.transformer import POOLINGS

    hidden = torch.tensor([[[1.0, -5.0], [3.0, -2.0], [9.0, 9.0]]])
    mask = torch.tensor([[True, True, False]])  # the third position is padding
    torch.testing.assert_close(POOLINGS["max"](hidden, mask), torch.tensor([[3.0, -2.0]]))


def test_frozen_embedding_is_not_updated():
    weights = torch.randn(N_VOCAB, 8)
    module = make_module(embedding_weights=weights, freeze_embedding=True)
    assert isinstance(module.projection, torch.nn.Linear)  # 8 -> d_model=16
    optimizer = torch.optim.SGD(module.parameters(), lr=1.0)
    head_before = module.head.weight.detach().clone()
    module(torch.tensor([[3, 4, 5]])).sum().backward()
    optimizer.step()
    torch.testing.assert_close(module.embedding.weight, weights)
    assert not torch.equal(module.head.weight, head_before)
    # The caller's matrix is copied, never trained in place.
    module.embedding.weight.data.add_(1.0)
    assert not torch.equal(module.embedding.weight, weights)


def test_given_embedding_trains_when_not_frozen():
    weights = torch.randn(N_VOCAB, 16)
    module = make_module(embedding_weights=weights)
    assert isinstance(module.projection, torch.nn.Identity)
    torch.optim.SGD(module.parameters(), lr=1.0).zero_grad()
    module(torch.tensor([[3, 4, 5]])).sum().backward()
    torch.optim.SGD(module.parameters(), lr=1.0).step()
    assert not torch.allclose(module.embedding.weight, weights)


def test_tiny_model_overfits_whether_token_5_appears():
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(3, N_VOCAB, (64, 6), generator=generator)
    ids[ids == 5] = 6
    has_five = torch.arange(64) % 2 == 0
    positions = torch.randint(0, 6, (64,), generator=generator)
    ids[has_five, positions[has_five]] = 5
    lengths = torch.randint(2, 7, (64,), generator=generator)
    lengths[has_five] = torch.maximum(lengths[has_five], positions[has_five] + 1)
    ids[torch.arange(6) >= lengths[:, None]] = 0
    y = has_five.long()

    module = make_module(n_outputs=2, n_layers=1, dropout=0.0)
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-2)
    for _ in range(40):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(module(ids), y)
        loss.backward()
        optimizer.step()
    module.eval()
    accuracy = (module(ids).argmax(dim=1) == y).float().mean().item()
    assert accuracy == 1.0


def test_errors():
    with pytest.raises(ValueError, match="divisible"):
        make_module(d_model=10, n_heads=4)
    with pytest.raises(ValueError, match="pooling"):
        make_module(pooling="maximum")
    with pytest.raises(ValueError, match="positional"):
        make_module(positional="rotary")
    with pytest.raises(ValueError, match="embedding_weights"):
        make_module(embedding_weights=torch.zeros(N_VOCAB + 1, 16))
    module = make_module(max_len=4)
    with pytest.raises(ValueError, match="max_len=4"):
        module(torch.ones(1, 5, dtype=torch.long))
    module(torch.ones(1, 4, dtype=torch.long))  # the prepended [CLS] is not counted
    with pytest.raises(ValueError, match="token_dropout"):
        make_module(token_dropout=1.0)
    with pytest.raises(ValueError, match="oov_id"):
        make_module(token_dropout=0.1, oov_id=N_VOCAB)


def _ids_seen_by_the_embedding(module, ids):
    seen = []
    handle = module.embedding.register_forward_hook(lambda mod, args, out: seen.append(args[0]))
    module(ids)
    handle.remove()
    return seen[0]


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_token_dropout_replaces_tokens_by_oov_in_training_only(pooling):
    oov = 1
    module = make_module(token_dropout=0.3, oov_id=oov, pooling=pooling, max_len=50)
    torch.manual_seed(1)
    ids = torch.randint(3, N_VOCAB, (400, 50))
    ids[:, 40:] = 0  # padding
    offset = 1 if pooling == "cls" else 0
    seen = _ids_seen_by_the_embedding(module.train(), ids)[:, offset:]
    if pooling == "cls":
        assert (_ids_seen_by_the_embedding(module, ids)[:, 0] == CLS_ID).all()
    changed = seen != ids
    assert (seen[changed] == oov).all()
    assert not changed[:, 40:].any(), "padding must stay padding"
    rate = changed[:, :40].float().mean().item()
    assert abs(rate - 0.3) < 0.01, rate
    # A fresh draw per batch, and none at all in eval mode.
    assert not torch.equal(_ids_seen_by_the_embedding(module, ids)[:, offset:], seen)
    assert torch.equal(_ids_seen_by_the_embedding(module.eval(), ids)[:, offset:], ids)
