"""Ready parameter distributions for ``RandomizedSearchCV``, from ranges known to work.

Where each range comes from:

- learning rate 1e-5 to 1e-3, log-uniform: the fine-tuning range of Devlin et al. (2019,
  BERT: 2e-5 to 5e-5) widened to Adam's usual default of 1e-3 for networks trained from
  scratch (Kingma & Ba, 2015); searched on a log scale as Bergstra & Bengio (2012) advise.
- batch size 8 to 64 for small data: Devlin et al. (16, 32) and Masters & Luschi (2018),
  who find small batches generalise best.
- dropout 0.1 to 0.3: Vaswani et al. (2017) use 0.1, Srivastava et al. (2014) up to 0.5
  for wide layers; 0.3 keeps small networks trainable.
- weight decay 0.01 to 0.1 with AdamW: Loshchilov & Hutter (2019); 0.01 is BERT's value.
- warm-up 6 to 10 % of the steps: Liu et al. (2019, RoBERTa: 6 %) and Devlin et al. (10 %).
- label smoothing 0 to 0.1: Szegedy et al. (2016) and Vaswani et al. (2017) use 0.1.
- gradient clipping 0.5 to 2.0 (global norm): Pascanu et al. (2013); 1.0 is the common
  default of transformer training recipes.
"""

from scipy.stats import loguniform, uniform

from sknn.base import BaseNeuralNet, NeuralNetClassifierMixin

#: The parameters of ``MLPClassifier.tabular()`` and ``MLPRegressor.tabular()``: sknn's
#: MLP for tables of numeric and categorical columns, chosen from the measurements of
#: ``benchmarks/tune_tabular_preset.py`` (see the user guide, "Categorical and numeric
#: features", for what they were chosen on).
TABULAR_PRESET = {
    "hidden_layer_sizes": (256, 256),
    "batch_size": 256,
    "learning_rate_init": 1e-3,
    "max_iter": 100,
    "early_stopping": True,
    "scoring": "loss",
    "n_iter_no_change": 5,
    "categorical_features": "from_dtype",
    "min_frequency": 5,
    "numeric_scaling": "robust",
    "numeric_embedding": "piecewise_linear",
}

#: The parameters of ``tabular(fast=True)``: the preset's input handling with a training
#: budget about ten times smaller (two hidden layers of 64, embeddings 16 wide, batches of
#: 2,048 at 0.01 under a cosine schedule, 6 epochs, no validation split, no numeric
#: embedding), chosen with ``benchmarks/tune_tabular_preset.py`` on the same four tables
#: as :data:`TABULAR_PRESET` (the user guide has the figures).
TABULAR_FAST_PRESET = {
    **TABULAR_PRESET,
    "hidden_layer_sizes": (64, 64),
    "batch_size": 2048,
    "learning_rate_init": 1e-2,
    "learning_rate": "cosine",
    "max_iter": 6,
    "early_stopping": False,
    "numeric_embedding": None,
    "embedding_dims": 16,
}


def _common():
    return {
        "learning_rate_init": loguniform(1e-5, 1e-3),
        "batch_size": [8, 16, 32, 64],
        "weight_decay": loguniform(0.01, 0.1),
        "warmup": uniform(0.06, 0.04),
        "grad_clip": uniform(0.5, 1.5),
    }


#: Estimator class name -> its own extra distributions.
_EXTRA = {
    "MLPClassifier": lambda: {
        "hidden_layer_sizes": [(64,), (128,), (256,), (128, 64), (256, 128)],
        "dropout": uniform(0.1, 0.2),
        "alpha": loguniform(1e-5, 1e-2),
    },
    "MLPRegressor": lambda: {
        "hidden_layer_sizes": [(64,), (128,), (256,), (128, 64), (256, 128)],
        "dropout": uniform(0.1, 0.2),
        "alpha": loguniform(1e-5, 1e-2),
    },
}


def param_distributions(estimator, *, prefix=""):
    """Parameter distributions for searching ``estimator`` with ``RandomizedSearchCV``.

    The shared training ranges (learning rate, batch size, decoupled weight decay with
    ``solver='adamw'``, warm-up, gradient clipping, label smoothing for classifiers) and
    the estimator's own, restricted to the parameters it has. Sources are listed in this
    module's documentation.

    Parameters
    ----------
    estimator : sknn network estimator
        The estimator to search (an instance); for one inside a ``Pipeline``, the step
        itself, with ``prefix``.
    prefix : str, default=""
        Prepended to every name, e.g. ``"mlpclassifier__"`` inside a ``Pipeline``.

    Returns
    -------
    dict
        Parameter name -> a list or a ``scipy.stats`` distribution.

    Raises
    ------
    TypeError
        If ``estimator`` is not a network estimator (a ``Pipeline``, ``Word2Vec``), or is
        a class rather than an instance.

    Examples
    --------
    >>> from sknn import MLPClassifier
    >>> from sknn.search_spaces import param_distributions
    >>> space = param_distributions(MLPClassifier())
    >>> sorted(space)[:4]
    ['alpha', 'batch_size', 'dropout', 'grad_clip']
    >>> space["solver"]
    ['adamw']
    """
    if isinstance(estimator, type):
        raise TypeError(
            f"param_distributions takes an estimator instance, got the class "
            f"{estimator.__name__}: pass {estimator.__name__}() instead."
        )
    if not isinstance(estimator, BaseNeuralNet):
        # A Pipeline or another wrapper has none of these parameters itself: an empty
        # space would search nothing without a word.
        raise TypeError(
            "param_distributions takes one of sknn's network estimators (MLPClassifier, "
            "MLPRegressor, ConvNetClassifier, SequenceClassifier, SequenceRegressor, "
            f"TransformerClassifier), got {type(estimator).__name__}. For a network inside "
            "a Pipeline, pass the step and its prefix: param_distributions(pipe[-1], "
            "prefix='mlpclassifier__')."
        )
    space = _common()
    space["solver"] = ["adamw"]
    if isinstance(estimator, NeuralNetClassifierMixin):
        space["label_smoothing"] = uniform(0.0, 0.1)
    space.update(_EXTRA.get(type(estimator).__name__, dict)())
    params = estimator.get_params(deep=False)
    return {prefix + name: dist for name, dist in space.items() if name in params}
