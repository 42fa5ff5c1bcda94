"""Multi-layer perceptrons: drop-ins for scikit-learn's MLPClassifier and MLPRegressor."""

from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from sknn._constraints import Count, positive_sizes
from sknn._docstrings import fill_doc
from sknn.base import BaseNeuralNet, NeuralNetClassifierMixin, NeuralNetRegressorMixin
from sknn.data.numeric import to_float32
from sknn.engine.data import is_memory_mapped
from sknn.modules.mlp import ACTIVATIONS, INITIALIZERS, MLPModule


class _BaseMLP(BaseNeuralNet):
    """What the two MLP estimators share: 2-D input, dense or sparse, and the fully
    connected module."""

    _parameter_constraints: dict = {
        **BaseNeuralNet._parameter_constraints,
        "hidden_layer_sizes": ["array-like", Count(1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batch_norm": ["boolean"],
        "init": [StrOptions(set(INITIALIZERS))],
    }

    def _hidden_sizes(self):
        return list(
            positive_sizes(self.hidden_layer_sizes, "hidden_layer_sizes", allow_empty=True)
        )

    def _validate_X_y(self, X, y, reset):
        self._hidden_sizes()
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            multi_output=True,
            y_numeric=not hasattr(self, "predict_proba"),
            dtype=(np.float32, np.float64),
            reset=reset,
        )
        if not is_memory_mapped(X):  # a memory map streams, cast batch by batch
            X = to_float32(X, validated=True)
        return X, self._validate_targets(y)

    def _graph_blocker(self):
        return None  # fixed-width rows: every full batch has one shape

    def _validate_X(self, X):
        X = validate_data(
            self, X, accept_sparse="csr", dtype=(np.float32, np.float64), reset=False
        )
        return to_float32(X, validated=True)

    def _validation_batch_size(self, batch_size):
        # Rows of a table are small: score the validation set in few large passes.
        return max(batch_size, 4096)

    def _build_module(self, X, n_outputs):
        return MLPModule(
            X.shape[1],
            self._hidden_sizes(),
            n_outputs,
            activation=self.activation,
            dropout=self.dropout,
            batch_norm=self.batch_norm,
            init=self.init,
            sparse_input=sp.issparse(X),
        )

    def _module_sizes(self):
        return {
            "hidden_layer_sizes": self.hidden_layer_sizes,
            "n_features_in_": self.n_features_in_,
        }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    @property
    def n_layers_(self):
        """Number of layers, input and output included."""
        check_is_fitted(self)
        return len(self.net_.module_.linear_layers()) + 1

    @property
    def coefs_(self):
        """Weight matrices as NumPy arrays; element i has shape (units_i, units_i+1)."""
        check_is_fitted(self)
        return [
            layer.weight.detach().cpu().numpy().T.copy()
            for layer in self.net_.module_.linear_layers()
        ]

    @property
    def intercepts_(self):
        """Bias vectors as NumPy arrays; element i has shape (units_i+1,)."""
        check_is_fitted(self)
        return [
            layer.bias.detach().cpu().numpy().copy() for layer in self.net_.module_.linear_layers()
        ]


@fill_doc
class MLPClassifier(NeuralNetClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier, on the GPU when there is one.

    A drop-in for :class:`sklearn.neural_network.MLPClassifier`: the same parameters
    with the same names, defaults and meanings, the same fitted attributes, and the same
    stopping rule, early stopping, ``partial_fit`` and ``warm_start`` semantics; trained
    with PyTorch on ``device`` and extended with dropout, batch normalisation, more
    activations and optimizers, weight initialisations and class weights.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of neurons in the ith hidden layer.

    activation : str, default='relu'
        Hidden-layer activation: scikit-learn's 'identity', 'logistic', 'tanh', 'relu',
        and 'gelu', 'leaky_relu', 'elu', 'silu', 'softplus'.

    %(training_parameters)s

    dropout : float, default=0.0
        Dropout probability after each hidden layer.

    batch_norm : bool, default=False
        Batch normalisation before each hidden activation.

    init : {'glorot', 'he'}, default='glorot'
        Weight initialisation: 'glorot' is scikit-learn's uniform Glorot scheme, 'he'
        Kaiming's for ReLU-like activations.

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes in the loss, as in scikit-learn's linear models; multiplied
        with ``sample_weight``.

    label_smoothing : float, default=0.0
        Label smoothing of the classification loss: the target puts
        ``1 - label_smoothing`` on the true class and spreads the rest uniformly.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray of shape (n_classes,)
        Class labels, in the order of :meth:`predict_proba`'s columns.

    %(training_attributes)s

    coefs_ : list of ndarray
        The ith element is the weight matrix between layer i and i + 1 (float32).

    intercepts_ : list of ndarray
        The ith element is the bias vector of layer i + 1 (float32).

    n_layers_ : int
        Number of layers.

    See Also
    --------
    MLPRegressor : Multi-layer perceptron regressor.
    sklearn.neural_network.MLPClassifier : The CPU implementation this mirrors.

    Notes
    -----
    Training runs in float32. Data are moved to the device once per fit and batched by
    index there. Models fitted on a GPU pickle and load on machines without one (with a
    warning), and then predict on the CPU.

    X may be a scipy sparse matrix or array (CSR or CSC) wherever it is taken: it is
    trained on and predicted from as sparse, batch by batch, and never densified.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sknn import MLPClassifier
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> clf = MLPClassifier(max_iter=50, random_state=0, device="cpu").fit(X, y)
    >>> clf.predict_proba(X[:1]).shape
    (1, 2)
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        weight_decay=0.0,
        device="auto",
        callbacks=None,
        warmup=0,
        min_lr=0.0,
        l1=0.0,
        grad_clip=None,
        n_init=1,
        ensemble="best",
        precision="float32",
        compile=False,
        cuda_graph="auto",
        stream_data="auto",
        checkpoint=None,
        resume_from=None,
        dropout=0.0,
        batch_norm=False,
        init="glorot",
        class_weight=None,
        label_smoothing=0.0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.weight_decay = weight_decay
        self.device = device
        self.callbacks = callbacks
        self.warmup = warmup
        self.min_lr = min_lr
        self.l1 = l1
        self.grad_clip = grad_clip
        self.n_init = n_init
        self.ensemble = ensemble
        self.precision = precision
        self.compile = compile
        self.cuda_graph = cuda_graph
        self.stream_data = stream_data
        self.checkpoint = checkpoint
        self.resume_from = resume_from
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.init = init
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing

    _parameter_constraints: dict = {
        **_BaseMLP._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    }


@fill_doc
class MLPRegressor(NeuralNetRegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor, on the GPU when there is one.

    A drop-in for :class:`sklearn.neural_network.MLPRegressor`: the same parameters with
    the same names, defaults and meanings (the first positional parameter is ``loss``), the
    same fitted attributes and training semantics; trained with PyTorch on ``device``.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        'squared_error' is half the squared error with an identity output; 'poisson' is half
        the Poisson deviance with an exponential output (y must be non-negative).

    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of neurons in the ith hidden layer.

    activation : str, default='relu'
        Hidden-layer activation: scikit-learn's 'identity', 'logistic', 'tanh', 'relu',
        and 'gelu', 'leaky_relu', 'elu', 'silu', 'softplus'.

    %(training_parameters)s

    dropout : float, default=0.0
        Dropout probability after each hidden layer.

    batch_norm : bool, default=False
        Batch normalisation before each hidden activation.

    init : {'glorot', 'he'}, default='glorot'
        Weight initialisation of the linear layers.

    Attributes
    ----------
    %(training_attributes)s

    coefs_ : list of ndarray
        The ith element is the weight matrix between layer i and i + 1 (float32).

    intercepts_ : list of ndarray
        The ith element is the bias vector of layer i + 1 (float32).

    n_layers_ : int
        Number of layers.

    See Also
    --------
    MLPClassifier : Multi-layer perceptron classifier.
    sklearn.neural_network.MLPRegressor : The CPU implementation this mirrors.

    Notes
    -----
    Training runs in float32. X may be a scipy sparse matrix or array (CSR or CSC)
    wherever it is taken: it is trained on and predicted from as sparse, batch by batch,
    and never densified.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sknn import MLPRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1, random_state=0)
    >>> reg = MLPRegressor(max_iter=300, learning_rate_init=0.01, random_state=0,
    ...                    device="cpu").fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    >>> bool(reg.score(X, y) > 0.9)
    True
    """

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        weight_decay=0.0,
        device="auto",
        callbacks=None,
        warmup=0,
        min_lr=0.0,
        l1=0.0,
        grad_clip=None,
        n_init=1,
        ensemble="best",
        precision="float32",
        compile=False,
        cuda_graph="auto",
        stream_data="auto",
        checkpoint=None,
        resume_from=None,
        dropout=0.0,
        batch_norm=False,
        init="glorot",
    ):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.weight_decay = weight_decay
        self.device = device
        self.callbacks = callbacks
        self.warmup = warmup
        self.min_lr = min_lr
        self.l1 = l1
        self.grad_clip = grad_clip
        self.n_init = n_init
        self.ensemble = ensemble
        self.precision = precision
        self.compile = compile
        self.cuda_graph = cuda_graph
        self.stream_data = stream_data
        self.checkpoint = checkpoint
        self.resume_from = resume_from
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.init = init

    _parameter_constraints: dict = {
        **_BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }
