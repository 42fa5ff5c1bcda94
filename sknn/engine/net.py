"""The training engine: skorch's loop, fed by device-resident batches.

sknn composes a private :class:`skorch.NeuralNet` subclass inside each estimator. skorch
contributes the epoch loop, the callback protocol (``on_epoch_end`` and friends, so a
user's skorch callbacks work unchanged), the history and device-robust pickling; sknn
contributes the data path (whole datasets on the device, batches by index), the loss with
per-sample weights and scikit-learn's L2 penalty, and never records a per-batch Python float,
so a CUDA step is not synchronised with the host after every batch.
"""

import contextlib
import copy
import warnings

import torch
from skorch import NeuralNet
from skorch.exceptions import DeviceWarning
from skorch.utils import TeeGenerator

from sknn._stacklevel import replay_warnings, stacklevel_outside_sknn
from sknn.engine.data import HostData, IndexBatches, StreamBatches

#: ``precision`` parameter -> autocast dtype.
AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


#: What a pickled net holds for the parameter ``module`` when it is ``module_`` itself.
_SAME_AS_MODULE_ = "sknn: the module_ attribute"


def picklable_callbacks(callbacks, copies):
    """``callbacks`` (callbacks, or ``(name, callback)`` pairs) to pickle: each skorch
    ``LRScheduler`` that holds a torch scheduler swapped for a copy without it.

    The torch scheduler holds the optimizer, and through it every weight and the
    optimizer's state, which the plain pickle then stored a second time, outside skorch's
    device-mapped part: a model fitted on a GPU with such a callback would not load
    without CUDA (skorch's issue #1096, fixed after skorch 1.4.0). The next fit builds a
    new scheduler in any case (``on_train_begin``). ``copies`` (id -> copy) keeps one copy
    per callback across the lists of one pickle. The user's callbacks are left as they are.
    """
    from skorch.callbacks import LRScheduler

    def swap(callback):
        if not isinstance(callback, LRScheduler):
            return callback
        if getattr(callback, "lr_scheduler_", None) is None:
            return callback
        if id(callback) not in copies:
            stripped = copy.copy(callback)
            stripped.lr_scheduler_ = None
            copies[id(callback)] = stripped
        return copies[id(callback)]

    return [
        (item[0], swap(item[1])) if isinstance(item, tuple) else swap(item) for item in callbacks
    ]


class TrainingNet(NeuralNet):
    """skorch net with sknn's data path, loss and penalty.

    Parameters beyond skorch's
    --------------------------
    make_optimizer : callable
        ``make_optimizer(module) -> torch.optim.Optimizer``.
    l2_penalty : float
        scikit-learn's ``alpha``: adds ``alpha / (2 * n_batch) * ||W||^2`` over the weight
        matrices (parameters with two or more dimensions) to each batch's loss.
    l1_penalty : float
        Adds ``l1 * |W|_1`` over the same weight matrices.
    grad_clip : float or None
        Clip the gradients' global norm to this value before each step.
    precision : {'float32', 'bf16', 'fp16'}
        Autocast the forward pass to this dtype ('fp16' with a gradient scaler).
    jit_compile : bool
        Run the forward pass through ``torch.compile``. (Not skorch's own ``compile``,
        whose ``set_params`` re-initialises the module and the optimizer.)
    generator : torch.Generator or None
        Source of the shuffling permutations.
    shuffle : bool
        Shuffle the training rows at each epoch.
    valid_batch_size : int or None
        Rows per forward pass over the validation set (None: ``batch_size``).
    merge_single_row : bool
        Let a last training batch of one row join the batch before it (batch
        normalisation cannot train on one row).
    static_step : StaticStep or None
        When set, training epochs run through this fixed-buffer step (a CUDA graph on
        CUDA) instead of skorch's per-batch ``train_step``.
    """

    def __init__(
        self,
        *args,
        make_optimizer,
        l2_penalty=0.0,
        l1_penalty=0.0,
        grad_clip=None,
        precision="float32",
        jit_compile=False,
        generator=None,
        shuffle=True,
        valid_batch_size=None,
        merge_single_row=False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.make_optimizer = make_optimizer
        self.l2_penalty = l2_penalty
        self.l1_penalty = l1_penalty
        self.grad_clip = grad_clip
        self.precision = precision
        self.jit_compile = jit_compile
        self.generator = generator
        self.shuffle = shuffle
        self.valid_batch_size = valid_batch_size
        self.merge_single_row = merge_single_row
        self.static_step = None
        self.data_parallel = None

    # -- components -------------------------------------------------------------------
    @property
    def _default_callbacks(self):
        return []

    def initialize_optimizer(self, triggered_directly=None):
        self.optimizer_ = self.make_optimizer(self.module_)
        # What a torch LR scheduler records when it first wraps an optimizer. A new
        # optimizer under a history (a warm start, a loaded model's partial_fit) has a
        # user's LRScheduler callback resume at its epoch, which torch refuses without it.
        for group in self.optimizer_.param_groups:
            group.setdefault("initial_lr", group["lr"])
        return self

    def __getstate__(self):
        state = super().__getstate__()
        # Compiled graphs and gradient scalers are rebuilt on demand, never pickled.
        state.pop("_compiled_forward", None)
        state.pop("_grad_scaler", None)
        state.pop("static_step", None)
        # skorch pickles module_, criterion_ and optimizer_ apart, through torch, so that a
        # net fitted on a GPU loads on a machine without one. The estimators hand skorch
        # their module built, and skorch keeps that instance as the parameter `module`
        # too, which it pickles plainly: its CUDA tensors made a GPU-fitted pickle fail to
        # load on a CPU (seen on the first GPU run), and its weights were stored twice.
        # Stored as a reference to module_, which it is (the estimators build the net with
        # module=module_; a pickle from before the reference held a copy that went stale).
        if isinstance(state.get("module"), torch.nn.Module) and "module_" in self.__dict__:
            state["module"] = _SAME_AS_MODULE_
        copies = {}
        for name in ("callbacks", "callbacks_"):
            if state.get(name):
                state[name] = picklable_callbacks(state[name], copies)
        return state

    def __setstate__(self, state):
        saved_device = state.get("device")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            super().__setstate__(state)
        # skorch warns twice that the model moved, from its own files: once, here.
        moved = [w for w in caught if issubclass(w.category, DeviceWarning)]
        replay_warnings([w for w in caught if not issubclass(w.category, DeviceWarning)])
        if moved:
            warnings.warn(
                f"The model was fitted on {saved_device}, which this machine does not "
                f"have; it is loaded on {self.device}. Models saved with sknn.save load "
                "with sknn.load(path, device=...) on the device you choose.",
                DeviceWarning,
                stacklevel=stacklevel_outside_sknn(),
            )
        module = self.__dict__.get("module")
        if isinstance(module, str) and module == _SAME_AS_MODULE_:
            self.__dict__["module"] = self.module_
        elif isinstance(module, torch.nn.Module) and "module_" in self.__dict__:
            # A pickle from before the reference: its copy went stale at the first
            # continued fit (the estimators build the net with module=module_).
            self.__dict__["module"] = self.module_

    def infer(self, x, **fit_params):
        if not self.jit_compile:
            return super().infer(x, **fit_params)
        forward = self.__dict__.get("_compiled_forward")
        if forward is None:
            # Kept out of skorch's attribute registry (it is derived state, never pickled).
            forward = self.__dict__["_compiled_forward"] = torch.compile(self.module_)
        return forward(**x) if isinstance(x, dict) else forward(x)

    def _autocast(self, cache_enabled=True):
        # A CUDA graph must not capture autocast's cast-weight cache (cache_enabled=False).
        if self.precision == "float32":
            return contextlib.nullcontext()
        dtype = AUTOCAST_DTYPES[self.precision]
        return torch.autocast(
            device_type=torch.device(self.device).type, dtype=dtype, cache_enabled=cache_enabled
        )

    def _scaler(self):
        # float16 gradients underflow without loss scaling; bfloat16's range needs none.
        if self.precision != "fp16":
            return None
        scaler = getattr(self, "_grad_scaler", None)
        if scaler is None:
            device_type = torch.device(self.device).type
            scaler = self._grad_scaler = torch.amp.GradScaler(device_type)
        return scaler

    def penalised_parameters(self):
        """The weight matrices (and embedding tables) that ``alpha`` and ``l1`` penalise:
        every trained parameter of two or more dimensions but biases, which scikit-learn
        never penalises (a per-feature layer's bias, as in the numeric embeddings, is 2-D)."""
        return [
            p
            for name, p in self.module_.named_parameters()
            if p.requires_grad and p.ndim > 1 and name.rpartition(".")[2] != "bias"
        ]

    def records_penalty(self):
        """Whether the stochastic steps record a penalty beside the loss (see
        :meth:`penalty_record`)."""
        return not self.penalty_in_loss and bool(self.l2_penalty or self.l1_penalty)

    def penalty_record(self, n, target):
        """The penalty at the weights the batch was evaluated on (before its step), times
        the batch's rows, in float64; None without one (or under L-BFGS).

        scikit-learn's ``loss_curve_`` adds each batch's ``alpha / (2 n) ||W||^2`` so, ``n``
        its total sample weight (None: its rows), weighed by its rows like the batch's
        loss. Under data-parallel training ``n`` is the global batch's and the rows this
        rank's: the ranks' parts add up to the global batch's.
        """
        if not self.records_penalty():
            return None
        rows = len(target[0])
        with torch.no_grad():
            return self.penalty_term(rows if n is None else n).double() * rows

    def penalty_term(self, n):
        """``alpha / (2 n) * ||W||^2 + l1 * |W|_1`` over :meth:`penalised_parameters`.

        ``alpha`` is scaled by the batch's sample count ``n`` as scikit-learn's MLP does;
        ``l1`` is not (the convention of Keras' regularisers and ``SGDClassifier``), so
        useful values are ~1e-5 to 1e-2 whatever the batch size.
        """
        total = torch.zeros((), device=self.device)
        # Norms rather than (p * p).sum() and p.abs().sum(): no weight-sized temporaries.
        for p in self.penalised_parameters():
            if self.l2_penalty:
                total = total + (0.5 * self.l2_penalty / n) * torch.linalg.vector_norm(p).square()
            if self.l1_penalty:
                total = total + self.l1_penalty * torch.linalg.vector_norm(p, 1)
        return total

    # -- data -------------------------------------------------------------------------
    def get_split_datasets(self, X, y=None, **fit_params):
        # sknn passes the prepared training and validation DeviceData directly.
        return X, y

    def get_iterator(self, dataset, training=False):
        batches = StreamBatches if isinstance(dataset, HostData) else IndexBatches
        if training:
            return batches(
                dataset,
                self.batch_size,
                self.shuffle,
                self.generator,
                merge_single_row=getattr(self, "merge_single_row", False),
                data_parallel=getattr(self, "data_parallel", None),
            )
        return batches(dataset, self.valid_batch_size or self.batch_size, shuffle=False)

    # -- loss and steps ---------------------------------------------------------------
    def get_loss(self, y_pred, y_true, X=None, training=False):
        return self.batch_losses(y_pred, y_true, training=training)[0]

    def batch_losses(self, y_pred, y_true, training=False):
        """The batch's loss to train on, and the same mean to record, in float64.

        The recorded value feeds ``loss_curve_`` and the ``tol`` rule. A float32 mean
        rounds to a relative 6e-8: for a loss of 5e14 (regression targets of 3e7) that
        step is 3e7, more than a whole epoch's progress, and the rule took the flat curve
        for convergence. The float64 mean of the per-sample losses sees it.

        Returns
        -------
        loss : torch.Tensor
            The (sample-weighted) mean loss. For L-BFGS in training, the objective it
            line-searches on: :meth:`trained_loss` plus the penalty; the stochastic
            solvers backpropagate :meth:`trained_loss` of the mean and add the penalty's
            gradient directly.
        record : torch.Tensor
            The mean loss without the penalty, a float64 0-d tensor.
        """
        target, weight = y_true
        per_sample = self.criterion_(y_pred, target)
        exact = per_sample.detach().double()
        if weight is None:
            loss = per_sample.mean()
            record = exact.mean()
            n = per_sample.shape[0]
        else:
            n = weight.sum()
            # A batch whose sample weights are all 0 has a loss of 0 and no gradient, not
            # 0/0 (the training step then skips it).
            loss = (per_sample * weight).sum() / _nonzero(n)
            exact_weight = weight.double()
            record = (exact * exact_weight).sum() / _nonzero(exact_weight.sum())
        if training and self.penalty_in_loss:
            # L-BFGS line-searches on this value: the objective its gradient is of.
            loss = self.trained_loss(loss, y_pred) + self.penalty_term(n)
        return loss, record

    def trained_loss(self, loss, y_pred):
        """The loss to backpropagate for a batch's mean ``loss``: times the criterion's
        ``gradient_scale`` (a regressor's squared error summed over its outputs, as
        scikit-learn trains it). The mean itself is what callbacks and the record see."""
        scale = self.criterion_.gradient_scale(y_pred)
        return loss * scale if scale != 1 else loss

    @property
    def penalty_in_loss(self):
        # A closure-driven optimizer (L-BFGS) needs the penalty in the loss value it
        # line-searches on; the stochastic solvers add its gradient directly (cheaper).
        return isinstance(self.optimizer_, torch.optim.LBFGS)

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        Xi, yi = batch
        scaler = self._scaler()
        n = None
        if self.data_parallel is None:
            with self._autocast():
                y_pred = self.infer(Xi, **fit_params)
                loss, record = self.batch_losses(y_pred, yi, training=True)
                trained = loss if self.penalty_in_loss else self.trained_loss(loss, y_pred)
            (scaler.scale(trained) if scaler is not None else trained).backward()
            step = {"loss": loss, "y_pred": y_pred, "epoch_part": record * len(yi[0])}
        else:
            step, n = self._data_parallel_backward(Xi, yi, scaler, **fit_params)
        if n is None and yi[1] is not None:
            n = yi[1].sum()  # the batch's total sample weight, summed once for all below
        if getattr(self, "_zero_weight_batches", False) and not self.penalty_in_loss:
            # Only fits with zero sample weights pay this host synchronisation. Under
            # data-parallel training every rank reads the same global weight: all skip.
            if not bool(n > 0):
                step["skip"] = True
                return step
        penalty = self.penalty_record(n, yi)
        if penalty is not None:
            step["penalty_part"] = penalty
        if scaler is not None:
            scaler.unscale_(self.optimizer_)
        if not self.penalty_in_loss:
            self._add_penalty_gradients(yi, n)
        if self.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(
                [p for p in self.module_.parameters() if p.grad is not None], self.grad_clip
            )
        return step

    def _data_parallel_backward(self, Xi, yi, scaler, **fit_params):
        """The backward pass of this rank's share of a global batch.

        Each rank backpropagates the sample-weighted sum of its rows' losses over their
        number, not over their weight: a share whose weights are all 0 then contributes
        exactly 0 (over its weight it would be 0/0, NaN, and poison the all-reduce), as
        does a share without rows, and :meth:`DataParallel.average_gradients` turns the
        shares into the one-process gradient. (Per row rather than the plain sum: float16
        gradients then have the one-process magnitude, and the gradient scaler the same
        overflows.)

        Returns
        -------
        step : dict
            ``loss`` (this rank's part of the batch's mean loss: the parts add up to it),
            ``y_pred`` (None for a share without rows) and ``epoch_part`` (this rank's
            part of the batch's loss times its rows, the epoch loss's unit, in float64).
        n : torch.Tensor
            The global batch's total sample weight (its rows when unweighted).
        """
        target, weight = yi
        rows = len(target)
        if rows:
            with self._autocast():
                y_pred = self.infer(Xi, **fit_params)
                per_sample = self.criterion_(y_pred, target)
                exact = per_sample.detach().double()
                if weight is None:
                    local_sum, local = per_sample.sum(), rows
                    exact_sum = exact.sum()
                else:
                    local_sum, local = (per_sample * weight).sum(), weight.sum()
                    exact_sum = (exact * weight.double()).sum()
            per_row = self.trained_loss(local_sum / rows, y_pred)
            (scaler.scale(per_row) if scaler is not None else per_row).backward()
        else:
            # A last batch with fewer rows than processes leaves this rank none. Nothing to
            # forward (a recurrent encoder cannot even pack no rows): its gradient is 0.
            y_pred, local_sum, local = None, torch.zeros((), device=self.device), 0.0
            exact_sum = torch.zeros((), device=self.device, dtype=torch.float64)
        n, n_rows = self.data_parallel.average_gradients(self.module_.parameters(), local, rows)
        loss = local_sum.detach() / _nonzero(n)
        # Recorded in float64, as in one process (see batch_losses).
        epoch_part = exact_sum / _nonzero(n.double()) * n_rows.double()
        return {"loss": loss, "y_pred": y_pred, "epoch_part": epoch_part}, n

    def train_step(self, batch, **fit_params):
        if self.penalty_in_loss:  # L-BFGS re-evaluates the loss through a closure
            return super().train_step(batch, **fit_params)
        self._zero_grad_optimizer(set_to_none=True)
        step = self.train_step_single(batch, **fit_params)
        if step.get("skip"):
            # A batch whose sample weights are all 0 has no gradient: no step at all, as an
            # optimizer with momentum (Adam) would still move on a zero gradient.
            return step
        self.notify(
            "on_grad_computed",
            named_parameters=TeeGenerator(self.get_all_learnable_params()),
            batch=batch,
            training=True,
        )
        scaler = self._scaler()
        if scaler is not None:
            scaler.step(self.optimizer_)
            scaler.update()
        else:
            self.optimizer_.step()
        return step

    # Without autograd: adding the weights into their gradients under it gave each gradient
    # a graph holding its weight's accumulation node, kept from step to step by the captured
    # step's persistent gradients, where the node, made on one CUDA stream, was then fed
    # from another (torch's stream-mismatch warning, seen on the first GPU run).
    @torch.no_grad()
    def _add_penalty_gradients(self, target, n=None):
        # d/dW of alpha/(2n)||W||^2 + l1 |W|_1, n being the batch's total sample weight as
        # in scikit-learn (the global batch's under data-parallel training); added in fused
        # ops instead of building the penalty's graph.
        if not (self.l2_penalty or self.l1_penalty):
            return
        params = [p for p in self.penalised_parameters() if p.grad is not None]
        if not params:
            return
        grads = [p.grad for p in params]
        y, weight = target
        if n is None:
            n = len(y) if weight is None else weight.sum()
        if self.l2_penalty:
            if weight is None and not isinstance(n, torch.Tensor):
                torch._foreach_add_(grads, params, alpha=self.l2_penalty / n)
            else:
                torch._foreach_add_(grads, torch._foreach_mul(params, self.l2_penalty / n))
        if self.l1_penalty:
            torch._foreach_add_(grads, torch._foreach_sign(params), alpha=self.l1_penalty)

    def _set_training(self, training=True):
        # skorch walks every submodule each step; only a change of mode needs that walk
        # (~40 us a batch for a small MLP on the CPU).
        if self.module_.training != training:
            super()._set_training(training)

    #: The name of the callback that stopped the last training run by raising
    #: KeyboardInterrupt (skorch's way to end a fit early), or None.
    stopped_by = None

    def notify(self, method_name, **cb_kwargs):
        """skorch's, noting which callback stops the run: skorch ends a fit quietly on
        any KeyboardInterrupt, a callback's (its EarlyStopping's) or a user's Ctrl-C."""
        getattr(self, method_name)(self, **cb_kwargs)
        for name, callback in self.callbacks_:
            try:
                getattr(callback, method_name)(self, **cb_kwargs)
            except KeyboardInterrupt:
                self.stopped_by = name
                raise

    #: Whether the history keeps what skorch's own callbacks read: a row per batch (its
    #: loss and size, a host synchronisation each) and the '<key>_best' flags. Only for
    #: the user's callbacks, which may read them.
    skorch_history = False

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        # skorch opens a per-batch history row here; sknn keeps per-epoch rows only,
        # unless a user's callback may read them.
        if self.skorch_history:
            self.history.new_batch()

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if iterator is None:
            return
        # Batches of zero total weight must skip their step (see train_step): a check per
        # batch that the fixed-buffer step cannot make, so such fits train eagerly.
        self._zero_weight_batches = training and _has_zero_weight(iterator.data)
        if training and self.static_step is not None and not self._zero_weight_batches:
            total, n_batches = self.static_step.run_epoch(iterator)
            self.history.record(prefix + "_loss", total.item() / len(iterator.data))
            if self.records_penalty():
                penalty = self.static_step.penalty_sum.item() / len(iterator.data)
                self.history.record(prefix + "_penalty", penalty)
            self.history.record(prefix + "_batch_count", n_batches)
            return
        total = torch.zeros((), device=self.device, dtype=torch.float64)
        # Validation with sample weights: the weighted mean over the whole set, the sum of
        # each batch's weighted mean times its weight over the total weight (times its rows,
        # scikit-learn's training-loss unit, weighs a batch by its rows instead).
        weight_total = None
        penalty_total = None  # each batch's penalty times its rows (penalty_record)
        n_batches = 0
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            weight = batch[1][1]
            if "epoch_part" in step:
                total.add_(step["epoch_part"])
            elif not training and weight is not None:
                batch_weight = weight.detach().double().sum()
                total.add_(step["loss"].detach().double() * batch_weight)
                weight_total = (
                    batch_weight if weight_total is None else weight_total + batch_weight
                )
            else:
                total.add_(step["loss"].detach(), alpha=len(batch[1][0]))
            if "penalty_part" in step:
                part = step["penalty_part"]
                penalty_total = part if penalty_total is None else penalty_total + part
            if self.skorch_history:
                self.history.record_batch(prefix + "_loss", step["loss"].detach().item())
                self.history.record_batch(prefix + "_batch_size", len(batch[1][0]))
            self.notify("on_batch_end", batch=batch, training=training, **step)
            n_batches += 1
        if training and self.data_parallel is not None:
            total = self.data_parallel.sum(total)  # each rank summed its own rows
            if penalty_total is not None:
                penalty_total = self.data_parallel.sum(penalty_total)
        if penalty_total is not None:
            self.history.record(prefix + "_penalty", penalty_total.item() / len(iterator.data))
        # One host synchronisation per epoch, not per batch.
        if weight_total is not None:
            self.history.record(prefix + "_loss", (total / _nonzero(weight_total)).item())
        else:
            self.history.record(prefix + "_loss", total.item() / len(iterator.data))
        self.history.record(prefix + "_batch_count", n_batches)


def _nonzero(n):
    """``n`` (a 0-d tensor), with 1 in place of 0: a sum over no weight divides to 0."""
    return torch.where(n > 0, n, 1)


def _has_zero_weight(data):
    """Whether some training row of ``data`` has a sample weight of 0."""
    weight = getattr(data, "sample_weight", None)
    if weight is None:
        return False
    if isinstance(data, HostData) and data.rows is not None:
        weight = weight[data.rows]
    return bool((weight == 0).any())
