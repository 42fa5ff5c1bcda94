"""Optimizers by name, configured from an estimator's scikit-learn-style parameters."""

import inspect

import numpy as np
import torch


def _eager(torch_class):
    """``torch_class`` with its entry points freed of their ``torch.compile`` guards.

    torch wraps ``step``, ``zero_grad``, ``add_param_group``, ``state_dict`` and
    ``load_state_dict`` of every ``torch.optim`` optimizer in decorators that import
    ``torch._dynamo`` (torch's compiler stack) on their first call, 1-2 s of a CPU
    process's first fit, for graph breaks that matter only when the optimizer itself runs
    under ``torch.compile``. sknn never compiles the optimizer (``compile=True`` compiles
    the forward pass), so its optimizers call the undecorated methods (``inspect.unwrap``):
    the same updates, bit for bit, and the same step hooks, with ``step`` under
    ``torch.no_grad`` as torch's wrapper puts it (torch's optimizers here are never
    ``differentiable``).
    """
    raw_step = inspect.unwrap(torch_class.step)  # every decorator functools.wraps records

    def step(self, closure=None):
        with torch.no_grad():
            return raw_step(self, closure)

    step.__doc__ = raw_step.__doc__
    namespace = {
        "__module__": __name__,
        "__qualname__": torch_class.__name__,
        "__doc__": f"torch's ``{torch_class.__name__}``, run eagerly (see ``_eager``).",
        "step": step,
    }
    for name in ("zero_grad", "add_param_group", "state_dict", "load_state_dict"):
        namespace[name] = inspect.unwrap(getattr(torch_class, name))
    return type(torch_class.__name__, (torch_class,), namespace)


Adam = _eager(torch.optim.Adam)
AdamW = _eager(torch.optim.AdamW)
SGD = _eager(torch.optim.SGD)
RMSprop = _eager(torch.optim.RMSprop)
Adagrad = _eager(torch.optim.Adagrad)
LBFGS = _eager(torch.optim.LBFGS)


def _fused_on_cpu(params):
    """``fused=True`` for parameters on the CPU: torch's fused Adam kernel updates each
    parameter in one pass without temporaries, where the per-tensor loop torch picks by
    default on the CPU allocates several parameter-sized ones a step (four times slower on
    a wide first layer). CUDA keeps torch's default (multi-tensor) implementation."""
    return {"fused": True} if all(p.device.type == "cpu" for p in params) else {}


def _adam(params, est):
    return Adam(
        params,
        lr=est.learning_rate_init,
        betas=(est.beta_1, est.beta_2),
        eps=est.epsilon,
        **_fused_on_cpu(params),
    )


def _adamw(params, est):
    return AdamW(
        params,
        lr=est.learning_rate_init,
        betas=(est.beta_1, est.beta_2),
        eps=est.epsilon,
        weight_decay=est.weight_decay,
        **_fused_on_cpu(params),
    )


def _sgd(params, est):
    # torch's momentum buffer b <- m*b + g, p <- p - lr*b is scikit-learn's velocity
    # update v <- m*v - lr*g, p <- p + v rescaled by -lr, identical at a constant lr.
    return SGD(
        params,
        lr=est.learning_rate_init,
        momentum=est.momentum,
        nesterov=bool(est.nesterovs_momentum and est.momentum > 0),
    )


def _rmsprop(params, est):
    return RMSprop(
        params, lr=est.learning_rate_init, alpha=est.beta_2, eps=est.epsilon, momentum=0.0
    )


def _adagrad(params, est):
    return Adagrad(params, lr=est.learning_rate_init, eps=est.epsilon)


def _lbfgs(params, est):
    return LBFGS(
        params,
        lr=1.0,
        max_iter=est.max_iter,
        max_eval=est.max_fun,
        tolerance_grad=est.tol,
        tolerance_change=0.0,
        history_size=10,
        line_search_fn="strong_wolfe",
    )


OPTIMIZERS = {
    "adam": _adam,
    "adamw": _adamw,
    "sgd": _sgd,
    "rmsprop": _rmsprop,
    "adagrad": _adagrad,
    "lbfgs": _lbfgs,
}

#: Solvers that take mini-batches (every one but the full-batch L-BFGS).
STOCHASTIC_SOLVERS = frozenset(OPTIMIZERS) - {"lbfgs"}


_SETTINGS = (
    "solver",
    "learning_rate_init",
    "beta_1",
    "beta_2",
    "epsilon",
    "momentum",
    "nesterovs_momentum",
    "weight_decay",
    "max_iter",
    "max_fun",
    "tol",
)


class OptimizerFactory:
    """Builds the optimizer named by an estimator's ``solver`` for a module.

    Holds a snapshot of the estimator's optimizer parameters (not the estimator), so a
    fitted net pickles without a reference cycle and a later ``set_params`` does not
    silently change a running optimizer.
    """

    def __init__(self, estimator):
        for name in _SETTINGS:
            value = getattr(estimator, name, None)
            # Python numbers: torch's Adam refuses betas of NumPy floats, and a grid search
            # over np.linspace gives them.
            setattr(self, name, value.item() if isinstance(value, np.generic) else value)
        if hasattr(estimator, "_max_iter"):  # 'lbfgs' iterations, with 'auto' resolved
            self.max_iter = estimator._max_iter()

    def __call__(self, module):
        params = [p for p in module.parameters() if p.requires_grad]
        return OPTIMIZERS[self.solver](params, self)
