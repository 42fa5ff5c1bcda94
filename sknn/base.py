"""The shared estimator machinery every sknn estimator is built on.

:class:`BaseNeuralNet` holds the parameters every network shares and the whole ``fit``
template: parameter validation, data validation, seeding, device resolution, the
validation split, building the skorch training engine, running it and checking its health.
A concrete estimator supplies only what depends on its input (``_validate_X_y``,
``_validate_X``, ``_build_module``) and mixes in :class:`NeuralNetClassifierMixin` or
:class:`NeuralNetRegressorMixin` for what depends on its task.
"""

import contextlib
import copy
import dataclasses
import functools
import inspect
import math
import os
import tempfile
import types
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterator
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import scipy.sparse
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, compute_sample_weight
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, column_or_1d
from torch.nn.modules.batchnorm import _BatchNorm

from sknn._constraints import Count
from sknn._device import has_native_bf16, resolve_device
from sknn._random import draw_seed, make_generator, rng_state, set_rng_state, torch_seed_scope
from sknn._sizes import check_module_size, is_out_of_memory, out_of_memory_says
from sknn._stacklevel import replay_warnings, stacklevel_outside_sknn
from sknn.data.numeric import check_float32_weights, to_float32
from sknn.engine.callbacks import (
    NON_FINITE_WEIGHTS,
    EpochRule,
    ProgressBar,
    RuleSettings,
    SaveCheckpoint,
    StopWhenRuleSays,
    all_finite,
    tqdm_available,
)
from sknn.engine.data import DeviceData, HostData, is_memory_mapped, is_sparse, nbytes, to_tensor
from sknn.engine.distributed import DataParallel
from sknn.engine.graph import StaticStep, capture_blockers, make_capturable, release_capturable
from sknn.engine.losses import OUTPUT_ACTIVATIONS, TaskLoss
from sknn.engine.net import TrainingNet, picklable_callbacks
from sknn.engine.optim import OPTIMIZERS, STOCHASTIC_SOLVERS, OptimizerFactory
from sknn.engine.state import MISSING, TrainingState
from sknn.persistence import SaveMixin

#: The parameters a fit resumed from a checkpoint (``resume_from``) may change: where
#: and how fast it runs, how long, and what it reports. The others must be the
#: checkpointed fit's.
RESUMABLE_CHANGES = (
    "max_iter",
    "verbose",
    "device",
    "precision",
    "compile",
    "cuda_graph",
    "stream_data",
    "checkpoint",
    "warm_start",
    "resume_from",
)

#: Values of ``learning_rate``: scikit-learn's three, then sknn's.
LEARNING_RATE_SCHEDULES = ("constant", "invscaling", "adaptive", "linear", "cosine", "plateau")

#: Fitted attributes that are fields of the engine's TrainingState: attribute -> field.
_STATE_ATTRIBUTES = {
    "n_iter_": "n_iter",
    "t_": "t",
    "loss_": "loss",
    "loss_curve_": "loss_curve",
    "best_loss_": "best_loss",
    "validation_scores_": "validation_scores",
    "best_validation_score_": "best_validation_score",
    # scikit-learn's private name, read by its own tests of the stopping rule.
    "_no_improvement_count": "no_improvement_count",
}

#: Rows per forward pass when predicting.
PREDICT_BATCH_SIZE = 65536

#: With stream_data='auto', stream a training set larger than this fraction of the
#: device's free memory.
STREAM_DEVICE_FRACTION = 0.5

#: Up to this many rows, a CPU prediction runs on one thread (see _few_rows_on_one_thread).
SINGLE_THREAD_ROWS = 64

#: Training rows whose outputs must be finite at the end of a partial_fit call.
FINITE_CHECK_ROWS = 256

#: Training rows, evenly spaced, on which the end of a fit checks the network that
#: predict will use (in prediction mode: batch normalisation's running statistics, the
#: weights early stopping restored): a forward pass over at most this many rows.
HEALTH_CHECK_ROWS = 1024

#: A fit whose training loss ends more than this many times above the loss of a network
#: whose outputs are all zero (uniform probabilities, a regression predicting 0) failed:
#: the divergence rule of the user guide's "Training health". A network that learned
#: nothing ends near 1x; at 2x it predicts far worse than a constant.
DIVERGENCE_FACTOR = 2

#: A 'linear' or 'cosine' schedule planned over fewer optimizer steps than this warns
#: before training: the rate decays to its floor before the network has learned much.
#: ``tabular(fast=True)`` (6 epochs of batches of 2,048) on subsamples of the wage table
#: of ``tune_tabular_preset.py`` (``--rows``): R^2 0.26 in 6 steps (1,000 rows) and 0.39
#: in 12 (3,000 rows), against 0.46 for the default preset; 0.47 against 0.48 in 30 steps
#: (10,000 rows).
MIN_SCHEDULE_STEPS = 50


class FallbackWarning(RuntimeWarning):
    """A fast path was given up during a fit, which went on without it.

    Raised when the training step captured in a CUDA graph did not match the eager step
    (or could not be recorded), and when bfloat16 chosen by ``precision='auto'`` gave a
    non-finite loss in the first epoch; the message says which and why. The fit's results
    are those of the slower path (``cuda_graph_`` is False, ``precision_`` 'float32').
    """


class BaseNeuralNet(SaveMixin, BaseEstimator, ABC):
    """Base class of every sknn network estimator. Not for direct use.

    Subclasses list every parameter in their own ``__init__`` (scikit-learn reads the
    signature) and implement :meth:`_validate_X_y`, :meth:`_validate_X` and
    :meth:`_build_module`.
    """

    _parameter_constraints: dict = {
        "solver": [StrOptions(set(OPTIMIZERS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Count(1, None, closed="left")],
        "learning_rate": [StrOptions(set(LEARNING_RATE_SCHEDULES))],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Count(1, None, closed="left")],
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
            Count(1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Count(1, None, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "device": [str, torch.device],
        "callbacks": [list, None],
        "warmup": [
            Count(0, None, closed="left"),
            Interval(Real, 0, 1, closed="neither"),
        ],
        "min_lr": [Interval(Real, 0, 1, closed="both")],
        "l1": [Interval(Real, 0, None, closed="left")],
        "grad_clip": [Interval(Real, 0, None, closed="neither"), None],
        "n_init": [Count(1, None, closed="left")],
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
    def _validate_X_y(self, X, y, reset, sample_weight=None):
        """Validate training data; return ``(X, y)`` with X an array or dict of arrays.

        ``sample_weight`` is the fit's, as given (checked by the base afterwards), for
        what an estimator learns of its input beside the network (weighted statistics).
        """

    @abstractmethod
    def _validate_X(self, X):
        """Validate prediction data (``reset=False``); return an array or dict of arrays."""

    @abstractmethod
    def _build_module(self, X, n_outputs):
        """Return a freshly initialised ``torch.nn.Module`` for validated X."""

    def _module_sizes(self):
        """The parameters (and data sizes) that set the module's size, for the message of
        the memory check that runs before it is built."""
        return {}

    def _activation_values(self, X):
        """A lower bound on the float32 values one training batch's activations hold (0
        where they are small beside the weights): added to the weights and gradients in the
        memory check that runs before the module is built. An estimator whose activations
        grow with its sizes (a convolution's channels times the image's pixels) says so."""
        return 0

    def _input_scale_advice(self):
        """A sentence on the inputs' scale for the warnings about a poor fit, or ''."""
        return ""

    def _settled_at_plan_end(self, state):
        """Whether reaching max_iter was the plan and the training loss had settled: with
        ``n_iter_no_change='auto'`` resolved to no patience (the estimator trains to its
        schedule's end), the last 10 epochs improved on the best loss before them by at
        most ``tol``, scikit-learn's test of convergence. Such a fit gets no
        ConvergenceWarning; one whose loss was still falling does."""
        if not (isinstance(self.n_iter_no_change, str) and self.n_iter_no_change == "auto"):
            return False
        if np.isfinite(self._n_iter_no_change()):
            return False
        curve = state.loss_curve
        window = 10  # scikit-learn's n_iter_no_change
        return len(curve) > window and min(curve[-window:]) > min(curve[:-window]) - self.tol

    def _resume_signature(self):
        """``{name: JSON value}``: what a checkpoint records of the fitted data beyond its
        number of features and its classes, compared when a fit resumes from it (an image's
        shape and pixel scale, which flat features do not tell apart)."""
        return {}

    def _training_only_layers(self):
        """``{name: layer}``: the submodules of the fitted module that act only in
        training (an augmentation), rebuilt from the current parameters. A continuing
        fit (warm_start, partial_fit) swaps them in, so that changing them continues the
        same network rather than asking for another one."""
        return {}

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
        """``precision`` with 'auto' resolved: bf16 on CUDA GPUs that compute in bfloat16
        natively (compute capability 8.0 and later), for the estimators where it pays
        (:meth:`_bf16_helps`), else float32."""
        if self.precision != "auto":
            return self.precision
        if has_native_bf16(device) and self._bf16_helps(device):
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
            Sample weights: non-negative (a negative weight leaves the loss without a
            lower bound), not all zero.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    def _fit(self, X, y, sample_weight=None, incremental=False, classes=None):
        self._validate_params()
        if incremental and self.early_stopping:
            message = "partial_fit does not support early_stopping=True"
            if inspect.signature(type(self).__init__).parameters["early_stopping"].default:
                message += (
                    f" ({type(self).__name__}'s default): a batch holds no rows to score "
                    "each epoch on. Set early_stopping=False to train incrementally."
                )
            raise ValueError(message)
        default = inspect.signature(type(self).__init__).parameters.get("weight_decay")
        if (
            default is not None
            and self.solver != "adamw"
            and self.weight_decay != 0
            and self.weight_decay != default.default
        ):
            warnings.warn(
                f"weight_decay={self.weight_decay} is the decoupled weight decay of "
                f"solver='adamw'; solver={self.solver!r} ignores it. Use solver='adamw', "
                "or alpha for an L2 penalty under every solver.",
                UserWarning,
                stacklevel=stacklevel_outside_sknn(),
            )
        if self._n_init_requested() > 1 and (
            self.checkpoint
            or self.resume_from is not None
            or ((incremental or self.warm_start) and not hasattr(self, "net_"))
        ):
            raise ValueError(
                "n_init > 1 fits several models from scratch: it cannot be combined with "
                "checkpoint or resume_from, nor start with partial_fit or warm_start=True "
                "(which continue the networks of a fitted model)."
            )
        for name in ("checkpoint", "resume_from"):
            if getattr(self, name) is not None and self.solver == "lbfgs":
                raise ValueError(
                    f"{name} saves or restores the state of a fit after each epoch; "
                    "solver='lbfgs' trains in one run of L-BFGS iterations, which has none. "
                    "Use a stochastic solver such as 'adam', or fit without it."
                )
        if self.checkpoint is not None:
            if Path(os.fspath(self.checkpoint)).is_dir():
                raise IsADirectoryError(
                    f"checkpoint={os.fspath(self.checkpoint)!r} is a folder; name a file in "
                    f"it, such as {os.fspath(Path(os.fspath(self.checkpoint)) / 'fit.ckpt')!r}."
                )
            folder = Path(os.fspath(self.checkpoint)).parent
            if not folder.is_dir():
                raise FileNotFoundError(
                    f"checkpoint={os.fspath(self.checkpoint)!r}: the folder {folder} does not "
                    "exist. Create it, or name a file in an existing folder."
                )
            try:  # before the first epoch, not after it
                tempfile.TemporaryFile(dir=folder).close()
            except OSError as error:
                raise PermissionError(
                    f"checkpoint={os.fspath(self.checkpoint)!r}: cannot write in the folder "
                    f"{folder} ({error.strerror or error})."
                ) from None
        _check_callbacks(self.callbacks, self.early_stopping)
        first_pass = not hasattr(self, "net_") or (not self.warm_start and not incremental)
        # A fit or partial_fit that raises leaves the estimator exactly as it was.
        with _unchanged_on_error(self, engine_too=not first_pass):
            if not first_pass and getattr(self, "runs_", None) is not None:
                return self._continue_runs(_reread(X), y, sample_weight, incremental, classes)
            n_init = 1
            if first_pass and not self._continues_or_resumes(incremental):
                several = isinstance(self.n_init, str) or self.n_init > 1
                X = _reread(X) if several else X
                n_init = self._resolved_n_init(X, y, sample_weight)
            if n_init > 1:
                return self._fit_restarts(X, y, sample_weight, classes, n_init)
            return self._fit_once(X, y, sample_weight, incremental, classes, first_pass)

    def _continue_runs(self, X, y, sample_weight, incremental, classes):
        """``partial_fit`` or a warm-started ``fit`` of averaged networks (``runs_``):
        each continues, under the estimator's parameters as they are now, so that predict
        still averages networks trained alike. If one raises, every one is left as it was."""
        if self.checkpoint or self.resume_from is not None:
            raise ValueError(
                f"The fitted model averages the predictions of {len(self.runs_)} networks "
                f"(n_init={self.n_init!r}, ensemble='average'); checkpoint and resume_from "
                "save or restore one. Fit with n_init=1 to checkpoint one network."
            )
        params = self.get_params(deep=False)
        with contextlib.ExitStack() as unchanged, _each_warning_once():
            for run in self.runs_:
                unchanged.enter_context(_unchanged_on_error(run, engine_too=True))
            for run in self.runs_:
                own = {"n_init": 1, "random_state": run.random_state}
                run.set_params(**{**clone(params, safe=False), **own})
                run._fit(X, y, sample_weight, incremental=incremental, classes=classes)
        best = self.runs_[self.best_init_]
        self.__dict__.update({k: v for k, v in best.__dict__.items() if k not in params})
        return self

    def _continues_or_resumes(self, incremental):
        """Whether this fit continues a network (``partial_fit``, ``warm_start``) or
        saves or restores one (``checkpoint``, ``resume_from``): one network, never
        several from scratch."""
        return bool(
            incremental or self.warm_start or self.checkpoint or self.resume_from is not None
        )

    def _n_init_requested(self):
        """``n_init`` as set; 'auto' (estimators that offer it) counts as 1 here."""
        return 1 if isinstance(self.n_init, str) else self.n_init

    def _resolved_n_init(self, X, y, sample_weight):
        """The networks a fresh fit on ``X`` trains: ``n_init``. Estimators with an
        ``n_init='auto'`` resolve it here, from the data."""
        return self.n_init

    def _fit_once(self, X, y, sample_weight, incremental, classes, first_pass):
        X, y = self._validate_X_y(X, y, reset=first_pass, sample_weight=sample_weight)
        n_samples = _num_samples(X)
        if sample_weight is not None:
            # A negative weight rewards a network for its loss on that sample: the loss
            # has no lower bound and training diverges.
            sample_weight = _check_sample_weight(
                sample_weight, np.empty((n_samples, 0)), ensure_non_negative=True
            )
            check_float32_weights(sample_weight)
        y_train = self._encode_targets(y, first_pass, incremental, classes)
        sample_weight = self._task_sample_weight(y, sample_weight)

        device = resolve_device(self.device)
        seed = draw_seed(self.random_state)
        parallel = DataParallel.current()
        if parallel is not None:
            # Every process must draw the same weights, shuffles and validation split.
            seed = parallel.broadcast_seed(seed)
            parallel.check_same_data(
                X,
                y_train,
                sample_weight,
                getattr(self, "classes_", None),
                params=self.get_params(deep=False),
            )
        # early_stopping's validation rows: drawn once, by the first fit (or for all the
        # runs of n_init), and kept by warm_start fits, which would otherwise score on rows
        # that the fits before them trained on.
        if first_pass:
            self._split_seed = self.__dict__.pop("_restart_split_seed", seed)
        split_seed = getattr(self, "_split_seed", seed)
        if not first_pass:
            # Continuing calls (partial_fit, warm_start) must not replay the first call's
            # shuffle order and dropout masks: offset the seed by the samples seen so far.
            seed = (seed + getattr(self, "t_", 0)) % np.iinfo(np.int32).max
        # The first fit or partial_fit call resumes (a later one continues in memory).
        resume = first_pass and self._resumes_from_file()
        checkpoint = self._read_resume_checkpoint(self.resume_from) if resume else None
        if checkpoint is not None and incremental:
            # A partial_fit call draws its streams as the next call in memory would.
            seed = (seed + checkpoint["state"].t) % np.iinfo(np.int32).max
        elif checkpoint is not None and "seed" in checkpoint["owner"]:
            # The interrupted fit's seed: the same validation split, also for
            # random_state=None (its shuffles and dropout go on from its saved RNG state).
            seed = checkpoint["owner"]["seed"]
            split_seed = self._split_seed = checkpoint["owner"].get("split_seed", seed)
        with torch_seed_scope(seed, device):
            # A resumed partial_fit's dropout draws as the next call in memory would: from
            # the seeded generators, not after the draws of building a module to load into.
            seeded = rng_state(device) if resume and incremental else None
            if first_pass:
                # A fresh fit replaces what an earlier fit with n_init > 1 kept.
                for name in ("runs_", "init_scores_", "best_init_"):
                    self.__dict__.pop(name, None)
                self._initialize_state(X, device)
                if parallel is not None:
                    parallel.broadcast_module(self.net_.module_)
            else:
                self._check_same_network()
                self.net_.training_state_.continue_as(
                    early_stopping=self.early_stopping, full_batch=self.solver == "lbfgs"
                )
                # Like the learning rate, a changed label_smoothing takes effect.
                self.net_.criterion_.label_smoothing = self._label_smoothing()
                if not incremental:
                    self._restart_optimizer()
            if resume:
                self._load_checkpoint(checkpoint, self.resume_from)
                if incremental:
                    self.__dict__.pop("_resume_rng", None)
                    set_rng_state(seeded)
            if parallel is not None:
                # The same weights and shuffles on every rank; its own dropout masks.
                parallel.seed_own_draws(seed, device)
            # partial_fit trains its one epoch, resumed or not.
            resume_epochs = resume and not incremental
            self._train(
                X, y, y_train, sample_weight, device, seed, incremental, resume_epochs, split_seed
            )
        return self

    def _resumes_from_file(self):
        """Whether ``resume_from`` names a checkpoint to resume from. Not yet written and
        also the ``checkpoint`` this fit writes, it is a restartable job's first run,
        which starts from scratch; any other missing file is an error."""
        if self.resume_from is None:
            return False
        path = os.fspath(self.resume_from)
        if os.path.exists(path):
            return True
        if self.checkpoint is not None and os.path.abspath(path) == os.path.abspath(
            os.fspath(self.checkpoint)
        ):
            return False
        raise FileNotFoundError(
            f"resume_from={path!r}: no such checkpoint file. Name the file that a fit's "
            "checkpoint wrote, or the same file as checkpoint=, to resume a restartable job "
            "when the file exists and start it from scratch when it does not."
        )

    def _fit_restarts(self, X, y, sample_weight, classes, n_init):
        """``n_init`` fits from different seeds; keep the best or average them all."""
        random_state = check_random_state(self.random_state)
        seeds = random_state.randint(np.iinfo(np.int32).max, size=n_init)
        # One validation split for every run: ensemble='best' compares their scores.
        split_seed = int(random_state.randint(np.iinfo(np.int32).max))
        runs = []
        with _each_warning_once():
            for seed in seeds:
                run = clone(self).set_params(n_init=1, random_state=int(seed))
                run._restart_split_seed = split_seed
                runs.append(run.fit(X, y, sample_weight))
        scores = [
            run.best_validation_score_ if run.early_stopping else -run.__dict__["_kept_loss"]
            for run in runs
        ]
        # A run whose score is NaN (its kept network's loss) is the worst, never the best:
        # np.argmax would take NaN for the maximum.
        best = int(np.argmax(np.nan_to_num(np.asarray(scores, dtype=float), nan=-np.inf)))
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
        state = self.net_.training_state_
        state.base_lr = float(self.learning_rate_init)
        state.optimizer_steps = 0

    def _fitted_preprocessing_params(self):
        """The parameters that shape what the first fit learned of X besides the network
        (a vocabulary, a normalisation's statistics), which warm_start and partial_fit
        keep as predict does. None here; the estimators that have some name them."""
        return ()

    def _changed_preprocessing(self):
        """The names in :meth:`_fitted_preprocessing_params` whose value differs from the
        first fit's (values that were not plain, such as a callable, are not compared)."""
        built_with = getattr(self, "_module_params", {})
        return [
            name
            for name in self._fitted_preprocessing_params()
            if name in built_with and not _same_value(getattr(self, name), built_with[name])
        ]

    def _swap_training_only_layers(self):
        """Swap in :meth:`_training_only_layers`; return the layers they replaced."""
        module = self.net_.module_
        replaced = {}
        for name, layer in self._training_only_layers().items():
            replaced[name] = module.get_submodule(name)
            layer.train(replaced[name].training)
            module.set_submodule(name, layer)
        return replaced

    def _training_only_params(self):
        """The parameters that :meth:`_training_only_layers` reads."""
        return ()

    def _check_same_network(self):
        """warm_start and partial_fit continue the fitted network: refuse parameters that
        now describe another one (a changed ``hidden_layer_sizes``, ``activation``, ...)
        or another preprocessing of X (a changed ``normalize``, ``min_freq``, ...), which
        they keep, instead of silently training the old one."""
        replaced = self._swap_training_only_layers()
        try:
            self._check_same_architecture()
        except ValueError:
            for name, layer in replaced.items():  # a refused call leaves the model as it was
                self.net_.module_.set_submodule(name, layer)
            raise
        # Named as built now, so that a later 'different network' names only the rest. A
        # new dict: a fit that fails puts the old one back (_unchanged_on_error).
        params = self.get_params(deep=False)
        self._module_params = {
            **getattr(self, "_module_params", {}),
            **{name: params[name] for name in self._training_only_params()},
        }

    def _check_same_architecture(self):
        built_with = getattr(self, "_module_params", {})
        changed = self._changed_preprocessing()
        if changed:
            what = ", ".join(
                f"{name}={getattr(self, name)!r} (fitted with {built_with[name]!r})"
                for name in changed
            )
            raise ValueError(
                "warm_start=True and partial_fit continue training the fitted network on X "
                "preprocessed as the first fit learned to (as predict does), but the "
                f"parameters now ask for different preprocessing: {what}. Fit with "
                "warm_start=False to preprocess X anew, or set the parameters back."
            )
        fitted = _module_signature(self.net_.module_)
        wanted = self._signature_with({})
        if wanted is None or wanted == fitted:
            return  # the same network, or a build that needs real tensors: cannot compare
        params = self.get_params(deep=False)
        differ = [
            name
            for name, value in params.items()
            if name in built_with and not _same_value(value, built_with[name])
        ]
        # Name the parameters that change the network by themselves, not those that
        # only change the training (warm_start, max_iter, ...).
        first = {name: built_with[name] for name in differ}
        causes = [
            name
            for name in differ
            if self._signature_with({**first, name: params[name]}) != fitted
        ]
        changed = [
            f"{name}={params[name]!r} (fitted with {built_with[name]!r})"
            for name in causes or differ
        ]
        what = ": " + ", ".join(changed) if changed else ""
        raise ValueError(
            "warm_start=True and partial_fit continue training the fitted network, but the "
            f"parameters now describe a different network{what}. Fit with warm_start=False "
            "to train the new network, or set the parameters back."
        )

    def _checkpoint_owner(self, seed):
        """What a checkpoint records of the fit that writes it, for :meth:`_read_resume_checkpoint`
        to compare: the class, the parameters a resumed fit must share, the seed and the
        data's shape."""
        params = {
            name: _plain(value)
            for name, value in self.get_params(deep=False).items()
            if _is_plain(value)
            and name not in RESUMABLE_CHANGES
            and not (isinstance(_plain(value), float) and not math.isfinite(value))  # not JSON
        }
        owner = {"class": type(self).__name__, "params": params, "seed": int(seed)}
        if getattr(self, "_split_seed", seed) != seed:
            owner["split_seed"] = int(self._split_seed)
        if hasattr(self, "n_features_in_"):
            owner["n_features_in"] = int(self.n_features_in_)
        classes = getattr(self, "classes_", None)
        if isinstance(classes, np.ndarray) and classes.ndim == 1:
            owner["classes"] = [repr(c) for c in classes.tolist()]
        signature = self._resume_signature()
        if signature:
            owner["data"] = signature
        return owner

    def _read_resume_checkpoint(self, path):
        """The checkpoint of ``resume_from``, refused unless this fit continues it: the same
        estimator class, parameters (but :data:`RESUMABLE_CHANGES`), features and classes."""
        from sknn.persistence import read_checkpoint

        checkpoint = read_checkpoint(path)
        owner = checkpoint["owner"] if isinstance(checkpoint["owner"], dict) else {}
        if owner.get("class") != type(self).__name__:
            raise ValueError(
                f"{path} is a checkpoint of a {owner.get('class')}, not of a "
                f"{type(self).__name__}: resume a fit with the estimator that wrote it."
            )
        params = self.get_params(deep=False)
        differ = [
            f"{name}={params[name]!r} (the checkpoint's "
            f"{tuple(value) if isinstance(params[name], tuple) else value!r})"
            for name, value in owner.get("params", {}).items()
            if name in params and _is_plain(params[name]) and not _same_value(params[name], value)
        ]
        if differ:
            allowed = ", ".join(RESUMABLE_CHANGES[:-2])
            raise ValueError(
                f"{path} was written by a fit with other parameters: {', '.join(differ)}. "
                "A resumed fit continues that fit: set them back (only "
                f"{allowed} may change), or fit without resume_from."
            )
        n_features = owner.get("n_features_in")
        if n_features is not None and n_features != getattr(self, "n_features_in_", n_features):
            raise ValueError(
                f"{path} was written by a fit on {n_features} features; X has "
                f"{self.n_features_in_}. Resume on the data of the fit that wrote it."
            )
        classes = getattr(self, "classes_", None)
        if "classes" in owner and isinstance(classes, np.ndarray) and classes.ndim == 1:
            now = [repr(c) for c in classes.tolist()]
            if now != owner["classes"]:
                raise ValueError(
                    f"{path} was written by a fit on the classes [{', '.join(owner['classes'])}]"
                    f"; y has [{', '.join(now)}]. Resume on the data of the fit that wrote it."
                )
        written, now = owner.get("data", {}), self._resume_signature()
        differ = [
            f"{name} {now.get(name)!r} (the checkpoint's {value!r})"
            for name, value in written.items()
            if name in now and not _same_value(now[name], value)
        ]
        if differ:
            raise ValueError(
                f"{path} was written by a fit on other data: X has {', '.join(differ)}. "
                "Resume on the data of the fit that wrote it (a loop of partial_fit calls: "
                "on the data of its first call, which these were learned from)."
            )
        return checkpoint

    def _load_checkpoint(self, checkpoint, path):
        net = self.net_
        try:
            net.module_.load_state_dict(checkpoint["module"])
            net.optimizer_.load_state_dict(checkpoint["optimizer"])
        except (RuntimeError, ValueError, KeyError, TypeError, IndexError) as error:
            # torch's first line is a heading ("Error(s) in loading state_dict for ...:");
            # the next one names the tensor.
            lines = [line.strip() for line in str(error).splitlines() if line.strip()]
            raise ValueError(
                f"{path} does not fit this estimator's network: it was written by a fit with "
                f"other parameters or data shapes ({type(error).__name__}: "
                f"{' '.join(lines[:2])})."
            ) from None
        release_capturable(net.optimizer_)  # saved mid-fit by a captured step
        state = checkpoint["state"]
        if self.early_stopping != isinstance(state.validation_scores, list):
            raise ValueError(
                f"{path} was written with early_stopping={not self.early_stopping}; resume "
                f"with the same early_stopping as the fit that wrote it."
            )
        state.best_module = checkpoint["best_module"]
        net.training_state_ = state
        for row in checkpoint["history"]:
            net.history.append(row)
        # The random streams where the interrupted fit left them, for _run_epochs.
        self._resume_rng = checkpoint.get("rng")

    def _initialize_state(self, X, device):
        """Build the module and the engine; start a fresh :class:`TrainingState`."""
        self.device_ = str(device)
        self._bf16_failed = False  # a new fit tries bfloat16 again where 'auto' picks it
        self._module_input = _input_spec(X)
        # The plain parameter values the module was built with, to name what changed,
        # and the preprocessing ones whatever they are (a tokenizer function).
        preprocessing = self._fitted_preprocessing_params()
        self._module_params = {
            k: v
            for k, v in self.get_params(deep=False).items()
            if _is_plain(v) or k in preprocessing
        }
        # A size set by mistake (hidden_layer_sizes=(10**12,)) is refused with an error
        # naming it before anything is allocated.
        check_module_size(
            lambda: self._build_module_quietly(X),
            self._module_sizes(),
            owner=type(self).__name__,
            device=self.device_,
            activations=self._activation_values(X),
        )
        self.net_ = self._make_net(self._build_module(X, self.n_outputs_), self.device_)
        self.net_.training_state_ = TrainingState.fresh(
            early_stopping=self.early_stopping, learning_rate_init=self.learning_rate_init
        )

    def _signature_with(self, params):
        """The :func:`_module_signature` of the module that the parameters, with
        ``params`` set instead, would build for the fitted input (on the meta device; the
        estimator is left as it was); None where that build needs real tensors."""
        try:
            with self._swapped_params(params), torch.device("meta"):
                return _module_signature(
                    self._build_module(_empty_input(self._module_input), self.n_outputs_)
                )
        except Exception:  # noqa: BLE001 - a build that needs real tensors: cannot compare
            return None

    def _build_module_quietly(self, X):
        """:meth:`_build_module` without its side effects on the estimator's attributes
        (for the builds on the meta device that only look at the architecture)."""
        with self._swapped_params({}):
            return self._build_module(X, self.n_outputs_)

    @contextlib.contextmanager
    def _swapped_params(self, params):
        """``params`` in place of the current values for the block; afterwards the
        estimator's attributes are as they were before it, whatever the block set."""
        attributes = dict(self.__dict__)
        try:
            self.__dict__.update(params)
            yield
        finally:
            self.__dict__.clear()
            self.__dict__.update(attributes)

    def _fitted_params(self):
        """The parameters the fitted module was built with, in place of the current ones,
        for the block (see :meth:`_swapped_params`): a network rebuilt from a model file,
        or X read at predict, is the fit's, whatever set_params changed since (it takes
        effect at the next fit, as in scikit-learn)."""
        return self._swapped_params(getattr(self, "_module_params", None) or {})

    def _make_net(self, module, device):
        """The training engine around ``module``, initialised on ``device``."""
        net = TrainingNet(
            module=module,
            criterion=TaskLoss(self.out_activation_, self._label_smoothing()),
            optimizer=torch.optim.Optimizer,  # unused: make_optimizer builds it
            make_optimizer=OptimizerFactory(self),
            lr=self.learning_rate_init,
            train_split=None,
            callbacks=list(self.callbacks or []),
            device=str(device),
            verbose=0,
        )
        return net.initialize()

    # -- persistence ------------------------------------------------------------------------
    def _restore_engine(
        self, *, module_state, training_state, history, optimizer_state, saved_device, device
    ):
        """Rebuild ``net_`` from saved weights and state (:func:`sknn.load`)."""
        from skorch.history import History

        device = _loading_device(saved_device, device)
        try:
            with self._fitted_params():
                module = _module_with_weights(
                    lambda: self._build_module(_empty_input(self._module_input), self.n_outputs_),
                    module_state,
                )
        except RuntimeError as error:
            raise ValueError(
                "the saved weights do not fit the network its parameters describe (%s)"
                % str(error).splitlines()[0]
            ) from None
        self.device_ = str(device)
        with self._fitted_params():  # the fit's loss and optimizer, as in memory
            net = self._make_net(module, device)
        net.training_state_ = TrainingState.from_document(training_state)
        net.history_ = History(history)
        if optimizer_state is not None:
            try:
                net.optimizer_.load_state_dict(optimizer_state)
            except (RuntimeError, ValueError, KeyError, TypeError, IndexError) as error:
                raise ValueError(
                    "the saved optimizer state does not fit the network (%s)" % error
                ) from None
        self.net_ = net

    def _max_iter(self, n_batches=None):
        """The epochs (iterations for 'lbfgs') a fit may run, given ``n_batches``
        optimizer steps per epoch (None for the full-batch 'lbfgs'): ``max_iter``.
        Estimators with a ``max_iter='auto'`` resolve it here."""
        return self.max_iter

    def _n_iter_no_change(self):
        """The epochs without improvement by ``tol`` that end a fit: ``n_iter_no_change``.
        Estimators with an ``n_iter_no_change='auto'`` resolve it here."""
        return self.n_iter_no_change

    def _batch_size(self, n_train):
        if self.solver == "lbfgs":
            return n_train
        if self.batch_size == "auto":
            return min(200, n_train)
        if self.batch_size > n_train:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. "
                "It is going to be clipped",
                stacklevel=stacklevel_outside_sknn(),
            )
        return int(np.clip(self.batch_size, 1, n_train))

    def _train(
        self,
        X,
        y,
        y_train,
        sample_weight,
        device,
        seed,
        incremental,
        resume=False,
        split_seed=None,
    ):
        net = self.net_
        if self.device_ != str(device):
            net.device = str(device)
            self.device_ = str(device)
            net.module_.to(device)
            _optimizer_to(net.optimizer_, device)
        streaming = self._streams(X, device)
        dataset = self._host_data if streaming else self._device_data
        if self.early_stopping and not incremental:
            train_idx, valid_idx = self._validation_split(
                y, y_train, seed if split_seed is None else split_seed
            )
            # In increasing row order: a memory map streams the validation rows in one
            # sequential read each batch (the scores do not depend on the order).
            valid_idx = np.sort(valid_idx)
            train = dataset(X, y_train, sample_weight, train_idx, device)
            valid = dataset(X, y_train, sample_weight, valid_idx, device)
            y_valid = y[valid_idx]
            w_valid = None if sample_weight is None else sample_weight[valid_idx]
            for part, rows in (("validation", valid_idx), ("training", train_idx)):
                if sample_weight is not None and not np.any(sample_weight[rows]):
                    raise ValueError(
                        f"early_stopping=True holds out validation_fraction="
                        f"{self.validation_fraction} of the rows to score each epoch, but "
                        f"every row of the {part} part ({len(rows)} rows) has a weight of "
                        "zero (sample_weight times class_weight): it cannot be scored or "
                        "trained on. Give weight to more rows, change validation_fraction, "
                        "or fit without early_stopping."
                    )

            def score_fn(outputs):
                return self._score_outputs(outputs, y_valid, w_valid)

        else:
            train = dataset(X, y_train, sample_weight, None, device)
            valid, score_fn = None, None

        n_train = len(train)
        batch_size = self._batch_size(n_train)
        # Batch normalisation cannot train on a one-row batch: with it, a last batch of one
        # row joins the batch before it.
        net.merge_single_row = _has_batch_norm(net.module_)
        if net.merge_single_row and n_train < 2:
            raise ValueError(
                "Batch normalisation (batch_norm=True, or a convolutional sequence encoder) "
                f"needs at least 2 training rows; got n_samples = {n_train}."
            )
        if net.merge_single_row and batch_size == 1:
            layer = self._batch_norm_of_one_value(X)
            if layer is not None:
                raise ValueError(
                    f"batch_size=1 trains on one row at a time, which batch normalisation "
                    f"cannot do: its layer {layer!r} (batch_norm=True, the series "
                    "statistics of a convolutional sequence encoder with "
                    "normalize='series_stats', or a convolution's over a sequence of one "
                    "step) would have a single value per channel to normalise. Use "
                    "batch_size=2 or more, or a network without batch normalisation."
                )
        reference = _zero_output_loss(net.criterion_, y_train, sample_weight, self.n_outputs_)
        if not np.isfinite(reference):
            # Only regression targets can do that: near 2e19 a squared error passes
            # float32's largest value, and every epoch's loss would be infinite.
            raise ValueError(
                "The regression targets are too large for float32, the precision sknn "
                "trains in: the loss of a network predicting 0 overflows to infinity "
                "(the largest |y| is %.3g). Scale them, for example with "
                "TransformedTargetRegressor(regressor, transformer=StandardScaler())."
                % np.abs(np.asarray(y_train, dtype=np.float64)).max()
            )
        # Whether the untrained network starts far above that yardstick (targets small next
        # to its initial outputs): a fit that ends there, still falling, was too short.
        starts_far_above = None if incremental else self._first_rows_loss(X, y_train)
        if not _far_above(starts_far_above, reference):
            starts_far_above = None
        n_batches = -(-n_train // batch_size)
        max_iter = self._max_iter(None if self.solver == "lbfgs" else n_batches)
        epochs = 1 if (incremental or self.solver == "lbfgs") else max_iter
        state = net.training_state_
        # A checkpoint written at the epoch that met the stopping rule: the fit it
        # continues had ended there, and trains no further (it ran one more epoch).
        ended = (
            resume
            and isinstance(state.no_improvement_count, int)
            and state.no_improvement_count > self._n_iter_no_change()
        )
        if resume:
            epochs = 0 if ended else max(0, max_iter - state.n_iter)
            if state.n_iter > max_iter:
                warnings.warn(
                    f"The checkpoint {os.fspath(self.resume_from)!r} has already trained "
                    f"{state.n_iter} epochs, more than max_iter={max_iter}: the fit trains "
                    "no further and keeps them all.",
                    UserWarning,
                    stacklevel=stacklevel_outside_sknn(),
                )
        else:
            state.n_iter = 0  # per call, as scikit-learn counts it (t_ keeps accumulating)
        rule = None
        if self.solver != "lbfgs":
            total_steps = max_iter * n_batches
            if (
                self.learning_rate in ("linear", "cosine")
                and not (incremental or resume)
                and total_steps < MIN_SCHEDULE_STEPS
            ):
                warnings.warn(
                    "The %r learning-rate schedule spans only %d optimizer steps (%d epochs "
                    "of %d batches of up to %d rows), which may be too few for the network "
                    "to learn much before the rate decays: lower batch_size or raise "
                    "max_iter to give it at least %d."
                    % (
                        self.learning_rate,
                        total_steps,
                        max_iter,
                        n_batches,
                        batch_size,
                        MIN_SCHEDULE_STEPS,
                    ),
                    ConvergenceWarning,
                    stacklevel=stacklevel_outside_sknn(),
                )
            warmup = self.warmup
            warmup_steps = (
                warmup if isinstance(warmup, Integral) else math.ceil(warmup * total_steps)
            )
            if warmup_steps >= total_steps > 0 and not (incremental or resume):
                warnings.warn(
                    "warmup=%d optimizer steps is at least the whole fit's %d (%d epochs of "
                    "%d batches): the learning rate never reaches learning_rate_init=%g. "
                    "Lower warmup, or give it as a fraction of the fit (warmup=0.1)."
                    % (warmup_steps, total_steps, max_iter, n_batches, self.learning_rate_init),
                    ConvergenceWarning,
                    stacklevel=stacklevel_outside_sknn(),
                )
            if (
                incremental
                and self.learning_rate in ("linear", "cosine")
                and self.min_lr == 0
                and state.optimizer_steps >= total_steps
            ):
                # The schedule decayed to 0 over max_iter epochs: steps at a rate of 0
                # change nothing, which partial_fit must not do silently.
                warnings.warn(
                    "The %r learning-rate schedule has ended: it decays to min_lr=0 over "
                    "max_iter=%d epochs (%d optimizer steps), all of them taken, so this "
                    "partial_fit trains at a learning rate of 0: the weights do not change "
                    "(batch normalisation's running statistics, if any, still follow the "
                    "data). To keep updating the model, set min_lr above 0 or "
                    "learning_rate='constant' (or 'invscaling'), or raise max_iter."
                    # No count of the steps taken: the same text at every later call, which
                    # Python's filters then show once, not once per call.
                    % (self.learning_rate, max_iter, total_steps),
                    ConvergenceWarning,
                    stacklevel=stacklevel_outside_sknn(),
                )
            rule = EpochRule(
                RuleSettings(self, n_iter_no_change=self._n_iter_no_change()),
                state,
                score_fn,
                n_train,
                total_steps,
                warmup_steps,
            )
            rule.stopped = ended
        # Plain attributes, not skorch's set_params: that re-initialises components (and
        # so the optimizer's state) when it sees a parameter it treats as special.
        net.batch_size = batch_size
        net.shuffle = self.shuffle and self.solver != "lbfgs"
        net.l2_penalty = self.alpha
        net.l1_penalty = self.l1
        net.grad_clip = self.grad_clip
        precision = self._resolve_precision(device)
        if precision == "bf16" and self.precision == "auto" and self.__dict__.get("_bf16_failed"):
            precision = "float32"  # this model's bfloat16 fit failed: see below
        net.jit_compile = self.compile
        net.valid_batch_size = self._validation_batch_size(batch_size)
        net.data_parallel = self._data_parallel(net)
        user = self._user_callbacks(net)
        tail = []
        if rule is not None:
            if self.checkpoint is not None:
                owner = self._checkpoint_owner(seed)
                tail.append(("sknn_checkpoint", SaveCheckpoint(self.checkpoint, state, owner)))
            if self.verbose == 1 and tqdm_available():
                tail.append(("sknn_progress", ProgressBar(epochs, type(self).__name__)))
            tail.append(("sknn_stop", StopWhenRuleSays(rule)))
        callbacks = ([("sknn_epoch_rule", rule)] if rule else []) + user + tail
        lbfgs_state = net.optimizer_.state.get(net.optimizer_.param_groups[0]["params"][0], {})
        lbfgs_counts_before = (
            int(lbfgs_state.get("n_iter", 0)),
            int(lbfgs_state.get("func_evals", 0)),
        )
        run = _EpochsRun(train, valid, epochs, batch_size, device, streaming, seed, rule)
        # bfloat16 chosen by 'auto' can fail where float32 trains (an overflow in a layer
        # the GPU's kernels do not guard): a first epoch whose loss is not finite starts
        # again in float32 from the state before it, instead of meeting the divergence rule.
        may_fall_back = (
            precision == "bf16" and self.precision == "auto" and rule is not None and run.epochs
        )
        start = (_EngineSnapshot(net, on_cpu=True), rng_state(device)) if may_fall_back else None
        self._run_epochs(run, precision, callbacks, user)
        if start is not None and rule.diverged is not None and rule.epochs_run == 1:
            loss = state.loss
            start[0].restore()
            set_rng_state(start[1])
            self._bf16_failed = True
            warnings.warn(
                "Training in bfloat16 (precision='auto' on %s) gave a non-finite loss (%s) in "
                "the first epoch: the fit started again in float32 from where it began. Set "
                "precision='float32' to train in float32 from the start." % (device, loss),
                FallbackWarning,
                stacklevel=stacklevel_outside_sknn(),
            )
            self._run_epochs(run, "float32", callbacks, user)
        net.data_parallel = None  # belongs to this fit's process group

        # The loss of the data, without alpha's and l1's penalty, is what the yardstick of
        # a network whose outputs are all zero measures. A strong penalty is no failure
        # (alpha=100 can end far above it and predict better than zeros); weights that
        # grew until the penalty dominates, predicting worse than zeros, are.
        data_loss = (
            self._finish_lbfgs(train, *lbfgs_counts_before) if rule is None else rule.data_loss
        )
        failed = _far_above(data_loss, reference) or (
            _far_above(state.loss, reference) and data_loss is not None and data_loss > reference
        )
        diverged = rule.diverged if rule is not None else None
        # One partial_fit epoch of fine-tuning may start far from its new targets: the
        # rule judges whole fits.
        still_falling = None
        if diverged is None and not incremental and failed:
            diverged = (
                "The fit failed: the training loss ended at %.4g, more than %d times the "
                "%.4g of a network whose outputs are all zero, which predicts better"
                % (state.loss, DIVERGENCE_FACTOR, reference)
            )
            # 'lbfgs' records no loss curve (MISSING, as scikit-learn's lbfgs has none).
            recorded = [] if state.loss_curve is MISSING else state.loss_curve
            curve = [v for v in recorded if np.isfinite(v)]
            if (
                starts_far_above is not None
                and len(curve) >= 2
                and _best_epoch(curve) == len(curve)
            ):
                # Falling to the end from an untrained network far above the yardstick: a
                # fit too short for how far its initial outputs were from the targets.
                if rule is not None and rule.stopped:
                    longer = "lower tol=%g, which stopped it after %d epochs" % (
                        self.tol,
                        len(state.loss_curve),
                    )
                else:
                    longer = "raise max_iter=%d" % len(state.loss_curve)
                still_falling = (
                    "The loss was still falling when the fit ended, from %.4g for the "
                    "untrained network, whose outputs were far from the targets. Scale the "
                    "inputs (for example with StandardScaler)%s, or train longer (%s)."
                    % (
                        starts_far_above,
                        " and the targets (TransformedTargetRegressor)"
                        if not hasattr(self, "classes_")
                        else "",
                        longer,
                    )
                )
        if rule is None or epochs == 0 or diverged is not None or _stopped_by_callback(net):
            pass
        elif not rule.stopped and rule.epochs_run < epochs:
            warnings.warn("Training interrupted by user.", stacklevel=stacklevel_outside_sknn())
        elif not rule.stopped and not incremental and not self._settled_at_plan_end(state):
            warnings.warn(
                "Stochastic Optimizer: Maximum iterations (%d) reached and the "
                "optimization hasn't converged yet." % max_iter,
                ConvergenceWarning,
                stacklevel=stacklevel_outside_sknn(),
            )
        best = state.best_module
        state.best_module = None
        # A single partial_fit epoch is judged on non-finite values only, on its first rows.
        sample = None if incremental else self._health_sample(X, y_train, sample_weight)
        restored = None
        if diverged is not None:
            self._after_divergence(diverged, best, state, still_falling, sample)
        elif self.early_stopping and not incremental and best is not None:
            net.module_.load_state_dict(best)
            restored = int(np.nanargmax(state.validation_scores)) + 1  # its first best
        if not all_finite(net.module_.parameters()):
            raise ValueError(NON_FINITE_WEIGHTS)
        buffer = _non_finite_buffer(net.module_)
        if buffer is not None:
            raise ValueError(
                "%s (The network's buffer %r, which predict reads, is not finite: %s)"
                % (
                    NON_FINITE_WEIGHTS,
                    buffer,
                    _buffer_advice(net.module_, buffer, self.learning_rate_init),
                )
            )
        # Finite weights can still be too large to compute with (a layer norm of 1e30s):
        # the training rows checked must give finite outputs.
        outputs = self._raw_outputs(
            _first_rows(X, FINITE_CHECK_ROWS) if sample is None else sample.X
        )
        if not torch.isfinite(outputs).all():
            raise ValueError(
                "Solver produced a network whose outputs are not finite: its weights grew "
                "too large. The input data may contain large values and need to be "
                "preprocessed, or the learning rate (learning_rate_init=%g) may be too high."
                % self.learning_rate_init
            )
        # The loss of the network that predict uses: what n_init > 1 ranks runs by.
        self._kept_loss = None if sample is None else self._sample_loss(sample, outputs)
        if sample is not None and diverged is None and epochs:
            self._check_kept_network(sample, self._kept_loss, state, restored, batch_size)

    def _first_rows_loss(self, X, y_train):
        """The network's mean loss, as it is now, on the first training rows."""
        rows = _first_rows(X, FINITE_CHECK_ROWS)
        outputs = self._raw_outputs(rows)
        target = torch.as_tensor(np.asarray(y_train[: len(outputs)]))
        with torch.no_grad():
            return float(self.net_.criterion_(outputs, target).double().mean())

    def _health_sample(self, X, y_train, sample_weight):
        """Up to :data:`HEALTH_CHECK_ROWS` training rows, evenly spaced (all of them in a
        smaller set), with their targets and weights, and the loss on them of all-zero
        outputs and of the best constant prediction (a regressor's weighted mean target;
        for a classifier, all-zero outputs: uniform probabilities)."""
        n = _num_samples(X)
        index = np.unique(np.linspace(0, n - 1, min(n, HEALTH_CHECK_ROWS)).round().astype(np.intp))
        target = np.asarray(y_train)[index]
        weight = None if sample_weight is None else np.asarray(sample_weight)[index]
        constant = np.zeros(self.n_outputs_)
        regressor = self.out_activation_ in ("identity", "exp")
        if regressor:
            all_weights = None if sample_weight is None else np.asarray(sample_weight, float)
            if all_weights is not None and not all_weights.sum() > 0:
                all_weights = None
            mean = np.average(np.asarray(y_train, dtype=np.float64), axis=0, weights=all_weights)
            if self.out_activation_ == "exp":  # Poisson's log link
                mean = np.log(np.maximum(mean, np.finfo(np.float32).tiny))
            constant = np.broadcast_to(mean, constant.shape)
        target = torch.as_tensor(target)
        outputs = torch.as_tensor(np.tile(constant, (len(index), 1)), dtype=torch.float32)
        constant_targets = bool(np.all(np.ptp(np.asarray(y_train), axis=0) == 0))
        sample = _HealthSample(_rows_at(X, index), target, weight, regressor, constant_targets)
        return dataclasses.replace(
            sample,
            yardstick=self._sample_loss(sample, outputs),
            zero_output=self._sample_loss(sample, torch.zeros_like(outputs)),
        )

    def _sample_loss(self, sample, outputs):
        """The (sample-weighted) mean loss of ``outputs`` on a :class:`_HealthSample`."""
        target = sample.target
        # In float64: a float32 square of outputs far from their targets overflows.
        target = target.double() if target.is_floating_point() else target
        with torch.no_grad():
            losses = self.net_.criterion_(outputs.double(), target).numpy()
        if sample.weight is None:
            return float(losses.mean())
        total = float(np.sum(sample.weight, dtype=np.float64))
        return float(np.dot(losses, sample.weight) / total) if total > 0 else math.nan

    def _batch_norm_of_one_value(self, X):
        """The name of a batch normalisation layer to which a batch of one row gives a
        single value per channel (which it cannot normalise in training), else None.

        Found with one row (the shortest sequence) through the network in prediction mode,
        which changes nothing: the layers that fail are those of flat features (an MLP's,
        the series statistics of a sequence encoder), and a convolution's over a sequence
        of one step; longer maps give them many values.
        """
        module = self.net_.module_
        found = []

        def look(name):
            def hook(layer, inputs):
                x = inputs[0]
                if x.shape[0] * math.prod(x.shape[2:]) == 1:
                    found.append(name)

            return hook

        handles = [
            layer.register_forward_pre_hook(look(name))
            for name, layer in module.named_modules()
            if isinstance(layer, torch.nn.modules.batchnorm._BatchNorm)
        ]
        # The shortest sequence gives a convolution's maps the fewest values: a sequence of
        # one step gives them one.
        lengths = X.get("lengths") if isinstance(X, dict) else None
        row = 0 if lengths is None or not len(lengths) else int(np.argmin(lengths))
        try:
            self._raw_outputs(_rows_at(X, np.array([row])))
        finally:
            for handle in handles:
                handle.remove()
        return found[0] if found else None

    def _check_kept_network(self, sample, kept, state, restored, batch_size):
        """Warn when the network that predict uses does no better than a constant on the
        training rows. ``kept`` is its loss on ``sample``; ``restored`` the epoch whose
        weights early stopping restored, or None.

        Two cases. The divergence rule's, for the network as predict runs it: a loss
        more than twice that of all-zero outputs, or no better than them and more than
        twice the final training loss (batch normalisation's running statistics, weights
        restored by early stopping). And a regressor no better than predicting its mean
        target (targets too far from the outputs of an untrained network).
        """
        if not np.isfinite(kept):
            return
        zero = sample.zero_output
        if _far_above(kept, zero) or (kept >= zero and _far_above(kept, state.loss)):
            causes = []
            if restored is not None:
                causes.append(
                    "Early stopping restored the weights of epoch %d, the best validation "
                    "score (%.4g), and training was unstable around them: lower "
                    "learning_rate_init=%g."
                    % (restored, state.best_validation_score, self.learning_rate_init)
                )
            if _has_batch_norm(self.net_.module_):
                # Running statistics average the last ~10 batches' (momentum 0.1): with few
                # optimizer steps, or weights that move fast, they describe other weights.
                causes.append(
                    "Batch normalisation predicts with running statistics averaged over the "
                    "last training batches, which lag weights that move fast: give them more "
                    "optimizer steps (a smaller batch_size than %d, or a larger max_iter) or "
                    "lower learning_rate_init=%g." % (batch_size, self.learning_rate_init)
                )
            if not causes:
                causes.append(
                    "The weights moved far during the last epoch, whose loss is averaged "
                    "while it trains: lower learning_rate_init=%g." % self.learning_rate_init
                )
            warnings.warn(
                "In prediction mode, as predict uses it, the fitted network does no better "
                "than a network whose outputs are all zero (%s): its loss on %d of the "
                "rows given to fit is %.4g, against %.4g for all-zero outputs, while the "
                "final training loss was %.4g. %s"
                % (
                    "predicting 0" if sample.regressor else "uniform probabilities",
                    len(sample.target),
                    kept,
                    zero,
                    state.loss,
                    " ".join(causes),
                ),
                ConvergenceWarning,
                stacklevel=stacklevel_outside_sknn(),
            )
        elif (
            sample.regressor
            and self.out_activation_ in ("identity", "exp")
            and (
                # Constant targets: the mean predicts them exactly. Far from 0 (beyond 10,
                # which an untrained network does not reach), a loss of more than 1e-2 of
                # all-zero outputs' is predictions 10% or more away from them; nearer,
                # scikit-learn's MLP is silent, and its own tests ask sknn's to be.
                (
                    float(np.abs(sample.target.double().mean(dim=0)).max()) > 10
                    and kept > 1e-2 * zero
                )
                if sample.constant_targets
                else kept >= sample.yardstick
            )
        ):
            target = sample.target.double().numpy()
            if self.out_activation_ == "exp":  # Poisson: counts stay counts
                scale = (
                    "divide them by a constant that brings their mean near 1 (and multiply "
                    "the predictions back)"
                )
            else:
                scale = (
                    "scale them, for example with TransformedTargetRegressor(regressor, "
                    "transformer=StandardScaler())"
                )
            warnings.warn(
                "The fit ended no better than predicting the mean of the training targets: "
                "the network's loss on %d of the rows given to fit is %.4g, the mean's "
                "%.4g. Targets far from 0, widely spread or tiny (here a mean of %.4g and a "
                "standard deviation of %.4g) are hard to reach from the outputs of an "
                "untrained network: %s. If they are scaled, train longer (max_iter=%s) or "
                "try another learning_rate_init (this fit used %g).%s"
                % (
                    len(target),
                    kept,
                    sample.yardstick,
                    np.abs(target.mean(axis=0)).max(),
                    target.std(axis=0).max(),
                    scale,
                    self.max_iter,
                    self.learning_rate_init,
                    self._input_scale_advice(),
                ),
                ConvergenceWarning,
                stacklevel=stacklevel_outside_sknn(),
            )

    def _user_callbacks(self, net):
        """The ``callbacks`` parameter as the engine runs it: ``(name, instance)`` pairs,
        named as skorch names them (a pair's name, else the class name, numbered where
        two share it). A callback given as a class is the instance skorch made of it when
        the engine was built (kept across warm starts and partial_fit calls), or a new one
        for a class added since."""
        made = dict(net.callbacks_ or [])
        net.callbacks = list(self.callbacks or [])
        user = []
        for name, callback in net._uniquely_named_callbacks():
            if isinstance(callback, type):
                found = made.get(name)
                callback = found if isinstance(found, callback) else callback().initialize()
            user.append((name, callback))
        # skorch's callbacks read per-batch history rows and '<key>_best' flags (a
        # batch-stepped LRScheduler, its ProgressBar, Checkpoint): kept only where a
        # user's callback may read them.
        net.skorch_history = bool(user)
        return user

    def _run_epochs(self, run, precision, callbacks, user):
        """Train ``run.epochs`` epochs in ``precision`` with the engine's callbacks set to
        ``callbacks``; leave ``user``'s callbacks on the engine afterwards."""
        net = self.net_
        self.precision_ = net.precision = precision
        device = run.device
        net.generator = make_generator(run.seed, torch.device("cpu") if run.streaming else device)
        resume_rng = self.__dict__.pop("_resume_rng", None)
        _restore_random_streams(net.generator, resume_rng)
        if resume_rng is not None and net.data_parallel is not None:
            # The checkpoint holds rank 0's streams: each rank goes on drawing its own
            # dropout masks, from a seed that the restored (shared) state gives them all.
            net.data_parallel.seed_own_draws(int(torch.randint(2**62, ())), device)
        net.callbacks_ = callbacks
        static = None
        if run.rule is not None and run.epochs:
            static = self._static_step(net, run.train, run.batch_size, device, run.streaming)
        net.static_step = static
        rows_before = len(net.history)
        try:
            if run.epochs:
                with (
                    out_of_memory_says(
                        f"The device ran out of memory training with batch_size="
                        f"{run.batch_size}. Try batch_size={max(1, run.batch_size // 2)}, a "
                        "smaller network, precision='bf16' on a GPU that supports it, or "
                        "device='cpu'."
                    ),
                    _line_search_overflow_is_divergence(self.learning_rate_init),
                ):
                    # skorch's callbacks (PrintLog, Checkpoint's messages) speak when the
                    # engine is verbose: as the estimator is, during its epochs only.
                    net.verbose = int(self.verbose)
                    net.stopped_by = None
                    net.partial_fit(run.train, run.valid, epochs=run.epochs)
        finally:
            net.verbose = 0
            if run.rule is not None:
                # An epoch interrupted or failed before its end leaves a history row that
                # the loss curve does not have: keep the two in step.
                del net.history[rows_before + run.rule.epochs_run :]
            net.generator = None  # a torch.Generator does not pickle
            net.callbacks_ = user
            net.static_step = None
            if static is not None:
                self.cuda_graph_ = static.graph is not None
                static.close()
                release_capturable(net.optimizer_)
                if static.failure:
                    warnings.warn(
                        "The training step captured in a CUDA graph was given up and training "
                        "went on eagerly: %s. Set cuda_graph=False to train eagerly from "
                        "the start." % static.failure,
                        FallbackWarning,
                        stacklevel=stacklevel_outside_sknn(),
                    )
            else:
                self.cuda_graph_ = False

    def _after_divergence(self, what, best, state, still_falling=None, sample=None):
        """Keep the best epoch's weights and say what happened and what to do.

        Without a better epoch to go back to, keep finite weights with the warning, and
        for non-finite ones raise ValueError (the fit then leaves the estimator as it was
        before it). ``still_falling``, where the loss fell to the end, says so instead of
        blaming the learning rate. With ``sample`` (a :class:`_HealthSample`), the warning
        gives the loss of the weights kept, in prediction mode.
        """
        cause = still_falling or (
            "The input data may contain large values and need to be preprocessed (for "
            "example with StandardScaler), or the learning rate (learning_rate_init=%g) "
            "may be too high." % self.learning_rate_init
        )
        if best is None:
            if all_finite(self.net_.module_.parameters()):
                warnings.warn(
                    "%s. No earlier epoch was better: the last epoch's weights were kept. %s"
                    % (what, cause),
                    ConvergenceWarning,
                    stacklevel=stacklevel_outside_sknn(),
                )
                return
            # scikit-learn's message word for word, then what sknn knows more.
            raise ValueError(
                "%s (%s; the learning rate, learning_rate_init=%g, may also be too high.)"
                % (NON_FINITE_WEIGHTS, what, self.learning_rate_init)
            )
        self.net_.module_.load_state_dict(best)
        if self.early_stopping and np.isfinite(state.validation_scores).any():
            epoch = int(np.nanargmax(state.validation_scores)) + 1
            kept = "The weights of epoch %d, the best validation score (%.4g), were kept." % (
                epoch,
                state.best_validation_score,
            )
        else:
            epoch = _best_epoch(state.loss_curve)
            # An epoch's loss is averaged over its batches as it trains, mostly before its
            # updates; the weights kept are those at its end, which can be another network.
            kept = (
                "The weights of epoch %d were kept, as they were at its end: its training "
                "loss (%.4g, averaged over its batches while it trained) was the lowest."
                % (epoch, state.loss_curve[epoch - 1])
            )
        if sample is not None:
            loss = self._sample_loss(sample, self._raw_outputs(sample.X))
            if np.isfinite(loss):
                kept += (
                    " In prediction mode they give a loss of %.4g on %d of the rows given "
                    "to fit (%.4g for a network whose outputs are all zero)."
                    % (loss, len(sample.target), sample.zero_output)
                )
        warnings.warn(
            "%s. %s %s" % (what, kept, cause),
            ConvergenceWarning,
            stacklevel=stacklevel_outside_sknn(),
        )

    def _data_parallel(self, net):
        """This fit's :class:`DataParallel` when it runs in a process group of several
        processes (``torchrun``), else None; refuses what it cannot split."""
        parallel = DataParallel.current()
        if parallel is None:
            return None
        if self.solver == "lbfgs":
            raise ValueError(
                "solver='lbfgs' cannot train data-parallel over %d processes: it computes "
                "every step on the whole training set. Use a stochastic solver such as "
                "'adam'." % parallel.world_size
            )
        if net.merge_single_row:
            raise ValueError(
                "Batch normalisation (batch_norm=True, or the convolutional sequence "
                "encoders: cell='fcn', 'resnet', and 'auto' on numeric sequences) cannot "
                "train data-parallel: each process would normalise with the statistics of "
                "its own rows only. Use dropout instead of batch_norm, a recurrent cell "
                "(cell='gru' or 'lstm') for sequences, or train in one process."
            )
        return parallel

    def _static_step(self, net, train, batch_size, device, streaming):
        """The fixed-buffer training step of this fit (captured on CUDA), or None."""
        if self.cuda_graph is False:
            return None
        reasons = capture_blockers(
            self, device, len(train), batch_size, self.callbacks, sparse=is_sparse(train.X)
        )
        if streaming:
            reasons.append("the training data streams from host memory")
        if net.data_parallel is not None:
            reasons.append("it trains data-parallel (one all-reduce per step)")
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
        return StaticStep(net, train, batch_size)

    def _finish_lbfgs(self, train, iterations_before, evaluations_before):
        net = self.net_
        lbfgs = net.optimizer_.state[net.optimizer_.param_groups[0]["params"][0]]
        # torch's L-BFGS counts iterations and function evaluations across calls
        # (warm_start); report this call's.
        n_iter = int(lbfgs.get("n_iter", 0)) - iterations_before
        evaluations = int(lbfgs.get("func_evals", 0)) - evaluations_before
        # What makes the loss change between evaluations, which L-BFGS's line search
        # cannot take: its gradient at the end then says whether it stopped converged.
        stochastic = {
            name: value
            for name, value in self.get_params(deep=False).items()
            if ("dropout" in name or name.startswith("augment"))
            and isinstance(value, (bool, Real))
            and value
        }
        X, target = train.take(slice(None))
        net.module_.train()
        largest_gradient = 0.0
        # Batch norm's running statistics took a step towards every point L-BFGS evaluated,
        # line-search trials included: they describe earlier weights, and predict would
        # use them. This pass over the whole training set, at the final weights, sets them
        # to its statistics exactly (momentum None: a cumulative average of one batch).
        norms = [m for m in net.module_.modules() if isinstance(m, _BatchNorm)]
        momenta = [norm.momentum for norm in norms]
        for norm in norms:
            if norm.track_running_stats and norm.running_mean is not None:
                norm.reset_running_stats()
                norm.momentum = None
        try:
            with torch.enable_grad() if stochastic else torch.no_grad():
                objective, record = net.batch_losses(net.infer(X), target, training=True)
                if stochastic:
                    params = [p for p in net.module_.parameters() if p.requires_grad]
                    gradients = torch.autograd.grad(objective, params, allow_unused=True)
                    largest_gradient = max(
                        (float(g.abs().max()) for g in gradients if g is not None and g.numel()),
                        default=0.0,
                    )
        finally:
            for norm, momentum in zip(norms, momenta, strict=True):
                norm.momentum = momentum
        # scikit-learn's loss_: the mean loss (not the multiple of it trained on, see
        # TaskLoss.gradient_scale) plus the penalty.
        weight = target[1]
        n = len(target[0]) if weight is None else weight.sum()
        with torch.no_grad():
            loss = float(record) + float(net.penalty_term(n))
        # scikit-learn's lbfgs records neither a loss curve nor a best loss.
        net.training_state_.finish_full_batch(n_iter, loss)
        data_loss = float(record)
        # scipy's stopping reasons, checked in scipy's order, in scikit-learn's words.
        status = 1
        if evaluations >= self.max_fun:
            reason = "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT"
        elif n_iter >= self._max_iter():
            reason = "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT"
        elif stochastic and not largest_gradient <= self.tol:
            # torch's L-BFGS also stops where its line search finds no step that lowers
            # the loss. With a deterministic loss that is convergence to float32's
            # resolution (scipy's would stop on its relative reduction); a loss that
            # changes between evaluations (dropout) does it at once, far from converged.
            status, reason = 2, "ABNORMAL_TERMINATION_IN_LNSRCH"
        else:
            reason = None
        if reason is not None:
            message = "lbfgs failed to converge after %d iteration(s) (status=%d):\n%s\n" % (
                n_iter,
                status,
                reason,
            )
            if status == 2:
                message += (
                    "\nL-BFGS's line search needs a loss that is the same at every "
                    "evaluation: %s make it change between evaluations. Set them to 0 with "
                    "solver='lbfgs', or use a stochastic solver such as 'adam'.\n"
                    % ", ".join(f"{k}={v!r}" for k, v in stochastic.items())
                )
            if n_iter == self._max_iter():
                message += (
                    "\nIncrease the number of iterations to improve the convergence "
                    "(max_iter=%d)." % self._max_iter()
                )
            message += (
                "\nYou might also want to scale the data as shown in:\n"
                "    https://scikit-learn.org/stable/modules/preprocessing.html"
            )
            warnings.warn(message, ConvergenceWarning, stacklevel=stacklevel_outside_sknn())
        return data_loss

    def _validation_split(self, y, y_train, seed):
        stratify = self._stratification_labels(y) if self._stratify_validation() else None
        idx = np.arange(len(y_train))

        def split(stratify):
            return train_test_split(
                idx,
                random_state=np.random.RandomState(seed),
                test_size=float(self.validation_fraction),
                stratify=stratify,
            )

        try:
            try:
                train_idx, valid_idx = split(stratify)
            except ValueError:
                if not self._stratify_only_if_possible():
                    raise
                # Classes too rare, or too many for the validation rows: split at random.
                train_idx, valid_idx = split(None)
        except ValueError as error:
            # train_test_split's words (test_size, the least populated class) name none of
            # the estimator's parameters; they stay in the message, after what it is about.
            raise ValueError(
                f"early_stopping=True holds out validation_fraction="
                f"{self.validation_fraction} of the {len(idx)} training rows to score each "
                f"epoch, and that split failed: {error} Fit with more rows, set another "
                "validation_fraction, or set early_stopping=False."
            ) from None
        if len(valid_idx) < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        return train_idx, valid_idx

    def _stratify_validation(self):
        return False

    def _stratify_only_if_possible(self):
        """Whether a validation split that cannot be stratified is drawn at random
        instead of raising (scikit-learn stratifies only where it raises)."""
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
                result = _forward_in_halves_on_oom(forward, batch, device)
                if out is None:
                    out = torch.empty((n, *result.shape[1:]), dtype=torch.float32)
                out[rows if isinstance(rows, slice) else torch.as_tensor(rows)] = result
        return out

    def _activated_outputs(self, X, dtype=np.float32):
        """Validated X -> outputs after the output activation, as NumPy of ``dtype``.

        The network computes in float32, and a row's raw output can differ in the last
        float32 digit between predicting it alone and among others (BLAS kernels round
        by batch size). float64 applies the output activation to the float32 outputs in
        float64: probabilities then sum to 1 to float64's precision, as a float64
        consumer (a soft vote with other models, ``log_loss``) checks. With ``n_init > 1``
        and ``ensemble='average'``, the mean over every run.
        """
        runs = getattr(self, "runs_", None)
        if runs:
            return np.mean([run._activated_outputs(X, dtype) for run in runs], axis=0)
        raw = self._raw_outputs(X)
        if dtype == np.float64:
            raw = raw.double()
        return OUTPUT_ACTIVATIONS[self.out_activation_](raw).numpy()

    def __getstate__(self):
        state = super().__getstate__()
        if state.get("callbacks"):
            # The same callbacks as the engine's: see picklable_callbacks.
            state["callbacks"] = picklable_callbacks(state["callbacks"], {})
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "net_" in state:
            # skorch maps a model fitted on CUDA to the CPU on a machine without CUDA
            # (the engine warns once, TrainingNet.__setstate__); record where it is now.
            self.device_ = str(self.net_.device)
            if not hasattr(self.net_, "training_state_"):
                self.net_.training_state_ = _state_of_old_pickle(self.__dict__)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "net_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags

    # -- fitted attributes held by the engine ----------------------------------------------
    n_iter_ = property(lambda self: self._state_field("n_iter_"))
    t_ = property(lambda self: self._state_field("t_"))
    loss_ = property(lambda self: self._state_field("loss_"))
    loss_curve_ = property(lambda self: self._state_field("loss_curve_"))
    best_loss_ = property(lambda self: self._state_field("best_loss_"))
    validation_scores_ = property(lambda self: self._state_field("validation_scores_"))
    best_validation_score_ = property(lambda self: self._state_field("best_validation_score_"))
    _no_improvement_count = property(lambda self: self._state_field("_no_improvement_count"))

    def _state_field(self, attribute):
        # An AttributeError (not NotFittedError) before fit and for attributes this fit
        # does not define, so that hasattr() answers as for scikit-learn's MLP.
        net = self.__dict__.get("net_")
        state = None if net is None else net.training_state_
        value = MISSING if state is None else getattr(state, _STATE_ATTRIBUTES[attribute])
        if value is MISSING:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{attribute}'")
        return value

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
            if np.ndim(y) == 2:
                # A label-indicator y after a multiclass fit; LabelBinarizer's own words.
                raise ValueError("The object was not fitted with multilabel input.")
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
        if (
            isinstance(class_weight, str)
            and class_weight == "balanced"
            and (sample_weight is not None)
        ):
            # Balanced on the weighted counts, as LogisticRegression does: integer weights
            # then balance as the repeated rows would.
            classes, codes = np.unique(y, return_inverse=True)
            with np.errstate(divide="ignore"):
                per_class = compute_class_weight(
                    "balanced", classes=classes, y=y, sample_weight=sample_weight
                )
            # A class whose rows all weigh zero contributes nothing either way.
            weights = np.where(np.isfinite(per_class), per_class, 0.0)[codes.ravel()]
        elif isinstance(class_weight, dict):
            # Against every class of the fit (partial_fit's classes), as SGDClassifier
            # weighs them: a batch without a weighted class is no error.
            per_class = compute_class_weight(class_weight, classes=self.classes_, y=y)
            weights = per_class[np.searchsorted(self.classes_, y)]
        else:
            weights = compute_sample_weight(class_weight, y)
        if isinstance(class_weight, dict) and not all(
            np.isfinite(w) and w >= 0 for w in class_weight.values()
        ):
            raise ValueError(
                f"class_weight must hold finite, non-negative weights; got {class_weight!r}."
            )
        if sample_weight is not None:
            weights = weights * sample_weight
        if not np.any(weights):
            raise ValueError(
                "Every training sample has a weight of zero (class_weight times "
                "sample_weight): there is nothing to train on."
            )
        return weights

    def _stratify_validation(self):
        return self.n_outputs_ == 1 or self.out_activation_ == "softmax"

    def _stratify_only_if_possible(self):
        # scikit-learn's MLP stratifies one logistic output, and raises when it cannot;
        # sknn also stratifies a softmax's classes, where scikit-learn splits at random.
        return self.out_activation_ == "softmax"

    def _stratification_labels(self, y):
        if self.out_activation_ == "softmax":
            return y
        # One logistic output: stratify on its binarised column as scikit-learn does, so
        # that a too-rare class is reported in scikit-learn's words (['True']).
        return self._label_binarizer.transform(y).astype(bool)

    def _score_outputs(self, outputs, y_true, sample_weight):
        proba = OUTPUT_ACTIVATIONS[self.out_activation_](outputs.float()).cpu().numpy()
        if not np.isfinite(proba).all():
            return np.nan  # as scikit-learn scores a diverged network
        return accuracy_score(y_true, self._decode(proba), sample_weight=sample_weight)

    def _decode(self, proba):
        if len(self.classes_) == 1 and self._label_binarizer.y_type_ == "binary":
            # Trained on one class (a fold of a rare class can be): it is the answer.
            return np.repeat(self.classes_, len(proba))
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
        # In predict_proba's dtype: the class of a near-tie is then the one its
        # probabilities rank first.
        dtype = _prediction_dtype(X)
        return self._decode(self._activated_outputs(self._validate_X(X), dtype))

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            The probability of each class, columns ordered as in ``classes_``: float32
            for float32 X, float64 otherwise, as scikit-learn's MLPClassifier gives them
            (the network computes in float32; the output activation runs in float64, so
            that each row sums to 1 to float64's precision).
        """
        check_is_fitted(self)
        dtype = _prediction_dtype(X)
        proba = self._activated_outputs(self._validate_X(X), dtype)
        if len(self.classes_) == 1 and self._label_binarizer.y_type_ == "binary":
            return np.ones((len(proba), 1), dtype=dtype)
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
        log_y_prob : ndarray of shape (n_samples, n_classes)
            Log-probabilities, columns ordered as in ``classes_``, in ``predict_proba``'s
            dtype.
        """
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba)

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with a single epoch over the given data.

        Only with a stochastic ``solver`` (not 'lbfgs'): with 'lbfgs' the method does not
        exist (``hasattr(est, "partial_fit")`` is False), as in scikit-learn.

        Later calls keep what the first call (or ``fit``) learned of the input: its
        features, its kind and, for text, its vocabulary (the embedding table is sized by
        it). Words first seen in a later batch map to the unknown token, and a
        ``UserWarning`` says so when more than half of a batch's tokens do: give the
        first call documents that cover the vocabulary, or fit on all of them at once.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights: non-negative (a negative weight leaves the loss without a
            lower bound), not all zero.
        classes : array of shape (n_classes,), default=None
            Classes across all calls to ``partial_fit``; required on the first call.

        Returns
        -------
        self : object
            The updated estimator.
        """
        if isinstance(getattr(self, "class_weight", None), str):  # 'balanced'
            # Balancing each batch by its own class counts is not balancing the data.
            raise ValueError(
                "class_weight 'balanced' is not supported for partial_fit. In order to use "
                "'balanced' weights, use compute_class_weight('balanced', classes=classes, "
                "y=y). In place of y you can use a large enough sample of the full training "
                "set target to properly estimate the class frequency distributions. Pass the "
                "resulting weights as the class_weight parameter."
            )
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
        # Targets beyond float32's range would train on infinity.
        y_train = to_float32(np.asarray(y2, dtype=np.float64), input_name="y")
        out_activation = "exp" if getattr(self, "loss", None) == "poisson" else "identity"
        if not first_pass and out_activation != self.out_activation_:
            fitted = self._module_params.get("loss")
            raise ValueError(
                "warm_start=True and partial_fit continue training the fitted network, but "
                f"loss={self.loss!r} (fitted with {fitted!r}) asks for another output "
                f"({out_activation!r}, fitted with {self.out_activation_!r}). Fit with "
                "warm_start=False to train the new network, or set the parameter back."
            )
        self.n_outputs_ = y2.shape[1]
        self.out_activation_ = out_activation
        return y_train

    def _validate_targets(self, y):
        if y.dtype.kind not in "biuf":
            # Numeric strings would be parsed and dates trained on as their integers;
            # scikit-learn's regressors refuse both.
            raise ValueError(
                f"{type(self).__name__} needs numeric targets; got y of dtype {y.dtype}. "
                "Convert y to numbers first (a date to, say, days since a reference date)."
            )
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
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values: float32 for float32 X, float64 otherwise, as scikit-learn's
            MLPRegressor gives them (the network computes in float32).
        """
        check_is_fitted(self)
        # float64 unless X is float32: an inverse target transform (a StandardScaler in
        # TransformedTargetRegressor) keeps the dtype, and float32 cannot tell apart
        # values 128 apart near 1e9.
        dtype = _prediction_dtype(X)
        pred = self._activated_outputs(self._validate_X(X)).astype(dtype, copy=False)
        return pred.ravel() if pred.shape[1] == 1 else pred

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with a single epoch over the given data.

        Only with a stochastic ``solver`` (not 'lbfgs'), as in scikit-learn.

        Later calls keep what the first call (or ``fit``) learned of the input: its
        features, its kind and, for text, its vocabulary (the embedding table is sized by
        it). Words first seen in a later batch map to the unknown token, and a
        ``UserWarning`` says so when more than half of a batch's tokens do: give the
        first call documents that cover the vocabulary, or fit on all of them at once.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights: non-negative (a negative weight leaves the loss without a
            lower bound), not all zero.

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


def _prediction_dtype(X):
    """float32 for float32 X (an array, or a DataFrame whose columns are all float32),
    float64 otherwise: the dtype of scikit-learn's MLP predictions."""
    dtype = getattr(X, "dtype", None)
    if dtype is None and hasattr(X, "dtypes") and hasattr(X, "columns"):
        try:
            dtypes = set(X.dtypes.tolist())
        except (AttributeError, TypeError):  # not a DataFrame after all
            dtypes = set()
        dtype = dtypes.pop() if len(dtypes) == 1 else None
    if isinstance(dtype, torch.dtype):  # a tensor's: torch.float32 is not np.float32
        dtype = dtype == torch.float32 and np.float32
    return np.float32 if dtype == np.float32 else np.float64


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


def _input_spec(X):
    """Shape (without rows), dtype and layout of validated X: what the module was built
    for."""
    if isinstance(X, dict):
        return {k: _input_spec(v) for k, v in X.items()}
    spec = {"shape": tuple(X.shape[1:]), "dtype": np.dtype(X.dtype).str}
    if is_sparse(X):
        spec["sparse"] = True
    return spec


def _empty_input(spec):
    """A zero-row input of ``spec``'s shape, to rebuild a fitted module without data."""
    if "shape" not in spec:
        return {k: _empty_input(v) for k, v in spec.items()}
    shape, dtype = (0, *spec["shape"]), np.dtype(spec["dtype"])
    if spec.get("sparse"):
        return scipy.sparse.csr_matrix(shape, dtype=dtype)
    return np.empty(shape, dtype=dtype)


def _module_with_weights(build, state_dict):
    """``build()``'s module holding ``state_dict``'s weights, built without initialising.

    The module is built on the meta device (no memory, no random draws) and takes the
    saved tensors as its own; where that cannot be done (a build that needs real tensors,
    buffers that a state dict does not carry) it is built on the CPU, in a seed scope
    that leaves the global random state alone, and the weights are copied in.
    """
    try:
        with torch.device("meta"):
            module = build()
    except Exception:  # noqa: BLE001 - any build that needs real tensors: use the CPU
        module = None
    if module is not None and not any(m._non_persistent_buffers_set for m in module.modules()):
        module.load_state_dict(state_dict, assign=True)
        return module
    with torch_seed_scope(0, "cpu"):
        module = build()
    module.load_state_dict(state_dict)
    return module


def _loading_device(saved, requested):
    """The device a loaded network goes to (see :func:`sknn.load`'s ``device``)."""
    if requested is not None:
        return resolve_device(requested)
    saved = torch.device(saved)
    if saved.type == "cuda" and (
        not torch.cuda.is_available() or (saved.index or 0) >= torch.cuda.device_count()
    ):
        warnings.warn(
            f"The model was fitted on {saved}, which this machine does not have; it is "
            "loaded on the CPU. Pass device= to sknn.load to choose.",
            UserWarning,
            stacklevel=stacklevel_outside_sknn(),
        )
        return torch.device("cpu")
    if saved.type not in ("cpu", "cuda"):
        return torch.device("cpu")
    return saved


def _state_of_old_pickle(attributes):
    """The TrainingState of an estimator pickled before the engine held it."""
    state = TrainingState()
    for attribute, field in _STATE_ATTRIBUTES.items():
        setattr(state, field, attributes.pop(attribute, MISSING))
    state.optimizer_steps = attributes.pop("_optimizer_steps", 0)
    state.base_lr = attributes.pop("_base_lr", attributes.get("learning_rate_init", 0.001))
    attributes.pop("_best_state", None)
    return state


@contextlib.contextmanager
def _each_warning_once():
    """Give each distinct warning raised inside once, where it pointed: the networks of
    ``n_init`` train on the same data with the same settings, and warn alike."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    replay_warnings(caught)


def _reread(X):
    """X as several fits can each read it: a one-shot iterator (of texts, of sequences)
    as the list of its items."""
    return list(X) if isinstance(X, Iterator) else X


@contextlib.contextmanager
def _unchanged_on_error(estimator, engine_too):
    """On any exception, put back the estimator's attributes (and, for a fit that continues
    the fitted network, its weights, optimizer, training state and history)."""
    attributes = dict(estimator.__dict__)
    net = attributes.get("net_")
    engine = _EngineSnapshot(net) if engine_too and net is not None else None
    try:
        yield
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(attributes)
        if engine is not None:
            engine.restore()
        raise


@dataclasses.dataclass
class _EpochsRun:
    """What :meth:`BaseNeuralNet._run_epochs` trains on, and how."""

    train: object
    valid: object
    epochs: int
    batch_size: int
    device: torch.device
    streaming: bool
    seed: int
    rule: object


class _EngineSnapshot:
    """A copy of what training changes in place in an engine; with ``on_cpu``, the weights
    and the optimizer's state are copied to host memory (not to the device's, which a
    large network needs for training)."""

    def __init__(self, net, on_cpu=False):
        self.net = net
        copy_ = _copy_on_cpu if on_cpu else copy.deepcopy
        self.module = copy_(net.module_.state_dict())
        self.optimizer = copy_(net.optimizer_.state_dict())
        self.state = copy.deepcopy(net.training_state_)
        self.history_rows = len(net.history)
        self.attributes = dict(net.__dict__)

    def restore(self):
        net = self.net
        net.__dict__.clear()
        net.__dict__.update(self.attributes)
        net.module_.load_state_dict(self.module)
        net.optimizer_.load_state_dict(self.optimizer)
        # In place: the engine's callbacks hold the state object.
        state = net.training_state_
        for field in dataclasses.fields(state):
            setattr(state, field.name, copy.deepcopy(getattr(self.state, field.name)))
        del net.history[self.history_rows :]


def _copy_on_cpu(tree):
    """A copy of a state dict (nested dicts and lists of tensors) with tensors on the CPU."""
    if isinstance(tree, torch.Tensor):
        return tree.detach().to("cpu", copy=True)
    if isinstance(tree, dict):
        return {k: _copy_on_cpu(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_copy_on_cpu(v) for v in tree)
    return copy.deepcopy(tree)


def _restore_random_streams(generator, saved):
    """Put a checkpoint's random streams back: the shuffling generator's and torch's
    global CPU generator's (dropout). Streams saved on another kind of device (a GPU
    fit resumed on the CPU) are left as seeded: such a resume continues with other
    draws."""
    if not saved:
        return
    try:
        if saved.get("generator") is not None:
            generator.set_state(saved["generator"])
        if saved.get("torch") is not None and generator.device.type == "cpu":
            torch.set_rng_state(saved["torch"])
    except (RuntimeError, TypeError):
        pass


def _check_callbacks(callbacks, early_stopping):
    from skorch.callbacks import BatchScoring, Callback, EarlyStopping, EpochScoring

    for item in callbacks or []:
        callback = item[1] if isinstance(item, tuple) and len(item) == 2 else item
        named_ok = not isinstance(item, tuple) or isinstance(item[0], str)
        is_callback = isinstance(callback, Callback) or (
            isinstance(callback, type) and issubclass(callback, Callback)
        )
        if not (is_callback and named_ok):
            raise TypeError(
                "callbacks must be a list of skorch callbacks (instances of "
                "skorch.callbacks.Callback, or (name, callback) pairs); got %r." % (item,)
            )
        kind = callback if isinstance(callback, type) else type(callback)
        if issubclass(kind, (EpochScoring, BatchScoring)):
            # They re-read the data in skorch's batch layout, which sknn's batches (rows,
            # targets and weights on the training device) do not follow.
            raise ValueError(
                f"{kind.__name__} cannot score sknn's batches. Score each epoch on a "
                "held-out part with early_stopping=True and scoring= (validation_scores_, "
                "and the 'valid_score' column of the history), or read the training loss "
                "from loss_curve_."
            )
        monitor = getattr(callback, "monitor", "")
        if (
            issubclass(kind, EarlyStopping)
            and not early_stopping
            and isinstance(monitor, str)
            and monitor.startswith("valid")
        ):
            raise ValueError(
                f"skorch's EarlyStopping monitors {monitor!r}, which the history records "
                "only with early_stopping=True (a held-out part scored each epoch); set "
                "it, or monitor 'train_loss'."
            )


def _stopped_by_callback(net):
    """Whether one of the user's callbacks ended the fit by raising KeyboardInterrupt, as
    skorch's EarlyStopping does (a user's Ctrl-C is not a callback's)."""
    name = getattr(net, "stopped_by", None)
    return name is not None and not name.startswith("sknn_")


def _has_batch_norm(module):
    return any(isinstance(m, _BatchNorm) for m in module.modules())


def _zero_output_loss(criterion, y_train, sample_weight, n_outputs, chunk=65536):
    """The mean training loss of a network whose outputs are all zero: the yardstick of
    the divergence rule (uniform probabilities; a regression predicting 0)."""
    n = len(y_train)
    total = 0.0
    weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    with torch.no_grad():
        for start in range(0, n, chunk):
            target = torch.as_tensor(np.asarray(y_train[start : start + chunk]))
            zeros = torch.zeros((len(target), n_outputs))
            losses = criterion(zeros, target).double().numpy()
            if weights is None:
                total += losses.sum()
            else:
                total += (losses * weights[start : start + chunk]).sum()
    return total / (n if weights is None else max(weights.sum(), np.finfo(float).tiny))


@dataclasses.dataclass(frozen=True)
class _HealthSample:
    """Training rows on which the end of a fit judges the network predict will use.

    ``X``: the rows (validated input); ``target``: their encoded targets (a tensor);
    ``weight``: their sample weights or None; ``regressor``: whether the task is a
    regression; ``constant_targets``: whether every training target is the same;
    ``yardstick``: the loss on them of the best constant prediction (the mean target) for
    a regressor, of all-zero outputs (uniform probabilities) for a classifier;
    ``zero_output``: the loss on them of all-zero outputs.
    """

    X: object
    target: torch.Tensor
    weight: object
    regressor: bool
    constant_targets: bool
    yardstick: float = math.nan
    zero_output: float = math.nan


def _rows_at(X, index):
    """Rows ``index`` (an integer array) of validated X."""
    if isinstance(X, dict):
        return {k: v[index] for k, v in X.items()}
    return X[index]


def _non_finite_buffer(module):
    """The name of a floating-point buffer of ``module`` (batch normalisation's running
    statistics) holding a NaN or an infinity, else None."""
    for name, buffer in module.named_buffers():
        if buffer.is_floating_point() and not all_finite([buffer]):
            return name
    return None


def _buffer_advice(module, name, learning_rate_init):
    """What to do about the non-finite buffer ``name`` of ``module``."""
    owner = module.get_submodule(name.rpartition(".")[0])
    if isinstance(owner, torch.nn.modules.batchnorm._BatchNorm):
        return (
            "batch normalisation's running statistics overflowed float32. Scale the input "
            "(for example with StandardScaler), or lower the learning rate "
            "(learning_rate_init=%g)." % learning_rate_init
        )
    return "scale the input (for example with StandardScaler)."


#: The reference loss of targets that are all zero, which all-zero outputs predict
#: exactly (a loss of 0, which any other output is infinitely far above): a squared
#: error loss up to twice this, outputs within about 0.014 of them, is no failure.
ZERO_TARGETS_REFERENCE = 1e-4


def _far_above(loss, reference):
    if not reference > 0:
        reference = ZERO_TARGETS_REFERENCE
    return loss is not None and np.isfinite(loss) and loss > DIVERGENCE_FACTOR * reference


def _best_epoch(loss_curve):
    finite = [(v, i) for i, v in enumerate(loss_curve) if np.isfinite(v)]
    return min(finite)[1] + 1 if finite else len(loss_curve)


def _is_plain(value):
    """Whether ``value`` is a plain parameter value (None, a number, a string, or a tuple
    or list of them), NumPy's scalars and arrays of them included (a grid search over
    ``np.arange`` gives NumPy integers): what a checkpoint records and compares."""
    return _plain(value) is not _NOT_PLAIN


#: What :func:`_plain` gives for a value that is not plain.
_NOT_PLAIN = object()


def _plain(value):
    """``value`` with NumPy's scalars and arrays as Python ones (JSON can hold them), or
    :data:`_NOT_PLAIN` where it is not a plain parameter value."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (np.bool_, np.number, np.str_)):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list)):
        items = [_plain(v) for v in value]
        if any(v is _NOT_PLAIN for v in items):
            return _NOT_PLAIN
        return tuple(items) if isinstance(value, tuple) else items
    return _NOT_PLAIN


def check_y_given(estimator, y):
    """scikit-learn's ValueError for a supervised fit given ``y=None``."""
    if y is None:
        raise ValueError(
            f"requires y to be passed, but the target y is None. {type(estimator).__name__} "
            "is a supervised estimator."
        )


def _module_signature(module):
    """What a module is, for :meth:`BaseNeuralNet._check_same_network`: its repr and
    the plain settings of each submodule (a pooling, a token dropout rate), which a repr
    shows only where the submodule's ``extra_repr`` names them."""
    settings = {}
    for name, submodule in module.named_modules():
        for key, value in vars(submodule).items():
            if key.startswith("_") or key == "training":
                continue
            if isinstance(value, (str, int, float, bool, tuple, type(None))):
                settings[(name, key)] = value
    return repr(module), settings


def _same_value(a, b):
    a, b = (v.tolist() if isinstance(v, np.ndarray) else v for v in (a, b))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b, strict=True))
    if callable(a) or callable(b):
        return _same_callable(a, b)
    return a == b


def _same_callable(a, b):
    """Whether two callables are the same one. A function read back from a saved file
    or a copy is another object: functions compare by where they are defined and their
    code, partials by what they wrap and bind."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, functools.partial):
        return (
            _same_callable(a.func, b.func)
            and _same_value(a.args, b.args)
            and a.keywords.keys() == b.keywords.keys()
            and all(_same_value(a.keywords[k], b.keywords[k]) for k in a.keywords)
        )
    if isinstance(a, types.FunctionType):
        return (a.__module__, a.__qualname__, a.__code__) == (
            b.__module__,
            b.__qualname__,
            b.__code__,
        )
    if isinstance(a, types.MethodType):
        return _same_callable(a.__func__, b.__func__) and _same_value(a.__self__, b.__self__)
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - an __eq__ that cannot compare: not the same
        return False


def _forward_in_halves_on_oom(forward, batch, device):
    """``forward`` on a prediction batch as a CPU float tensor; a batch that runs out of
    device memory is split in halves (down to one row, then MemoryError)."""
    try:
        if isinstance(batch, dict):
            result = forward(**{k: _as_tensor(v, device) for k, v in batch.items()})
        else:
            result = forward(_as_tensor(batch, device))
        return result.float().cpu()
    except RuntimeError as error:
        if not is_out_of_memory(error):
            raise
        n = _num_samples(batch)
        if n <= 1:
            raise MemoryError(
                "The device ran out of memory predicting a single row; predict on the CPU "
                "(load or fit the model with device='cpu')."
            ) from error
        if device.type == "cuda":
            torch.cuda.empty_cache()
    half = _num_samples(batch) // 2
    parts = [
        {k: v[rows] for k, v in batch.items()} if isinstance(batch, dict) else batch[rows]
        for rows in (slice(0, half), slice(half, None))
    ]
    return torch.cat([_forward_in_halves_on_oom(forward, part, device) for part in parts])


def _first_rows(X, n):
    if isinstance(X, dict):
        return {k: v[:n] for k, v in X.items()}
    return X[:n]


@contextlib.contextmanager
def _line_search_overflow_is_divergence(learning_rate_init):
    """torch's L-BFGS fails with a RuntimeError when its line search steps beyond float
    range (weights or data of huge scale): that is divergence, reported as scikit-learn
    reports non-finite weights."""
    try:
        yield
    except RuntimeError as error:
        if "overflow" not in str(error):
            raise
        raise ValueError(
            "%s (The solver's line search overflowed: %s; the learning rate, "
            "learning_rate_init=%g, may also be too high.)"
            % (NON_FINITE_WEIGHTS, str(error).splitlines()[0], learning_rate_init)
        ) from error
