"""The ``sknn`` command end to end, on tiny data, and its one-line errors."""

import io
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from sknn.__main__ import main
from sknn.compare import cross_validate_models, default_models, load_table, make_splitter

pytest.importorskip("matplotlib")
from matplotlib.image import imread  # noqa: E402

COLUMNS = ["model", "mean_score", "std_score", "min_score", "max_score", "fit_time"]


@pytest.fixture(autouse=True)
def one_thread():
    # Two cores shared by several jobs: OpenMP's spinning threads (gradient boosting)
    # otherwise make these tests many times slower.
    with threadpool_limits(1):
        yield


def torch_cuda_available():
    import torch

    return torch.cuda.is_available()


def run(capsys, *args):
    status = main([*args, "--no-progress"])
    out, err = capsys.readouterr()
    return status, out, err


def check_outputs(out_dir, stem, n_models=6):
    board = pd.read_csv(out_dir / f"sknn_compare_{stem}_leaderboard.csv")
    assert list(board.columns[: len(COLUMNS)]) == COLUMNS
    assert len(board) == n_models
    assert board["mean_score"].is_monotonic_decreasing
    folds = pd.read_csv(out_dir / f"sknn_compare_{stem}_folds.csv")
    assert set(folds["model"]) == set(board["model"])
    image = imread(out_dir / f"sknn_compare_{stem}_scores.png")
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    assert image[..., :3].std() > 0.05  # a drawn chart, not a blank canvas
    return board


def test_builtin_dataset_quick(tmp_path, capsys):
    status, out, _ = run(
        capsys, "compare", "iris", "--quick", "--threads", "1", "--out-dir", str(tmp_path)
    )
    assert status == 0
    assert "3-fold stratified K-fold, scored by accuracy" in out
    assert "accuracy (mean ± std)" in out and "sknn MLPClassifier" in out
    board = check_outputs(tmp_path, "iris")
    assert board["mean_score"].iloc[0] > 0.8
    assert "chart saved to" in out


def test_csv_with_categorical_column(tmp_path, capsys):
    rng = np.random.default_rng(0)
    n = 60
    colour = rng.choice(["red", "green", "blue"], n)
    x = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "x": x,
            "colour": colour,
            "flag": rng.random(n) > 0.5,
            "label": np.where((colour == "red") ^ (x > 0), "yes", "no"),
        }
    )
    frame.loc[3, "x"] = np.nan
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False)
    status, out, _ = run(
        capsys,
        str(path),
        "--target",
        "label",
        "--folds",
        "2",
        "--quick",
        "--out-dir",
        str(tmp_path / "out"),
    )
    assert status == 0, out
    assert "categorical column(s) colour: embedded by sknn's MLPs, one-hot encoded" in out
    assert "missing numeric value(s) filled" in out
    check_outputs(tmp_path / "out", "table")


def test_csv_with_text_and_many_categories_goes_sparse_where_it_can(tmp_path, capsys):
    rng = np.random.default_rng(0)
    n = 120
    city = rng.choice([f"city{i}" for i in range(40)], n)
    words = np.array(["good", "bad", "plot", "actor", "scene", "dull", "great", "slow"])
    review = [" ".join(rng.choice(words, 6)) for _ in range(n)]
    label = np.where(["good" in r.split() for r in review], "yes", "no")
    path = tmp_path / "reviews.csv"
    pd.DataFrame({"city": city, "review": review, "x": rng.normal(size=n), "label": label}).to_csv(
        path, index=False
    )
    table = load_table(path, target="label")
    assert table.categorical == ["city"] and table.text == ["review"]
    models = default_models(
        table.task, categorical=table.categorical, text=table.text, quick=True, device="cpu"
    )
    for name, model in models.items():
        features = model[0].fit_transform(table.X, table.y)
        # The one-hot and TF-IDF columns make a matrix sparser than the 0.3 threshold:
        # sparse for every model that takes it, dense for gradient boosting and for sknn's
        # MLPs, which embed the categorical column (kept as strings).
        dense = name == "hist gradient boosting" or name.startswith("sknn")
        assert sp.issparse(features) != dense, name
        if name.startswith("sknn"):
            assert features[0, 0] in {f"city{i}" for i in range(40)}
    status, out, _ = run(
        capsys,
        str(path),
        "--target",
        "label",
        "--folds",
        "2",
        "--quick",
        "--out-dir",
        str(tmp_path),
    )
    assert status == 0, out
    assert "encoded the text column(s) review as TF-IDF" in out
    board = check_outputs(tmp_path, "reviews")
    assert board["mean_score"].notna().all()  # every model fitted its input, sparse or not
    assert "failed" not in out


def test_identifiers_with_many_levels_are_embedded_not_refused(tmp_path, capsys):
    # 120 shops, 20 rows each: too many levels to one-hot encode whole, too few words to
    # be text. sknn's MLPs embed the column; the other models one-hot its 50 most
    # frequent levels and group the rest.
    rng = np.random.default_rng(0)
    n = 2400
    names = [f"shop{i}" for i in range(120)]
    shop = rng.permutation(np.repeat(names, 20))
    effect = dict(zip(names, rng.normal(size=120), strict=True))
    x = rng.normal(size=n)
    y = np.array([effect[s] for s in shop]) + 0.3 * x + rng.normal(scale=0.1, size=n)
    path = tmp_path / "shops.csv"
    pd.DataFrame({"shop": shop, "x": x, "y": y}).to_csv(path, index=False)
    table = load_table(path, target="y")
    assert table.categorical == ["shop"] and table.task == "regression"
    models = default_models("regression", categorical=["shop"], quick=True, device="cpu")
    assert models["sknn MLPRegressor"][-1].regressor.categorical_features == [0]
    tabular = models["sknn MLPRegressor.tabular()"][-1].regressor
    assert tabular.categorical_features == [0] and tabular.numeric_scaling == "robust"
    width = models["ridge"][0].fit_transform(table.X, table.y).shape[1]
    assert width == 50 + 1  # 50 indicator columns (49 levels and "infrequent"), and x
    status, out, _ = run(
        capsys, str(path), "--target", "y", "--folds", "2", "--quick", "--out-dir", str(tmp_path)
    )
    assert status == 0, out
    assert "categorical column(s) shop: embedded by sknn's MLPs" in out
    board = check_outputs(tmp_path, "shops").set_index("model")["mean_score"]
    # The embeddings learn every shop's effect, the one-hot models only the 49 most
    # frequent shops'.
    assert board["sknn MLPRegressor.tabular()"] > 0.8 > board["ridge"], board
    assert board["sknn MLPRegressor"] > 0.8, board


def test_time_ordered_csv(tmp_path, capsys):
    rng = np.random.default_rng(0)
    n = 80
    dates = pd.date_range("2024-01-01", periods=n, freq="D")
    x = np.cumsum(rng.normal(size=n))
    frame = pd.DataFrame({"date": dates.astype(str), "x": x, "y": 2 * x + rng.normal(size=n)})
    path = tmp_path / "series.csv"
    frame.sample(frac=1, random_state=0).to_csv(path, index=False)  # shuffled rows
    status, out, _ = run(
        capsys,
        "compare",
        str(path),
        "--target",
        "y",
        "--time-series",
        "--folds",
        "3",
        "--quick",
        "--out-dir",
        str(tmp_path),
    )
    assert status == 0, out
    assert "regression; 3-fold TimeSeriesSplit, scored by R^2" in out
    assert "rows sorted by the dates in 'date'" in out
    board = check_outputs(tmp_path, "series", n_models=8)
    assert board.loc[board["model"] == "ridge", "mean_score"].item() > 0.5
    # The convolutional sequence encoders are on the leaderboard, and fitted every fold.
    sequence = board[board["model"].str.startswith("sknn SequenceRegressor")]
    assert sorted(sequence["model"]) == [
        "sknn SequenceRegressor (fcn)",
        "sknn SequenceRegressor (resnet)",
    ]
    assert sequence["mean_score"].notna().all()


def write_csv(tmp_path, **columns):
    path = tmp_path / "data.csv"
    pd.DataFrame(columns).to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize(
    "make_args, message",
    [
        (lambda p: [str(p / "missing.csv"), "--target", "y"], "file not found"),
        (lambda p: ["no_such_dataset"], "neither a file nor a built-in dataset"),
        (lambda p: [write_csv(p, a=[1, 2, 3, 4], y=[0, 1, 0, 1])], "--target COLUMN"),
        (
            lambda p: [write_csv(p, a=[1, 2, 3, 4], y=[0, 1, 0, 1]), "--target", "z"],
            "no column 'z'",
        ),
        (
            lambda p: [write_csv(p, a=[1, 2, 3, 4], y=["a"] * 4), "--target", "y"],
            "single class",
        ),
        (
            lambda p: [write_csv(p, a=[1, 2, 3, 4], y=[0, 1, 1, 1]), "--target", "y"],
            "rarest class has 1 row",
        ),
        (lambda p: ["iris", "--scoring", "nope"], "unknown scoring 'nope'"),
        (lambda p: ["iris", "--device", "tpu"], "'device' parameter"),
    ],
    ids=[
        "missing-file",
        "unknown-dataset",
        "no-target",
        "missing-column",
        "one-class",
        "tiny-class",
        "bad-scoring",
        "bad-device",
    ],
)
def test_errors_are_one_line(tmp_path, capsys, make_args, message):
    status, out, err = run(capsys, *make_args(tmp_path))
    assert status == 2
    assert err.count("\n") == 1 and message in err and err.startswith("sknn compare: error:")
    assert "Traceback" not in err


def test_python_dash_m(tmp_path):
    # The real entry point in a fresh interpreter: exit status 2 and no traceback.
    result = subprocess.run(
        [sys.executable, "-m", "sknn", str(tmp_path / "nope.csv"), "--target", "y"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == f"sknn compare: error: file not found: {tmp_path / 'nope.csv'}"


def test_plain_progress_lines_without_tqdm(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails: no tqdm
    X, y = np.random.default_rng(0).normal(size=(30, 2)), np.arange(30) % 2
    stream = io.StringIO()
    models = {"logistic": LogisticRegression()}
    cross_validate_models(models, X, y, make_splitter("classification", 3), stream=stream)
    assert stream.getvalue().splitlines() == [f"[{i}/3] logistic, fold {i}/3" for i in (1, 2, 3)]


def test_datasets_verb(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "digits" in out and "diabetes        regression" in out


# Non-regression tests for the findings on the CLI comparison.


def dated_frame(dates, n=None):
    n = len(dates)
    return pd.DataFrame({"date": dates, "t": np.arange(n, dtype=float), "y": np.arange(n) * 1.5})


def test_day_first_dates_in_time_order_keep_the_file_order(tmp_path):
    # '01/02/2020' read on its own is 2 January, but the column's one format is day first
    # ('13/01/2020'): the file was in time order and must stay so.
    dates = pd.date_range("2020-01-01", periods=60).strftime("%d/%m/%Y")
    path = tmp_path / "eu.csv"
    dated_frame(dates).to_csv(path, index=False)
    table = load_table(path, target="y", time_series=True)
    assert table.X["t"].tolist() == list(range(60))
    # Shuffled, the rows are sorted by the day-first reading.
    dated_frame(dates).sample(frac=1, random_state=0).to_csv(path, index=False)
    table = load_table(path, target="y", time_series=True)
    assert table.X["t"].tolist() == list(range(60))
    assert "rows sorted by the dates in 'date'" in table.notes


def test_time_series_rows_without_a_date_or_a_target_and_repeated_dates(tmp_path):
    # Non-regression: in a file to sort, a row with no date was sorted last, as the
    # latest row; a file of several series (a store per row on each date) was read as one
    # series, its rows interleaved; rows dropped for their missing target left the
    # sequences skipping a step; none of it was said.
    dates = list(pd.date_range("2020-01-01", periods=40).astype(str))
    frame = dated_frame(dates)
    frame.loc[5, "date"] = None
    path = tmp_path / "series.csv"
    frame.iloc[::-1].to_csv(path, index=False)
    table = load_table(path, target="y", time_series=True)
    assert table.X["t"].tolist() == [t for t in range(40) if t != 5]
    assert "dropped 1 row(s) with no date in 'date': their place in time is unknown" in table.notes
    frame = dated_frame(dates)
    frame.loc[7, "y"] = None
    frame.to_csv(path, index=False)
    notes = load_table(path, target="y", time_series=True).notes
    assert "dropped 1 row(s) with no 'y' value; the sequences skip their time steps" in notes
    panel = pd.concat([dated_frame(dates).assign(store=s) for s in "AB"]).sample(frac=1)
    panel.to_csv(path, index=False)
    with pytest.raises(ValueError, match="every date in 'date' repeat .* several series"):
        load_table(path, target="y", time_series=True)
    assert load_table(path, target="y").X.shape[0] == 80  # not a time series: fine
    # One store a day shorter: most dates repeat, the same two series.
    uneven = pd.concat([dated_frame(dates), dated_frame(dates[1:]).assign(store="B")])
    uneven.to_csv(path, index=False)
    with pytest.raises(ValueError, match="most dates in 'date' repeat .* several series"):
        load_table(path, target="y", time_series=True)
    frame = dated_frame(dates[:20] + dates[19:39])  # one date twice
    frame.to_csv(path, index=False)
    notes = load_table(path, target="y", time_series=True).notes
    assert "2 row(s) share their date in 'date' with another row" in notes[0]


def test_time_ordered_folds_are_checked_before_any_fit(tmp_path, capsys):
    # Non-regression: a class first seen in the last rows left every training fold with
    # one class, and the classifiers that always predicted it topped the board (0.84,
    # exit 0); six rows in three folds gave test folds of one row, every R^2 NaN after
    # all the fits; labels were shown as np.str_('up').
    path = tmp_path / "late.csv"
    n = 60
    frame = pd.DataFrame({"x": np.arange(n, dtype=float), "y": [0] * 45 + [1] * 15})
    frame.to_csv(path, index=False)
    status, _, err = run(capsys, str(path), "--target", "y", "--time-series", "--quick")
    assert status == 2 and err.count("\n") == 1
    assert "fold 1 of 3 trains on its first 15 rows, which hold the class 0 only" in err
    frame.assign(y=[0, 1] * 20 + [0] * 10 + [2] * 10).to_csv(path, index=False)
    assert load_table(path, target="y", time_series=True).task == "classification"
    from sknn.__main__ import _check_folds

    table = load_table(path, target="y", time_series=True)
    _check_folds(table, 5, True)
    assert any("class(es) 2 that no row before them holds" in note for note in table.notes)
    pd.DataFrame({"x": np.arange(6.0), "y": np.arange(6.0) * 1.5}).to_csv(path, index=False)
    status, _, err = run(capsys, str(path), "--target", "y", "--time-series", "--folds", "3")
    assert status == 2 and "test folds of 1 row: a score needs two" in err
    pd.DataFrame({"x": np.arange(8.0), "y": ["up"] * 8}).to_csv(path, index=False)
    status, _, err = run(capsys, str(path), "--target", "y", "--quick")
    assert status == 2 and "single class ('up')" in err


def test_time_series_without_a_date_column_says_it_reads_the_file_order(tmp_path):
    # Non-regression: a file newest first whose time is a column of plain years was
    # taken as it is, without a word about the order.
    path = tmp_path / "years.csv"
    frame = pd.DataFrame({"year": np.arange(2019, 1979, -1), "x": np.arange(40.0), "y": 1.5})
    frame.assign(y=np.arange(40.0)).to_csv(path, index=False)
    notes = load_table(path, target="y", time_series=True).notes
    assert notes[0].startswith("no column of dates: the rows are taken in file order")


def test_dates_readable_both_ways_in_different_orders_are_refused(tmp_path):
    # Every value reads month first and day first, the orders differ, the file is in
    # neither: ambiguous.
    dates = ["01/02/2020", "02/01/2020", "03/01/2020", "01/03/2020", "02/03/2020"] * 4
    path = tmp_path / "ambiguous.csv"
    dated_frame(dates).to_csv(path, index=False)
    with pytest.raises(ValueError, match="read as %m/%d/%Y and as %d/%m/%Y.*ISO dates"):
        load_table(path, target="y", time_series=True)


@pytest.mark.parametrize("value", ["10-12", "1/2", "3/4", "1st", "10:30", "Jan 5", "1.2.0"])
def test_categories_that_look_like_dates_are_categories(tmp_path, value):
    other = {"10-12": "11-12", "1/2": "2/3", "3/4": "1/4", "1st": "2nd", "10:30": "11:45",
             "Jan 5": "Feb 7", "1.2.0": "1.3.1"}[value]  # fmt: skip
    n = 40
    path = tmp_path / "codes.csv"
    pd.DataFrame(
        {
            "code": [value, other] * (n // 2),
            "t": np.arange(n - 1, -1, -1.0),
            "y": [0, 1] * (n // 2),
        }
    ).to_csv(path, index=False)
    table = load_table(path, target="y", time_series=True)
    assert table.categorical == ["code"]
    assert table.X["t"].tolist() == list(range(n - 1, -1, -1))  # not sorted by 'code'
    assert table.notes[0].startswith("no column of dates")
    assert not any("date" in note for note in table.notes[1:])


def test_dates_across_a_change_of_offset_read_as_one_column(tmp_path):
    # Summer time starts in the middle: +01:00 then +02:00; compared in UTC.
    times = pd.date_range("2021-03-26", periods=120, freq="h", tz="Europe/Paris")
    path = tmp_path / "dst.csv"
    frame = dated_frame(times.map(lambda t: t.isoformat()))
    frame.iloc[::-1].to_csv(path, index=False)
    table = load_table(path, target="y", time_series=True)
    assert table.X["t"].tolist() == list(range(120))
    assert list(table.X.columns) == ["t"]


def test_a_bad_value_in_a_date_column_past_the_first_rows_is_one_line_error(tmp_path, capsys):
    dates = list(pd.date_range("2020-01-01", periods=80).astype(str))
    dates[70] = "unknown"
    path = tmp_path / "dates.csv"
    dated_frame(dates).to_csv(path, index=False)
    status, _, err = run(capsys, str(path), "--target", "y", "--time-series", "--quick")
    assert status == 2 and err.count("\n") == 1
    assert "column 'date' holds dates (%Y-%m-%d) but also 'unknown'" in err


def test_leaderboard_ranks_models_with_failed_folds_after_complete_ones():
    from sknn.compare import format_leaderboard, leaderboard

    nan = float("nan")
    folds = pd.DataFrame(
        {
            "model": ["full"] * 3 + ["partial"] * 3 + ["failed"] * 3,
            "fold": [0, 1, 2] * 3,
            "score": [0.7, 0.8, 0.9, nan, nan, 0.99, nan, nan, nan],
            "fit_time": 1.0,
            "predict_time": 0.1,
        }
    )
    board = leaderboard(folds)
    assert board["model"].tolist() == ["full", "partial", "failed"]
    assert board["n_folds"].tolist() == [3, 1, 0]
    text = format_leaderboard(board, "accuracy", 3)
    assert "0.9900 ± 0.0000 (1/3 folds)" in text
    assert "0.8000 ± 0.0816 " in text and "0.8000 ± 0.0816 (" not in text


def test_drop_applies_to_builtin_datasets(tmp_path, capsys):
    table = load_table("iris", drop=["petal width (cm)"])
    assert table.X.shape == (150, 3) and "petal width (cm)" not in table.X
    status, _, err = run(capsys, "iris", "--drop", "petal width (cm)", "--drop", "bogus")
    assert status == 2 and err.count("\n") == 1 and "cannot drop 'bogus'" in err


@pytest.mark.parametrize(
    "make_args, message",
    [
        (
            lambda p: [
                write_csv(p, a=[1, 2, 3, 4], y=[0, 1, 0, 1]),
                "--target",
                "y",
                "--drop",
                "y",
            ],
            "cannot drop 'y': it is the target",
        ),
        (lambda p: ["iris", "--random-state", "-1"], "--random-state must be from 0"),
        (lambda p: ["iris", "--random-state", "4294967296"], "--random-state must be from 0"),
        (lambda p: ["iris", "--out-dir", write_csv(p, a=[1])], "is a file, not a directory"),
        (
            lambda p: ["iris", "--out-dir", write_csv(p, a=[1]) + "/sub"],
            "cannot write to --out-dir",
        ),
        (
            lambda p: [write_csv(p, a=[0.0, np.inf, 1, 2], y=[0, 1, 0, 1]), "--target", "y"],
            "column 'a' holds 1 infinite value(s)",
        ),
        (
            lambda p: [write_csv(p, a=[0, 1, 2, 3], y=[0.5, 1.5, -np.inf, 2.5]), "--target", "y"],
            "column 'y' holds 1 infinite value(s)",
        ),
        (lambda p: ["iris", "--scoring", "roc_auc"], "needs two classes, the target has 3"),
        # Non-regression: these ran every fold, then failed to score each one.
        (
            lambda p: [
                write_csv(p, a=np.arange(12.0), y=["yes", "no"] * 6),
                "--target",
                "y",
                "--scoring",
                "f1",
            ],
            "--scoring f1 scores the class 1 as positive, and the target's classes are no, "
            "yes: use f1_macro",
        ),
        (
            lambda p: ["iris", "--scoring", "r2"],
            "--scoring r2 scores regression, but the target is a classification target",
        ),
        (
            lambda p: ["diabetes", "--scoring", "accuracy"],
            "--scoring accuracy scores classification, but the target is a regression target",
        ),
        (
            # Non-regression: said the rarest class had 1 row and to lower --folds.
            lambda p: [
                write_csv(p, a=np.arange(8.0), y=np.linspace(0.1, 3.7, 8)),
                "--target",
                "y",
                "--task",
                "classification",
            ],
            "'y' is continuous (it holds numbers that are not whole): it cannot be a "
            "classification target; use --task regression",
        ),
    ],
    ids=[
        "drop-target",
        "negative-seed",
        "huge-seed",
        "out-dir-file",
        "out-dir-unwritable",
        "inf-feature",
        "inf-target",
        "roc-auc-multiclass",
        "f1-without-class-1",
        "regression-score",
        "classification-score",
        "continuous-classification",
    ],  # fmt: skip
)
def test_more_errors_are_one_line_before_any_fit(
    tmp_path, capsys, monkeypatch, make_args, message
):
    def no_fit(*args, **kwargs):
        raise AssertionError("the error must come before the fits")

    monkeypatch.setattr("sknn.__main__.cross_validate_models", no_fit)
    status, _, err = run(capsys, *make_args(tmp_path))
    assert status == 2, err
    assert err.count("\n") == 1 and message in err and err.startswith("sknn compare: error:")


def test_no_model_scored_exits_1(tmp_path, capsys, monkeypatch):
    from sklearn.dummy import DummyClassifier

    failing = {"dummy": DummyClassifier(strategy="no such strategy")}
    monkeypatch.setattr("sknn.__main__.default_models", lambda *a, **k: failing)
    status, out, err = run(capsys, "iris", "--quick", "--out-dir", str(tmp_path))
    assert status == 1
    assert "dummy failed on fold 1" in out
    assert err.strip() == "sknn compare: error: no model produced a score (see the notes above)"


@pytest.mark.parametrize("name", ["PassengerId", "Unnamed: 0", "row_index", "customer_id"])
def test_numeric_identifiers_are_left_out_with_a_note(tmp_path, name):
    # Non-regression: a column of whole numbers, one per row, was a feature. Written by
    # to_csv from a frame sorted by the target, it told every model the label.
    n = 40
    y = np.repeat([0, 1], n // 2)
    ids = (
        np.arange(n) if name != "customer_id" else np.random.default_rng(0).permutation(10**6)[:n]
    )
    path = tmp_path / "ids.csv"
    pd.DataFrame({name: ids, "a": np.random.default_rng(0).normal(size=n), "y": y}).to_csv(
        path, index=False
    )
    table = load_table(path, target="y")
    assert list(table.X.columns) == ["a"]
    assert f"identifier column(s) {name} left out" in " ".join(table.notes)


def test_a_run_of_whole_numbers_without_an_identifier_name_is_kept_with_a_note(tmp_path):
    n = 40
    rank = np.random.default_rng(0).permutation(n) + 1  # a rank may carry the answer
    path = tmp_path / "rank.csv"
    pd.DataFrame({"rank": rank, "y": rank % 2}).to_csv(path, index=False)
    table = load_table(path, target="y")
    assert list(table.X.columns) == ["rank"]
    assert "column 'rank' holds a different whole number in every row" in " ".join(table.notes)
    # Whole numbers with repeats or gaps, or a few rows, are plain features.
    for values in (np.arange(n) // 2, np.arange(n) * 3, np.arange(n) + 0.5):
        pd.DataFrame({"count": values, "y": np.arange(n) % 2}).to_csv(path, index=False)
        assert not any("count" in note for note in load_table(path, target="y").notes)


def test_identifier_column_is_left_out_with_a_note(tmp_path):
    rng = np.random.default_rng(0)
    n = 40
    path = tmp_path / "ids.csv"
    pd.DataFrame(
        {"a": rng.normal(size=n), "y": [0, 1] * (n // 2), "id": [f"id_{i:03}" for i in range(n)]}
    ).to_csv(path, index=False)
    table = load_table(path, target="y")
    assert list(table.X.columns) == ["a"] and table.categorical == []
    assert "identifier column(s) id left out" in " ".join(table.notes)


def test_fits_in_threads_record_their_own_convergence_warnings():
    # Non-regression: fits recording their warnings in two threads at once took each
    # other's (a random forest "reached its iteration limit"), missed their own, and could
    # leave the process recording every later warning into a list nobody reads.
    import warnings

    import joblib
    from sklearn.ensemble import RandomForestClassifier

    from sknn import MLPClassifier

    X = np.random.RandomState(0).randn(150, 4)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    models = {
        "mlp": MLPClassifier((4,), max_iter=1, random_state=0, device="cpu"),
        "forest": RandomForestClassifier(20, random_state=0),
    }

    def state():
        kinds = [(action, category) for action, _, category, *_ in warnings.filters]
        return kinds, warnings.showwarning, warnings._showwarnmsg_impl

    before = state()
    for _ in range(3):
        notes = []
        with joblib.parallel_backend("threading", n_jobs=2):
            cross_validate_models(
                models,
                X,
                y,
                make_splitter("classification", 5),
                progress=False,
                notes=notes,
                n_jobs=2,
            )
        assert any("mlp" in note and "5 of 5 fold" in note for note in notes), notes
        assert not any("forest" in note for note in notes), notes
        assert state() == before


def test_empty_columns_are_left_out_and_categories_missing_in_a_fold_are_scored(tmp_path, capsys):
    # Non-regression: an empty column was "filled with the column median", and alone it
    # left every model a table of no feature; a categorical column with no value in a
    # training fold made the four baselines fail that fold.
    rng = np.random.RandomState(0)
    a = rng.randn(40)
    path = write_csv(tmp_path, a=a, empty=[np.nan] * 40, y=(a > 0).astype(int))
    table = load_table(path, target="y")
    assert list(table.X.columns) == ["a"]
    assert any("empty column(s) empty left out" in note for note in table.notes)
    status, _, err = run(
        capsys, write_csv(tmp_path, empty=[np.nan] * 40, y=(a > 0).astype(int)), "--target", "y"
    )
    assert status == 2 and "every other column is empty" in err
    from sknn.compare import _preprocessor

    frame = pd.DataFrame({"c": ["x"] + [np.nan] * 29, "n": rng.randn(30)})
    out = _preprocessor(["c"], [], scale=True, sparse=False).fit(frame.iloc[1:]).transform(frame)
    assert out.shape == (30, 2)  # the column's one level ('missing') and n


@pytest.mark.skipif(torch_cuda_available(), reason="the error is for a machine without CUDA")
def test_an_unavailable_device_is_named_as_the_option(capsys):
    status, _, err = run(capsys, "iris", "--device", "cuda")
    assert status == 2
    assert "--device cuda was requested" in err and "--device auto" in err
    assert "device=" not in err


@pytest.mark.parametrize("nthreads, noted", [(1, False), (2, True)])
def test_a_cluster_of_multithreaded_workers_gets_a_note(monkeypatch, capsys, nthreads, noted):
    # The fits of one worker process run one at a time (each records its own
    # ConvergenceWarnings), so a worker's second thread adds no fit: say so.
    from contextlib import contextmanager
    from types import SimpleNamespace

    import sknn.cluster
    from sknn.__main__ import _cluster

    client = SimpleNamespace(
        scheduler=SimpleNamespace(address="tcp://scheduler:8786"),
        scheduler_info=lambda: {"workers": {"a": {"nthreads": nthreads}, "b": {"nthreads": 1}}},
    )
    monkeypatch.setattr(
        sknn.cluster, "dask_backend", contextmanager(lambda address: iter([client]))
    )
    with _cluster("tcp://scheduler:8786") as n_jobs:
        assert n_jobs == -1
    out = capsys.readouterr().out
    assert "at tcp://scheduler:8786 (2 workers)" in out
    assert ("dask worker --nthreads 1" in out) == noted


def test_scorers_that_need_probabilities_get_an_svm_that_fits_them():
    # Non-regression: under --scoring neg_log_loss or roc_auc_ovr the RBF SVM, built
    # without probability=True, failed every fold.
    from sklearn.datasets import load_iris

    from sknn.compare import cross_validate_models, default_models, make_splitter

    def svm(scoring):
        return default_models("classification", quick=True, scoring=scoring)["RBF SVM"][-1]

    assert svm("neg_log_loss").probability and svm("roc_auc_ovr").probability
    # 'roc_auc' and 'accuracy' read decision_function or predict: no internal CV.
    assert not svm("roc_auc").probability and not svm(None).probability
    X, y = load_iris(return_X_y=True, as_frame=True)
    models = {"RBF SVM": default_models("classification", scoring="roc_auc_ovr")["RBF SVM"]}
    notes = []
    cv = make_splitter("classification", 3)
    folds = cross_validate_models(
        models, X, y, cv, scoring="roc_auc_ovr", progress=False, notes=notes
    )
    assert notes == [] and (folds["score"] > 0.9).all()
