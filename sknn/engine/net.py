"""The training engine: skorch's loop, fed by device-resident batches.

sknn composes a private :class:`skorch.NeuralNet` subclass inside each estimator. skorch
contributes the epoch loop, the callback protocol (``on_epoch_end`` and friends, so a
user's skorch callbacks work unchanged), the history and device-robust pickling; sknn
contributes the data path (whole datasets on the device, batches by index), the loss with
per-sample weights and scikit-learn's L2 penalty, and never records a per-batch Python float,
so a CUDA step is not synchronised with the host after every batch.
"""

import torch
from skorch import NeuralNet

from sknn.engine.data import IndexBatches


class TrainingNet(NeuralNet):
    """skorch net with sknn's data path, loss and penalty.

    Parameters beyond skorch's
    --------------------------
    make_optimizer : callable
        ``make_optimizer(module) -> torch.optim.Optimizer``.
    l2_penalty : float
        scikit-learn's ``alpha``: adds ``alpha / (2 * n_batch) * ||W||^2`` over the weight
        matrices (parameters with two or more dimensions) to each batch's loss.
    generator : torch.Generator or None
        Source of the shuffling permutations.
    shuffle : bool
        Shuffle the training rows at each epoch.
    """

    def __init__(
        self,
        *args,
        make_optimizer,
        l2_penalty=0.0,
        generator=None,
        shuffle=True,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.make_optimizer = make_optimizer
        self.l2_penalty = l2_penalty
        self.generator = generator
        self.shuffle = shuffle

    # -- components -------------------------------------------------------------------
    @property
    def _default_callbacks(self):
        return []

    def initialize_optimizer(self, triggered_directly=None):
        self.optimizer_ = self.make_optimizer(self.module_)
        return self

    def penalised_parameters(self):
        """The weight matrices that scikit-learn's ``alpha`` penalises."""
        return [p for p in self.module_.parameters() if p.requires_grad and p.ndim > 1]

    def l2_term(self):
        """``0.5 * alpha * ||W||^2`` over :meth:`penalised_parameters` (a tensor)."""
        params = self.penalised_parameters()
        if not params or self.l2_penalty == 0:
            return torch.zeros((), device=self.device)
        return 0.5 * self.l2_penalty * sum((p * p).sum() for p in params)

    # -- data -------------------------------------------------------------------------
    def get_split_datasets(self, X, y=None, **fit_params):
        # sknn passes the prepared training and validation DeviceData directly.
        return X, y

    def get_iterator(self, dataset, training=False):
        if training:
            return IndexBatches(dataset, self.batch_size, self.shuffle, self.generator)
        return IndexBatches(dataset, max(self.batch_size, 4096), shuffle=False)

    # -- loss and steps ---------------------------------------------------------------
    def get_loss(self, y_pred, y_true, X=None, training=False):
        target, weight = y_true
        per_sample = self.criterion_(y_pred, target)
        if weight is None:
            loss = per_sample.mean()
            n = per_sample.shape[0]
        else:
            n = weight.sum()
            loss = (per_sample * weight).sum() / n
        if self.penalty_in_loss and training:
            loss = loss + self.l2_term() / n
        return loss

    @property
    def penalty_in_loss(self):
        # A closure-driven optimizer (L-BFGS) needs the penalty in the loss value it
        # line-searches on; the stochastic solvers add its gradient directly (cheaper).
        return isinstance(self.optimizer_, torch.optim.LBFGS)

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        Xi, yi = batch
        y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        loss.backward()
        if self.l2_penalty and not self.penalty_in_loss:
            self._add_l2_gradient(yi)
        return {"loss": loss, "y_pred": y_pred}

    def _add_l2_gradient(self, target):
        # d/dW of alpha/(2n)||W||^2, n being the batch's total sample weight as in
        # scikit-learn; added in one fused op instead of building the penalty's graph.
        params = [p for p in self.penalised_parameters() if p.grad is not None]
        if not params:
            return
        grads = [p.grad for p in params]
        y, weight = target
        if weight is None:
            torch._foreach_add_(grads, params, alpha=self.l2_penalty / len(y))
        else:
            torch._foreach_add_(grads, torch._foreach_mul(params, self.l2_penalty / weight.sum()))

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        # skorch opens a per-batch history row here; sknn keeps per-epoch rows only.
        pass

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if iterator is None:
            return
        total = torch.zeros((), device=self.device, dtype=torch.float64)
        n_batches = 0
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            total += step["loss"].detach() * len(batch[1][0])
            self.notify("on_batch_end", batch=batch, training=training, **step)
            n_batches += 1
        # One host synchronisation per epoch, not per batch.
        self.history.record(prefix + "_loss", total.item() / len(iterator.data))
        self.history.record(prefix + "_batch_count", n_batches)
