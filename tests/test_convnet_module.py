"""Tests for the pure torch ConvNetModule: shapes, construction errors, learning."""

import numpy as np
import pytest
import torch

from sknn.modules.convnet import ACTIVATIONS, ConvNetModule


@pytest.mark.parametrize(
    "params, map_shape",
    [
        ({}, (64, 4, 3)),
        ({"padding": "valid"}, (64, 2, 2)),
        ({"padding": 1, "pooling": None}, (64, 17, 15)),
        ({"padding": 0, "pooling": None}, (64, 13, 11)),
        ({"stride": 2, "pooling": None}, (64, 5, 4)),
        ({"stride": 2, "pooling": "avg", "channels": (8,)}, (8, 4, 4)),
        ({"kernel_size": 4, "pooling": None}, (64, 17, 15)),
        ({"kernel_size": 4, "stride": 2, "pooling": None}, (64, 5, 4)),
        ({"residual": True, "pooling": None}, (64, 17, 15)),
        ({"residual": True, "channels": (8, 8, 16), "stride": 2, "pooling": None}, (16, 3, 2)),
        ({"residual": True, "batch_norm": True, "channels": (8, 16)}, (16, 4, 3)),
        ({"residual": True, "padding": 1, "channels": (8,)}, (8, 8, 7)),
        ({"batch_norm": True, "dropout": 0.3, "pooling": "avg"}, (64, 4, 3)),
    ],
)
@pytest.mark.parametrize("global_pool", [False, True])
def test_output_and_feature_shapes(params, map_shape, global_pool):
    net = ConvNetModule((3, 17, 15), 5, global_pool=global_pool, dense_sizes=(12,), **params)
    x = torch.randn(2, 3, 17, 15)
    assert net.feature_map_shape == map_shape
    assert net(x).shape == (2, 5)
    assert net.features(x).shape == (2, 12)
    assert net.n_features == 12


@pytest.mark.parametrize("global_pool", [False, True])
def test_features_without_hidden_layers_are_the_pooled_or_flat_maps(global_pool):
    net = ConvNetModule((1, 8, 8), 3, channels=(4,), dense_sizes=(), global_pool=global_pool)
    expected = 4 if global_pool else 4 * 4 * 4
    assert net.n_features == expected
    assert net.features(torch.zeros(6, 1, 8, 8)).shape == (6, expected)
    assert net(torch.zeros(6, 1, 8, 8)).shape == (6, 3)


def test_residual_block_projects_only_when_shape_changes():
    same = ConvNetModule((4, 8, 8), 2, channels=(4,), residual=True, pooling=None)
    wider = ConvNetModule((4, 8, 8), 2, channels=(6,), residual=True, pooling=None)
    strided = ConvNetModule((4, 8, 8), 2, channels=(4,), stride=2, residual=True)
    assert isinstance(same.blocks[0].shortcut, torch.nn.Identity)
    assert isinstance(wider.blocks[0].shortcut[0], torch.nn.Conv2d)
    assert strided.blocks[0].shortcut[0].stride == (2, 2)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_every_activation_builds_and_runs(activation):
    net = ConvNetModule((1, 6, 6), 2, channels=(2,), dense_sizes=(3,), activation=activation)
    assert isinstance(net.blocks[0].act, ACTIVATIONS[activation])
    assert torch.isfinite(net(torch.randn(3, 1, 6, 6))).all()


@pytest.mark.parametrize(
    "params, match",
    [
        ({"padding": "valid", "kernel_size": 5, "pooling": None}, "convolution block 2"),
        ({"padding": "valid"}, "pooling after block 2"),
        ({"channels": (4, 4, 4, 4)}, "pooling after block 4"),
        ({"stride": 4, "channels": (4, 4, 4, 4), "pooling": None}, None),
        ({"residual": True, "padding": "valid"}, "Residual block 1 .* padding='same'"),
    ],
)
def test_input_shrinking_to_zero_names_the_block(params, match):
    params = {"channels": (4, 4, 4), **params}
    if match is None:
        # Strided 'same' convolutions never reach zero: 8 -> 2 -> 1 -> 1 -> 1.
        assert ConvNetModule((1, 8, 8), 2, **params).feature_map_shape == (4, 1, 1)
        return
    with pytest.raises(ValueError, match=match):
        ConvNetModule((1, 8, 8), 2, **params)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"activation": "sigmoid"}, "Unknown activation 'sigmoid'; expected one of 'relu'"),
        ({"pooling": "min"}, "Unknown pooling 'min'"),
        ({"padding": "full"}, "padding must be 'same', 'valid' or an int"),
        ({"padding": True}, "padding must be 'same', 'valid' or an int, got True"),
        ({"padding": 1.0}, "padding must be 'same', 'valid' or an int, got 1.0"),
    ],
)
def test_bad_choices_raise(params, match):
    with pytest.raises(ValueError, match=match):
        ConvNetModule((1, 8, 8), 2, **params)


@pytest.mark.parametrize("integer", [np.int64, np.int32])
@pytest.mark.parametrize("residual", [False, True])
def test_numpy_numbers_build_the_network_python_ones_do(integer, residual):
    # Non-regression: padding=np.int64(1) was refused ("padding must be 'same', 'valid' or
    # an int"); every size is now read as the Python int torch's layers expect.
    sizes = dict(channels=(4, 6), kernel_size=3, stride=1, padding=1, pool_size=2)
    numpy_sizes = {
        name: tuple(map(integer, value)) if isinstance(value, tuple) else integer(value)
        for name, value in sizes.items()
    }
    common = dict(residual=residual, batch_norm=True, global_pool=False)
    torch.manual_seed(0)
    numpy_net = ConvNetModule(
        (integer(1), integer(12), integer(12)),
        integer(3),
        dense_sizes=(integer(5),),
        dropout=np.float32(0.25),
        **numpy_sizes,
        **common,
    )
    torch.manual_seed(0)
    net = ConvNetModule((1, 12, 12), 3, dense_sizes=(5,), dropout=0.25, **sizes, **common)
    assert repr(numpy_net) == repr(net)
    assert numpy_net.feature_map_shape == net.feature_map_shape == (6, 3, 3)
    first = numpy_net.blocks[0].conv1 if residual else numpy_net.blocks[0].conv
    conv = first[0]
    assert type(first.padding) is int
    assert {type(v) for v in (*conv.kernel_size, *conv.stride, *conv.padding)} == {int}
    x = torch.randn(2, 1, 12, 12)
    torch.testing.assert_close(numpy_net.eval()(x), net.eval()(x))


def test_input_shape_must_have_three_entries():
    with pytest.raises(ValueError, match=r"input_shape must be \(C, H, W\)"):
        ConvNetModule((8, 8), 2)


def test_learns_which_half_is_bright():
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(64, 1, 8, 8, generator=generator) * 0.5
    y = torch.randint(0, 2, (64,), generator=generator)
    x[y == 0, :, :, :4] += 0.5
    x[y == 1, :, :, 4:] += 0.5

    torch.manual_seed(0)
    net = ConvNetModule((1, 8, 8), 2, channels=(4,), dense_sizes=(8,), global_pool=False)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.03)
    for _ in range(20):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        optimizer.step()
    net.eval()
    with torch.no_grad():
        accuracy = (net(x).argmax(1) == y).float().mean().item()
    assert accuracy > 0.95
