"""Callbacks that give the skorch loop scikit-learn's MLP semantics.

:class:`EpochRule` is sknn's end-of-epoch logic: the loss curve, the ``tol`` /
``n_iter_no_change`` stopping rule, early stopping on a validation score with the best
weights kept, and scikit-learn's ``invscaling`` and ``adaptive`` learning rates. It writes
the scikit-learn fitted attributes (``loss_curve_``, ``best_loss_``, ...) on the estimator.
"""

import copy
import time

import numpy as np
import torch
from skorch.callbacks import Callback


class StopTraining(KeyboardInterrupt):
    """Raised by a callback to end the epoch loop (skorch ends training on KeyboardInterrupt)."""


class EpochRule(Callback):
    """scikit-learn's per-epoch bookkeeping and stopping rule.

    Parameters
    ----------
    estimator : sknn estimator
        Receives ``n_iter_``, ``t_``, ``loss_``, ``loss_curve_``, ``best_loss_``,
        ``validation_scores_`` and ``best_validation_score_``.
    score_fn : callable or None
        ``score_fn(y_pred) -> float`` scores the concatenated module outputs on the
        validation set (early stopping); None when there is no validation set.
    n_train : int
        Rows in the training set (``t_`` counts samples seen, as scikit-learn does).
    """

    def __init__(self, estimator, score_fn, n_train):
        self.estimator = estimator
        self.score_fn = score_fn
        self.n_train = n_train

    def on_train_begin(self, net, **kwargs):
        self.stopped = False
        self.epochs_run = 0

    def on_epoch_begin(self, net, **kwargs):
        self._valid_outputs = []
        self._epoch_start = time.perf_counter()

    def on_batch_end(self, net, batch=None, training=False, y_pred=None, **kwargs):
        if not training and self.score_fn is not None:
            self._valid_outputs.append(y_pred.detach())

    def on_epoch_end(self, net, **kwargs):
        est = self.estimator
        history = net.history
        self.epochs_run += 1
        est.n_iter_ += 1
        est.t_ += self.n_train
        loss = history[-1, "train_loss"]
        if not net.penalty_in_loss and net.l2_penalty:
            # The penalty scikit-learn adds to each batch's loss, averaged like the loss.
            n_batches = history[-1, "train_batch_count"]
            loss += net.l2_term().item() * n_batches / self.n_train
        if not np.isfinite(loss):
            raise ValueError(
                "Solver produced non-finite loss at iteration %d. The input data may "
                "contain large values and need to be preprocessed, or the learning rate "
                "may be too high." % est.n_iter_
            )
        est.loss_ = loss
        est.loss_curve_.append(loss)
        lr = net.optimizer_.param_groups[0]["lr"]
        history.record("lr", lr)
        if est.verbose:
            print("Iteration %d, loss = %.8f" % (est.n_iter_, loss))

        if self.score_fn is not None:
            score = float(self.score_fn(torch.cat(self._valid_outputs)))
            est.validation_scores_.append(score)
            history.record("valid_score", score)
            if est.verbose:
                print("Validation score: %f" % score)
            improved = score >= est.best_validation_score_ + est.tol
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                est._best_state = copy.deepcopy(net.module_.state_dict())
                history.record("valid_score_best", True)
        else:
            improved = loss <= est.best_loss_ - est.tol
            if loss < est.best_loss_:
                est.best_loss_ = loss
        est._no_improvement_count = 0 if improved else est._no_improvement_count + 1

        if est.learning_rate == "invscaling" and est.solver == "sgd":
            self._set_lr(net, est.learning_rate_init / (est.t_ + 1) ** est.power_t)
        history.record("dur", time.perf_counter() - self._epoch_start)

        if est._no_improvement_count > est.n_iter_no_change:
            what = "Validation score" if self.score_fn is not None else "Training loss"
            msg = "%s did not improve more than tol=%f for %d consecutive epochs." % (
                what,
                est.tol,
                est.n_iter_no_change,
            )
            if est.learning_rate == "adaptive" and est.solver == "sgd" and lr > 1e-6:
                self._set_lr(net, lr / 5.0)
                est._no_improvement_count = 0
                if est.verbose:
                    print(msg + " Setting learning rate to %f" % (lr / 5.0))
            else:
                if est.verbose:
                    print(msg + " Stopping.")
                self.stopped = True

class StopWhenRuleSays(Callback):
    """Ends training once :class:`EpochRule` has decided to stop.

    Runs after every other callback, so user callbacks still see the last epoch.
    """

    def __init__(self, rule):
        self.rule = rule

    def on_epoch_end(self, net, **kwargs):
        if self.rule.stopped:
            raise StopTraining()

    @staticmethod
    def _set_lr(net, lr):
        for group in net.optimizer_.param_groups:
            group["lr"] = lr
