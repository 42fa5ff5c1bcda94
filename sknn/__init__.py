"""sknn: scikit-learn-compatible neural network estimators on PyTorch.

Importing sknn never touches CUDA: devices are resolved when an estimator is fitted.
"""

from sknn.estimators.mlp import MLPClassifier, MLPRegressor

__version__ = "0.1.0"

__all__ = ["MLPClassifier", "MLPRegressor", "__version__"]
