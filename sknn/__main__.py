"""The ``sknn`` command (also ``python -m sknn``): a thin front end to :mod:`sknn.compare`
and :mod:`sknn.doctor`.

``sknn compare [DATA]`` cross-validates sknn's networks against a random forest, gradient
boosting, an RBF SVM and a linear model, prints a leaderboard and saves it as CSV with a
PNG of the scores per fold. ``sknn`` alone runs ``sknn compare`` on a built-in dataset.
``sknn doctor`` prints the versions and devices and checks every training path the
machine offers; it exits with status 1 if one failed.
"""

import argparse
import re
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from sknn import __version__
from sknn._device import resolve_device
from sknn.compare import (
    BUILTIN_DATASETS,
    DEFAULT_DATASET,
    CompareError,
    check_scoring_name,
    cross_validate_models,
    default_models,
    format_leaderboard,
    leaderboard,
    load_table,
    make_splitter,
    plot_fold_scores,
)

VERBS = ("compare", "datasets", "doctor")

#: Exit status of ``sknn doctor`` when a check failed.
EXIT_CHECK_FAILED = 1

#: Exit status of ``sknn compare`` when no model produced a score.
EXIT_NO_SCORE = 1

#: Scorers for two classes only: every fit fails with them on more.
BINARY_SCORERS = ("roc_auc", "average_precision", "f1", "precision", "recall", "jaccard")

#: Exit status for bad input, as argparse uses for bad arguments.
EXIT_USAGE = 2


def build_parser():
    parser = argparse.ArgumentParser(
        prog="sknn",
        description="Neural networks for scikit-learn on PyTorch. With no verb, runs "
        f"'sknn compare' on the built-in {DEFAULT_DATASET!r} dataset.",
    )
    parser.add_argument("--version", action="version", version=f"sknn {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="{compare,datasets,doctor}")

    compare = verbs.add_parser(
        "compare",
        help="cross-validate sknn's networks against classical models",
        description="Cross-validate sknn's networks against a random forest, histogram "
        "gradient boosting, an RBF SVM and a linear model; print a leaderboard, save it as "
        "CSV and draw the scores per fold as PNG.",
    )
    compare.add_argument(
        "data",
        nargs="?",
        default=DEFAULT_DATASET,
        help=f"a built-in dataset ({', '.join(BUILTIN_DATASETS)}; default: %(default)s) "
        "or a CSV file with a header row",
    )
    compare.add_argument("--target", metavar="COLUMN", help="the CSV column to predict")
    compare.add_argument(
        "--task",
        choices=("auto", "classification", "regression"),
        default="auto",
        help="what the target asks for (default: guessed from its values)",
    )
    compare.add_argument(
        "--drop",
        metavar="COLUMN",
        action="append",
        default=[],
        help="leave out a column (repeat for more)",
    )
    compare.add_argument(
        "--time-series",
        action="store_true",
        help="rows are ordered in time: validate with TimeSeriesSplit (train on the past, "
        "test on the future) instead of shuffled K-fold, and add sknn's sequence models "
        "(convolutional encoders 'fcn' and 'resnet') that read each row with the rows "
        "before it",
    )
    compare.add_argument(
        "--folds", type=int, default=None, help="number of folds (default: 5, 3 with --quick)"
    )
    compare.add_argument(
        "--scoring",
        default=None,
        help="a scikit-learn scorer name (default: accuracy, or R^2 for regression)",
    )
    compare.add_argument(
        "--quick", action="store_true", help="fewer folds, epochs and trees (tests, CI)"
    )
    compare.add_argument(
        "--device", default="auto", help="device of the networks: auto, cpu, cuda, cuda:N"
    )
    compare.add_argument("--random-state", type=int, default=0, help="seed (default: 0)")
    compare.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads for PyTorch and scikit-learn (default: their own choice); 1 is "
        "often fastest for small data on a busy machine",
    )
    compare.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="run the fits on a Dask cluster: its scheduler's address (tcp://host:8786), "
        "or 'local' to start one here with a worker per GPU, or per core where there is "
        "none (needs dask[distributed]); the scores are those of a local run",
    )
    compare.add_argument(
        "--out-dir",
        type=Path,
        default=Path("."),
        help="where the CSV and PNG files go (default: the current directory)",
    )
    compare.add_argument("--no-plot", action="store_true", help="do not draw the PNG chart")
    compare.add_argument("--no-progress", action="store_true", help="no progress bar")
    compare.set_defaults(run=run_compare)

    listing = verbs.add_parser("datasets", help="list the built-in datasets")
    listing.set_defaults(run=run_datasets)

    doctor = verbs.add_parser(
        "doctor",
        help="versions, devices, and a check of every training path this machine offers",
        description="Print the versions of sknn and its dependencies and the devices torch "
        "sees, then train a tiny MLP, ConvNet, Sequence and Transformer model along every "
        "training path this machine offers (CPU, CUDA eager, the step captured in a CUDA "
        "graph, bfloat16 and float16 autocast, streaming from host memory) and compare each "
        "fit with the CPU float32 fit. Exits with status 1 if a check failed.",
    )
    doctor.add_argument(
        "--compile",
        action="store_true",
        help="also check compile=True (torch.compile: minutes on a CPU)",
    )
    doctor.add_argument(
        "--models",
        metavar="NAME",
        nargs="+",
        choices=("MLP", "ConvNet", "Sequence", "Transformer"),
        help="check only these models (default: all four)",
    )
    doctor.set_defaults(run=run_doctor)
    return parser


def run_doctor(args):
    from sknn.doctor import doctor

    results = doctor(compile=args.compile, models=args.models)
    return EXIT_CHECK_FAILED if any(r.status == "failed" for r in results) else 0


def run_datasets(args):
    for name, (_, task) in BUILTIN_DATASETS.items():
        print(f"{name:15} {task}")


def run_compare(args):
    folds = args.folds if args.folds is not None else (3 if args.quick else 5)
    if folds < 2:
        raise CompareError(f"--folds must be at least 2, got {folds}")
    if args.threads is not None and args.threads < 1:
        raise CompareError(f"--threads must be at least 1, got {args.threads}")
    if not 0 <= args.random_state < 2**32:
        raise CompareError(f"--random-state must be from 0 to 2**32 - 1, got {args.random_state}")
    _check_out_dir(args.out_dir)
    table = load_table(
        args.data,
        target=args.target,
        task=args.task,
        drop=args.drop,
        time_series=args.time_series,
    )
    _check_folds(table, folds, args.time_series)
    check_scoring_name(args.scoring)
    _check_scoring_task(args.scoring, table)
    try:
        device = resolve_device(args.device)
    except ValueError as exc:
        # The parameter's words (device='cpu'), as the option is spelled (--device cpu).
        message = re.sub(r"\bdevice=(['\"]?)([^'\"\s,.]+)\1", r"--device \2", str(exc))
        raise CompareError(message) from None
    metric = args.scoring or ("accuracy" if table.task == "classification" else "R^2")
    validation = "TimeSeriesSplit" if args.time_series else "K-fold"
    if table.task == "classification" and not args.time_series:
        validation = "stratified K-fold"
    print(
        f"{table.name}: {table.X.shape[0]} rows, {table.X.shape[1]} feature column(s), "
        f"{table.task}; {folds}-fold {validation}, scored by {metric}; sknn's networks "
        f"train on {device}"
    )
    for note in table.notes:
        print(f"note: {note}")

    models = default_models(
        table.task,
        categorical=table.categorical,
        text=table.text,
        quick=args.quick,
        device=args.device,
        random_state=args.random_state,
        time_series=args.time_series,
        scoring=args.scoring,
    )
    cv = make_splitter(
        table.task, folds, time_series=args.time_series, random_state=args.random_state
    )
    notes = []
    with _thread_limit(args.threads), _cluster(args.scheduler) as n_jobs:
        fold_scores = cross_validate_models(
            models,
            table.X,
            table.y,
            cv,
            scoring=args.scoring,
            progress=not args.no_progress,
            notes=notes,
            n_jobs=n_jobs,
        )
    board = leaderboard(fold_scores)
    print()
    print(format_leaderboard(board, metric, folds))
    print()
    for note in notes:
        print(f"note: {note}")
    if board["n_folds"].sum() == 0:
        print(
            f"sknn {args.verb}: error: no model produced a score (see the notes above)",
            file=sys.stderr,
        )
        return EXIT_NO_SCORE

    stem = f"sknn_compare_{table.name}"
    board_path = args.out_dir / f"{stem}_leaderboard.csv"
    folds_path = args.out_dir / f"{stem}_folds.csv"
    board.to_csv(board_path, index=False)
    fold_scores.to_csv(folds_path, index=False)
    print(f"leaderboard saved to {board_path}")
    print(f"scores per fold saved to {folds_path}")
    if not args.no_plot:
        png = plot_fold_scores(
            fold_scores,
            args.out_dir / f"{stem}_scores.png",
            metric=metric,
            title=f"{table.name}: {metric} per fold ({validation}; dotted: mean)",
        )
        if png is None:
            print("note: matplotlib is not installed: no chart (pip install matplotlib)")
        else:
            print(f"chart saved to {png}")


@contextmanager
def _thread_limit(threads):
    if threads is None:
        yield
        return
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with threadpool_limits(threads):
            yield
    finally:
        torch.set_num_threads(before)


@contextmanager
def _cluster(address):
    """None (fits run here, one after the other) or -1 inside a Dask cluster's backend."""
    if address is None:
        yield None
        return
    from sknn.cluster import ClusterError, dask_backend

    try:
        with dask_backend(address) as client:
            workers = client.scheduler_info().get("workers", {})
            where = client.scheduler.address
            print(f"fits run on the Dask cluster at {where} ({len(workers)} workers)")
            threads = max((w.get("nthreads", 1) for w in workers.values()), default=1)
            if threads > 1:
                # cross_validate_models runs the fits of one process one at a time.
                print(
                    f"note: a worker runs {threads} threads, but one fit at a time: start "
                    "workers with one thread each (dask worker --nthreads 1) and more of "
                    "them for more fits at once"
                )
            yield -1
    except ClusterError as exc:
        raise CompareError(str(exc)) from None


def _check_out_dir(out_dir):
    """Create ``--out-dir`` and check it takes files, before any fit."""
    if out_dir.exists() and not out_dir.is_dir():
        raise CompareError(f"--out-dir {out_dir} is a file, not a directory")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as exc:
        raise CompareError(f"cannot write to --out-dir {out_dir}: {exc.strerror or exc}") from None


def _check_scoring_task(scoring, table):
    """Refuse, before any fit, a scorer that cannot score this target: one of the other
    task, or a binary one whose positive label (1) is not a class."""
    if scoring is None:
        return
    from sklearn.metrics import get_scorer

    scorer = get_scorer(scoring)
    module = getattr(getattr(scorer, "_score_func", None), "__module__", "")
    kind = "regression" if module.endswith("_regression") else "classification"
    if module.endswith(("_regression", "_classification", "_ranking")) and kind != table.task:
        suggestion = "accuracy or f1_macro" if table.task == "classification" else "r2"
        raise CompareError(
            f"--scoring {scoring} scores {kind}, but the target is a {table.task} target: "
            f"use a {table.task} score, such as {suggestion}"
        )
    kwargs = getattr(scorer, "_kwargs", {})
    if table.task == "classification" and kwargs.get("average", "binary") == "binary":
        labels = np.unique(table.y)
        if scoring in BINARY_SCORERS[2:] and "pos_label" not in kwargs and len(labels) == 2:
            if not any(_is_one(label) for label in labels):
                raise CompareError(
                    f"--scoring {scoring} scores the class 1 as positive, and the target's "
                    f"classes are {', '.join(map(str, labels))}: use {scoring}_macro, which "
                    "averages over both classes"
                )
    if scoring in BINARY_SCORERS and table.task == "classification":
        n_classes = len(np.unique(table.y))
        if n_classes > 2:
            alternative = {"roc_auc": "roc_auc_ovr", "average_precision": "accuracy"}.get(
                scoring, f"{scoring}_macro"
            )
            raise CompareError(
                f"--scoring {scoring} needs two classes, the target has {n_classes}: "
                f"use {alternative}"
            )


def _is_one(label):
    try:
        return float(label) == 1
    except (TypeError, ValueError):
        return False


def _check_folds(table, folds, time_series):
    n_samples = len(table.y)
    if time_series and n_samples <= folds:
        raise CompareError(f"{n_samples} rows cannot make {folds} time-ordered folds")
    if time_series:
        _check_time_folds(table, folds)
    if not time_series and table.task == "classification":
        _, counts = np.unique(table.y, return_counts=True)
        if counts.min() < folds:
            raise CompareError(
                f"the rarest class has {counts.min()} row(s), fewer than the {folds} folds: "
                "use --folds with a smaller number"
            )
    elif n_samples < folds:
        raise CompareError(f"{n_samples} rows cannot make {folds} folds")


def _check_time_folds(table, folds):
    """TimeSeriesSplit's folds, before any fit: refuse test folds of one row for a
    regression (R^2 and the other scores need two) and a training fold of one class, on
    which every classifier learns to predict that class; note test classes that the
    training rows before them lack."""
    from sklearn.model_selection import TimeSeriesSplit

    splits = list(TimeSeriesSplit(n_splits=folds).split(table.y))
    smallest = min(len(test) for _, test in splits)
    if table.task == "regression" and smallest < 2:
        raise CompareError(
            f"{len(table.y)} rows make {folds} time-ordered test folds of {smallest} row: "
            "a score needs two; use --folds with a smaller number"
        )
    if table.task != "classification":
        return
    y = np.asarray(table.y)
    for number, (train, test) in enumerate(splits, start=1):
        seen = np.unique(y[train])
        if len(seen) < 2:
            raise CompareError(
                f"time-ordered fold {number} of {folds} trains on its first {len(train)} "
                f"rows, which hold the class {_plain(seen[0])} only, so every classifier "
                "would learn to predict it alone: the first training rows need two classes "
                "(fewer --folds give them more rows)"
            )
        unseen = np.setdiff1d(np.unique(y[test]), seen)
        if len(unseen):
            table.notes.append(
                f"fold {number}'s test rows hold class(es) "
                f"{', '.join(map(_plain, unseen[:5]))} that no row before them holds: no "
                "model can predict them there"
            )


def _plain(value):
    """A label as a user wrote it: 'up' and 1.0, not np.str_('up') and np.float64(1.0)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def main(argv=None):
    """Run the command; return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # A bare 'sknn' or 'sknn data.csv --target y' means 'sknn compare ...'.
    if not argv or (argv[0] not in VERBS and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "compare")
    args = build_parser().parse_args(argv)
    try:
        status = args.run(args)
    except CompareError as exc:
        print(f"sknn {args.verb}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("sknn: interrupted", file=sys.stderr)
        return 130
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
