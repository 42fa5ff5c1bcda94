"""Training steps on fixed-shape buffers, captured once in a CUDA graph and replayed.

For the small networks sknn's users train on tabular data, an eager CUDA step is bound by
kernel launches and Python, not arithmetic: a 2x256 MLP step at batch 256 is ~1.5 ms of
which the GPU is busy for a fraction. :class:`StaticStep` runs the whole step (gather of
the batch from the device-resident data, forward, loss, backward, penalty gradients,
clipping and the optimizer update) on buffers whose addresses never change, so that on
CUDA it can be recorded once with :class:`torch.cuda.CUDAGraph` and replayed for every
full batch. The batch's row indices are the only input: they are copied into a static
index buffer before each replay.

How it keeps the eager semantics:

- Gradients live in persistent tensors, zeroed inside the step (never set to None), so
  the captured kernels and an eager step write to the same memory.
- The last partial batch of an epoch (a different shape) and the first few full batches
  (the warm-up that CUDA graphs need before capture) run the same step eagerly.
- The learning rate is a device tensor updated in place, so per-batch schedules and
  scikit-learn's epoch-level rules keep working after capture (Adam and AdamW with
  ``capturable=True`` read it on the device).
- The epoch's loss is summed on the device inside the step: one host synchronisation per
  epoch, as in the eager loop.

The captured step checks itself: the first :data:`VERIFIED_REPLAYS` replays of a fit are
each compared with the eager step taken from the same state on the same batch (the loss,
the gradients and the change of every parameter and buffer, within :data:`VERIFY_RTOL`).
A mismatch, or any error while recording, ends capture for the fit: training goes on
eagerly from the eager step's state, :attr:`StaticStep.failure` says why, and the
estimator warns once with that reason.

:func:`capture_blockers` says why a configuration cannot be captured; the estimator then
trains eagerly and says so in its verbose output.
"""

import math

import torch
from skorch.callbacks import Callback

from sknn._random import rng_state, set_rng_state

#: Solvers whose torch optimizer can run inside a CUDA graph (``capturable=True`` and a
#: tensor learning rate). torch's SGD, RMSprop and Adagrad read a tensor rate on the host.
CAPTURABLE_SOLVERS = frozenset({"adam", "adamw"})

#: Eager full-batch steps run on a side stream before capture, as CUDA graphs require.
WARMUP_STEPS = 3

#: Run the static (uncaptured) step on the CPU too. Only for tests: it exercises every
#: part of the captured path except the recording and replay themselves (which tests
#: reach by replacing :data:`GRAPHS`).
STATIC_STEP_ON_CPU = False

#: The first replays of each fit that are checked against the eager step (see
#: :meth:`StaticStep.step`). Each check holds a copy of the parameters, buffers and the
#: optimizer's state from before the step and one of the parameters, buffers and gradients
#: after the replay, and costs an eager step and a few host synchronisations.
VERIFIED_REPLAYS = 2

#: How far a checked replay may be from the eager step: the norm of the difference of the
#: loss, of each gradient and of each parameter's and buffer's change, over the norm of
#: the eager one. The two run the same kernels on the same inputs; only the summation order
#: of atomic or differently tiled reductions may differ (relative 1e-6 in float32, 1e-3
#: under bfloat16), while a replay on a stale batch or stale buffers is off by tens of
#: percent.
VERIFY_RTOL = 1e-2

_BATCH_HOOKS = ("on_batch_begin", "on_batch_end", "on_grad_computed")


def capture_blockers(estimator, device, n_train, batch_size, callbacks, sparse=False):
    """Reasons why this fit's training step cannot be captured (empty list if it can).

    Parameters
    ----------
    estimator : BaseNeuralNet
        Supplies ``solver``, ``precision``, ``compile`` and its own ``_graph_blocker()``.
    device : torch.device
    n_train : int
        Rows in the training set.
    batch_size : int
    callbacks : list of skorch callbacks
        The user's callbacks: one that runs per batch would see no batch tensors.
    sparse : bool, default=False
        The training data are a sparse matrix.
    """
    reasons = []
    if device.type != "cuda" and not STATIC_STEP_ON_CPU:
        reasons.append("the device is not a CUDA device")
    if estimator.solver not in CAPTURABLE_SOLVERS:
        reasons.append(
            "solver=%r reads its learning rate on the host (capture supports %s)"
            % (estimator.solver, " and ".join(repr(s) for s in sorted(CAPTURABLE_SOLVERS)))
        )
    if estimator.precision_ == "fp16":
        reasons.append("precision='fp16' needs a gradient scaler that syncs with the host")
    if estimator.compile:
        reasons.append("compile=True")
    if sparse:
        reasons.append(
            "the input is sparse: the number of stored values, and so the shape of the "
            "step's tensors, varies from batch to batch"
        )
    blocker = estimator._graph_blocker()
    if blocker:
        reasons.append(blocker)
    for callback in callbacks or []:
        for hook in _BATCH_HOOKS:
            if getattr(type(callback), hook, None) is not getattr(Callback, hook):
                reasons.append("callback %s runs per batch (%s)" % (type(callback).__name__, hook))
                break
    if n_train // batch_size <= WARMUP_STEPS:
        reasons.append(
            "fewer than %d full batches per epoch (%d rows, batch_size=%d)"
            % (WARMUP_STEPS + 1, n_train, batch_size)
        )
    return reasons


def make_capturable(optimizer, device):
    """Switch an Adam/AdamW optimizer to ``capturable`` with a device learning rate.

    On CUDA only: a graph replay cannot read a Python float that changes, so the rate
    becomes a device tensor that schedules update in place. Nothing is recorded on the
    CPU, which keeps the float rate (and so the eager loop's exact arithmetic).
    """
    if device.type != "cuda":
        return
    for group in optimizer.param_groups:
        group["capturable"] = True
        lr = group["lr"]
        if not isinstance(lr, torch.Tensor):
            group["lr"] = torch.tensor(float(lr), dtype=torch.float32, device=device)
    for state in optimizer.state.values():
        if "step" in state:
            state["step"] = state["step"].to(device=device, dtype=torch.float32)


def release_capturable(optimizer):
    """Undo :func:`make_capturable`: a float learning rate, eager-only updates."""
    for group in optimizer.param_groups:
        if isinstance(group["lr"], torch.Tensor):
            group["lr"] = float(group["lr"])
        if group.get("capturable"):
            group["capturable"] = False


class CudaGraphs:
    """The part of a captured step that needs CUDA: the warm-up stream, recording, replay.

    :class:`StaticStep` does all its recording through :data:`GRAPHS`, an instance of this
    class; tests replace it with an object of the same three methods to run the captured
    path, its self-check and its fallbacks on the CPU.
    """

    def can_capture(self, device):
        """Whether steps on ``device`` can be recorded."""
        return device.type == "cuda"

    def warm_up(self, step):
        """Run ``step``'s full-batch body on a side stream, as CUDA graphs require before
        capture; return its outputs."""
        device = step.index.device
        stream = torch.cuda.Stream(device=device)
        current = torch.cuda.current_stream(device)
        stream.wait_stream(current)
        with torch.cuda.stream(stream):
            outputs = step._body(step.index)
        current.wait_stream(stream)
        return outputs

    def record(self, step):
        """Record ``step``'s full-batch body on its static buffers (nothing runs); return
        an object whose ``replay()`` runs it and returns its outputs."""
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            outputs = step._body(step.index)
        return _Recorded(graph, outputs)


class _Recorded:
    def __init__(self, graph, outputs):
        self.graph = graph
        self.outputs = outputs

    def replay(self):
        self.graph.replay()
        return self.outputs


#: What records and replays captured steps; tests replace it (see :class:`CudaGraphs`).
GRAPHS = CudaGraphs()


class StaticStep:
    """The training step of one fit on fixed buffers; a CUDA graph when ``capture``.

    Parameters
    ----------
    net : TrainingNet
        Provides the module, loss, penalty, clipping and optimizer.
    data : DeviceData
        The training set, already on the device.
    batch_size : int
    capture : bool or None, default=None
        Record the full-batch step in a CUDA graph after :data:`WARMUP_STEPS` eager
        steps; False runs the same step eagerly every time. None: record where
        :data:`GRAPHS` can (on CUDA).

    Attributes
    ----------
    graph : object or None
        The recorded step, None until it is recorded and after capture was given up.
    failure : str or None
        Why capture was given up during the fit (an error while recording, or a replay
        that did not match the eager step), else None.
    """

    def __init__(self, net, data, batch_size, capture=None):
        self.net = net
        self.data = data
        self.batch_size = batch_size
        device = data.y.device
        self.capture = GRAPHS.can_capture(device) if capture is None else capture
        self.index = torch.zeros(batch_size, dtype=torch.long, device=device)
        self.loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        # The epoch's penalty, each batch's at the weights before its step, times its rows.
        self.penalty_sum = torch.zeros((), dtype=torch.float64, device=device)
        self.graph = None
        self.failure = None
        self._warmups_left = WARMUP_STEPS if self.capture else 0
        self._checks_left = VERIFIED_REPLAYS
        params = [p for p in net.module_.parameters() if p.requires_grad]
        for p in params:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
        self.grads = [p.grad for p in params]
        self.params = params

    # -- the step ---------------------------------------------------------------------
    def _body(self, index):
        net = self.net
        torch._foreach_zero_(self.grads)
        Xi, yi = self.data.take(index)
        with net._autocast(cache_enabled=False):
            y_pred = net.infer(Xi)
            loss, record = net.batch_losses(y_pred, yi, training=True)
            trained = net.trained_loss(loss, y_pred)
        trained.backward()
        n = None if yi[1] is None else yi[1].sum()
        penalty = net.penalty_record(n, yi)
        if penalty is not None:
            self.penalty_sum.add_(penalty)
        net._add_penalty_gradients(yi, n)
        if net.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(self.params, net.grad_clip)
        net.optimizer_.step()
        self.loss_sum.add_(record * len(index))
        # Detached, so that no step's graph outlives it (its nodes belong to one stream).
        return loss.detach(), y_pred.detach()

    def step(self, index):
        """Run one training step on the rows ``index`` (a 1-D index tensor on the device).

        Full batches are recorded once after the warm-up and then replayed; the first
        :data:`VERIFIED_REPLAYS` replays are checked against the eager step.
        """
        if len(index) != self.batch_size or not self.capture:
            return self._body(index)
        self.index.copy_(index)
        if self.graph is None:
            if self._warmups_left > 0:
                self._warmups_left -= 1
                return GRAPHS.warm_up(self)
            try:
                self.graph = GRAPHS.record(self)
            except Exception as error:  # noqa: BLE001 - any failure means: train eagerly
                # Nothing recorded ran: this batch's step is still to be taken, eagerly.
                return self._give_up(
                    "recording it failed (%s: %s)" % (type(error).__name__, error)
                )
        if self._checks_left == 0:
            return self.graph.replay()
        self._checks_left -= 1
        return self._checked_replay()

    def _checked_replay(self):
        """Replay, then take the eager step from the same state on the same batch, compare,
        and go on from the eager step's state (the same as the replay's when they match).
        """
        before = _StepState(self)
        loss = self.graph.replay()[0].detach().clone()
        replayed = before.changes_since(copy=True)
        before.restore()
        outputs = self._body(self.index)
        eager = before.changes_since(copy=False)
        difference = _first_difference(
            [("the loss", loss, outputs[0].detach(), 0)] + list(_paired(replayed, eager))
        )
        if difference is not None:
            self.graph = None
            self.capture = False
            self.failure = (
                "the replayed step did not match the eager step from the same state on the "
                "same batch: %s (tolerance %g)" % (difference, VERIFY_RTOL)
            )
        return outputs

    def _give_up(self, why):
        self.capture = False
        self.graph = None
        self.failure = why
        return self._body(self.index)

    def run_epoch(self, batches):
        """Train one epoch over ``batches`` (an :class:`IndexBatches`); return the loss sum."""
        net = self.net
        net._set_training(True)
        self.loss_sum.zero_()
        self.penalty_sum.zero_()
        n_batches = 0
        for index in batches.indices():
            net.notify("on_batch_begin", batch=None, training=True)
            loss, y_pred = self.step(index)
            net.notify("on_batch_end", batch=None, training=True, loss=loss, y_pred=y_pred)
            n_batches += 1
        return self.loss_sum, n_batches

    def close(self):
        """Free the graph and its memory pool."""
        self.graph = None


class _StepState:
    """A copy of everything a training step changes: parameters, buffers, the optimizer's
    state, the epoch's loss and penalty sums and the device's random generator (dropout)."""

    def __init__(self, step):
        module = step.net.module_
        optimizer = step.net.optimizer_
        self.named = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
        self.named += [(name, b) for name, b in module.named_buffers()]
        self.others = [step.loss_sum, step.penalty_sum] + [
            v
            for p in step.params
            for _, v in sorted(optimizer.state.get(p, {}).items())
            if isinstance(v, torch.Tensor)
        ]
        self.saved = [t.detach().clone() for _, t in self.named]
        self.saved_others = [t.detach().clone() for t in self.others]
        self.rng = rng_state(step.index.device)

    def restore(self):
        live = [t for _, t in self.named] + self.others
        with torch.no_grad():
            for tensor, saved in zip(live, self.saved + self.saved_others, strict=True):
                tensor.copy_(saved)
        set_rng_state(self.rng)

    def changes_since(self, copy):
        """``(label, before, after)`` for each parameter and buffer, and ``(label, None,
        gradient)`` for each gradient; ``after`` and the gradients as copies if ``copy``,
        else the live tensors."""
        keep = (lambda t: t.detach().clone()) if copy else (lambda t: t.detach())
        changes = [
            ("the change of %s" % name, saved, keep(t))
            for (name, t), saved in zip(self.named, self.saved, strict=True)
        ]
        changes += [
            ("the gradient of %s" % name, None, keep(p.grad))
            for name, p in self.named
            if isinstance(p, torch.nn.Parameter) and p.grad is not None
        ]
        return changes


def _paired(replayed, eager):
    for (label, before, r), (_, _, e) in zip(replayed, eager, strict=True):
        yield label, r, e, before


def _first_difference(pairs):
    """The first ``(label, replayed, eager, before)`` whose replayed value is off by more
    than :data:`VERIFY_RTOL`, described; None if all agree.

    With ``before`` (a tensor's value before the step), the changes ``after - before`` are
    compared; integer tensors (batch counters) must agree exactly, and non-finite values
    must be non-finite in the same places.
    """
    for label, replayed, eager, before in pairs:
        if not eager.is_floating_point():
            if not torch.equal(replayed, eager):
                return "%s differs" % label
            continue
        r, e = replayed.double(), eager.double()
        if not (torch.isfinite(e).all() and torch.isfinite(r).all()):
            if not torch.allclose(r, e, rtol=VERIFY_RTOL, equal_nan=True):
                return "%s is not finite in the same places" % label
            continue
        if isinstance(before, torch.Tensor):
            b = before.double()
            r, e = r - b, e - b
            # A change at the rounding level of the value itself is noise, not a step.
            floor = 1e-6 * float(torch.linalg.vector_norm(b))
        else:
            floor = 0.0
        error = float(torch.linalg.vector_norm(r - e))
        scale = float(torch.linalg.vector_norm(e))
        if error > VERIFY_RTOL * scale + floor or not math.isfinite(error):
            return "%s is off by %.3g of its size" % (label, error / max(scale, 1e-300))
    return None
