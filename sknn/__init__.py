"""sknn: scikit-learn-compatible neural network estimators on PyTorch.

Importing sknn never touches CUDA: devices are resolved when an estimator is fitted.
"""

from sknn.base import FallbackWarning
from sknn.doctor import show_versions
from sknn.estimators.convnet import ConvNetClassifier
from sknn.estimators.mlp import MLPClassifier, MLPRegressor
from sknn.estimators.sequence import SequenceClassifier, SequenceRegressor
from sknn.estimators.transformer import TransformerClassifier
from sknn.persistence import get_untrusted_types, load, save
from sknn.word2vec import Word2Vec

__version__ = "0.1.0"

__all__ = [
    "ConvNetClassifier",
    "FallbackWarning",
    "MLPClassifier",
    "MLPRegressor",
    "SequenceClassifier",
    "SequenceRegressor",
    "TransformerClassifier",
    "Word2Vec",
    "__version__",
    "get_untrusted_types",
    "load",
    "save",
    "show_versions",
]
