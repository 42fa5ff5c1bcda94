"""The shared estimator machinery every sknn estimator is built on.

:class:`BaseNeuralNet` holds the parameters every network shares and the whole ``fit``
template: parameter validation, data validation, seeding, device resolution, the
validation split, building the skorch training engine, running it and checking its health.
A concrete estimator supplies only what depends on its input (``_validate_X_y``,
``_validate_X``, ``_build_module``) and mixes in :class:`NeuralNetClassifierMixin` or
:class:`NeuralNetRegressorMixin` for what depends on its task.
"""

import contextlib
import math
import os
import warnings
from abc import ABC, abstractmethod
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, compute_sample_weight
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, column_or_1d

from sknn._device import resolve_device
from sknn._random import draw_seed, make_generator, torch_seed_scope
from sknn.engine.callbacks import (
    NON_FINITE_WEIGHTS,
    EpochRule,
    ProgressBar,
    SaveCheckpoint,
    StopWhenRuleSays,
    all_finite,
    tqdm_available,
)
from sknn.engine.data import DeviceData, HostData, is_memory_mapped, is_sparse, nbytes, to_tensor
from sknn.engine.graph import StaticStep, capture_blockers, make_capturable, release_capturable
from sknn.engine.losses import OUTPUT_ACTIVATIONS, TaskLoss
from sknn.engine.net import TrainingNet
from sknn.engine.optim import OPTIMIZERS, STOCHASTIC_SOLVERS, OptimizerFactory

#: Values of ``learning_rate``: scikit-learn's three, then sknn's.
LEARNING_RATE_SCHEDULES = ("constant", "invscaling", "adaptive", "linear", "cosine", "plateau")

#: Fitted bookkeeping a checkpoint carries so that a resumed fit continues where it was.
_RESUMABLE = (
    "n_iter_",
    "t_",
    "loss_",
    "loss_curve_",
    "best_loss_",
    "validation_scores_",
    "best_validation_score_",
    "_no_improvement_count",
    "_optimizer_steps",
    "_base_lr",
)

#: Rows per forward pass when predicting.
PREDICT_BATCH_SIZE = 65536

#: With stream_data='auto', stream a training set larger than this fraction of the
#: device's free memory.
STREAM_DEVICE_FRACTION = 0.5

#: Up to this many rows, a CPU prediction runs on one thread (see _few_rows_on_one_thread).
SINGLE_THREAD_ROWS = 64


class BaseNeuralNet(BaseEstimator, ABC):
    """Base class of every sknn network estimator. Not for direct use.

    Subclasses list every parameter in their own ``__init__`` (scikit-learn reads the
    signature) and implement :meth:`_validate_X_y`, :meth:`_validate_X` and
    :meth:`_build_module`.
    """

    _parameter_constraints: dict = {
        "solver": [StrOptions(set(OPTIMIZERS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions(set(LEARNING_RATE_SCHEDULES))],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "device": [str, torch.device],
        "callbacks": [list, None],
        "warmup": [
            Interval(Integral, 0, None, closed="left"),
            Interval(Real, 0, 1, closed="neither"),
        ],
        "min_lr": [Interval(Real, 0, 1, closed="both")],
        "l1": [Interval(Real, 0, None, closed="left")],
        "grad_clip": [Interval(Real, 0, None, closed="neither"), None],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "ensemble": [StrOptions({"best", "average"})],
        "precision": [StrOptions({"auto", "float32", "bf16", "fp16"})],
        "cuda_graph": [StrOptions({"auto"}), "boolean"],
        "stream_data": [StrOptions({"auto"}), "boolean"],
        "compile": ["boolean"],
        "checkpoint": [str, os.PathLike, None],
        "resume_from": [str, os.PathLike, None],
    }

    # -- hooks for the concrete estimators ------------------------------------------------
    @abstractmethod
    def _validate_X_y(self, X, y, reset):
        """Validate training data; return ``(X, y)`` with X an array or dict of arrays."""

    @abstractmethod
    def _validate_X(self, X):
        """Validate prediction data (``reset=False``); return an array or dict of arrays."""

    @abstractmethod
    def _build_module(self, X, n_outputs):
        """Return a freshly initialised ``torch.nn.Module`` for validated X."""

    def _graph_blocker(self):
        """Why this estimator's training step cannot be captured in a CUDA graph, or None.

        Captured steps need inputs of one shape per batch; estimators whose batches vary
        (padded to each batch's longest sequence, or sorted by length) say so here.
        """
        return "%s's batches vary in shape" % type(self).__name__

    def _bf16_helps(self, device):
        """Whether ``precision='auto'`` trains in bfloat16 on this (CUDA) device."""
        return False

    def _resolve_precision(self, device):
        """``precision`` with 'auto' resolved: bf16 on CUDA GPUs with bfloat16 support
        for the estimators where it pays (:meth:`_bf16_helps`), else float32."""
        if self.precision != "auto":
            return self.precision
        if device.type == "cuda" and torch.cuda.is_bf16_supported() and self._bf16_helps(device):
            return "bf16"
        return "float32"

    def _streams(self, X, device):
        """Whether this fit streams X batch by batch from host memory (``stream_data``)."""
        if self.stream_data is False:
            return False
        if self.solver == "lbfgs":
            if self.stream_data is True:
                raise ValueError(
                    "stream_data=True needs a stochastic solver: solver='lbfgs' computes "
                    "every step on the whole training set."
                )
            return False
        if self.stream_data is True:
            return True
        arrays = list(X.values()) if isinstance(X, dict) else [X]
        if any(is_memory_mapped(a) for a in arrays):
            return True
        if device.type == "cuda":
            free, _ = torch.cuda.mem_get_info(device)
            # Leave room for the network, its activations and the optimizer's state.
            return sum(nbytes(a) for a in arrays) > STREAM_DEVICE_FRACTION * free
        return False

    def _label_smoothing(self):
        return getattr(self, "label_smoothing", 0.0)

    def _check_solver(self):
        """True if ``partial_fit`` is available, else scikit-learn's AttributeError."""
        if self.solver not in STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. "
                "%s is not stochastic." % self.solver
            )
        return True

    # -- fit template -----------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values (class labels in classification, real numbers in
            regression).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    def _fit(self, X, y, sample_weight=None, incremental=False, classes=None):
        self._validate_params()
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        if self.n_init > 1 and (incremental or self.warm_start or self.checkpoint):
            raise ValueError(
                "n_init > 1 fits several models from scratch: it cannot be combined with "
                "partial_fit, warm_start=True or checkpoint."
            )
        first_pass = not hasattr(self, "net_") or (not self.warm_start and not incremental)
        if self.n_init > 1:
            return self._fit_restarts(X, y, sample_weight, classes)

        X, y = self._validate_X_y(X, y, reset=first_pass)
        n_samples = _num_samples(X)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, np.empty((n_samples, 0)))
        y_train = self._encode_targets(y, first_pass, incremental, classes)
        sample_weight = self._task_sample_weight(y, sample_weight)

        device = resolve_device(self.device)
        seed = draw_seed(self.random_state)
        if not first_pass:
            # Continuing calls (partial_fit, warm_start) must not replay the first call's
            # shuffle order and dropout masks: offset the seed by the samples seen so far.
            seed = (seed + getattr(self, "t_", 0)) % np.iinfo(np.int32).max
        resume = first_pass and not incremental and self.resume_from is not None
        with torch_seed_scope(seed, device):
            if first_pass:
                self._initialize_state(X, device)
            elif not incremental:
                self._restart_optimizer()
            if resume:
                self._load_checkpoint(self.resume_from)
            self._train(X, y, y_train, sample_weight, device, seed, incremental, resume)
        return self

    def _fit_restarts(self, X, y, sample_weight, classes):
        """``n_init`` fits from different seeds; keep the best or average them all."""
        seeds = check_random_state(self.random_state).randint(
            np.iinfo(np.int32).max, size=self.n_init
        )
        runs = [
            clone(self).set_params(n_init=1, random_state=int(seed)).fit(X, y, sample_weight)
            for seed in seeds
        ]
        scores = [run.best_validation_score_ if run.early_stopping else -run.loss_ for run in runs]
        best = int(np.argmax(scores))
        params = self.get_params(deep=False)
        self.__dict__.update({k: v for k, v in runs[best].__dict__.items() if k not in params})
        self.init_scores_ = scores
        self.best_init_ = best
        self.runs_ = runs if self.ensemble == "average" else None
        return self

    def _restart_optimizer(self):
        """A warm-started ``fit`` keeps the weights but starts a new optimizer and schedule.

        As scikit-learn does: its solvers are rebuilt at every ``fit``, so a changed
        ``learning_rate_init`` (or solver setting) takes effect; ``partial_fit`` keeps them.
        """
        self.net_.make_optimizer = OptimizerFactory(self)
        self.net_.initialize_optimizer()
        self._base_lr = self.learning_rate_init
        self._optimizer_steps = 0

    def _resumable_state(self):
        """The scikit-learn bookkeeping a checkpoint saves and a resumed fit restores."""
        return {name: getattr(self, name) for name in _RESUMABLE}

    def _load_checkpoint(self, path):
        state = torch.load(path, map_location=self.device_, weights_only=False)
        self.net_.module_.load_state_dict(state["module"])
        self.net_.optimizer_.load_state_dict(state["optimizer"])
        release_capturable(self.net_.optimizer_)  # saved mid-fit by a captured step
        for name, value in state["estimator_state"].items():
            setattr(self, name, value)
        self._best_state = state["best_module"] if self.early_stopping else None
        for row in state["history"]:
            self.net_.history.append(row)

    def _initialize_state(self, X, device):
        """Build the module and the engine and reset scikit-learn's fitted attributes."""
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self._no_improvement_count = 0
        self._best_state = None
        self._optimizer_steps = 0
        self._base_lr = self.learning_rate_init
        if self.early_stopping:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = np.inf
        self.device_ = str(device)
        module = self._build_module(X, self.n_outputs_)
        self.net_ = TrainingNet(
            module=module,
            criterion=TaskLoss(self.out_activation_, self._label_smoothing()),
            optimizer=torch.optim.Optimizer,  # unused: make_optimizer builds it
            make_optimizer=OptimizerFactory(self),
            lr=self.learning_rate_init,
            train_split=None,
            callbacks=list(self.callbacks or []),
            device=self.device_,
            verbose=0,
        )
        self.net_.initialize()

    def _batch_size(self, n_train):
        if self.solver == "lbfgs":
            return n_train
        if self.batch_size == "auto":
            return min(200, n_train)
        if self.batch_size > n_train:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. "
                "It is going to be clipped",
                stacklevel=5,
            )
        return int(np.clip(self.batch_size, 1, n_train))

    def _train(self, X, y, y_train, sample_weight, device, seed, incremental, resume=False):
        net = self.net_
        if self.device_ != str(device):
            net.device = str(device)
            self.device_ = str(device)
            net.module_.to(device)
            _optimizer_to(net.optimizer_, device)
        streaming = self._streams(X, device)
        dataset = self._host_data if streaming else self._device_data
        if self.early_stopping and not incremental:
            train_idx, valid_idx = self._validation_split(y, y_train, seed)
            train = dataset(X, y_train, sample_weight, train_idx, device)
            valid = dataset(X, y_train, sample_weight, valid_idx, device)
            y_valid = y[valid_idx]
            w_valid = None if sample_weight is None else sample_weight[valid_idx]

            def score_fn(outputs):
                return self._score_outputs(outputs, y_valid, w_valid)

        else:
            train = dataset(X, y_train, sample_weight, None, device)
            valid, score_fn = None, None

        n_train = len(train)
        batch_size = self._batch_size(n_train)
        epochs = 1 if (incremental or self.solver == "lbfgs") else self.max_iter
        if resume:
            epochs = max(0, self.max_iter - self.n_iter_)
        else:
            self.n_iter_ = 0  # per call, as scikit-learn counts it (t_ keeps accumulating)
        rule = None
        if self.solver != "lbfgs":
            total_steps = self.max_iter * -(-n_train // batch_size)
            warmup = self.warmup
            warmup_steps = (
                warmup if isinstance(warmup, Integral) else math.ceil(warmup * total_steps)
            )
            rule = EpochRule(self, score_fn, n_train, total_steps, warmup_steps)
        # Plain attributes, not skorch's set_params: that re-initialises components (and
        # so the optimizer's state) when it sees a parameter it treats as special.
        net.batch_size = batch_size
        net.shuffle = self.shuffle and self.solver != "lbfgs"
        net.l2_penalty = self.alpha
        net.l1_penalty = self.l1
        net.grad_clip = self.grad_clip
        self._resolved_precision = self._resolve_precision(device)
        net.precision = self._resolved_precision
        net.jit_compile = self.compile
        net.generator = make_generator(seed, torch.device("cpu") if streaming else device)
        net.valid_batch_size = self._validation_batch_size(batch_size)
        user = [(type(cb).__name__, cb) for cb in (self.callbacks or [])]
        tail = []
        if rule is not None:
            if self.checkpoint is not None:
                tail.append(("sknn_checkpoint", SaveCheckpoint(self, self.checkpoint)))
            if self.verbose == 1 and tqdm_available():
                tail.append(("sknn_progress", ProgressBar(epochs, type(self).__name__)))
            tail.append(("sknn_stop", StopWhenRuleSays(rule)))
        net.callbacks_ = ([("sknn_epoch_rule", rule)] if rule else []) + user + tail
        lbfgs_state = net.optimizer_.state.get(net.optimizer_.param_groups[0]["params"][0], {})
        lbfgs_counts_before = (
            int(lbfgs_state.get("n_iter", 0)),
            int(lbfgs_state.get("func_evals", 0)),
        )
        static = None
        if rule is not None and epochs:
            static = self._static_step(net, train, batch_size, device, streaming)
        net.static_step = static
        try:
            if epochs:
                net.partial_fit(train, valid, epochs=epochs)
        finally:
            net.generator = None  # a torch.Generator does not pickle
            net.callbacks_ = user
            net.static_step = None
            if static is not None:
                self.cuda_graph_ = static.graph is not None
                static.close()
                release_capturable(net.optimizer_)
                if static.failure and self.verbose:
                    print("Training step not captured in a CUDA graph: %s." % static.failure)
            else:
                self.cuda_graph_ = False

        if rule is None:
            self._finish_lbfgs(train, *lbfgs_counts_before)
        elif epochs == 0:
            pass
        elif not rule.stopped and rule.epochs_run < epochs:
            warnings.warn("Training interrupted by user.", stacklevel=4)
        elif not rule.stopped and not incremental:
            warnings.warn(
                "Stochastic Optimizer: Maximum iterations (%d) reached and the "
                "optimization hasn't converged yet." % self.max_iter,
                ConvergenceWarning,
                stacklevel=4,
            )
        if self.early_stopping and not incremental and self._best_state is not None:
            net.module_.load_state_dict(self._best_state)
            self._best_state = None
        if not all_finite(net.module_.parameters()):
            raise ValueError(NON_FINITE_WEIGHTS)

    def _static_step(self, net, train, batch_size, device, streaming):
        """The fixed-buffer training step of this fit (captured on CUDA), or None."""
        if self.cuda_graph is False:
            return None
        reasons = capture_blockers(
            self, device, len(train), batch_size, self.callbacks, sparse=is_sparse(train.X)
        )
        if streaming:
            reasons.append("the training data streams from host memory")
        if reasons:
            if self.cuda_graph is True:
                raise ValueError(
                    "cuda_graph=True, but this fit's training step cannot be captured in a "
                    "CUDA graph: %s. Use cuda_graph='auto' to train eagerly instead."
                    % "; ".join(reasons)
                )
            if self.verbose and device.type == "cuda":
                print("Training step not captured in a CUDA graph: %s." % "; ".join(reasons))
            return None
        make_capturable(net.optimizer_, device)
        return StaticStep(net, train, batch_size, capture=device.type == "cuda")

    def _finish_lbfgs(self, train, iterations_before, evaluations_before):
        net = self.net_
        state = net.optimizer_.state[net.optimizer_.param_groups[0]["params"][0]]
        # torch's L-BFGS counts iterations and function evaluations across calls
        # (warm_start); report this call's.
        self.n_iter_ = int(state.get("n_iter", 0)) - iterations_before
        evaluations = int(state.get("func_evals", 0)) - evaluations_before
        with torch.no_grad():
            X, target = train.take(slice(None))
            net.module_.train()
            self.loss_ = float(net.get_loss(net.infer(X), target, training=True))
        # scipy's stopping reasons, checked in scipy's order, in scikit-learn's words.
        if evaluations >= self.max_fun:
            reason = "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT"
        elif self.n_iter_ >= self.max_iter:
            reason = "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT"
        else:
            reason = None
        if reason is not None:
            message = "lbfgs failed to converge after %d iteration(s) (status=1):\n%s\n" % (
                self.n_iter_,
                reason,
            )
            if self.n_iter_ == self.max_iter:
                message += (
                    "\nIncrease the number of iterations to improve the convergence "
                    "(max_iter=%d)." % self.max_iter
                )
            message += (
                "\nYou might also want to scale the data as shown in:\n"
                "    https://scikit-learn.org/stable/modules/preprocessing.html"
            )
            warnings.warn(message, ConvergenceWarning, stacklevel=5)
        # scikit-learn's lbfgs records neither a loss curve nor a best loss.
        for name in ("loss_curve_", "best_loss_", "t_"):
            self.__dict__.pop(name, None)

    def _validation_split(self, y, y_train, seed):
        stratify = self._stratification_labels(y) if self._stratify_validation() else None
        idx = np.arange(len(y_train))
        train_idx, valid_idx = train_test_split(
            idx,
            random_state=np.random.RandomState(seed),
            test_size=self.validation_fraction,
            stratify=stratify,
        )
        if len(valid_idx) < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        return train_idx, valid_idx

    def _stratify_validation(self):
        return False

    def _stratification_labels(self, y):
        """The labels the validation split is stratified on."""
        return y

    def _device_data(self, X, y_train, sample_weight, index, device):
        def put(a):
            a = a if index is None else a[index]
            return _as_tensor(a, device)

        Xt = {k: put(v) for k, v in X.items()} if isinstance(X, dict) else put(X)
        w = None if sample_weight is None else put(sample_weight.astype(np.float32))
        return DeviceData(Xt, put(y_train), w)

    def _host_data(self, X, y_train, sample_weight, index, device):
        w = None if sample_weight is None else sample_weight.astype(np.float32)
        return HostData(X, np.asarray(y_train), w, index, device)

    # -- prediction -------------------------------------------------------------------------
    def _validation_batch_size(self, batch_size):
        """Rows per forward pass over the early-stopping validation set.

        The training batch size by default: a safe memory bound for images and long
        sequences; small-row estimators raise it to cut per-batch overhead.
        """
        return batch_size

    def _predict_batch_rows(self, X):
        """Rows per forward pass when predicting; estimators with large rows lower it."""
        return PREDICT_BATCH_SIZE

    def _prediction_batches(self, X):
        """Yield ``(rows, batch)`` pairs covering validated X for prediction.

        ``rows`` (a slice or an index array) says where the batch's outputs go. Estimators
        whose rows vary in cost override this (the transformer groups texts by length).
        """
        n = _num_samples(X)
        step = self._predict_batch_rows(X)
        for start in range(0, n, step):
            rows = slice(start, start + step)
            yield rows, ({k: v[rows] for k, v in X.items()} if isinstance(X, dict) else X[rows])

    def _raw_outputs(self, X, forward=None):
        """Validated X -> ``forward``'s outputs (the module's by default), CPU float tensor."""
        module = self.net_.module_
        if module.training:
            module.eval()
        forward = module if forward is None else forward
        device = next(module.parameters()).device
        n = _num_samples(X)
        out = None
        with torch.inference_mode(), _few_rows_on_one_thread(n, device):
            for rows, batch in self._prediction_batches(X):
                if isinstance(batch, dict):
                    result = forward(**{k: _as_tensor(v, device) for k, v in batch.items()})
                else:
                    result = forward(_as_tensor(batch, device))
                result = result.float().cpu()
                if out is None:
                    out = torch.empty((n, *result.shape[1:]), dtype=torch.float32)
                out[rows if isinstance(rows, slice) else torch.as_tensor(rows)] = result
        return out

    def _activated_outputs(self, X):
        """Validated X -> outputs after the output activation, as float32 NumPy.

        float32 is the precision the network computes in: returned as float64, they would
        claim digits that BLAS kernels choose freely (a row's prediction can differ in the
        last float32 digit between predicting it alone and among others, by CPU model).
        With ``n_init > 1`` and ``ensemble='average'``, the mean over every run.
        """
        runs = getattr(self, "runs_", None)
        if runs:
            return np.mean([run._activated_outputs(X) for run in runs], axis=0)
        raw = self._raw_outputs(X)
        return OUTPUT_ACTIVATIONS[self.out_activation_](raw).numpy()

    def __setstate__(self, state):
        super().__setstate__(state)
        if "net_" in state:
            # skorch maps a model fitted on CUDA to the CPU (with a warning) on a machine
            # without CUDA; record where the model actually is now.
            self.device_ = str(self.net_.device)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "net_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags

    # -- fitted attributes derived from the module -----------------------------------------
    @property
    def history_(self):
        """skorch's per-epoch history of the last fit (loss, validation score, lr, time)."""
        check_is_fitted(self)
        return self.net_.history

    @property
    def module_(self):
        """The fitted ``torch.nn.Module``."""
        check_is_fitted(self)
        return self.net_.module_


class NeuralNetClassifierMixin(ClassifierMixin):
    """Classification for a :class:`BaseNeuralNet`: labels, class weights, probabilities.

    Labels of any kind (strings, {-1, 1}, {10, 20, 30}, pandas categoricals) round-trip
    through a ``LabelBinarizer`` fitted in ``fit``; ``classes_`` orders the columns of
    :meth:`predict_proba`. Two classes use one logistic output, as scikit-learn's MLP does;
    several use a softmax; a label-indicator matrix is multilabel (one logistic per label).
    """

    def _encode_targets(self, y, first_pass, incremental, classes):
        if incremental and _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        if first_pass and not incremental:
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            present = unique_labels(y)
            if self.warm_start and not incremental:
                if set(present) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in "
                        f"the previous call to fit. Previously got {self.classes_}, `y` has "
                        f"{present}"
                    )
            elif len(np.setdiff1d(present, self.classes_, assume_unique=True)):
                raise ValueError(
                    "`y` has classes not in `self.classes_`. "
                    f"`self.classes_` has {self.classes_}. 'y' has {present}."
                )
        binarizer = self._label_binarizer
        if binarizer.y_type_ == "multiclass":
            self.out_activation_ = "softmax"
            self.n_outputs_ = len(binarizer.classes_)
            return np.searchsorted(binarizer.classes_, y).astype(np.int64)
        self.out_activation_ = "logistic"
        encoded = binarizer.transform(y).astype(np.float32)
        self.n_outputs_ = encoded.shape[1]
        return encoded

    def _validate_targets(self, y):
        check_classification_targets(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return y

    def _task_sample_weight(self, y, sample_weight):
        class_weight = getattr(self, "class_weight", None)
        if class_weight is None:
            return sample_weight
        if y.ndim == 2:
            raise ValueError("class_weight is not supported for multilabel targets.")
        weights = compute_sample_weight(class_weight, y)
        if sample_weight is not None:
            weights = weights * sample_weight
        return weights

    def _stratify_validation(self):
        return self.n_outputs_ == 1 or self.out_activation_ == "softmax"

    def _stratification_labels(self, y):
        if self.out_activation_ == "softmax":
            return y
        # One logistic output: stratify on its binarised column as scikit-learn does, so
        # that a too-rare class is reported in scikit-learn's words (['True']).
        return self._label_binarizer.transform(y).astype(bool)

    def _score_outputs(self, outputs, y_true, sample_weight):
        proba = OUTPUT_ACTIVATIONS[self.out_activation_](outputs.float()).cpu().numpy()
        return accuracy_score(y_true, self._decode(proba), sample_weight=sample_weight)

    def _decode(self, proba):
        # The common cases directly (LabelBinarizer's inverse costs ~0.2 ms a call).
        if self.out_activation_ == "softmax":
            return self.classes_[proba.argmax(axis=1)]
        if proba.shape[1] == 1 and len(self.classes_) == 2:
            return self.classes_[(proba[:, 0] > 0.5).astype(np.intp)]
        if proba.shape[1] == 1:
            proba = proba.ravel()
        return self._label_binarizer.inverse_transform(proba)

    def predict(self, X):
        """Predict class labels for samples in X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes, as given in ``y`` at fit.
        """
        check_is_fitted(self)
        return self._decode(self._activated_outputs(self._validate_X(X)))

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes), float32
            The probability of each class, columns ordered as in ``classes_``.
        """
        check_is_fitted(self)
        proba = self._activated_outputs(self._validate_X(X))
        if proba.shape[1] == 1:
            return np.hstack([1 - proba, proba])
        return proba

    def predict_log_proba(self, X):
        """Log of probability estimates, ``log(predict_proba(X))``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes), float32
            Log-probabilities, columns ordered as in ``classes_``.
        """
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba)

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with a single epoch over the given data.

        Only with a stochastic ``solver`` (not 'lbfgs'): with 'lbfgs' the method does not
        exist (``hasattr(est, "partial_fit")`` is False), as in scikit-learn.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        classes : array of shape (n_classes,), default=None
            Classes across all calls to ``partial_fit``; required on the first call.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True, classes=classes)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class NeuralNetRegressorMixin(RegressorMixin):
    """Regression for a :class:`BaseNeuralNet`: identity output (or exp for Poisson)."""

    def _encode_targets(self, y, first_pass, incremental, classes):
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y
        if not first_pass and y2.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y2.shape[1]} outputs, but {type(self).__name__} was fitted with "
                f"{self.n_outputs_} outputs."
            )
        self.n_outputs_ = y2.shape[1]
        self.out_activation_ = "exp" if getattr(self, "loss", None) == "poisson" else "identity"
        return y2.astype(np.float32)

    def _validate_targets(self, y):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if getattr(self, "loss", None) == "poisson" and np.any(y < 0):
            raise ValueError("Some value(s) of y are negative which is not allowed for Poisson.")
        return y

    def _task_sample_weight(self, y, sample_weight):
        return sample_weight

    def _score_outputs(self, outputs, y_true, sample_weight):
        pred = OUTPUT_ACTIVATIONS[self.out_activation_](outputs.float()).cpu().numpy()
        if not np.isfinite(pred).all():
            return np.nan
        if pred.shape[1] == 1:
            pred = pred.ravel()
        return r2_score(y_true, pred, sample_weight=sample_weight)

    def predict(self, X):
        """Predict using the fitted network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs), float32
            The predicted values, in the float32 precision the network computes in.
        """
        check_is_fitted(self)
        pred = self._activated_outputs(self._validate_X(X))
        return pred.ravel() if pred.shape[1] == 1 else pred

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with a single epoch over the given data.

        Only with a stochastic ``solver`` (not 'lbfgs'), as in scikit-learn.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)


@contextlib.contextmanager
def _few_rows_on_one_thread(n_rows, device):
    """Run a small CPU forward pass on one thread.

    For a handful of rows the intra-op thread pool costs more in wake-ups than it saves
    (tens of milliseconds per call on a busy machine); the previous setting is restored.
    """
    if device.type != "cpu" or n_rows > SINGLE_THREAD_ROWS or torch.get_num_threads() == 1:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _num_samples(X):
    if isinstance(X, dict):
        return len(next(iter(X.values())))
    return X.shape[0] if is_sparse(X) else len(X)


_as_tensor = to_tensor


def _optimizer_to(optimizer, device):
    for state in optimizer.state.values():
        for key, value in state.items():
            if isinstance(value, torch.Tensor):
                state[key] = value.to(device)
