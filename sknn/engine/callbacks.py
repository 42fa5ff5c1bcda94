"""Callbacks that give the skorch loop sknn's training semantics.

:class:`EpochRule` is scikit-learn's end-of-epoch logic: the loss curve, the ``tol`` /
``n_iter_no_change`` stopping rule, early stopping on a validation score with the best
weights kept, and scikit-learn's ``invscaling`` and ``adaptive`` learning rates, plus
sknn's per-batch warm-up with linear or cosine decay and the plateau schedule. It reads a
frozen :class:`RuleSettings` snapshot of the estimator's parameters and writes only the
engine's :class:`~sknn.engine.state.TrainingState`, which the estimator exposes as its
fitted attributes (``loss_curve_``, ``best_loss_``, ...). :class:`StopWhenRuleSays`,
:class:`SaveCheckpoint` and :class:`ProgressBar` run after the user's callbacks.
"""

import copy
import math
import time

import numpy as np
import torch
from skorch.callbacks import Callback

#: scikit-learn's error for a fit that leaves non-finite weights, word for word.
NON_FINITE_WEIGHTS = (
    "Solver produced non-finite parameter weights. The input data may contain large values "
    "and need to be preprocessed."
)


def all_finite(parameters):
    """True if no parameter holds a NaN or an infinity.

    A minimum and maximum per tensor (NaN propagates through both), not
    ``torch.isfinite``, whose temporaries weigh several times a wide weight matrix.
    """
    for p in parameters:
        low, high = torch.aminmax(p.detach())
        if not (torch.isfinite(low) and torch.isfinite(high)):
            return False
    return True


class StopTraining(KeyboardInterrupt):
    """Raised by a callback to end the epoch loop (skorch ends training on KeyboardInterrupt)."""


def schedule_factor(kind, step, total_steps, warmup_steps, min_lr):
    """Multiplier of the initial learning rate at optimizer step ``step`` (0-based).

    A linear warm-up from ~0 to 1 over ``warmup_steps``, then for 'linear' and 'cosine' a
    decay to ``min_lr`` at ``total_steps``; other schedules stay at 1 after warm-up.
    """
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    if kind not in ("linear", "cosine"):
        return 1.0
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    if kind == "linear":
        shape = 1.0 - progress
    else:
        shape = 0.5 * (1.0 + math.cos(math.pi * progress))
    return min_lr + (1.0 - min_lr) * shape


_RULE_SETTINGS = (
    "learning_rate",
    "learning_rate_init",
    "power_t",
    "solver",
    "tol",
    "n_iter_no_change",
    "min_lr",
    "verbose",
)


class RuleSettings:
    """A snapshot of the estimator parameters :class:`EpochRule` reads.

    As :class:`~sknn.engine.optim.OptimizerFactory` does for the optimizer: the engine
    holds the values, not the estimator, so a ``set_params`` during a fit changes nothing.
    """

    def __init__(self, estimator, **resolved):
        # ``resolved``: values the estimator resolved from its parameters ('auto').
        for name in _RULE_SETTINGS:
            value = resolved[name] if name in resolved else getattr(estimator, name)
            # Python numbers: the rates derived from them are recorded in the training
            # state, which model files and checkpoints write as JSON.
            setattr(self, name, value.item() if isinstance(value, np.generic) else value)


class EpochRule(Callback):
    """sknn's per-batch learning rate and scikit-learn's per-epoch bookkeeping and stopping.

    Parameters
    ----------
    settings : RuleSettings
        The hyper-parameters: schedule, ``tol``, ``n_iter_no_change``, ``verbose``.
    state : TrainingState
        The engine's state, updated after every batch and epoch.
    score_fn : callable or None
        ``score_fn(y_pred) -> float`` scores the concatenated module outputs on the
        validation set (early stopping); None when there is no validation set.
    n_train : int
        Rows in the training set (``t_`` counts samples seen, as scikit-learn does).
    total_steps : int
        Optimizer steps the schedule is planned over (``max_iter`` epochs of batches).
    warmup_steps : int
        Optimizer steps of linear warm-up.
    """

    def __init__(self, settings, state, score_fn, n_train, total_steps=1, warmup_steps=0):
        self.settings = settings
        self.state = state
        self.score_fn = score_fn
        self.n_train = n_train
        self.total_steps = total_steps
        self.warmup_steps = warmup_steps
        # A fit with no epoch to run (one resumed from its last checkpoint) never begins.
        self.stopped = False
        self.diverged = None
        self.epochs_run = 0
        self.data_loss = None

    def on_train_begin(self, net, **kwargs):
        self.stopped = False
        #: Why training diverged (the loss became NaN or infinite), or None.
        self.diverged = None
        self.epochs_run = 0
        settings = self.settings
        self.per_batch = settings.learning_rate in ("linear", "cosine") or self.warmup_steps > 0
        # Epoch-level schedules (invscaling, adaptive, plateau) move this base rate;
        # the per-batch warm-up and decay multiply it.
        self.base_lr = self.state.base_lr
        # scikit-learn's per-epoch lines: at verbose=2, or at verbose=1 without a bar.
        self._print = settings.verbose >= 2 or bool(settings.verbose and not tqdm_available())

    def on_epoch_begin(self, net, **kwargs):
        self._valid_outputs = []
        self._epoch_start = time.perf_counter()

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training and self.per_batch:
            factor = schedule_factor(
                self.settings.learning_rate,
                self.state.optimizer_steps,
                self.total_steps,
                self.warmup_steps,
                self.settings.min_lr,
            )
            _set_lr(net, self.base_lr * factor)

    def on_batch_end(self, net, batch=None, training=False, y_pred=None, **kwargs):
        if training:
            self.state.optimizer_steps += 1
        elif self.score_fn is not None:
            self._valid_outputs.append(y_pred.detach())

    def on_epoch_end(self, net, **kwargs):
        settings, state = self.settings, self.state
        history = net.history
        loss = history[-1, "train_loss"]
        #: The epoch's loss of the data alone, without the penalty (the fit's health check).
        self.data_loss = loss
        if "train_penalty" in history[-1]:
            # Each batch's penalty at the weights it was evaluated on, averaged over the
            # epoch like its loss, as scikit-learn's loss_curve_ adds it.
            loss += history[-1, "train_penalty"]
        # An epoch counts once it is complete and its loss is known: an interrupted epoch
        # leaves n_iter_, t_, loss_curve_ and the history in step with each other.
        self.epochs_run += 1
        state.n_iter += 1
        state.t += self.n_train
        state.loss = loss
        state.loss_curve.append(loss)
        lr = float(net.optimizer_.param_groups[0]["lr"])
        history.record("lr", lr)
        if self._print:
            print("Iteration %d, loss = %.8f" % (state.n_iter, loss))

        improved_best = False
        if self.score_fn is not None:
            score = float(self.score_fn(torch.cat(self._valid_outputs)))
            state.validation_scores.append(score)  # NaN for a diverged network
            history.record("valid_score", score)
            if self._print:
                print("Validation score: %f" % score)
            improved = score >= state.best_validation_score + settings.tol
            if score > state.best_validation_score:
                state.best_validation_score = score
                state.best_module = copy.deepcopy(net.module_.state_dict())
                improved_best = True
        else:
            improved = loss <= state.best_loss - settings.tol
            if loss < state.best_loss:
                state.best_loss = loss
                # Kept so that a fit that diverges later can go back to it.
                state.best_module = copy.deepcopy(net.module_.state_dict())
                improved_best = True
        history.record("best", improved_best)
        # skorch's '<key>_best' flags (its PassthroughScoring's), which its Checkpoint and
        # other callbacks monitor: only where a user's callback may read them.
        for key in ("train_loss", "valid_loss") if net.skorch_history else ():
            if key in history[-1]:
                value = history[-1, key]
                earlier = [row[key] for row in history[:-1] if key in row]
                history.record(key + "_best", not earlier or value < min(earlier))
        if not math.isfinite(loss):
            # Nothing can come back from non-finite weights: stop here. The estimator keeps
            # the best epoch's weights (or, with none, raises).
            self.diverged = "Training diverged: the training loss became %s at iteration %d" % (
                loss,
                state.n_iter,
            )
            history.record("dur", time.perf_counter() - self._epoch_start)
            self.stopped = True
            return
        state.no_improvement_count = 0 if improved else state.no_improvement_count + 1
        # In the state, so that partial_fit's one-epoch calls and a resumed fit count on.
        state.plateau_count = 0 if improved else state.plateau_count + 1

        if settings.learning_rate == "invscaling" and settings.solver == "sgd":
            self.base_lr = settings.learning_rate_init / (state.t + 1) ** settings.power_t
            _set_lr(net, self.base_lr, rescale_momentum=True)
        elif settings.learning_rate == "plateau":
            patience = max(1, int(min(settings.n_iter_no_change, 1e9)) // 2)
            floor = settings.min_lr * settings.learning_rate_init
            if state.plateau_count >= patience and self.base_lr > floor:
                self.base_lr = max(floor, self.base_lr / 2.0)
                _set_lr(net, self.base_lr, rescale_momentum=True)
                state.plateau_count = 0
        history.record("dur", time.perf_counter() - self._epoch_start)

        if state.no_improvement_count > settings.n_iter_no_change:
            what = "Validation score" if self.score_fn is not None else "Training loss"
            msg = "%s did not improve more than tol=%f for %d consecutive epochs." % (
                what,
                settings.tol,
                settings.n_iter_no_change,
            )
            # scikit-learn's rule on the base rate: under a warm-up the epoch's rate (lr)
            # is a fraction of it, which a fifth of would cut the base rate too far.
            adaptive = settings.learning_rate == "adaptive" and settings.solver == "sgd"
            if adaptive and self.base_lr > 1e-6:
                self.base_lr = self.base_lr / 5.0
                # The same ratio for the rate in use; a warm-up's next batch rescales it.
                _set_lr(net, lr / 5.0, rescale_momentum=True)
                state.no_improvement_count = 0
                if settings.verbose:
                    print(msg + " Setting learning rate to %f" % self.base_lr)
            else:
                if self._print:
                    adaptive = settings.learning_rate == "adaptive" and settings.solver == "sgd"
                    print(msg + (" Learning rate too small." if adaptive else "") + " Stopping.")
                self.stopped = True
        state.base_lr = self.base_lr


class StopWhenRuleSays(Callback):
    """Ends training once :class:`EpochRule` has decided to stop.

    Runs after every other callback, so user callbacks still see the last epoch.
    """

    def __init__(self, rule):
        self.rule = rule

    def on_epoch_end(self, net, **kwargs):
        if self.rule.stopped:
            raise StopTraining()


class SaveCheckpoint(Callback):
    """Writes the training state to ``path`` after every epoch.

    The file (:mod:`sknn.persistence`'s format: tensors in safetensors, the rest in JSON)
    holds the last epoch's full state (module, optimizer, :class:`TrainingState`, history,
    the random streams' states), from which a fit resumes, and the weights of the best
    epoch so far. Each write goes to
    a temporary file first, so an interruption never leaves a half-written checkpoint.
    """

    def __init__(self, path, state, owner):
        self.path = path
        self.state = state
        self.owner = owner

    def on_epoch_end(self, net, **kwargs):
        from sknn.persistence import write_checkpoint

        # The random streams too, so that a resumed fit draws what this one would have.
        rng = {"torch": torch.get_rng_state()}
        if net.generator is not None:
            rng["generator"] = net.generator.get_state()
        write_checkpoint(
            self.path,
            owner=self.owner,
            module=net.module_.state_dict(),
            optimizer=net.optimizer_.state_dict(),
            best_module=self.state.best_module,
            state=self.state,
            history=list(net.history),
            rng=rng,
        )


class ProgressBar(Callback):
    """A tqdm progress bar over epochs showing the train and validation loss."""

    def __init__(self, total_epochs, description):
        self.total_epochs = total_epochs
        self.description = description

    def on_train_begin(self, net, **kwargs):
        from tqdm.auto import tqdm

        self._bar = tqdm(total=self.total_epochs, desc=self.description, unit="epoch")

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        postfix = {"loss": f"{row['train_loss']:.4f}"}
        if "valid_loss" in row:
            postfix["val_loss"] = f"{row['valid_loss']:.4f}"
        if "valid_score" in row:
            postfix["val_score"] = f"{row['valid_score']:.4f}"
        self._bar.set_postfix(postfix, refresh=False)
        self._bar.update(1)

    def on_train_end(self, net, **kwargs):
        self._bar.close()


def _set_lr(net, lr, rescale_momentum=False):
    """Set every parameter group's learning rate to ``lr``.

    With ``rescale_momentum``, SGD's momentum buffers are rescaled by the old rate over
    the new one: the epoch-level schedules of scikit-learn ('invscaling', 'adaptive', and
    sknn's 'plateau' beside them) change the rate so. torch's buffer ``b <- m*b + g``
    with the step ``p <- p - lr*b`` is scikit-learn's velocity ``v <- m*v - lr*g``,
    ``p <- p + v`` as ``v = -lr*b``, but only while ``lr`` holds: scikit-learn's velocity
    keeps the steps taken at the rates they were taken at, and torch would apply the new
    rate to all of them. The per-batch schedules ('cosine', 'linear', warm-up) are
    sknn's, in torch's convention: they set the rate alone. A buffer built at a rate of 0
    is kept as it is (no velocity to rescale).
    """
    optimizer = net.optimizer_
    for group in optimizer.param_groups:
        old = group["lr"]
        if (
            rescale_momentum
            and isinstance(optimizer, torch.optim.SGD)
            and group.get("momentum")
            and lr > 0
            and (isinstance(old, torch.Tensor) or old > 0)
        ):
            buffers = [
                optimizer.state[p]["momentum_buffer"]
                for p in group["params"]
                if optimizer.state.get(p, {}).get("momentum_buffer") is not None
            ]
            if buffers:
                if isinstance(old, torch.Tensor):
                    # A captured step's rate stays on the device: no synchronisation.
                    ratio = torch.where(old > 0, old / lr, torch.ones_like(old))
                else:
                    ratio = old / lr
                torch._foreach_mul_(buffers, ratio)
        if isinstance(group["lr"], torch.Tensor):
            group["lr"].fill_(lr)  # a captured step reads the rate from this tensor
        else:
            group["lr"] = lr


def tqdm_available():
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True
