"""A process's first fit does not pay for torch's compiler stack (#21).

torch imports ``torch._dynamo`` (1-2 s on a CPU) the first time one of its optimizers
steps or a tensor on the meta device is filled or computed with. sknn compiles nothing
unless asked (``compile=True``), so a fit on the CPU must not import it: its optimizers
run torch's updates without the compile guards (``sknn.engine.optim``) and its size check
skips what would fill meta tensors (``sknn._sizes``). Checked in a fresh interpreter, as
the test process has long imported everything.
"""

import subprocess
import sys

import pytest
import torch

import sknn.engine.optim as optim
from sknn import MLPClassifier
from sknn.engine.optim import OPTIMIZERS, OptimizerFactory

SCRIPT = """
import sys, warnings
warnings.simplefilter("ignore")
import numpy as np, pandas as pd
from sknn import (ConvNetClassifier, MLPClassifier, MLPRegressor, SequenceClassifier,
                  SequenceRegressor, TransformerClassifier, Word2Vec)

rng = np.random.default_rng(0)
X = rng.normal(size=(60, 3))
y = np.arange(60) % 2
frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1],
                      "c": pd.Categorical(rng.choice(list("xyz"), 60))})
fits = [(MLPClassifier(solver=s, hidden_layer_sizes=(4,)), X, y)
        for s in ["adam", "adamw", "sgd", "rmsprop", "adagrad", "lbfgs"]]
fits += [(MLPRegressor.tabular(fast=True, categorical_features=["c"]), frame, X[:, 2])]
fits += [(MLPClassifier(categorical_features="from_dtype", numeric_embedding=e), frame, y)
         for e in ["periodic", "piecewise_linear"]]
series = [rng.normal(size=(int(n), 2)) for n in rng.integers(5, 12, 20)]
fits += [(SequenceClassifier(cell=c), series, y[:20]) for c in ["fcn", "resnet", "lstm"]]
fits += [(SequenceRegressor(), rng.normal(size=(20, 6, 1)), X[:20, 0])]
fits += [(TransformerClassifier(), ["a b c", "b c d", "c d", "d"] * 5, y[:20])]
fits += [(ConvNetClassifier(), rng.normal(size=(20, 8, 8, 1)), y[:20])]
for estimator, data, target in fits:
    estimator.set_params(max_iter=2, random_state=0).fit(data, target).predict(data)
Word2Vec(epochs=1, min_count=1, sample=0).fit([["a", "b", "c"]] * 10).transform([["a", "b"]])
print("after the fits", "torch._dynamo" in sys.modules)

import torch  # the check's control: torch's own optimizer imports it

torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))])
print("after torch's Adam", "torch._dynamo" in sys.modules)
"""


def test_fits_on_the_cpu_do_not_import_torch_s_compiler_stack():
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.splitlines()[-2:] == ["after the fits False", "after torch's Adam True"]


def _train(factory, steps=4):
    """A few steps of ``factory``'s optimizer on a small network, the rate moved each step."""
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    optimizer = factory(module)
    hooked = []
    optimizer.register_step_post_hook(lambda *args: hooked.append(1))
    X, y = torch.randn(32, 5), torch.randint(0, 2, (32,))

    def closure():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(module(X), y)
        loss.backward()
        return loss

    for step in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = 0.05 / (step + 1)
        optimizer.step(closure)
    assert len(hooked) == steps  # torch's step hooks run
    return module, optimizer


def _assert_same_state(ours, theirs):
    ours, theirs = ours.state_dict(), theirs.state_dict()
    assert ours["param_groups"] == theirs["param_groups"]
    assert ours["state"].keys() == theirs["state"].keys()
    for key, state in ours["state"].items():
        assert state.keys() == theirs["state"][key].keys()
        for name, value in state.items():
            assert _same(value, theirs["state"][key][name]), (key, name)


def _same(a, b):
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    return a == b


@pytest.mark.parametrize("solver", sorted(OPTIMIZERS))
def test_sknn_optimizers_make_torch_s_updates_bit_for_bit(solver, monkeypatch):
    estimator = MLPClassifier(solver=solver, weight_decay=0.01, max_iter=3, momentum=0.8)
    factory = OptimizerFactory(estimator)
    module, optimizer = _train(factory)
    torch_class = type(optimizer).__bases__[0]
    assert type(optimizer).__module__ == "sknn.engine.optim"
    assert torch_class.__module__.startswith("torch.optim")

    monkeypatch.setattr(optim, torch_class.__name__, torch_class)  # torch's own optimizer
    torch_module, torch_optimizer = _train(factory)
    assert type(torch_optimizer) is torch_class
    for ours, theirs in zip(module.parameters(), torch_module.parameters(), strict=True):
        assert torch.equal(ours, theirs)
    _assert_same_state(optimizer, torch_optimizer)

    # torch's state loads into sknn's optimizer as it was.
    monkeypatch.undo()
    resumed = factory(module)
    resumed.load_state_dict(torch_optimizer.state_dict())
    _assert_same_state(resumed, torch_optimizer)
