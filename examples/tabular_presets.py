"""
A raw DataFrame with categorical columns: the tabular presets against gradient boosting
========================================================================================

``MLPRegressor.tabular()`` takes a DataFrame as it comes: it embeds the categorical
columns (object, string and pandas category dtypes; a category unseen in training maps to
a shared unknown vector, a missing value to its own), scales the numeric ones robustly
(missing values imputed) and trains two layers of 256 with early stopping.
``tabular(fast=True)`` keeps that input handling and trains a smaller network for a fixed
budget about ten times smaller, for tables of tens of thousands of rows and more (on
fewer, its schedule has too few steps and the fit warns).

The table here is made up: sales of products in shops, whose level depends on the shop
(2,000 of them), the product (300) and the price, with some prices missing. The script
scores both presets and scikit-learn's HistGradientBoostingRegressor (shop and product as
ordinal codes, since its categorical support stops at 255 levels) under 3-fold
cross-validation and prints R^2 and fit times.

Set ``SKNN_EXAMPLE_SMALL=1`` for a run of a few seconds.
"""

import os
import warnings

import numpy as np
import pandas as pd
from sklearn.compose import TransformedTargetRegressor, make_column_transformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder, StandardScaler

from sknn import MLPRegressor
from sknn.compare import cross_validate_models, format_leaderboard, leaderboard, make_splitter

SMALL = os.environ.get("SKNN_EXAMPLE_SMALL") == "1"
N_ROWS = 6_000 if SMALL else 60_000

# The small setting trains the presets briefly (and the fast one on too few rows).
warnings.filterwarnings("ignore", category=ConvergenceWarning)

rng = np.random.RandomState(0)
shop_effect = rng.normal(size=2_000)
product_effect = rng.normal(size=300)
shop = rng.randint(2_000, size=N_ROWS)
product = rng.randint(300, size=N_ROWS)
price = rng.lognormal(2.0, 0.5, N_ROWS)
sales = (
    shop_effect[shop]
    + product_effect[product]
    - 0.5 * np.log(price) * (1 + 0.5 * product_effect[product])
    + rng.normal(scale=0.5, size=N_ROWS)
)
price[rng.rand(N_ROWS) < 0.05] = np.nan
X = pd.DataFrame(
    {
        "shop": [f"shop {i}" for i in shop],
        "product": pd.Categorical([f"product {i}" for i in product]),
        "price": price,
    }
)


def scaled(model):
    """A network that fits a standardised target, as ``sknn compare`` does."""
    return TransformedTargetRegressor(model, transformer=StandardScaler())


preset = dict(random_state=0, **({"max_iter": 5} if SMALL else {}))
models = {
    "MLPRegressor.tabular()": scaled(MLPRegressor.tabular(**preset)),
    "MLPRegressor.tabular(fast=True)": scaled(MLPRegressor.tabular(fast=True, random_state=0)),
    "HistGradientBoosting": make_pipeline(
        make_column_transformer(
            (
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan),
                ["shop", "product"],
            ),
            remainder="passthrough",
        ),
        HistGradientBoostingRegressor(random_state=0),
    ),
}
folds = cross_validate_models(models, X, sales, make_splitter("regression", 3), progress=False)
print(f"{N_ROWS:,} sales in 2,000 shops of 300 products, 3-fold cross-validation\n")
print(format_leaderboard(leaderboard(folds), "R^2"))
fitted = models["MLPRegressor.tabular(fast=True)"].fit(X, sales).regressor_
print(f"\nthe fast preset's embeddings: {fitted.embedding_dims_} wide, {fitted.n_iter_} epochs")
