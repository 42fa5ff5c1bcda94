"""Parameter documentation shared by every sknn network estimator, written once.

Estimator docstrings write ``%(training_parameters)s`` (and the other keys below) where
the shared parameters go; :func:`fill_doc` substitutes them at class creation.
"""

import textwrap

_DOCS = {
    "training_parameters": """
solver : {'adam', 'sgd', 'lbfgs', 'adamw', 'rmsprop', 'adagrad'}, default='adam'
    The optimizer. 'adam', 'sgd' and 'lbfgs' behave as in scikit-learn ('lbfgs' is
    full-batch L-BFGS with a strong-Wolfe line search, good for small data); 'adamw' is
    Adam with decoupled ``weight_decay``; 'rmsprop' uses ``beta_2`` as its smoothing
    constant; 'adagrad' uses ``epsilon``.

alpha : float, default=0.0001
    Strength of the L2 penalty on the weight matrices, scaled as scikit-learn scales it
    (``alpha / (2 n_batch) * ||W||^2`` added to each batch's loss).

batch_size : int or 'auto', default='auto'
    Size of minibatches; 'auto' is ``min(200, n_samples)``. Ignored by 'lbfgs'.

learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
    scikit-learn's learning-rate schedule for ``solver='sgd'``: 'invscaling' sets
    ``learning_rate_init / (t + 1) ** power_t`` after each epoch (t counts samples seen);
    'adaptive' divides the rate by 5 each time ``n_iter_no_change`` epochs fail to improve.

learning_rate_init : float, default=0.001
    The initial learning rate of the stochastic solvers.

power_t : float, default=0.5
    Exponent of the 'invscaling' schedule.

max_iter : int, default=200
    Maximum number of epochs (stochastic solvers) or of iterations ('lbfgs').

shuffle : bool, default=True
    Shuffle the samples at each epoch.

random_state : int, RandomState instance or None, default=None
    Seeds weight initialisation, shuffling, dropout and the validation split. An int
    makes every fit bitwise reproducible on the CPU; the global random state of NumPy and
    torch is left untouched (``None`` draws the seed from NumPy's global generator, as
    scikit-learn does).

tol : float, default=1e-4
    Tolerance of the stopping rule: training stops when the loss (or the validation
    score, with ``early_stopping``) fails to improve by ``tol`` for ``n_iter_no_change``
    consecutive epochs. For 'lbfgs', the gradient tolerance.

verbose : bool or int, default=False
    Print progress messages.

warm_start : bool, default=False
    Reuse the previous fit's weights and optimizer state as the starting point.

momentum : float, default=0.9
    Momentum of 'sgd'.

nesterovs_momentum : bool, default=True
    Use Nesterov's momentum with 'sgd' and ``momentum > 0``.

early_stopping : bool, default=False
    Hold out ``validation_fraction`` of the training data (stratified for single-output
    classification), stop when its score fails to improve by ``tol`` for
    ``n_iter_no_change`` epochs, and restore the weights of the best epoch.

validation_fraction : float, default=0.1
    Proportion of the training data held out for early stopping.

beta_1 : float, default=0.9
    Exponential decay rate of the first moment in 'adam' and 'adamw'.

beta_2 : float, default=0.999
    Exponential decay rate of the second moment in 'adam' and 'adamw'.

epsilon : float, default=1e-8
    Numerical stability constant of 'adam', 'adamw', 'rmsprop' and 'adagrad'.

n_iter_no_change : int, default=10
    Number of epochs without ``tol`` improvement before stopping.

max_fun : int, default=15000
    Maximum number of loss evaluations of 'lbfgs'.

weight_decay : float, default=0.0
    Decoupled weight decay of ``solver='adamw'``.

device : str, default='auto'
    Where to train and predict: 'auto' picks CUDA when it is available, else the CPU;
    'cpu', 'cuda' and 'cuda:N' name a device. Resolved at ``fit``, never before.

callbacks : list of skorch callbacks or None, default=None
    Extra callbacks run by the training loop (checkpointing, LR schedulers, loggers).
""",
    "training_attributes": """
loss_ : float
    The loss at the end of the last epoch, L2 penalty included.

best_loss_ : float or None
    The minimum loss reached; None with ``early_stopping=True``.

loss_curve_ : list of float
    The loss at the end of each epoch.

validation_scores_ : list of float or None
    The validation score at each epoch with ``early_stopping=True``, else None.

best_validation_score_ : float or None
    The best validation score with ``early_stopping=True``, else None.

t_ : int
    The number of training samples seen by the solver.

n_iter_ : int
    The number of epochs (iterations for 'lbfgs') the solver ran.

n_features_in_ : int
    Number of features seen during fit.

feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Names of the features seen during fit, when X has string column names.

n_outputs_ : int
    Number of outputs of the network.

out_activation_ : str
    The output activation: 'softmax', 'logistic', 'identity' or 'exp'.

device_ : str
    The device the model was trained on.

module_ : torch.nn.Module
    The fitted network.

history_ : skorch.History
    Per-epoch records of the last fit: ``train_loss``, ``valid_loss``, ``valid_score``,
    ``lr`` and ``dur`` (seconds).
""",
}


def fill_doc(cls):
    """Class decorator substituting the shared parameter docs into ``cls.__doc__``."""
    doc = cls.__doc__
    for key, text in _DOCS.items():
        marker = "%(" + key + ")s"
        if marker in doc:
            line = next(ln for ln in doc.splitlines() if marker in ln)
            indent = line[: len(line) - len(line.lstrip())]
            doc = doc.replace(line, textwrap.indent(text.strip("\n"), indent))
    cls.__doc__ = doc
    return cls
