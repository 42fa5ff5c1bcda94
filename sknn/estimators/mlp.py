"""Multi-layer perceptrons: drop-ins for scikit-learn's MLPClassifier and MLPRegressor."""

import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_y,
    check_array,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from sknn._constraints import Count, positive_sizes
from sknn._docstrings import fill_doc
from sknn._stacklevel import stacklevel_outside_sknn
from sknn.base import BaseNeuralNet, NeuralNetClassifierMixin, NeuralNetRegressorMixin
from sknn.data import tabular
from sknn.data.numeric import check_float32_range, to_float32
from sknn.engine.data import is_memory_mapped
from sknn.engine.losses import LOSSES
from sknn.modules.mlp import ACTIVATIONS, INITIALIZERS, MLPModule
from sknn.modules.tabular import N_RESERVED_CODES, NUMERIC_EMBEDDINGS, TabularMLPModule
from sknn.search_spaces import TABULAR_FAST_PRESET, TABULAR_PRESET

#: The parameters that say how a table's columns reach the network.
TABULAR_PARAMETERS = (
    "categorical_features",
    "embedding_dims",
    "min_frequency",
    "numeric_embedding",
    "numeric_scaling",
)

#: Their defaults: the input of scikit-learn's MLP, a numeric matrix as it is.
_PLAIN_INPUT = {
    "categorical_features": None,
    "embedding_dims": "auto",
    "min_frequency": None,
    "numeric_embedding": None,
    "numeric_scaling": None,
}


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
        "categorical_features": ["array-like", StrOptions({"from_dtype"}), None],
        "embedding_dims": [
            StrOptions({"auto"}),
            Count(1, None, closed="left"),  # True is no width
            dict,
            list,
            tuple,
        ],
        "min_frequency": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="neither"),
            None,
        ],
        "numeric_embedding": [StrOptions(set(NUMERIC_EMBEDDINGS)), None],
        "numeric_scaling": [StrOptions({"robust"}), None],
        "scoring": [StrOptions({"loss"}), None],
    }

    @classmethod
    def tabular(cls, *, fast=False, **params):
        """The estimator with sknn's preset for tables of numeric and categorical columns.

        The preset (:data:`sknn.search_spaces.TABULAR_PRESET`) embeds the categorical
        columns ('from_dtype': pandas category columns, object columns that are not all
        numbers, and string columns), scales the numeric ones robustly and embeds them
        piecewise-linearly, and trains two hidden layers of 256 with early stopping; a raw
        DataFrame goes straight in. The
        constructor's own defaults stay scikit-learn's.

        ``fast=True`` (:data:`sknn.search_spaces.TABULAR_FAST_PRESET`) keeps the input
        handling and trains for a fixed budget about ten times smaller: two hidden layers
        of 64, embeddings 16 wide, no numeric embedding, batches of 2,048 at 0.01 under a
        cosine schedule for 6 epochs, no validation split. It gives up some accuracy on
        some tables (see the user guide) and is meant for tables of tens of thousands of
        rows and more: on a few thousand, 6 epochs of such batches are a dozen steps, too
        few to learn much (the fit warns under 50).
        Ending its 6 epochs raises scikit-learn's ``ConvergenceWarning``, as every fit
        that uses up ``max_iter`` does.

        Parameters
        ----------
        fast : bool, default=False
            Take the fast preset instead of the default one.
        **params
            Parameters that override the preset's or set others (``random_state``,
            ``categorical_features``, ...).

        Returns
        -------
        estimator : the estimator's class
            An unfitted estimator, an ordinary instance (``clone`` and ``get_params`` as
            usual).

        Examples
        --------
        >>> from sknn import MLPRegressor
        >>> reg = MLPRegressor.tabular(random_state=0)
        >>> reg.categorical_features, reg.numeric_embedding, reg.early_stopping
        ('from_dtype', 'piecewise_linear', True)
        >>> fast = MLPRegressor.tabular(fast=True, random_state=0)
        >>> fast.hidden_layer_sizes, fast.max_iter, fast.learning_rate
        ((64, 64), 6, 'cosine')
        """
        if not isinstance(fast, (bool, np.bool_)):
            raise TypeError(f"fast must be True or False, got {fast!r}.")
        preset = TABULAR_FAST_PRESET if fast else TABULAR_PRESET
        return cls(**{**preset, **params})

    def _hidden_sizes(self):
        return list(
            positive_sizes(self.hidden_layer_sizes, "hidden_layer_sizes", allow_empty=True)
        )

    def _validate_X_y(self, X, y, reset, sample_weight=None):
        self._hidden_sizes()
        tabular.check_no_time_columns(X)
        if reset:
            X, mask = self._resolve_table(X)
            self._tabular_input = mask is not None or self._transforms_numeric()
            self._tabular_params = _comparable(self._tabular_parameter_values())
            if not self._tabular_input:
                self._record_no_categorical_features()
        else:
            self._check_same_input()
        if getattr(self, "_tabular_input", False):
            X = self._as_checked_table(X, reset, y)
            y = _check_y(
                y, multi_output=True, y_numeric=not hasattr(self, "predict_proba"), estimator=self
            )
            check_consistent_length(X, y)
            return self._encode_table(X, reset=reset, mask=mask if reset else None), (
                self._validate_targets(y)
            )
        try:
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
        except ValueError as error:
            _explain_text_columns(X, error, self.categorical_features, reset)
            raise
        if not is_memory_mapped(X):
            X = to_float32(X, validated=True)
        elif not sp.issparse(X):  # a memory map streams, cast batch by batch
            check_float32_range(X)
        return X, self._validate_targets(y)

    # -- tables of numeric and categorical columns -----------------------------------------
    def _transforms_numeric(self):
        return self.numeric_embedding is not None or self.numeric_scaling is not None

    def _dense_only(self):
        """Whether these parameters always take the table path, which needs dense input."""
        explicit = self.categorical_features is not None and not (
            isinstance(self.categorical_features, str)
            and self.categorical_features == "from_dtype"
        )
        return explicit or self._transforms_numeric()

    def _tabular_parameter_values(self):
        return {name: getattr(self, name) for name in TABULAR_PARAMETERS}

    def _check_same_input(self):
        """warm_start and partial_fit keep the fitted encoding of the columns: refuse
        parameters that now ask for another one (as for a different network)."""
        fitted = getattr(self, "_tabular_params", _PLAIN_INPUT)
        now = _comparable(self._tabular_parameter_values())
        changed = [
            f"{name}={now[name]!r} (fitted with {fitted[name]!r})"
            for name in TABULAR_PARAMETERS
            if now[name] != fitted[name]
        ]
        if changed:
            raise ValueError(
                "warm_start=True and partial_fit continue training the fitted network, but "
                "the parameters now describe a different network: "
                + ", ".join(changed)
                + ". Fit with warm_start=False to train the new network, or set the "
                "parameters back."
            )

    def _resolve_table(self, X):
        """At fit: X ready for column access, and the mask of its categorical columns."""
        if self.categorical_features is None and not self._transforms_numeric():
            return X, None
        X = _as_table(X, self)
        mask = tabular.categorical_mask(X, self.categorical_features)
        return X, mask

    def _record_no_categorical_features(self):
        """A fit on the plain path: with ``categorical_features`` set ('from_dtype' that
        found no such column) the categorical attributes say there are none, as
        HistGradientBoosting's ``is_categorical_`` is None then; with None they are absent,
        as on scikit-learn's MLP (also after an earlier fit that had them)."""
        if self.categorical_features is None:
            for name in ("is_categorical_", "categories_", "embedding_dims_"):
                self.__dict__.pop(name, None)
        else:
            self.is_categorical_ = None
            self.categories_ = []
            self.embedding_dims_ = []

    def _as_checked_table(self, X, reset, y="no_validation"):
        """X ready for column access, its shape and feature names checked (and recorded
        when ``reset``), as ``validate_data`` does on the plain path."""
        if sp.issparse(X):
            raise TypeError(
                "Sparse data was passed for X, but categorical_features, numeric_embedding "
                "and numeric_scaling need dense data: pass a dense array or a DataFrame, "
                "or leave these parameters at None to train on the sparse matrix."
            )
        X = _as_table(X, self)
        validate_data(self, X, y, skip_check_array=True, reset=reset)
        return X

    def _encode_table(self, X, *, reset, mask=None):
        """A checked table -> ``{"numeric": float32 (n, d), "categorical": int64 (n, k)}``
        (each key only when there are such columns), fitting the encoding when ``reset``."""
        if reset:
            self.is_categorical_ = mask
        mask = self.is_categorical_
        if mask is None:
            mask = np.zeros(X.shape[1], dtype=bool)
        numeric, categorical = np.flatnonzero(~mask), np.flatnonzero(mask)
        out = {}
        if len(numeric):
            table = tabular.columns(X, numeric)
            try:
                out["numeric"] = self._encode_numeric(table, reset)
            except ValueError as error:
                # The numeric columns alone: those that hold text are named.
                _explain_text_columns(table, error, self.categorical_features, reset)
                raise
        if reset:
            fitted = [
                tabular.fit_encode_categories(
                    tabular.column_values(X, j),
                    self._feature_name(j),
                    min_count=self._min_count(len(X)),
                )
                for j in categorical
            ]
            self.categories_ = [categories for categories, _ in fitted]
            self.embedding_dims_ = self._resolve_embedding_dims(categorical)
            codes = [column_codes for _, column_codes in fitted]
        else:
            codes, problems = [], {}
            for j, categories in zip(categorical, self.categories_, strict=True):
                values = tabular.column_values(X, j)
                codes.append(tabular.encode_categories(values, categories, self._feature_name(j)))
                problem = tabular.unknown_values_problem(values, categories, codes[-1])
                if problem is not None:
                    problems.setdefault(problem, []).append(self._column_label(j))
            _warn_unknown_categories(problems)
        if len(categorical):
            out["categorical"] = np.stack(codes, axis=1)
        return out

    def _encode_numeric(self, X, reset):
        X = check_array(
            X,
            dtype=(np.float64, np.float32),
            ensure_all_finite="allow-nan" if self.numeric_scaling is not None else True,
            estimator=self,
            input_name="X",
        )
        if self.numeric_scaling == "robust":
            if reset:
                self._numeric_center, self._numeric_scale = tabular.fit_robust_scaling(X)
            X = tabular.robust_scale(X, self._numeric_center, self._numeric_scale)
        else:
            X = to_float32(X, validated=True)
        if reset and self.numeric_embedding == "piecewise_linear":
            self._numeric_bins = tabular.fit_bins(X)
        return np.ascontiguousarray(X)

    def _min_count(self, n_samples):
        """``min_frequency`` as a number of training rows."""
        if self.min_frequency is None:
            return 1
        if isinstance(self.min_frequency, Integral):
            return int(self.min_frequency)
        return self.min_frequency * n_samples

    def _feature_name(self, j):
        names = getattr(self, "feature_names_in_", None)
        return repr(str(names[j])) if names is not None else f"at index {j}"

    def _column_label(self, j):
        """Column ``j`` in a list of columns: its name when it has one, else its index."""
        names = getattr(self, "feature_names_in_", None)
        return str(names[j]) if names is not None else int(j)

    def _resolve_embedding_dims(self, categorical):
        """``embedding_dims`` -> the width of each categorical column's embedding."""
        dims = [tabular.default_embedding_dim(len(c)) for c in self.categories_]
        given = self.embedding_dims
        if isinstance(given, str):  # 'auto'
            return dims
        if isinstance(given, Integral):
            return [int(given)] * len(dims)
        if isinstance(given, (list, tuple)):
            if len(given) != len(dims):
                raise ValueError(
                    f"embedding_dims has {len(given)} entries, but X has {len(dims)} "
                    "categorical features: give one width per categorical feature, in order."
                )
            return [_embedding_width(v, f"embedding_dims[{i}]") for i, v in enumerate(given)]
        names = getattr(self, "feature_names_in_", None)
        position = {int(j): i for i, j in enumerate(categorical)}
        if names is not None:
            position.update({str(names[j]): i for i, j in enumerate(categorical)})
        named = {}  # position -> the key that gave its width
        for key, value in given.items():
            if isinstance(key, (Integral, str)) and not isinstance(key, bool) and key in position:
                if position[key] in named:
                    feature = self._feature_name(categorical[position[key]])
                    raise ValueError(
                        f"embedding_dims has the keys {named[position[key]]!r} and {key!r} "
                        f"for one categorical feature, {feature}: give it one width."
                    )
                named[position[key]] = key
                dims[position[key]] = _embedding_width(value, f"embedding_dims[{key!r}]")
            else:
                # Each column once, by its name when it has one (its index is a key too).
                known = [self._column_label(j) for j in categorical]
                raise ValueError(
                    f"embedding_dims has a key {key!r} that is not a categorical feature; "
                    f"the categorical features are {known}."
                )
        return dims

    def _graph_blocker(self):
        return None  # fixed-width rows: every full batch has one shape

    def _validate_X(self, X):
        tabular.check_no_time_columns(X)
        if getattr(self, "_tabular_input", False):
            # The columns encoded as the fit encoded them: a numeric_scaling set after fit
            # takes effect at the next fit.
            with self._swapped_params(getattr(self, "_tabular_params", {})):
                return self._encode_table(self._as_checked_table(X, reset=False), reset=False)
        X = validate_data(
            self, X, accept_sparse="csr", dtype=(np.float32, np.float64), reset=False
        )
        return to_float32(X, validated=True)

    def _validation_batch_size(self, batch_size):
        # Rows of a table are small: score the validation set in few large passes.
        return max(batch_size, 4096)

    def _build_module(self, X, n_outputs):
        layers = dict(
            hidden_layer_sizes=self._hidden_sizes(),
            n_outputs=n_outputs,
            activation=self.activation,
            dropout=self.dropout,
            batch_norm=self.batch_norm,
            init=self.init,
        )
        if isinstance(X, dict):
            return TabularMLPModule(
                X["numeric"].shape[1] if "numeric" in X else 0,
                [len(c) + N_RESERVED_CODES for c in self.categories_],
                self.embedding_dims_,
                numeric_embedding=self.numeric_embedding,
                numeric_bins=getattr(self, "_numeric_bins", None),
                **layers,
            )
        return MLPModule(X.shape[1], sparse_input=sp.issparse(X), **layers)

    def _module_sizes(self):
        sizes = {
            "hidden_layer_sizes": self.hidden_layer_sizes,
            "n_features_in_": self.n_features_in_,
        }
        if getattr(self, "_tabular_input", False):
            sizes["embedding_dims_"] = self.embedding_dims_
            sizes["categories"] = [len(c) for c in self.categories_]
        return sizes

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = not self._dense_only()
        tags.input_tags.categorical = self.categorical_features is not None
        # Missing values: imputed in numeric columns by numeric_scaling, a category of
        # their own in categorical columns.
        tags.input_tags.allow_nan = self.numeric_scaling is not None
        return tags

    @property
    def embeddings_(self):
        """The learned embedding of each category: element i has shape
        ``(len(categories_[i]), embedding_dims_[i])``, its rows in the order of
        ``categories_[i]`` (float32)."""
        check_is_fitted(self)
        embeddings = getattr(self.net_.module_, "categorical_embeddings", None)
        if embeddings is None:
            raise AttributeError(
                f"'{type(self).__name__}' object has no attribute 'embeddings_': it was "
                "fitted without categorical features."
            )
        return [
            table.weight.detach().cpu().numpy()[N_RESERVED_CODES:].copy()
            for table in embeddings.tables
        ]

    @property
    def n_layers_(self):
        """Number of layers, input and output included."""
        check_is_fitted(self)
        return len(self.net_.module_.linear_layers()) + 1

    @property
    def coefs_(self):
        """Weight matrices as NumPy arrays; element i has shape (units_i, units_i+1).

        With ``batch_norm=True`` each hidden layer's batch normalisation is folded in, as
        it runs at predict time, so that scikit-learn's forward pass over ``coefs_`` and
        ``intercepts_`` is the fitted network.
        """
        check_is_fitted(self)
        return [
            _read_only(weight.cpu().numpy().T.copy())
            for weight, _ in self.net_.module_.affine_layers()
        ]

    @coefs_.setter
    def coefs_(self, value):
        # The arrays read are copies of the network's weights, read-only so that an edit
        # in place fails loudly instead of changing nothing; assigning a list sets them.
        self._set_affine("coefs_", value, weights=True)

    @property
    def intercepts_(self):
        """Bias vectors as NumPy arrays; element i has shape (units_i+1,) (batch
        normalisation folded in, as in :attr:`coefs_`)."""
        check_is_fitted(self)
        return [
            _read_only(bias.cpu().numpy().copy()) for _, bias in self.net_.module_.affine_layers()
        ]

    @intercepts_.setter
    def intercepts_(self, value):
        self._set_affine("intercepts_", value, weights=False)

    def _set_affine(self, name, value, weights):
        """Copy ``value`` (a list of arrays in scikit-learn's layout) into the network's
        linear layers, as assigning scikit-learn's ``coefs_`` or ``intercepts_`` does."""
        check_is_fitted(self)
        module = self.net_.module_
        if any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in module.modules()):
            raise AttributeError(
                f"{name} cannot be set with batch_norm=True: it folds each hidden layer's "
                "batch normalisation into the linear layer before it, which cannot be "
                "unfolded. Set the weights of module_'s layers instead."
            )
        if getattr(self, "runs_", None):
            raise AttributeError(
                f"{name} cannot be set on an ensemble (n_init > 1, ensemble='average'): "
                f"predict averages every run, and {name} is run best_init_'s."
            )
        layers = module.linear_layers()
        current = self.coefs_ if weights else self.intercepts_
        arrays = list(value)
        if len(arrays) != len(layers) or any(
            np.shape(a) != c.shape for a, c in zip(arrays, current, strict=False)
        ):
            raise ValueError(
                f"{name} must be a list of {len(layers)} arrays of shapes "
                f"{[c.shape for c in current]}; got shapes {[np.shape(a) for a in arrays]}."
            )
        with torch.no_grad():
            for layer, array in zip(layers, arrays, strict=True):
                target = layer.weight if weights else layer.bias
                array = np.asarray(array, dtype=np.float32)
                target.copy_(torch.as_tensor(array.T if weights else array))


def _read_only(array):
    array.setflags(write=False)
    return array


def _validation_loss(estimator, outputs, y_true, sample_weight):
    """Minus the mean loss of the validation outputs: the training loss without its
    penalty and label smoothing, weighted by ``sample_weight``; what ``scoring='loss'``
    stops on (higher is better, as for every validation score)."""
    kind = estimator.out_activation_
    if kind == "softmax":
        target = torch.as_tensor(np.searchsorted(estimator.classes_, y_true))
    elif kind == "logistic":
        target = torch.as_tensor(estimator._label_binarizer.transform(y_true), dtype=torch.float32)
    else:
        target = torch.as_tensor(np.reshape(y_true, (len(y_true), -1)), dtype=torch.float32)
    losses = LOSSES[kind](outputs.float().cpu(), target, 0.0).double().numpy()
    if not np.isfinite(losses).all():
        return np.nan  # a diverged network, as the other scores report it
    return -float(np.average(losses, weights=sample_weight))


def _as_table(X, estimator):
    """A DataFrame as it is; anything else as a 2-D NumPy array whose columns keep their
    values (strings stay strings), with scikit-learn's checks of shape and size."""
    if tabular.is_dataframe(X) or sp.issparse(X):
        if X.shape[0] < 1 or (X.ndim == 2 and X.shape[1] < 1):
            what = "sample(s)" if X.shape[0] < 1 else "feature(s)"
            count = X.shape[0] if X.shape[0] < 1 else X.shape[1]
            raise ValueError(
                f"Found array with {count} {what} (shape={X.shape}) while a minimum of 1 is "
                f"required by {type(estimator).__name__}."
            )
        return X
    dtype = None if isinstance(X, np.ndarray) and X.dtype.kind in "biufUO" else object
    return check_array(
        X, dtype=dtype, ensure_all_finite=False, estimator=estimator, input_name="X"
    )


def _warn_unknown_categories(problems):
    """Warn of the categorical columns whose values found no category by what looks like
    a mistake. ``problems`` maps each problem of
    :func:`sknn.data.tabular.unknown_values_problem` to the labels of its columns.
    scikit-learn's encoders warn of unknown categories too; unwarned, such a column is a
    silent loss of accuracy."""
    if "strings" in problems:
        warnings.warn(
            f"Categorical features {problems['strings']} of X hold values that are not "
            "numbers (strings, say), but their categories (categories_) are numbers: "
            "those values match no category and are encoded as unknown categories. Pass "
            "these columns with the dtype they had in training (a column of numbers read "
            "as text, for instance, needs converting back: X.astype({column: int})).",
            UserWarning,
            stacklevel=stacklevel_outside_sknn(),
        )
    if "numbers" in problems:
        warnings.warn(
            f"Found unknown categories in columns {problems['numbers']}: all their values "
            "are numbers, but the categories of these columns (categories_) are strings "
            "and none of them is the str() of a value, so every value is encoded as an "
            "unknown category. Pass these columns as they were in training.",
            UserWarning,
            stacklevel=stacklevel_outside_sknn(),
        )
    if "all" in problems:
        warnings.warn(
            f"Found unknown categories in columns {problems['all']}: none of their values "
            "is a category of categories_, so every value is encoded as an unknown "
            "category. Check that these columns hold the values they held in training.",
            UserWarning,
            stacklevel=stacklevel_outside_sknn(),
        )


def _embedding_width(value, where):
    if isinstance(value, Integral) and not isinstance(value, bool) and value >= 1:
        return int(value)
    raise ValueError(f"{where} must be an int >= 1, got {value!r}.")


def _comparable(value):
    """A parameter value as plain lists, dicts and scalars, to compare and store."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_comparable(v) for v in value]
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    return value


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
        with ``sample_weight``. ``partial_fit`` refuses 'balanced', as ``SGDClassifier``
        does. With ``early_stopping=True`` they also weight the validation score
        (``validation_scores_``, ``best_validation_score_``) that chooses the epoch kept,
        unlike ``SGDClassifier``, whose validation score takes ``sample_weight`` only.

    label_smoothing : float, default=0.0
        Label smoothing of the classification loss: the target puts
        ``1 - label_smoothing`` on the true class and spreads the rest uniformly.

    %(scoring_parameter)s

    %(tabular_parameters)s

    Attributes
    ----------
    classes_ : ndarray or list of ndarray of shape (n_classes,)
        Class labels, in the order of :meth:`predict_proba`'s columns.

    %(training_attributes)s

    %(tabular_attributes)s

    %(mlp_weight_attributes)s

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
        scoring=None,
        categorical_features=None,
        embedding_dims="auto",
        min_frequency=None,
        numeric_embedding=None,
        numeric_scaling=None,
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
        self.scoring = scoring
        self.categorical_features = categorical_features
        self.embedding_dims = embedding_dims
        self.min_frequency = min_frequency
        self.numeric_embedding = numeric_embedding
        self.numeric_scaling = numeric_scaling

    _parameter_constraints: dict = {
        **_BaseMLP._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    }

    def _score_outputs(self, outputs, y_true, sample_weight):
        if self.scoring == "loss":
            return _validation_loss(self, outputs, y_true, sample_weight)
        return super()._score_outputs(outputs, y_true, sample_weight)


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

    %(scoring_parameter)s

    %(tabular_parameters)s

    Attributes
    ----------
    %(training_attributes)s

    %(tabular_attributes)s

    %(mlp_weight_attributes)s

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
        scoring=None,
        categorical_features=None,
        embedding_dims="auto",
        min_frequency=None,
        numeric_embedding=None,
        numeric_scaling=None,
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
        self.scoring = scoring
        self.categorical_features = categorical_features
        self.embedding_dims = embedding_dims
        self.min_frequency = min_frequency
        self.numeric_embedding = numeric_embedding
        self.numeric_scaling = numeric_scaling

    _parameter_constraints: dict = {
        **_BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def _score_outputs(self, outputs, y_true, sample_weight):
        if self.scoring == "loss":
            return _validation_loss(self, outputs, y_true, sample_weight)
        return super()._score_outputs(outputs, y_true, sample_weight)


def _explain_text_columns(X, error, categorical_features, reset):
    """scikit-learn's "could not convert string to float" for a DataFrame with columns
    that ``categorical_features='from_dtype'`` would embed, naming them and what to do:
    raised from ``error``.

    At a first fit that is to set ``categorical_features='from_dtype'`` (unless it is
    set already); a continued fit (``warm_start``, ``partial_fit``) keeps the columns'
    fitted encoding, in which they were numeric, so only a new fit can embed them.
    """
    if not isinstance(X, pd.DataFrame) or "could not convert" not in str(error):
        return
    mask = tabular.categorical_mask(X, "from_dtype")
    if mask is None:
        return
    names = list(X.columns[mask])
    shown = tabular.shown_names(names)
    from_dtype = isinstance(categorical_features, str) and categorical_features == "from_dtype"
    if not reset:
        how = "" if from_dtype else " with categorical_features='from_dtype'"
        raise ValueError(
            f"{error}. Columns {shown} of X are not numeric, but were numeric when the "
            "model was first fitted: warm_start=True and partial_fit keep the fitted "
            "encoding of the columns, so they cannot become categorical now. Fit with "
            f"warm_start=False{how} to learn an embedding of their values, or pass them "
            "as numbers, as in the first fit."
        ) from error
    if not from_dtype:
        raise ValueError(
            f"{error}. Columns {shown} of X are not numeric: pass "
            "categorical_features='from_dtype' to learn an embedding of their values, or "
            "encode them first (OneHotEncoder, OrdinalEncoder)."
        ) from error
