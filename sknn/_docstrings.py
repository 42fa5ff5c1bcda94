"""Parameter documentation shared by every sknn network estimator, written once.

Estimator docstrings write ``%(training_parameters)s`` (and the other keys below) where
the shared parameters go; :func:`fill_doc` substitutes them at class creation.
"""

import ast
import inspect
import re
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

learning_rate : {'constant', 'invscaling', 'adaptive', 'linear', 'cosine', 'plateau'}, \
        default='constant'
    The learning-rate schedule. scikit-learn's three apply to ``solver='sgd'``:
    'invscaling' sets ``learning_rate_init / (t + 1) ** power_t`` after each epoch (t
    counts samples seen); 'adaptive' divides the rate by 5 each time
    ``n_iter_no_change`` epochs fail to improve. sknn's apply to every stochastic solver:
    'linear' and 'cosine' decay the rate per batch from ``learning_rate_init`` after the
    warm-up to ``min_lr * learning_rate_init`` at the last step of ``max_iter`` epochs;
    'plateau' halves it (down to that floor) whenever the monitored loss or validation
    score fails to improve by ``tol`` for ``n_iter_no_change // 2`` epochs. A 'linear' or
    'cosine' schedule of fewer than 50 optimizer steps in all (``max_iter`` times the
    batches per epoch) warns before training: too short to learn much.

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
    1 (or True) shows a progress bar over epochs with the training and validation loss
    (tqdm, or printed lines without it); 2 prints scikit-learn's messages each epoch.

warm_start : bool, default=False
    Start from the previous fit's weights, with a fresh optimizer (its moments and
    momentum start again, as scikit-learn's do; ``partial_fit`` keeps them). The
    network, and what the first fit learned of X (a vocabulary, a normalisation), stay
    those of the first fit: parameters that would change them raise a ValueError.

momentum : float, default=0.9
    Momentum of 'sgd'.

nesterovs_momentum : bool, default=True
    Use Nesterov's momentum with 'sgd' and ``momentum > 0``.

early_stopping : bool, default=False
    Hold out ``validation_fraction`` of the training data (stratified for single-output
    classification: two classes as in scikit-learn, which raises when a class is too
    rare to split; several classes where each has enough rows, else at random), stop
    when its score fails to improve by ``tol`` for ``n_iter_no_change`` epochs, and
    restore the weights of the best epoch. A held-out part whose rows all weigh zero
    (``sample_weight``, ``class_weight``) is a ``ValueError``.

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
    skorch's ``EpochScoring`` and ``BatchScoring`` cannot read sknn's batches and are a
    ``ValueError`` (``early_stopping=True`` with ``scoring`` scores each epoch); its
    ``EarlyStopping`` may stop a fit, on 'valid_loss' only with ``early_stopping=True``.
    The callbacks are used as given, so state they keep carries from one ``fit`` to the
    next (``clone``, as in cross-validation, copies them).

warmup : int or float, default=0
    Linear learning-rate warm-up from near zero to ``learning_rate_init``: a number of
    optimizer steps, or a fraction (0 < warmup < 1) of all ``max_iter`` epochs' steps.
    Works with every schedule.

min_lr : float, default=0.0
    Floor of the 'linear', 'cosine' and 'plateau' schedules, as a fraction of
    ``learning_rate_init``.

l1 : float, default=0.0
    Strength of an L1 penalty on the weight matrices, beside ``alpha``'s L2:
    ``l1 * |W|_1`` is added to the mean loss of each batch (not divided by the batch size,
    unlike ``alpha``: the convention of Keras and ``SGDClassifier``, so 1e-5 to 1e-2 are
    useful values). Drives uninformative weights towards zero.

grad_clip : float or None, default=None
    Clip the global norm of the gradients to this value before each step.

n_init : int, default=1
    Number of fits from different random initialisations (seeds drawn from
    ``random_state``); see ``ensemble``. ``partial_fit`` and ``warm_start`` continue the
    fitted networks but cannot start several; not with ``checkpoint`` or
    ``resume_from``.

ensemble : {'best', 'average'}, default='best'
    With ``n_init > 1``: keep the run with the best validation score (without
    ``early_stopping``, the lowest loss of the network it kept on the training rows),
    or average the predictions
    (probabilities for classifiers) of all runs, whose fitted attributes are then those
    of run ``best_init_`` (see ``runs_``).

precision : {'auto', 'float32', 'bf16', 'fp16'}, default='float32'
    Mixed precision: autocast the forward pass to bfloat16 or float16 (with a gradient
    scaler). Meant for CUDA; also runs on the CPU where torch supports it. 'auto' trains
    in bfloat16 on CUDA GPUs that compute in it natively (compute capability 8.0 and
    later) for the convolutional, transformer and (with cuDNN 9.13 or later) recurrent
    networks, where it speeds up training, and in float32 everywhere else (the
    multi-layer perceptrons, the CPU, GPUs that only emulate bfloat16). If the first
    epoch's loss in bfloat16 is not finite, an 'auto' fit starts again in float32 with a
    warning. ``precision_`` records what the fit used.

compile : bool, default=False
    Train through ``torch.compile`` (a one-off compilation cost per fit).

cuda_graph : 'auto' or bool, default='auto'
    On CUDA, record the whole training step (gather of the batch, forward, loss,
    backward, optimizer update) once in a CUDA graph and replay it for every full batch,
    which removes most of the per-step overhead of small networks. 'auto' does so when
    the fit allows it (solver 'adam' or 'adamw', inputs of one shape, not 'fp16', not
    ``compile``, no callback that runs per batch, data on the device) and otherwise
    trains eagerly, saying why when ``verbose``; True raises a ValueError when it cannot;
    False always trains eagerly. The last partial batch of each epoch runs eagerly, so
    results match eager training up to floating-point rounding. The first replays are
    checked against the eager step on the same batch; on a mismatch, or an error while
    recording, the fit goes on eagerly with a warning. ``cuda_graph_`` tells whether the
    last fit was captured.

stream_data : 'auto' or bool, default='auto'
    Leave the training data in host memory and send it to the device one batch at a
    time (the next batch is read, and on CUDA copied from pinned memory, while the
    current one trains), instead of moving the whole training set to the device. 'auto'
    streams a NumPy memory map (``np.load(..., mmap_mode='r')`` or ``np.memmap``), which
    then trains without being read into memory whole, and data larger than half the free
    memory of a CUDA device.

checkpoint : str, path or None, default=None
    File to which the training state is saved after every epoch: the last epoch's full
    state (to resume from) and the best epoch's weights, in sknn's model file format
    (safetensors and JSON; nothing pickled). Its folder must exist.

resume_from : str, path or None, default=None
    Checkpoint file (written by ``checkpoint``) to resume from: ``fit`` restores its
    weights, optimizer state, bookkeeping and random streams and runs the remaining
    epochs up to ``max_iter`` (none when the checkpoint already has them: the fit is then
    the checkpoint's, with a warning if it trained more than ``max_iter``). The other
    parameters must be the checkpointed fit's, but for where, how long and how verbosely
    it runs (``max_iter``, ``verbose``, ``device``, ``precision``, ...): a ``ValueError``
    names those that differ. The first ``partial_fit`` call of an unfitted estimator
    resumes too, and trains its one epoch as the next call of the interrupted loop would;
    later calls, and ``warm_start`` fits of a fitted model, continue from memory. The
    same file as ``checkpoint`` makes a restartable job: while the file does not exist the
    fit starts from scratch (any other missing file is a ``FileNotFoundError``).
""",
    "scoring_parameter": """
scoring : {'loss'} or None, default=None
    What ``early_stopping`` monitors on the validation set: None is scikit-learn's choice,
    the estimator's ``score`` (accuracy for classifiers, R^2 for regressors); 'loss' is
    the validation loss (the training loss without its penalty and label smoothing), as
    ``scoring='loss'`` in scikit-learn's HistGradientBoosting. Accuracy barely moves on
    imbalanced classes, where 'loss' keeps improving for as long as the predicted
    probabilities do. With 'loss', ``validation_scores_`` holds minus the loss.
""",
    "tabular_parameters": """
categorical_features : array-like of {bool, int, str}, 'from_dtype' or None, \
        default=None
    The categorical columns of X, as in scikit-learn's HistGradientBoosting: None (every
    column is numeric, scikit-learn's MLP), a boolean mask, integer indices, column names
    (X must then have them), or 'from_dtype': the DataFrame columns of pandas' category
    dtype and (unlike HistGradientBoosting, which cannot read them) of object and string
    dtype; an object column whose values are all numbers (missing values aside) is
    numeric, read as floats. Each categorical column is looked up in a learned embedding table (see
    ``embedding_dims``); its values may be strings or numbers. A missing value (None, NaN,
    ``pd.NA``) has a vector of its own; a category not seen in training (at predict time,
    or in a later ``partial_fit`` or warm-started ``fit``) maps to one shared unknown
    vector. Sparse X is refused when categorical columns are named.

embedding_dims : 'auto', int, list of int or dict, default='auto'
    The width of each categorical column's embedding. 'auto' is
    ``min(50, round(1.6 * n_categories ** 0.56))`` (at least 1) for a column with
    ``n_categories`` distinct values in training (fastai's rule, capped); an int sets
    every width; a list gives one per categorical column in order; a dict maps column
    names or indices to widths, the others staying 'auto'.

min_frequency : int, float or None, default=None
    Categories seen fewer times than this in training get no vector of their own: they
    share the unknown category's, which they then train (so that an unseen category maps
    to what rare ones look like, not to an untrained vector). An int counts rows; a float
    in (0, 1) is a fraction of the training rows; None gives every category seen its own
    vector. As ``min_frequency`` in scikit-learn's ``OneHotEncoder``.

numeric_embedding : {'periodic', 'piecewise_linear'} or None, default=None
    Embed each numeric column before the hidden layers (Gorishniy et al., 2022):
    'periodic' as ``ReLU(Linear([cos(2 pi c x), sin(2 pi c x)]))`` with 48 trained
    frequencies ``c`` per column (scale the columns first: ``numeric_scaling``);
    'piecewise_linear' as a piecewise-linear encoding over up to 48 quantile bins of the
    training values, then ``ReLU(Linear(.))``; both give 24 values per column. None feeds
    the numeric columns to the first layer as they are.

numeric_scaling : {'robust'} or None, default=None
    Scale the numeric columns inside the estimator: 'robust' subtracts the training
    median, divides by the interquartile range (half the range where that is 0), clips
    smoothly into (-3, 3) with ``x / sqrt(1 + (x / 3) ** 2)`` (RealMLP's preprocessing,
    Holzmuller et al., 2024) and sets missing numeric values to the median (0). None
    takes the columns as they are (scale them first, and impute: NaN is refused).
""",
    "tabular_attributes": """
is_categorical_ : ndarray of shape (n_features_in_,) or None
    Mask of the categorical columns; None when there are none. Only when fitted with
    ``categorical_features``, ``numeric_embedding`` or ``numeric_scaling``.

categories_ : list of ndarray
    The categories of each categorical column that have a vector of their own (those
    seen in training, at least ``min_frequency`` times), sorted (numbers keep their
    dtype; strings are an object array); a missing value is not a category.

embedding_dims_ : list of int
    The embedding width of each categorical column.

embeddings_ : list of ndarray
    The learned vectors of each categorical column, shape
    ``(len(categories_[i]), embedding_dims_[i])``, rows in the order of ``categories_[i]``:
    features for other models. (Rows 0 and 1 of ``module_.categorical_embeddings.tables[i]``
    are the missing value's and the unknown category's vectors.)
""",
    "training_attributes": """
loss_ : float
    The loss of the last epoch, penalties (``alpha``, ``l1``) included: as scikit-learn
    computes it, each batch's loss plus its penalty at the weights the batch was
    evaluated on, averaged over the epoch's rows.

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

cuda_graph_ : bool
    Whether the last fit's training step was captured in a CUDA graph (see
    ``cuda_graph``).

precision_ : str
    The precision the last fit trained in: ``precision`` with 'auto' resolved for the
    device, and 'float32' after a fallback from bfloat16 (see ``precision``).

module_ : torch.nn.Module
    The fitted network.

history_ : skorch.History
    Per-epoch records of the last fit, a list of dicts (``pd.DataFrame(est.history_)``
    makes a table): ``epoch``, ``train_loss``, ``valid_loss`` and ``valid_score`` (with
    early stopping), ``lr``, ``dur`` (seconds) and ``best``.

init_scores_ : list of float
    With ``n_init > 1``: each run's best validation score, or without early stopping the
    negated loss of the network it kept (as ``predict`` uses it) on up to 1,024 training
    rows, evenly spaced (higher is better; a NaN score ranks last).

best_init_ : int
    With ``n_init > 1``: the index of the chosen run.

runs_ : list of estimators or None
    With ``n_init > 1`` (or an ``n_init='auto'`` resolved so) and
    ``ensemble='average'``: the fitted runs. The estimator's other fitted attributes
    (``module_``, ``loss_curve_``, ``n_iter_``, ...) are those of run ``best_init_``; the
    predictions average every run, and ``partial_fit`` continues each.
""",
    "mlp_weight_attributes": """
coefs_ : list of ndarray
    The ith element is the weight matrix between layer i and i + 1 (float32), of shape
    ``(units_i, units_i+1)``: scikit-learn's forward pass over ``coefs_`` and
    ``intercepts_`` computes what :meth:`predict` does. With ``batch_norm=True`` each
    hidden layer's batch normalisation is folded in as it runs at predict time (running
    mean and variance, then scale and shift), so these are not the parameters of
    ``module_``'s linear layers, which ``alpha`` penalises. On the table path
    (``categorical_features``, ``numeric_embedding`` or ``numeric_scaling``) the rows of
    ``coefs_[0]`` are the inputs of the first linear layer, not the ``n_features_in_``
    columns of X: the numeric columns first (one row each, or 24 each with a
    ``numeric_embedding``), then ``embedding_dims_[i]`` rows for each categorical column,
    in the order of ``categories_``. With ``ensemble='average'``, run ``best_init_``'s
    (see ``runs_``).

intercepts_ : list of ndarray
    The ith element is the bias vector of layer i + 1 (float32), batch normalisation
    folded in as in ``coefs_``.
""",
}


def _with_class_defaults(text, cls):
    """Rewrite each ``name : type, default=value`` line to the class's own default."""
    defaults = {
        name: param.default
        for name, param in inspect.signature(cls.__init__).parameters.items()
        if param.default is not inspect.Parameter.empty
    }

    def fix(match):
        name, documented = match.group(1), match.group(2)
        if name not in defaults:
            return match.group(0)
        try:
            same = ast.literal_eval(documented) == defaults[name]
        except (ValueError, SyntaxError):
            same = False
        return (
            match.group(0)
            if same
            else match.group(0).replace("default=" + documented, "default=" + repr(defaults[name]))
        )

    return re.sub(r"^(\w+) : .*?default=([^\s\\]+)", fix, text, flags=re.MULTILINE)


def fill_doc(cls):
    """Class decorator substituting the shared parameter docs into ``cls.__doc__``.

    The shared texts state the base's defaults; where the class's signature differs (a
    transformer's ``solver='adamw'``, say), the documented default is rewritten to match.
    A class attribute ``_parameter_docs`` (parameter name -> its entry) replaces the
    shared entry of a parameter whose meaning the class extends.
    """
    doc = cls.__doc__
    overrides = getattr(cls, "_parameter_docs", {})
    for key, text in _DOCS.items():
        text = _with_class_defaults(text, cls)
        for name, entry in overrides.items():
            # The class's own entry for a shared parameter, up to the blank line after it.
            text = re.sub(
                rf"^{name} : .*?\n(?=\n|\Z)",
                lambda match, entry=entry: entry.strip("\n") + "\n",
                text,
                flags=re.MULTILINE | re.DOTALL,
            )
        marker = "%(" + key + ")s"
        if marker in doc:
            line = next(ln for ln in doc.splitlines() if marker in ln)
            indent = line[: len(line) - len(line.lstrip())]
            doc = doc.replace(line, textwrap.indent(text.strip("\n"), indent))
    cls.__doc__ = doc
    return cls
