"""
Cross-validation and grid search of a network against trees and kernels
=======================================================================

sknn's estimators are scikit-learn estimators, so the model-selection tools apply as they
are: ``GridSearchCV`` tunes the network's width and L2 penalty inside a ``Pipeline`` with
the scaler (fitted on each training fold only, so no information leaks from the test
fold), and ``cross_val_score`` then scores the tuned network, a random forest and an RBF
SVM on the same K folds. The script prints the grid's best parameters and the scores, and
plots the score of every fold.

Set ``SKNN_EXAMPLE_SMALL=1`` for a run of a few seconds.
"""

import os
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sknn import MLPClassifier

SMALL = os.environ.get("SKNN_EXAMPLE_SMALL") == "1"
N_FOLDS = 3 if SMALL else 5
MAX_ITER = 20 if SMALL else 200

# The small setting trains for few epochs on purpose.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_breast_cancer(return_X_y=True)
cv = StratifiedKFold(N_FOLDS, shuffle=True, random_state=0)

network = make_pipeline(
    StandardScaler(), MLPClassifier(max_iter=MAX_ITER, learning_rate_init=0.003, random_state=0)
)
grid = {
    "mlpclassifier__hidden_layer_sizes": [(16,), (64,)] if SMALL else [(16,), (64,), (64, 64)],
    "mlpclassifier__alpha": [1e-4, 1.0] if SMALL else [1e-4, 1e-2, 1.0],
}
# The grid search runs its own inner folds: the outer scores below stay unbiased.
search = GridSearchCV(network, grid, cv=3)
search.fit(X, y)
print("grid search, best parameters:", search.best_params_)
print(f"grid search, best inner CV accuracy: {search.best_score_:.3f}")

models = {
    "sknn MLP (tuned)": search.best_estimator_,
    "random forest": RandomForestClassifier(50 if SMALL else 300, random_state=0),
    "RBF SVM": make_pipeline(StandardScaler(), SVC()),
}
scores = {}
print(f"\n{N_FOLDS}-fold cross-validated accuracy")
for name, model in models.items():
    scores[name] = cross_val_score(model, X, y, cv=cv)
    print(f"{name:18} {scores[name].mean():.3f} ± {scores[name].std():.3f}")

fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
ax.boxplot(list(scores.values()), tick_labels=list(scores), showmeans=True)
for i, fold_scores in enumerate(scores.values(), start=1):
    ax.scatter([i] * len(fold_scores), fold_scores, color="k", s=12, zorder=3)
ax.set_ylabel("accuracy per fold")
ax.set_title(f"breast cancer, {N_FOLDS}-fold cross-validation")

path = Path("cross_validation.png").resolve()
fig.savefig(path, dpi=90)
print(f"saved {path}")
