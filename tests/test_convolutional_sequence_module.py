"""ConvSequenceModule and MaskedBatchNorm1d: padding never changes a sequence's output."""

import numpy as np
import pytest
import torch

from sknn.modules import convolutional_sequence
from sknn.modules.convolutional_sequence import ConvSequenceModule, MaskedBatchNorm1d


def _module(architecture, **kwargs):
    torch.manual_seed(0)
    return ConvSequenceModule(
        input_size=2, n_outputs=3, architecture=architecture, channels=(4, 6, 4), **kwargs
    )


def _ragged_batch(seed=0):
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([9, 1, 4, 7, 9, 2])
    x = torch.randn(len(lengths), 9, 2, generator=generator)
    x = x * (torch.arange(9) < lengths[:, None]).unsqueeze(2)  # zero padding
    return x, lengths


@pytest.mark.parametrize("static_features", [(), (1,)])
@pytest.mark.parametrize("architecture", ["fcn", "resnet"])
@pytest.mark.parametrize("pooling", ["mean", "max", "last", "attention"])
def test_a_sequence_alone_equals_it_padded_among_longer_ones(
    architecture, pooling, static_features
):
    module = _module(architecture, pooling=pooling, static_features=static_features)
    x, lengths = _ragged_batch()
    module.train()
    module(x, lengths)  # running statistics that are not the identity
    module.eval()
    with torch.no_grad():
        batch = module(x, lengths)
        for i, length in enumerate(lengths.tolist()):
            alone = module(x[i : i + 1, :length], torch.tensor([length]))
            torch.testing.assert_close(alone, batch[i : i + 1], atol=1e-5, rtol=1e-5)


def _masked(h, lengths, gap):
    return convolutional_sequence._Padded(h, lengths, masked=True)


@pytest.mark.parametrize("architecture", ["fcn", "resnet"])
@pytest.mark.parametrize("pooling", ["mean", "max", "last", "attention"])
def test_cpu_packed_batch_matches_the_masked_path_of_other_devices(
    architecture, pooling, monkeypatch
):
    x, lengths = _ragged_batch(seed=1)
    # The CPU packs the ragged batch: 32 valid steps, each sequence followed by a 4-step
    # gap (the kernel of 8 reads 4 steps past an end), in 128 steps.
    assert _module(architecture).gap == 4
    packed = convolutional_sequence._cpu_layout(x.transpose(1, 2), lengths, gap=4)
    assert packed.x.shape == (1, 2, 128) and packed.mask.sum() == 32
    # Back to rows: the batch as given, and each row's mean over its own steps.
    torch.testing.assert_close(packed.padded(packed.x)[0], x.transpose(1, 2))
    means = torch.stack([x[i, :n].mean(dim=0) for i, n in enumerate(lengths.tolist())])
    torch.testing.assert_close(packed.mean(packed.x), means)
    outputs = []
    for masked in (False, True):
        if masked:
            monkeypatch.setattr(convolutional_sequence, "_cpu_layout", _masked)
        module = _module(architecture, pooling=pooling).train()
        trained = module(x, lengths)
        trained.square().sum().backward()
        running = [
            norm.running_var.clone()
            for norm in module.modules()
            if isinstance(norm, MaskedBatchNorm1d)
        ]
        grads = [p.grad for p in module.parameters()]
        outputs.append((trained, running, grads, module.eval()(x, lengths)))
    (train_a, running_a, grads_a, eval_a), (train_b, running_b, grads_b, eval_b) = outputs
    torch.testing.assert_close(train_a, train_b, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(eval_a, eval_b, atol=1e-5, rtol=1e-5)
    for a, b in zip(running_a, running_b, strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    for a, b in zip(grads_a, grads_b, strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


def test_masked_batch_norm_takes_statistics_over_valid_steps_only():
    torch.manual_seed(0)
    x = torch.randn(3, 2, 5)
    lengths = torch.tensor([5, 2, 3])
    mask = (torch.arange(5) < lengths[:, None]).unsqueeze(1).float()
    out = MaskedBatchNorm1d(2, affine=False)(x * mask, mask)
    valid = torch.cat([x[i, :, :n] for i, n in enumerate(lengths.tolist())], dim=1)
    expected = (x - valid.mean(dim=1)[:, None]) / torch.sqrt(
        valid.var(dim=1, unbiased=False)[:, None] + 1e-5
    )
    for i, n in enumerate(lengths.tolist()):
        torch.testing.assert_close(out[i, :, :n], expected[i, :, :n], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("architecture", ["fcn", "resnet"])
def test_static_features_skip_the_convolutions_and_join_the_pooled_vector(architecture):
    module = _module(architecture, static_features=(0,))
    # Feature 0 is constant along each sequence (as a sequence's statistics are); the
    # convolutions read feature 1 only.
    x, lengths = _ragged_batch()
    static = torch.tensor([0.5, -2.0, 3.0, 0.0, 1.0, -1.0])
    x[:, :, 0] = static[:, None] * (torch.arange(9) < lengths[:, None])
    first = module.blocks[0] if architecture == "fcn" else module.blocks[0].convs[0]
    first = first.conv
    assert first.in_channels == 1
    assert module.head[-1].in_features == 4 + 1
    module.train()
    module(x, lengths)
    module.eval()
    head, module.head = module.head, torch.nn.Identity()
    with torch.no_grad():
        pooled = module(x, lengths)
        module.head = head
        # Batch-normalised (here with the running statistics of the training pass).
        torch.testing.assert_close(pooled[:, 4:], module.static_norm(static[:, None]))
        expected = head(pooled)
        torch.testing.assert_close(module(x, lengths), expected)
        # The convolved part does not depend on the static feature.
        moved = x.clone()
        moved[:, :, 0] += 5.0 * (torch.arange(9) < lengths[:, None])
        module.head = torch.nn.Identity()
        torch.testing.assert_close(module(moved, lengths)[:, :4], pooled[:, :4])
        module.head = head


def test_token_ids_end_at_their_last_non_zero_id():
    torch.manual_seed(0)
    module = ConvSequenceModule(None, 2, channels=(4, 4, 4), n_vocab=10, embedding_dim=3).eval()
    ids = torch.tensor([[3, 4, 5, 0, 0], [7, 0, 0, 0, 0]])
    with torch.no_grad():
        torch.testing.assert_close(module(ids)[1:], module(ids[1:, :1]))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(architecture="bogus"), "architecture must be one of"),
        (dict(pooling="bogus"), "pooling must be one of"),
        (dict(channels=(4, 4), kernel_sizes=(8, 5, 3)), "one kernel size per entry"),
        (dict(input_size=None), "input_size is required"),
        (dict(static_features=(2,)), "static_features lists distinct input features"),
        (dict(static_features=(0, 0)), "static_features lists distinct input features"),
        (dict(static_features=(0, 1)), "leaving at least one for the convolutions"),
        (dict(static_features=(1,), n_vocab=5), "none with n_vocab"),
    ],
)
def test_invalid_module_arguments_raise_value_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ConvSequenceModule(**{"input_size": 2, "n_outputs": 1, **kwargs})


def test_lengths_out_of_range_raise_a_value_error():
    module = _module("fcn")
    with pytest.raises(ValueError, match="lengths must be between 1 and 9"):
        module(torch.zeros(2, 9, 2), torch.tensor([0, 9]))


def _plain_masked_norm(norm, x, mask, relu):
    """Autograd over the plain expression: the reference for the hand-written backward."""
    valid = torch.ones_like(x[:, :1]) if mask is None else mask
    count = valid.sum()
    mean = (x * valid).sum(dim=(0, 2)) / count
    var = (((x - mean[:, None]) * valid) ** 2).sum(dim=(0, 2)) / count
    y = (x - mean[:, None]) / torch.sqrt(var[:, None] + norm.eps)
    y = y * norm.weight[:, None] + norm.bias[:, None]
    return (torch.relu(y) if relu else y) * valid


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("masked", [True, False])
def test_masked_batch_norm_gradients_match_autograd_over_the_plain_expression(relu, masked):
    generator = torch.Generator().manual_seed(0)
    norm = MaskedBatchNorm1d(3).double().train()
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5, generator=generator)
        norm.bias.uniform_(-0.5, 0.5, generator=generator)
    x = torch.randn(4, 3, 9, dtype=torch.double, generator=generator)
    mask = None
    if masked:
        lengths = torch.tensor([9, 1, 7, 3])
        mask = (torch.arange(9) < lengths[:, None]).unsqueeze(1).double()
        x = x * mask
    x.requires_grad_()
    upstream = torch.randn(x.shape, dtype=torch.double, generator=generator)
    results = []
    for forward in (norm, lambda x, mask, relu: _plain_masked_norm(norm, x, mask, relu)):
        output = forward(x, mask, relu=relu)
        grads = torch.autograd.grad((output * upstream).sum(), [x, norm.weight, norm.bias])
        results.append((output, *grads))
    for fused, plain in zip(*results, strict=True):
        torch.testing.assert_close(fused, plain)
    assert torch.autograd.gradcheck(lambda x: norm(x, mask, relu=relu), (x,))


def test_modules_pickled_with_explicit_padding_still_give_the_same_outputs():
    # Odd kernels now pad inside the convolution; a module pickled before carries a
    # padding tuple and an unpadded convolution, and must compute the same thing.
    module = _module("fcn").train()
    x, lengths = _ragged_batch()
    module(x, lengths)
    module.eval()
    with torch.no_grad():
        expected = module(x, lengths)
        for block in module.blocks:
            size = block.conv.kernel_size[0]
            if block.padding is None:
                block.conv.padding = (0,)
                block.padding = ((size - 1) // 2, size - 1 - (size - 1) // 2)
        torch.testing.assert_close(module(x, lengths), expected)


def test_modules_pickled_before_packing_pack_after_loading():
    module = _module("fcn").eval()
    x, lengths = _ragged_batch()
    with torch.no_grad():
        expected = module(x, lengths)
    state = module.__getstate__()
    del state["gap"]  # as pickled before packing existed
    old = ConvSequenceModule.__new__(ConvSequenceModule)
    old.__setstate__(state)
    assert old.gap == module.gap == 4
    with torch.no_grad():
        torch.testing.assert_close(old(x, lengths), expected)


@pytest.mark.gpu  # skipped without a CUDA device (tests/conftest.py)
@pytest.mark.parametrize("architecture", ["fcn", "resnet"])
def test_the_masked_path_on_cuda_trains_as_the_packed_cpu_batch(architecture):
    # On CUDA every training batch takes the masked batch norm's hand-written backward.
    x, lengths = _ragged_batch(seed=2)
    results = []
    for device in ("cpu", "cuda"):
        module = _module(architecture).to(device).train()
        out = module(x.to(device), lengths.to(device))
        out.square().sum().backward()
        grads = [p.grad.cpu() for p in module.parameters()]
        results.append((out.detach().cpu(), grads))
    (cpu_out, cpu_grads), (cuda_out, cuda_grads) = results
    torch.testing.assert_close(cuda_out, cpu_out, atol=1e-4, rtol=1e-4)
    for cuda_grad, cpu_grad in zip(cuda_grads, cpu_grads, strict=True):
        torch.testing.assert_close(cuda_grad, cpu_grad, atol=1e-4, rtol=1e-3)


@pytest.mark.parametrize("integer", [np.int64, np.int32])
@pytest.mark.parametrize("text", [False, True])
@pytest.mark.parametrize("architecture", ["fcn", "resnet"])
def test_numpy_numbers_build_the_module_python_ones_do(architecture, text, integer):
    # Every size is read as the Python int torch's layers expect, whatever NumPy integer
    # (a grid over np.arange) the caller passed.
    sizes = dict(channels=(4, 6, 4), kernel_sizes=(5, 3, 3), dense_sizes=(5,), embedding_dim=3)
    numpy_sizes = {
        name: tuple(map(integer, value)) if isinstance(value, tuple) else integer(value)
        for name, value in sizes.items()
    }
    torch.manual_seed(0)
    numpy_module = ConvSequenceModule(
        None if text else integer(2),
        integer(3),
        architecture=architecture,
        dropout=np.float32(0.25),
        **numpy_sizes,
        **({"n_vocab": integer(20)} if text else {}),
    ).eval()
    torch.manual_seed(0)
    module = ConvSequenceModule(
        None if text else 2,
        3,
        architecture=architecture,
        dropout=0.25,
        **sizes,
        **({"n_vocab": 20} if text else {}),
    ).eval()
    assert repr(numpy_module) == repr(module)
    convs = [m for m in numpy_module.modules() if isinstance(m, torch.nn.Conv1d)]
    assert {type(v) for conv in convs for v in (conv.in_channels, *conv.kernel_size)} == {int}
    x = torch.randint(1, 20, (4, 9)) if text else torch.randn(4, 9, 2)
    lengths = torch.tensor([9, 1, 4, 7])
    torch.testing.assert_close(numpy_module(x, lengths), module(x, lengths))
