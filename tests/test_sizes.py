"""sknn._sizes: networks too large for the machine are refused before anything is allocated,
with a ValueError naming the parameters that set their size (#16)."""

import numpy as np
import pytest
import torch

import sknn._sizes as sizes
import sknn.base
from sknn import ConvNetClassifier, MLPClassifier, SequenceClassifier, TransformerClassifier
from sknn._sizes import check_memory, check_module_size, memory_limit, module_size


def test_memory_limit_is_the_machine_s_memory():
    limit = memory_limit()
    if limit is None:
        pytest.skip("this platform does not report its physical memory (no os.sysconf)")
    assert 2**26 < limit < 2**60
    assert memory_limit("cpu") == limit


def test_module_size_counts_parameters_and_buffers_without_allocating():
    def build():
        module = torch.nn.BatchNorm1d(10**6)  # would be 16 MB of parameters and buffers
        assert module.weight.is_meta
        return module

    assert module_size(build) == (2 * 10**6, 2 * 10**6 + 1)


def test_module_size_of_an_overflowing_module_is_an_overflow_error():
    with pytest.raises(OverflowError):
        module_size(lambda: torch.nn.Linear(10**12, 10**12))


def test_module_size_is_unknown_when_the_module_reads_values_while_building():
    class ReadsValues(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = float(torch.ones(1).sum().item())

    assert module_size(ReadsValues) is None
    check_module_size(ReadsValues, {}, owner="ReadsValues")  # nothing known, nothing refused


def test_a_module_that_cannot_be_built_has_no_size():
    # The real build that follows the check raises the module's own error.
    from sknn.modules.recurrent import RecurrentModule

    assert module_size(lambda: RecurrentModule(3, 1, cell="bogus")) is None
    with pytest.raises(ValueError, match="cell"):
        RecurrentModule(3, 1, cell="bogus")


def test_check_module_size_names_the_parameters(monkeypatch):
    # 10**6 bytes hold 250_000 float32 values; Linear(n, n) has n * (n + 1) parameters,
    # and training holds their gradients too: n = 353 needs 249_924 values, n = 354 251_340.
    monkeypatch.setattr(sizes, "memory_limit", lambda device=None: 10**6)
    check_module_size(lambda: torch.nn.Linear(353, 353), {"width": 353}, owner="Net")
    with pytest.raises(ValueError, match=r"^Net: the network would hold at least 2.51e\+05") as e:
        check_module_size(lambda: torch.nn.Linear(354, 354), {"width": 354}, owner="Net")
    assert "(1.01 MB), more than the 1 MB of memory of this machine" in str(e.value)
    assert str(e.value).endswith("Lower the sizes that set it: width=354.")
    with pytest.raises(ValueError, match="overflow a 64-bit count.*width=1000000000000"):
        check_module_size(lambda: torch.nn.Linear(10**12, 10**12), {"width": 10**12}, owner="N")


def test_check_memory_on_a_gpu_names_the_device(monkeypatch):
    monkeypatch.setattr(sizes, "memory_limit", lambda device=None: 1000)
    check_memory(250, {"n": 250}, owner="Net", device="cuda:1")
    with pytest.raises(ValueError, match="memory of cuda:1. Lower the sizes that set it: n=251"):
        check_memory(251, {"n": 251}, owner="Net", device="cuda:1")


def test_nothing_is_refused_when_the_memory_is_unknown(monkeypatch):
    monkeypatch.setattr(sizes, "memory_limit", lambda device=None: None)
    check_memory(10**30, {"n": 10**30}, owner="Net")


def test_initialisers_and_random_factories_of_meta_tensors_are_skipped_and_nothing_else():
    class Initialised(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Parameter(torch.empty(3, 4))
            torch.nn.init.normal_(self.a, std=0.1)
            torch.nn.init.kaiming_uniform_(tensor=self.a, a=5**0.5)
            torch.nn.init.trunc_normal_(self.a)
            torch.nn.init.orthogonal_(self.a)
            torch.nn.init.constant_(self.a, 2.0)
            self.b = torch.nn.Parameter(torch.randn(5, 2))
            self.register_buffer("c", torch.rand_like(self.b))
            with torch.no_grad():
                self.b.fill_(1.0).uniform_().normal_()
            self.register_buffer("d", torch.zeros(7).bernoulli_(0.5))

    assert module_size(Initialised) == (12 + 10, 10 + 7)
    with torch.device("meta"), sizes._SkipInitialisers():
        assert Initialised().c.is_meta
        real = torch.ones(2, 3, device="cpu")
        torch.nn.init.constant_(real, 3.0)  # a tensor with values is filled as usual
        torch.manual_seed(0)
        drawn = torch.randn(4, device="cpu")
    assert real.eq(3.0).all()
    torch.manual_seed(0)
    assert torch.equal(drawn, torch.randn(4))


def _fit_tabular(estimator, rng, numeric_only=False):
    import pandas as pd

    X = pd.DataFrame(
        {
            "a": rng.normal(size=40),
            "b": rng.normal(size=40),
            "c": pd.Categorical(rng.choice(list("xyz"), 40)),
        }
    )
    return estimator.fit(X[["a", "b"]] if numeric_only else X, np.arange(40) % 2)


def _fit_sequences(estimator, rng):
    series = [rng.normal(size=(int(n), 2)).astype("float32") for n in rng.integers(5, 12, 20)]
    return estimator.fit(series, np.arange(20) % 2)


def _fit_text(estimator, rng):
    return estimator.fit(["a b c", "b c d e", "c d", "e"] * 5, np.arange(20) % 2)


def _fit_images(estimator, rng):
    return estimator.fit(rng.normal(size=(20, 8, 8, 1)).astype("float32"), np.arange(20) % 2)


_FITS = {
    "mlp": (
        lambda: MLPClassifier(hidden_layer_sizes=(5, 4), batch_norm=True),
        lambda estimator, rng: _fit_tabular(estimator, rng, numeric_only=True),
    ),
    "tabular": (lambda: MLPClassifier(categorical_features=[2]), _fit_tabular),
    "periodic": (
        lambda: MLPClassifier(categorical_features=[2], numeric_embedding="periodic"),
        _fit_tabular,
    ),
    "piecewise_linear": (
        lambda: MLPClassifier(categorical_features=[2], numeric_embedding="piecewise_linear"),
        _fit_tabular,
    ),
    "convnet": (lambda: ConvNetClassifier(), _fit_images),
    "fcn": (lambda: SequenceClassifier(cell="fcn"), _fit_sequences),
    "resnet": (lambda: SequenceClassifier(cell="resnet"), _fit_sequences),
    "gru": (lambda: SequenceClassifier(cell="gru", pooling="attention"), _fit_sequences),
    "transformer": (lambda: TransformerClassifier(positional="sinusoidal"), _fit_text),
    "transformer-learned": (lambda: TransformerClassifier(positional="learned"), _fit_text),
}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("kind", sorted(_FITS))
def test_every_network_is_counted_before_it_is_built(kind, monkeypatch):
    # The size check counts each estimator's network on the meta device: a build it cannot
    # count there (None) would leave a mistaken size to fail deep inside torch.
    counted = []

    def spy(build, size_parameters, **kwargs):
        counted.append(module_size(build))
        return check_module_size(build, size_parameters, **kwargs)

    monkeypatch.setattr(sknn.base, "check_module_size", spy)
    make, fit = _FITS[kind]
    estimator = fit(make().set_params(max_iter=1, random_state=0), np.random.default_rng(0))
    module = estimator.net_.module_
    # Each network counted once: the three of SequenceClassifier's n_init='auto' too.
    networks = len(getattr(estimator, "runs_", None) or [module])
    assert networks == (3 if kind in ("fcn", "resnet") else 1)
    size = (
        sum(p.numel() for p in module.parameters()),
        sum(b.numel() for b in module.buffers()),
    )
    assert counted == [size] * networks


def test_check_memory_takes_numpy_integers_without_wrapping():
    # np.int64(2**62) * 4 wraps to a negative number of bytes, which "fits".
    with pytest.raises(ValueError, match="float32 values"):
        check_memory(np.int64(2**62), {"x": 1}, owner="Net")
