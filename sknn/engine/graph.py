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

:func:`capture_blockers` says why a configuration cannot be captured; the estimator then
trains eagerly and says so in its verbose output.
"""

import torch
from skorch.callbacks import Callback

#: Solvers whose torch optimizer can run inside a CUDA graph (``capturable=True`` and a
#: tensor learning rate). torch's SGD, RMSprop and Adagrad read a tensor rate on the host.
CAPTURABLE_SOLVERS = frozenset({"adam", "adamw"})

#: Eager full-batch steps run on a side stream before capture, as CUDA graphs require.
WARMUP_STEPS = 3

#: Run the static (uncaptured) step on the CPU too. Only for tests: it exercises every
#: part of the captured path except the recording and replay themselves.
STATIC_STEP_ON_CPU = False

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
    if estimator._resolved_precision == "fp16":
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


class StaticStep:
    """The training step of one fit on fixed buffers; a CUDA graph when ``capture``.

    Parameters
    ----------
    net : TrainingNet
        Provides the module, loss, penalty, clipping and optimizer.
    data : DeviceData
        The training set, already on the device.
    batch_size : int
    capture : bool
        Record the full-batch step in a CUDA graph after :data:`WARMUP_STEPS` eager
        steps (CUDA only); False runs the same step eagerly every time.
    """

    def __init__(self, net, data, batch_size, capture):
        self.net = net
        self.data = data
        self.batch_size = batch_size
        self.capture = capture
        device = data.y.device
        self.index = torch.zeros(batch_size, dtype=torch.long, device=device)
        self.loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        self.graph = None
        self.failure = None
        self._warmups_left = WARMUP_STEPS if capture else 0
        self._side_stream = None
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
            loss = net.get_loss(y_pred, yi, X=Xi, training=True)
        loss.backward()
        net._add_penalty_gradients(yi)
        if net.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(self.params, net.grad_clip)
        net.optimizer_.step()
        self.loss_sum.add_(loss.detach().double() * len(index))
        return loss, y_pred

    def step(self, index):
        """Run one training step on the rows ``index`` (a 1-D index tensor on the device)."""
        if len(index) != self.batch_size or not self.capture:
            return self._body(index)
        self.index.copy_(index)
        if self.graph is not None:
            self.graph.replay()
            return self._outputs
        if self._warmups_left > 0:
            self._warmups_left -= 1
            return self._on_side_stream(self.index)
        return self._record()

    def _on_side_stream(self, index):
        if self._side_stream is None:
            self._side_stream = torch.cuda.Stream(device=index.device)
        current = torch.cuda.current_stream(index.device)
        self._side_stream.wait_stream(current)
        with torch.cuda.stream(self._side_stream):
            outputs = self._body(index)
        current.wait_stream(self._side_stream)
        return outputs

    def _record(self):
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph):
                self._outputs = self._body(self.index)
        except Exception as error:  # noqa: BLE001 - any failure means: train eagerly
            # Nothing recorded ran: this batch's step is still to be taken, eagerly.
            self.capture = False
            self.failure = "capture failed (%s: %s)" % (type(error).__name__, error)
            return self._body(self.index)
        self.graph = graph
        graph.replay()
        return self._outputs

    def run_epoch(self, batches):
        """Train one epoch over ``batches`` (an :class:`IndexBatches`); return the loss sum."""
        net = self.net
        net._set_training(True)
        self.loss_sum.zero_()
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
        self._outputs = None
