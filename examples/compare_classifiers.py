"""
sknn's MLPClassifier against scikit-learn's, a random forest and an RBF SVM
===========================================================================

The first job of sknn: the same multi-layer perceptron as scikit-learn's, with the same
parameters, trained with PyTorch (on the GPU when there is one). This script scores the
two MLPs side by side with a random forest and an RBF-kernel SVM under 5-fold stratified
cross-validation on scikit-learn's bundled digits dataset, and prints a table of the mean
accuracy, its spread across folds and the time each model takes. It uses
:mod:`sknn.compare`, the module behind the ``sknn compare`` command.

Set ``SKNN_EXAMPLE_SMALL=1`` for a run of a few seconds.
"""

import os
import warnings

from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sknn import MLPClassifier
from sknn.compare import cross_validate_models, format_leaderboard, leaderboard, make_splitter

SMALL = os.environ.get("SKNN_EXAMPLE_SMALL") == "1"
MAX_ITER = 15 if SMALL else 200

# The small setting stops the networks early on purpose.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
if SMALL:
    X, y = X[:400], y[:400]

# Identical settings for both MLPs: the comparison is of implementations, not of models.
mlp = dict(hidden_layer_sizes=(100,), max_iter=MAX_ITER, random_state=0)
models = {
    "sknn MLPClassifier": make_pipeline(StandardScaler(), MLPClassifier(**mlp)),
    "sklearn MLPClassifier": make_pipeline(StandardScaler(), SklearnMLPClassifier(**mlp)),
    "random forest": RandomForestClassifier(50 if SMALL else 300, random_state=0),
    "RBF SVM": make_pipeline(StandardScaler(), SVC()),
}
folds = cross_validate_models(models, X, y, make_splitter("classification", 5), progress=False)
print(f"digits ({len(y)} images), 5-fold stratified cross-validation\n")
print(format_leaderboard(leaderboard(folds), "accuracy"))
print(f"\nsknn device: {models['sknn MLPClassifier'].fit(X, y)[-1].device_}")
