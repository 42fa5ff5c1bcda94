"""The fast training paths: the fixed-buffer (CUDA-graph) step, streamed data, bf16 'auto'.

The captured step's recording and replay need CUDA; everything around them (the static
index buffer, persistent gradients, the eager last batch, the device learning rate, the
loss summed on the device) runs on the CPU with ``STATIC_STEP_ON_CPU`` and must give the
eager loop's results.
"""

import re
import warnings
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification, make_regression
from skorch.callbacks import Callback

import sknn.engine.graph as graph
import sknn.engine.optim as optim
from sknn import (
    ConvNetClassifier,
    FallbackWarning,
    MLPClassifier,
    MLPRegressor,
    SequenceClassifier,
    TransformerClassifier,
)
from sknn.engine.data import HostData, StreamBatches, is_memory_mapped

needs_cuda = pytest.mark.gpu  # skipped without a CUDA device (tests/conftest.py)


@pytest.fixture
def static_on_cpu(monkeypatch):
    monkeypatch.setattr(graph, "STATIC_STEP_ON_CPU", True)
    calls = {"steps": 0}
    body = graph.StaticStep._body

    def counted(self, index):
        calls["steps"] += 1
        return body(self, index)

    monkeypatch.setattr(graph.StaticStep, "_body", counted)
    return calls


def _data(n=503, n_features=12, seed=0):
    return make_classification(
        n_samples=n, n_features=n_features, n_informative=6, n_classes=3, random_state=seed
    )


class _EpochLosses(Callback):
    """A user's callback with no per-batch hook: it leaves the step capturable."""

    def initialize(self):
        self.losses = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.losses.append(net.history[-1, "train_loss"])


STATIC_CONFIGS = {
    "adam": dict(),
    # An epoch-level rate change (halved at every epoch here: no epoch improves by tol)
    # writes into the rate tensor that the captured step reads on the device.
    "adam-plateau": dict(learning_rate="plateau", n_iter_no_change=2, tol=10.0),
    "epoch-callback": dict(callbacks=[_EpochLosses()]),
    "adamw-cosine-warmup-clip": dict(
        solver="adamw", weight_decay=0.01, learning_rate="cosine", warmup=7, grad_clip=0.5
    ),
    "l1-l2-dropout-batchnorm": dict(alpha=1e-2, l1=1e-4, dropout=0.2, batch_norm=True),
    "early-stopping": dict(early_stopping=True, n_iter_no_change=3),
    "bf16": dict(precision="bf16"),
}


@pytest.mark.parametrize("config", STATIC_CONFIGS.values(), ids=STATIC_CONFIGS.keys())
def test_static_step_gives_the_eager_results(config, static_on_cpu):
    X, y = _data()
    sample_weight = np.random.RandomState(1).uniform(0.5, 2.0, len(y))
    params = dict(hidden_layer_sizes=(32, 16), batch_size=64, max_iter=6, random_state=0)
    params.update(config, device="cpu")
    eager = MLPClassifier(cuda_graph=False, **params).fit(X, y, sample_weight)
    assert static_on_cpu["steps"] == 0
    static = MLPClassifier(cuda_graph=True, **params).fit(X, y, sample_weight)
    # 503 rows minus any validation part: every batch went through the static step.
    n_train = len(y) - (round(0.1 * len(y)) if static.early_stopping else 0)
    assert static_on_cpu["steps"] == static.n_iter_ * -(-n_train // 64)
    # The same operations in the same order: on the CPU the results are identical.
    assert static.n_iter_ == eager.n_iter_
    np.testing.assert_array_equal(static.loss_curve_, eager.loss_curve_)
    for a, b in zip(
        static.coefs_ + static.intercepts_, eager.coefs_ + eager.intercepts_, strict=True
    ):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(static.predict_proba(X), eager.predict_proba(X))
    # The learning rate went back to a float, and the history recorded floats.
    assert isinstance(static.net_.optimizer_.param_groups[0]["lr"], float)
    assert all(isinstance(row["lr"], float) for row in static.history_)
    assert static.cuda_graph_ is False  # nothing was recorded: this is the CPU


def test_static_step_follows_the_per_batch_schedule(static_on_cpu):
    """The schedule writes into the device learning rate the step reads."""
    X, y = _data()
    seen = []

    class Record(Callback):
        def on_epoch_end(self, net, **kwargs):
            seen.append(float(net.optimizer_.param_groups[0]["lr"]))

    params = dict(
        hidden_layer_sizes=(16,),
        batch_size=50,
        max_iter=4,
        learning_rate="linear",
        random_state=0,
        device="cpu",
    )
    static = MLPClassifier(callbacks=[Record()], **params).fit(X, y)
    # 11 batches an epoch, 44 steps: after epoch e the rate is (1 - (11e - 1) / 44) lr0.
    expected = [1e-3 * (1 - (11 * e - 1) / 44) for e in (1, 2, 3, 4)]
    np.testing.assert_allclose(seen, expected, rtol=1e-6)
    eager = MLPClassifier(cuda_graph=False, **params).fit(X, y)
    np.testing.assert_array_equal(static.loss_curve_, eager.loss_curve_)


@pytest.mark.parametrize("solver", ["adam", "adamw"])
def test_cpu_adam_runs_fused_with_the_per_tensor_loops_results(solver, monkeypatch):
    X, y = _data()
    params = dict(
        hidden_layer_sizes=(32,), solver=solver, max_iter=5, random_state=0, device="cpu"
    )
    fused = MLPClassifier(**params).fit(X, y)
    assert fused.net_.optimizer_.param_groups[0]["fused"] is True
    monkeypatch.setattr(optim, "_fused_on_cpu", lambda params: {})
    loop = MLPClassifier(**params).fit(X, y)
    assert not loop.net_.optimizer_.param_groups[0]["fused"]
    np.testing.assert_allclose(fused.predict_proba(X), loop.predict_proba(X), atol=1e-5)


def test_set_lr_writes_into_a_device_learning_rate():
    """A captured step reads the rate from its tensor: schedules must update it in place."""
    from sknn.engine.callbacks import _set_lr

    rate = torch.tensor(0.1)
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))], lr=rate, foreach=False)

    class Net:
        optimizer_ = optimizer

    _set_lr(Net, 0.25)
    assert optimizer.param_groups[0]["lr"] is rate
    assert float(rate) == 0.25
    graph.release_capturable(optimizer)
    assert optimizer.param_groups[0]["lr"] == 0.25


def test_static_step_then_partial_fit_and_warm_start(static_on_cpu):
    X, y = _data()
    params = dict(hidden_layer_sizes=(16,), batch_size=64, max_iter=3, random_state=0)
    results = []
    for cuda_graph in (False, True):
        est = MLPClassifier(cuda_graph=cuda_graph, device="cpu", warm_start=True, **params)
        est.fit(X, y).fit(X, y).partial_fit(X, y)
        results.append(est.coefs_[0])
    np.testing.assert_array_equal(results[0], results[1])


def test_static_step_for_regression_and_images(static_on_cpu):
    X, y = make_regression(n_samples=400, n_features=8, random_state=0)
    y = y / y.std()
    params = dict(hidden_layer_sizes=(16,), batch_size=64, max_iter=4, random_state=0)
    a = MLPRegressor(cuda_graph=False, **params, device="cpu").fit(X, y)
    b = MLPRegressor(cuda_graph=True, **params, device="cpu").fit(X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))

    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, size=(300, 8, 8)).astype(np.uint8)
    labels = (images[:, :4].mean(axis=(1, 2)) > images[:, 4:].mean(axis=(1, 2))).astype(int)
    params = dict(
        channels=(4,), dense_sizes=(), batch_size=32, max_iter=2, random_state=0, device="cpu"
    )
    a = ConvNetClassifier(cuda_graph=False, **params).fit(images, labels)
    steps = static_on_cpu["steps"]
    b = ConvNetClassifier(cuda_graph=True, **params).fit(images, labels)
    assert static_on_cpu["steps"] - steps == 2 * 10
    np.testing.assert_array_equal(a.predict_proba(images), b.predict_proba(images))


class _PerBatch(Callback):
    def on_batch_end(self, net, **kwargs):
        pass


BLOCKERS = [
    ("the device is not a CUDA device", MLPClassifier, {}, False),
    ("solver='sgd' reads its learning rate on the host", MLPClassifier, {"solver": "sgd"}, True),
    ("precision='fp16'", MLPClassifier, {"precision": "fp16"}, True),
    ("compile=True", MLPClassifier, {"compile": True}, True),
    ("callback _PerBatch runs per batch", MLPClassifier, {"callbacks": [_PerBatch()]}, True),
    ("fewer than 4 full batches", MLPClassifier, {"batch_size": 200}, True),
    ("recurrent batches vary in shape", SequenceClassifier, {"cell": "lstm"}, True),
    ("the training data streams from host memory", MLPClassifier, {"stream_data": True}, True),
]


@pytest.mark.parametrize("reason, cls, params, static", BLOCKERS, ids=[b[0] for b in BLOCKERS])
def test_cuda_graph_true_says_why_it_cannot_capture(reason, cls, params, static, monkeypatch):
    monkeypatch.setattr(graph, "STATIC_STEP_ON_CPU", static)
    X, y = _data(n=600)
    if cls is SequenceClassifier:
        X = X.reshape(len(X), 4, 3)
    est = cls(cuda_graph=True, max_iter=1, device="cpu", **params)
    with pytest.raises(ValueError, match="cannot be captured.*" + re.escape(reason)):
        est.fit(X, y)
    # 'auto' trains eagerly instead, whatever the reason.
    est.set_params(cuda_graph="auto").fit(X, y)
    assert est.cuda_graph_ is False


# -- the captured step's self-check, on the CPU ------------------------------------------


SELF_CHECK_CONFIGS = {
    "mlp": (MLPClassifier, dict(hidden_layer_sizes=(32, 16))),
    # Buffers (batch statistics) and random draws (dropout) in the step.
    "mlp-dropout-batchnorm-l2": (
        MLPClassifier,
        dict(hidden_layer_sizes=(32,), dropout=0.3, batch_norm=True, alpha=1e-2),
    ),
    "convnet-augmented": (
        ConvNetClassifier,
        dict(channels=(4,), dense_sizes=(), augment_shift=1, augment_flip=True),
    ),
}


def _self_check_fit(cls, params, X, y, **more):
    est = cls(batch_size=32, max_iter=3, random_state=0, device="cpu", **params, **more)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
    return est, [w for w in caught if issubclass(w.category, FallbackWarning)]


def _self_check_data(cls):
    if cls is ConvNetClassifier:
        rng = np.random.RandomState(0)
        X = rng.randint(0, 256, size=(200, 8, 8)).astype(np.uint8)
        return X, (X[:, :4].mean(axis=(1, 2)) > X[:, 4:].mean(axis=(1, 2))).astype(int)
    return _data(n=200)


def _assert_same_fit(a, b):
    np.testing.assert_array_equal(a.loss_curve_, b.loss_curve_)
    for (name, p), q in zip(
        a.module_.state_dict().items(), b.module_.state_dict().values(), strict=True
    ):
        np.testing.assert_array_equal(p.numpy(), q.numpy(), err_msg=name)


@pytest.mark.parametrize("kind", SELF_CHECK_CONFIGS, ids=SELF_CHECK_CONFIGS.keys())
def test_replays_that_match_are_kept_and_train_as_eagerly(kind, graphs_on_cpu):
    cls, params = SELF_CHECK_CONFIGS[kind]
    X, y = _self_check_data(cls)
    eager, _ = _self_check_fit(cls, params, X, y, cuda_graph=False)
    graphs = graphs_on_cpu()
    captured, caught = _self_check_fit(cls, params, X, y)
    assert caught == []
    assert captured.cuda_graph_ is True
    assert graphs.recorded == 1
    # 200 rows in batches of 32: 6 full batches an epoch, 3 of them eager warm-ups first.
    assert graphs.replays == 3 * 6 - graph.WARMUP_STEPS
    # The checked replays were undone and taken again eagerly from the same state, random
    # draws included: the fit is the eager fit, bit for bit.
    _assert_same_fit(captured, eager)


@pytest.mark.parametrize("fault", ["stale-batch", "record"])
@pytest.mark.parametrize("kind", SELF_CHECK_CONFIGS, ids=SELF_CHECK_CONFIGS.keys())
def test_a_faulty_capture_falls_back_to_eager_with_one_warning(kind, fault, graphs_on_cpu):
    cls, params = SELF_CHECK_CONFIGS[kind]
    X, y = _self_check_data(cls)
    eager, _ = _self_check_fit(cls, params, X, y, cuda_graph=False)
    graphs = graphs_on_cpu(fault)
    fallen_back, caught = _self_check_fit(cls, params, X, y)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith("The training step captured in a CUDA graph was given up")
    if fault == "record":
        assert "recording it failed (RuntimeError: operation not permitted" in message
        assert graphs.replays == 0
    else:
        assert "did not match the eager step from the same state on the same batch" in message
        assert "tolerance 0.01" in message
        assert graphs.replays == 1  # the first replay was checked, and it was the last
    assert graphs.recorded == 1
    assert fallen_back.cuda_graph_ is False
    # Training went on eagerly from the eager step's state: the fit is the eager fit.
    _assert_same_fit(fallen_back, eager)


def test_a_failed_check_stops_capture_for_that_fit_only(graphs_on_cpu):
    X, y = _data(n=200)
    est = MLPClassifier(hidden_layer_sizes=(16,), batch_size=32, max_iter=2, random_state=0)
    est.set_params(device="cpu", warm_start=True)
    graphs_on_cpu("stale-batch")
    with pytest.warns(FallbackWarning, match="did not match the eager step"):
        est.fit(X, y)
    assert est.cuda_graph_ is False
    graphs = graphs_on_cpu()
    with warnings.catch_warnings():
        warnings.simplefilter("error", FallbackWarning)
        est.fit(X, y)  # the next fit records a new step and checks it again
    assert est.cuda_graph_ is True and graphs.recorded == 1


@pytest.mark.parametrize("cuda_graph", [True, False])
def test_penalty_gradients_carry_no_autograd_graph(cuda_graph, static_on_cpu):
    # Non-regression (the first GPU run): the L2 and L1 terms were added into the gradients
    # under autograd, so each persistent gradient of the captured step held a graph, and
    # through it its weight's accumulation node, from step to step (torch then warned that
    # the node's CUDA stream did not match).
    X, y = _data()
    params = dict(hidden_layer_sizes=(16,), alpha=1e-2, l1=1e-4, batch_size=64, max_iter=2)
    est = MLPClassifier(cuda_graph=cuda_graph, random_state=0, device="cpu", **params)
    steps = []
    body = graph.StaticStep._body

    def checked(self, index):
        outputs = body(self, index)
        steps.append([p.grad.grad_fn for p in self.params])
        return outputs

    with mock.patch.object(graph.StaticStep, "_body", checked):
        est.fit(X, y)
    assert (len(steps) > 0) == cuda_graph
    assert all(fn is None for fns in steps for fn in fns)
    grads = [p.grad for p in est.net_.module_.parameters() if p.grad is not None]
    assert all(g.grad_fn is None for g in grads)


def test_replays_are_compared_within_the_stated_tolerance():
    before = torch.ones(1000, dtype=torch.float64)
    eager = before + 1e-3
    close = before + 1e-3 * (1 + 0.5 * graph.VERIFY_RTOL)
    far = before + 1e-3 * (1 + 2 * graph.VERIFY_RTOL)
    assert graph._first_difference([("w", close, eager, before)]) is None
    assert graph._first_difference([("w", far, eager, before)]) == "w is off by 0.02 of its size"
    # Changes, not values: a step of 1e-3 on weights of 1 must not pass as 'within 1%'.
    assert graph._first_difference([("w", before, eager, before)]) is not None
    # A gradient (no value before it) is compared as it is.
    grad = torch.linspace(-1, 1, 100)
    assert graph._first_difference([("g", grad * (1 + 1e-3), grad, None)]) is None
    assert graph._first_difference([("g", grad.flip(0), grad, None)]) is not None
    # Non-finite values must be non-finite in the same places; counters agree exactly.
    nan = torch.tensor([1.0, float("nan")])
    assert graph._first_difference([("l", nan.clone(), nan, None)]) is None
    assert "not finite" in graph._first_difference([("l", nan, torch.ones(2), None)])
    steps = torch.tensor(5)
    assert graph._first_difference([("n", steps + 1, steps, steps - 1)]) == "n differs"


@needs_cuda
@pytest.mark.parametrize("config", STATIC_CONFIGS.values(), ids=STATIC_CONFIGS.keys())
def test_captured_step_matches_eager_on_cuda(config):
    X, y = _data(n=2003)
    params = dict(hidden_layer_sizes=(64, 64), batch_size=128, max_iter=5, random_state=0)
    params.update(config, device="cuda")
    if "dropout" in params:
        params["dropout"] = 0.0  # the graph draws its own dropout masks
    eager = MLPClassifier(cuda_graph=False, **params).fit(X, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        captured = MLPClassifier(cuda_graph=True, **params).fit(X, y)
    assert captured.cuda_graph_ is True
    # Non-regression (the first GPU run): torch's "AccumulateGrad node's stream does not
    # match" warning at every captured fit, the warm-up's graph being kept alive.
    assert [str(w.message) for w in caught if "stream" in str(w.message)] == []
    np.testing.assert_allclose(captured.loss_curve_, eager.loss_curve_, rtol=1e-3)
    # Under bf16 the forward pass, prediction's included, rounds to 8 bits of mantissa
    # (0.4%): weights that differ in their last float32 bits (the graph's kernels sum in
    # another order) flip roundings, and after five epochs the probabilities differ by up
    # to 0.015 on an H200 (first run, 2026-12-04), where float32 agrees to 1e-3.
    atol = 3e-2 if params.get("precision") == "bf16" else 1e-3
    np.testing.assert_allclose(captured.predict_proba(X), eager.predict_proba(X), atol=atol)


@needs_cuda
def test_captured_step_with_dropout_learns_as_well():
    X, y = _data(n=4000)
    params = dict(hidden_layer_sizes=(64,), dropout=0.3, batch_size=128, max_iter=20)
    eager = MLPClassifier(cuda_graph=False, random_state=0, **params).fit(X, y)
    captured = MLPClassifier(cuda_graph=True, random_state=0, **params).fit(X, y)
    assert captured.cuda_graph_ is True
    assert abs(captured.score(X, y) - eager.score(X, y)) < 0.03


@needs_cuda
@pytest.mark.parametrize("kind", SELF_CHECK_CONFIGS, ids=SELF_CHECK_CONFIGS.keys())
def test_captured_step_passes_its_self_check_on_cuda(kind, monkeypatch):
    """On a real GPU the checked replays agree with the eager step (dropout, batch
    statistics and augmentation included, the generator's state being put back)."""
    checks = []
    first_difference = graph._first_difference

    def spy(pairs):
        checks.append(first_difference(pairs))
        return checks[-1]

    monkeypatch.setattr(graph, "_first_difference", spy)
    cls, params = SELF_CHECK_CONFIGS[kind]
    X, y = _self_check_data(cls)
    est = cls(batch_size=32, max_iter=3, random_state=0, device="cuda", cuda_graph=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FallbackWarning)
        est.set_params(**params).fit(X, y)
    assert checks == [None] * graph.VERIFIED_REPLAYS
    assert est.cuda_graph_ is True


@needs_cuda
def test_precision_auto_follows_this_gpu():
    X, y = _tiny_images()
    with warnings.catch_warnings():
        warnings.simplefilter("error", FallbackWarning)
        est = _tiny_convnet(device="cuda").fit(X, y)
    native = torch.cuda.get_device_capability() >= (8, 0)
    assert est.precision_ == ("bf16" if native else "float32")


# -- streaming ---------------------------------------------------------------------------


def _memmap(tmp_path, array, name="X.npy"):
    path = Path(tmp_path) / name
    np.save(path, array)
    return np.load(path, mmap_mode="r")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_memory_map_streams_and_gives_the_in_memory_results(
    tmp_path, monkeypatch, dtype, early_stopping
):
    X, y = _data(n=700)
    X_map = _memmap(tmp_path, X.astype(dtype))
    assert is_memory_mapped(X_map)
    rows_read = []
    source_rows = HostData.source_rows

    def spy(self, index):
        rows = source_rows(self, index)
        rows_read.append(len(rows))
        return rows

    monkeypatch.setattr(HostData, "source_rows", spy)
    params = dict(
        hidden_layer_sizes=(16,),
        batch_size=64,
        max_iter=4,
        early_stopping=early_stopping,
        dropout=0.3,  # its masks land on the same rows only if the batches match row for row
        random_state=0,
        device="cpu",
    )
    in_memory = MLPClassifier(**params).fit(np.array(X_map), y)
    assert rows_read == []
    streamed = MLPClassifier(**params).fit(X_map, y)
    # Every training row of every epoch (and the validation rows) was read in batches.
    n_train = len(y) - (70 if early_stopping else 0)
    assert sum(rows_read) == streamed.n_iter_ * (n_train + (70 if early_stopping else 0))
    assert max(rows_read) <= max(64, 4096 if early_stopping else 64)
    np.testing.assert_allclose(streamed.loss_curve_, in_memory.loss_curve_, rtol=1e-5)
    np.testing.assert_allclose(streamed.coefs_[0], in_memory.coefs_[0], rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(streamed.predict(X_map), in_memory.predict(X))
    if early_stopping:
        # Non-regression: streamed validation outputs come in the order their rows are
        # read, which must be the order of the labels they are scored against.
        np.testing.assert_array_equal(streamed.validation_scores_, in_memory.validation_scores_)


def test_stream_data_auto_streams_what_would_fill_half_the_free_gpu_memory(monkeypatch):
    X, y = _data(n=100)  # 100 x 12 float64: 9600 bytes
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (20_000, 80_000))
    cuda = torch.device("cuda")
    assert MLPClassifier()._streams(X, cuda) is False
    assert MLPClassifier()._streams(np.hstack([X, X[:, :1]]), cuda) is True  # 10400 bytes
    assert MLPClassifier(stream_data=False)._streams(np.hstack([X, X]), cuda) is False
    assert MLPClassifier(solver="lbfgs")._streams(np.hstack([X, X]), cuda) is False


@needs_cuda
def test_streaming_through_pinned_memory_on_cuda_gives_the_in_memory_fit():
    X, y = _data(n=700)
    params = dict(hidden_layer_sizes=(16,), batch_size=64, max_iter=3, shuffle=False)
    params.update(random_state=0, device="cuda")
    in_memory = MLPClassifier(stream_data=False, **params).fit(X, y)
    streamed = MLPClassifier(stream_data=True, **params).fit(X, y)
    np.testing.assert_allclose(streamed.loss_curve_, in_memory.loss_curve_, rtol=1e-4)
    np.testing.assert_allclose(streamed.predict_proba(X), in_memory.predict_proba(X), atol=1e-4)


def test_stream_data_true_streams_any_array_and_false_never(tmp_path, monkeypatch):
    X, y = _data(n=300)
    iterated = []
    original = StreamBatches.__iter__

    def spy(self):
        iterated.append(len(self.data))
        return original(self)

    monkeypatch.setattr(StreamBatches, "__iter__", spy)
    MLPClassifier(stream_data=True, max_iter=2, device="cpu", random_state=0).fit(X, y)
    assert iterated == [300, 300]
    iterated.clear()
    X_map = _memmap(tmp_path, X.astype(np.float32))
    MLPClassifier(stream_data=False, max_iter=2, device="cpu", random_state=0).fit(X_map, y)
    assert iterated == []
    with pytest.raises(ValueError, match="stream_data=True needs a stochastic solver"):
        MLPClassifier(stream_data=True, solver="lbfgs", device="cpu").fit(X, y)


def test_stream_batches_read_the_next_batch_ahead():
    """The batches come out whole and in order, prefetched by the worker thread."""
    X = np.arange(50, dtype=np.float64).reshape(25, 2)
    y = np.arange(25)
    data = HostData(X, y, None, np.arange(3, 25), torch.device("cpu"))
    batches = list(StreamBatches(data, 10, shuffle=False))
    assert [len(b[1][0]) for b in batches] == [10, 10, 2]
    np.testing.assert_array_equal(torch.cat([b[1][0] for b in batches]).numpy(), y[3:])
    assert batches[0][0].dtype == torch.float32
    np.testing.assert_array_equal(batches[2][0].numpy(), X[23:25])
    shuffled = list(StreamBatches(data, 10, shuffle=True, generator=torch.Generator()))
    seen = torch.cat([b[1][0] for b in shuffled]).numpy()
    np.testing.assert_array_equal(np.sort(seen), y[3:])
    for X_batch, (y_batch, _) in shuffled:  # rows and targets stay paired
        np.testing.assert_array_equal(X_batch.numpy()[:, 0], 2 * y_batch.numpy())


def _anonymous_memory_kib():
    status = Path("/proc/self/status")
    if not status.exists():
        return None
    match = re.search(r"RssAnon:\s+(\d+) kB", status.read_text())
    return int(match.group(1)) if match else None


@pytest.mark.skipif(_anonymous_memory_kib() is None, reason="needs Linux's /proc/self/status")
def test_memory_map_trains_without_being_loaded_whole(tmp_path):
    """Private memory grows by far less than the data when a memory map streams.

    A float64 map of 50k x 256 is 102 MB; the in-memory path casts it to a 51 MB float32
    copy, which this measurement sees, so it can fail. (What does grow when streaming is
    a few arrays of one number per row: targets, the shuffling order.)
    """
    path = tmp_path / "X.npy"
    X_map = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(50_000, 256))
    rng = np.random.RandomState(0)
    for start in range(0, len(X_map), 10_000):
        X_map[start : start + 10_000] = rng.standard_normal((10_000, 256))
    X_map.flush()
    X_map = np.load(path, mmap_mode="r")
    y = (np.asarray(X_map[:, 0]) > 0).astype(int)
    float32_mb = X_map.size * 4 / 2**20

    def growth_mb(**params):
        est = MLPClassifier(hidden_layer_sizes=(8,), batch_size=256, max_iter=1, **params)
        import threading

        peak = [0]
        before = _anonymous_memory_kib()
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], _anonymous_memory_kib() - before)
                done.wait(0.002)

        thread = threading.Thread(target=sample)
        thread.start()
        try:
            est.fit(X_map, y)
        finally:
            done.set()
            thread.join()
        return peak[0] / 1024

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        streamed = growth_mb(device="cpu", random_state=0)
        loaded = growth_mb(device="cpu", random_state=0, stream_data=False)
    assert loaded > 0.8 * float32_mb  # the measurement sees a copy
    assert streamed < 0.25 * float32_mb


# -- precision='auto' ----------------------------------------------------------------------


def test_precision_auto_is_float32_on_the_cpu():
    X, y = _data(n=200)
    for est in (MLPClassifier(max_iter=2, device="cpu"),):
        est.fit(X, y)
        assert est.net_.precision == "float32"
    assert ConvNetClassifier().precision == "auto"
    assert MLPClassifier().precision == "float32"


def _stub_cuda_device(monkeypatch, capability, emulates_bf16=True):
    """CUDA facts of a GPU of ``capability``, on a machine without one."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    # torch answers True for GPUs that only emulate bfloat16 (T4, V100) by default.
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: emulates_bf16)


def test_precision_auto_picks_bf16_where_it_helps_on_cuda(monkeypatch):
    cuda = torch.device("cuda")
    _stub_cuda_device(monkeypatch, (9, 0))  # H100, H200
    assert ConvNetClassifier()._resolve_precision(cuda) == "bf16"
    assert TransformerClassifier()._resolve_precision(cuda) == "bf16"
    assert MLPClassifier(precision="auto")._resolve_precision(cuda) == "float32"
    assert ConvNetClassifier(precision="float32")._resolve_precision(cuda) == "float32"
    assert ConvNetClassifier()._resolve_precision(torch.device("cpu")) == "float32"
    monkeypatch.setattr(torch.backends.cudnn, "is_available", lambda: True)
    for version, expected in ((91300, "bf16"), (90100, "float32")):
        monkeypatch.setattr(torch.backends.cudnn, "version", lambda v=version: v)
        assert SequenceClassifier()._resolve_precision(cuda) == expected
    _stub_cuda_device(monkeypatch, (8, 0))  # A100
    assert ConvNetClassifier()._resolve_precision(cuda) == "bf16"


@pytest.mark.parametrize("capability", [(7, 5), (6, 0), (7, 0)], ids=["T4", "P100", "V100"])
def test_precision_auto_never_picks_bf16_on_a_gpu_without_it(capability, monkeypatch):
    """torch.cuda.is_bf16_supported() says True on a T4 (emulated, slower than float32):
    'auto' goes by the compute capability instead."""
    _stub_cuda_device(monkeypatch, capability, emulates_bf16=True)
    monkeypatch.setattr(torch.backends.cudnn, "version", lambda: 91300)
    cuda = torch.device("cuda")
    for est in (ConvNetClassifier(), TransformerClassifier(), SequenceClassifier()):
        assert est._resolve_precision(cuda) == "float32"
    assert ConvNetClassifier(precision="bf16")._resolve_precision(cuda) == "bf16"  # as asked


# -- precision='auto' falls back from bfloat16 ---------------------------------------------


@pytest.fixture
def bf16_on_cpu(monkeypatch):
    """'auto' resolves to bfloat16 on the CPU, as on a GPU that has it; ``inject(epochs)``
    makes the loss NaN under bfloat16 in those epochs (1-based)."""
    import sknn.base
    from sknn.engine.net import TrainingNet

    monkeypatch.setattr(sknn.base, "has_native_bf16", lambda device: True)
    batch_losses = TrainingNet.batch_losses

    def inject(epochs):
        def nan_under_bf16(self, *args, **kwargs):
            loss, record = batch_losses(self, *args, **kwargs)
            if self.precision == "bf16" and len(self.history) in epochs:
                return loss * float("nan"), record * float("nan")
            return loss, record

        monkeypatch.setattr(TrainingNet, "batch_losses", nan_under_bf16)

    return inject


def _tiny_images(n=120):
    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, size=(n, 6, 6)).astype(np.uint8)
    return X, (X[:, :3].mean(axis=(1, 2)) > X[:, 3:].mean(axis=(1, 2))).astype(int)


def _tiny_convnet(**params):
    return ConvNetClassifier(
        channels=(4,), dense_sizes=(), batch_size=16, max_iter=3, random_state=0, device="cpu"
    ).set_params(**params)


def _fit_recording(est, X, y, category=FallbackWarning):
    """Fit; return the messages of the warnings of ``category``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
    return [str(w.message) for w in caught if issubclass(w.category, category)]


@pytest.mark.parametrize("static", [False, True], ids=["eager", "static-step"])
def test_bf16_auto_falls_back_to_float32_when_the_first_epoch_is_not_finite(
    static, bf16_on_cpu, monkeypatch
):
    monkeypatch.setattr(graph, "STATIC_STEP_ON_CPU", static)
    X, y = _tiny_images()
    float32 = _tiny_convnet(precision="float32").fit(X, y)
    bf16_on_cpu(epochs={1})
    est = _tiny_convnet()
    messages = _fit_recording(est, X, y)
    assert len(messages) == 1
    assert messages[0].startswith(
        "Training in bfloat16 (precision='auto' on cpu) gave a non-finite loss (nan) in the "
        "first epoch: the fit started again in float32 from where it began."
    )
    assert est.precision_ == "float32"
    # Started again from the same weights, optimizer and random state: the float32 fit.
    assert est.n_iter_ == 3 and len(est.history_) == 3
    _assert_same_fit(est, float32)
    # The calls that continue this model stay in float32; a new fit tries bfloat16 again.
    est.partial_fit(X, y)
    assert est.precision_ == "float32"
    bf16_on_cpu(epochs=set())
    assert _fit_recording(est, X, y) == [] and est.precision_ == "bf16"


def test_bf16_auto_without_a_fault_trains_in_bf16(bf16_on_cpu):
    X, y = _tiny_images()
    est = _tiny_convnet()
    assert _fit_recording(est, X, y) == []
    assert est.precision_ == "bf16" and est.net_.precision == "bf16"


def test_bf16_fallback_is_for_the_first_epoch_of_auto_only(bf16_on_cpu):
    X, y = _tiny_images()
    bf16_on_cpu(epochs={2})
    # A later epoch meets the divergence rule: stop, keep the best epoch, warn.
    est = _tiny_convnet()
    messages = _fit_recording(est, X, y, category=Warning)
    assert len(messages) == 1
    assert messages[0].startswith("Training diverged: the training loss became nan at iteration 2")
    assert est.precision_ == "bf16" and est.n_iter_ == 2
    # precision='bf16' was asked for: no fallback, and the fit fails as in float32.
    bf16_on_cpu(epochs={1})
    est = _tiny_convnet(precision="bf16")
    with pytest.raises(ValueError, match="Solver produced non-finite parameter weights"):
        est.fit(X, y)
    assert not hasattr(est, "net_")  # a fit that raises changes nothing


def test_bf16_fallback_then_float32_diverging_meets_the_divergence_rule(bf16_on_cpu):
    X, y = _tiny_images()
    import sknn.engine.net

    bf16_on_cpu(epochs={1})
    batch_losses = sknn.engine.net.TrainingNet.batch_losses

    def nan_in_any_precision(self, *args, **kwargs):
        loss, record = batch_losses(self, *args, **kwargs)
        return loss * float("nan"), record * float("nan")

    est = _tiny_convnet()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sknn.engine.net.TrainingNet, "batch_losses", nan_in_any_precision)
        with pytest.raises(ValueError, match="non-finite"):
            with pytest.warns(FallbackWarning, match="started again in float32"):
                est.fit(X, y)
    assert not hasattr(est, "net_")


def _bars(n=400, seed=0):
    rng = np.random.RandomState(seed)
    images = rng.uniform(0, 0.3, size=(n, 10, 10)).astype(np.float32)
    labels = rng.randint(0, 2, n)
    for image, label in zip(images, labels, strict=True):
        if label:
            image[:, rng.randint(10)] += 0.7
        else:
            image[rng.randint(10), :] += 0.7
    return images, labels


@pytest.mark.parametrize(
    "make, data",
    [
        (lambda p: ConvNetClassifier(channels=(8,), dense_sizes=(), max_iter=8, **p), "images"),
        (
            # Rows of the images as steps: z-normalised per series, as this was measured
            # with (normalize='auto' now leaves several features per step as given).
            lambda p: SequenceClassifier(
                cell="gru", hidden_size=16, max_iter=15, normalize="series", **p
            ),
            "images",
        ),
        (
            lambda p: TransformerClassifier(
                d_model=16, n_heads=2, n_layers=1, max_iter=15, batch_size=32, **p
            ),
            "tokens",
        ),
    ],
    ids=["convnet", "gru", "transformer"],
)
def test_bf16_training_is_as_accurate_as_float32(make, data):
    if data == "images":
        X, y = _bars()
        X_test, y_test = _bars(seed=1)
    else:
        rng = np.random.RandomState(0)
        X = rng.randint(1, 30, size=(600, 12))
        y = (X == 7).any(axis=1).astype(int)
        X_test, y_test = X[400:], y[400:]
        X, y = X[:400], y[:400]
    scores = {}
    for precision in ("float32", "bf16"):
        est = make(
            dict(precision=precision, random_state=0, device="cpu", learning_rate_init=0.01)
        )
        scores[precision] = est.fit(X, y).score(X_test, y_test)
    assert scores["float32"] > 0.8
    assert scores["bf16"] >= scores["float32"] - 0.05


@pytest.mark.parametrize("kind", ["convnet-uint8", "sequence", "transformer-text"])
def test_every_estimator_streams(kind):
    rng = np.random.RandomState(0)
    if kind == "convnet-uint8":
        X = rng.randint(0, 256, size=(120, 6, 6)).astype(np.uint8)
        y = (X[:, :3].mean(axis=(1, 2)) > X[:, 3:].mean(axis=(1, 2))).astype(int)
        make = lambda **p: ConvNetClassifier(channels=(4,), dense_sizes=(), **p)  # noqa: E731
    elif kind == "sequence":
        X = rng.standard_normal((120, 7, 2)).astype(np.float32)
        y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
        make = lambda **p: SequenceClassifier(hidden_size=8, **p)  # noqa: E731
    else:
        words = np.array(["good", "bad", "film", "plot", "the", "a", "great", "dull"])
        X = [" ".join(rng.choice(words, size=rng.randint(2, 9))) for _ in range(120)]
        y = np.array([int("good" in text or "great" in text) for text in X])
        # Dropout of both kinds: a streamed batch holds its rows in the drawn order, as in
        # memory, so the masks land on the same rows (non-regression: they were read in
        # file order, and a seeded fit differed by 0.01 in its probabilities).
        make = lambda **p: TransformerClassifier(  # noqa: E731
            d_model=8, n_heads=2, n_layers=1, dropout=0.3, token_dropout=0.1, **p
        )
    params = dict(batch_size=16, max_iter=3, random_state=0, device="cpu")
    in_memory = make(stream_data=False, **params).fit(X, y)
    streamed = make(stream_data=True, **params).fit(X, y)
    np.testing.assert_allclose(
        streamed.predict_proba(X), in_memory.predict_proba(X), rtol=1e-4, atol=1e-5
    )
