"""Beyond one process: searches on a Dask cluster, torch's threads inside workers, the
device a worker picks, and data-parallel training over torch.distributed (gloo)."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.preprocessing import StandardScaler

import sknn
from sknn import ConvNetClassifier, MLPClassifier, SequenceClassifier
from sknn.__main__ import main
from sknn._device import resolve_device
from sknn.compare import cross_validate_models, make_splitter

ROOT = Path(__file__).parent.parent
X_DIGITS, Y_DIGITS = load_digits(return_X_y=True)
X_DIGITS = StandardScaler().fit_transform(X_DIGITS).astype(np.float32)[:600]
Y_DIGITS = Y_DIGITS[:600]

distributed = pytest.importorskip(
    "distributed", reason="dask's distributed scheduler is not installed: pip install sknn[dask]"
)
import dask  # noqa: E402  (installed with distributed)

# This process's own profiler setting and malloc variable, read before any test starts a
# cluster.
CLIENT_PROFILE = dask.config.get("distributed.worker.profile.enabled")
CLIENT_TRIM = os.environ.get("MALLOC_TRIM_THRESHOLD_")


@pytest.fixture(scope="module")
def dask_client():
    """A two-worker, one-thread-each LocalCluster, as `sknn compare --scheduler local`
    starts on a 2-core machine."""
    from sknn.cluster import local_cluster

    with local_cluster(n_workers=2) as cluster, distributed.Client(cluster) as client:
        yield client


def test_the_local_clusters_workers_run_without_the_sampling_profiler(dask_client):
    from sknn.cluster import WORKER_CONFIG

    workers = dask_client.run(lambda: dask.config.get("distributed.worker.profile.enabled"))
    assert list(workers.values()) == [False, False]
    assert WORKER_CONFIG["distributed.worker.profile.enabled"] is False
    # Only the workers': this process's configuration is left as it was before the
    # cluster started (Dask's default, True, unless configured otherwise here).
    assert dask.config.get("distributed.worker.profile.enabled") == CLIENT_PROFILE


def test_the_local_clusters_nannies_leave_mallocs_trim_threshold_alone(dask_client):
    # Dask's nannies would set MALLOC_TRIM_THRESHOLD_=65536 in their workers' environment
    # (and in this process's, which spawns them); local_cluster leaves it as this process
    # has it: unset, unless set here before.
    workers = dask_client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
    assert list(workers.values()) == [CLIENT_TRIM, CLIENT_TRIM]
    assert os.environ.get("MALLOC_TRIM_THRESHOLD_") == CLIENT_TRIM


def _torch_threads(estimator, X, y):
    """A 'score' that reports the torch threads of the process the fit ran in."""
    return torch.get_num_threads()


def test_a_search_on_a_dask_cluster_equals_one_process(dask_client):
    grid = {"hidden_layer_sizes": [(16,), (32,)], "alpha": [1e-4, 1e-2]}
    model = MLPClassifier(max_iter=15, random_state=0, device="cpu")
    local = GridSearchCV(model, grid, cv=3, n_jobs=1).fit(X_DIGITS, Y_DIGITS)
    with joblib.parallel_backend("dask"):
        remote = GridSearchCV(model, grid, cv=3, n_jobs=-1).fit(X_DIGITS, Y_DIGITS)
    np.testing.assert_allclose(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"], atol=1e-12
    )
    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(
        remote.predict_proba(X_DIGITS), local.predict_proba(X_DIGITS), rtol=1e-5
    )


def test_cross_validate_of_a_convnet_on_a_dask_cluster(dask_client):
    images = X_DIGITS.reshape(-1, 8, 8)
    model = ConvNetClassifier(
        channels=(4,), dense_sizes=(), max_iter=3, random_state=0, device="cpu"
    )
    local = cross_validate(model, images, Y_DIGITS, cv=2, n_jobs=1)
    with joblib.parallel_backend("dask"):
        remote = cross_validate(model, images, Y_DIGITS, cv=2, n_jobs=-1)
    np.testing.assert_allclose(remote["test_score"], local["test_score"], atol=1e-12)


def test_torch_uses_the_workers_share_of_the_cores(dask_client):
    # Each worker of the cluster has one thread: each fit gets one torch thread, so two
    # fits at once on two cores never oversubscribe them.
    model = MLPClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0, device="cpu")
    with joblib.parallel_backend("dask"):
        threads = cross_validate(
            model, X_DIGITS, Y_DIGITS, cv=2, n_jobs=-1, scoring=_torch_threads
        )["test_score"]
    assert list(threads) == [1, 1]
    # joblib's own process pool sets each worker's share the same way.
    share = max(1, (os.cpu_count() or 1) // 2)
    threads = cross_validate(model, X_DIGITS, Y_DIGITS, cv=2, n_jobs=2, scoring=_torch_threads)[
        "test_score"
    ]
    assert list(threads) == [share, share]


def test_compare_on_a_cluster_gives_the_local_scores(dask_client):
    from sklearn.linear_model import LogisticRegression

    models = {
        "logistic": LogisticRegression(max_iter=300),
        "sknn": MLPClassifier(max_iter=10, random_state=0, device="cpu"),
    }
    cv = make_splitter("classification", 3, random_state=0)
    notes_local, notes_remote = [], []
    local = cross_validate_models(
        models, X_DIGITS, Y_DIGITS, cv, progress=False, notes=notes_local
    )
    with joblib.parallel_backend("dask"):
        remote = cross_validate_models(
            models, X_DIGITS, Y_DIGITS, cv, progress=False, notes=notes_remote, n_jobs=-1
        )
    pd.testing.assert_frame_equal(
        remote[["model", "fold", "score"]], local[["model", "fold", "score"]]
    )
    assert notes_remote == notes_local  # the same ConvergenceWarnings, counted once each


def test_sknn_compare_scheduler_local(tmp_path, capsys):
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.randn(60, 3), columns=["a", "b", "c"])
    frame["y"] = (frame.a + frame.b > 0).astype(int)
    csv = tmp_path / "tiny.csv"
    frame.to_csv(csv, index=False)
    common = [
        str(csv),
        "--target",
        "y",
        "--quick",
        "--no-plot",
        "--no-progress",
        "--threads",
        "1",
        "--out-dir",
    ]
    assert main([*common, str(tmp_path / "local")]) == 0
    assert main([*common, str(tmp_path / "cluster"), "--scheduler", "local"]) == 0
    assert "fits run on the Dask cluster" in capsys.readouterr().out
    local = pd.read_csv(tmp_path / "local" / "sknn_compare_tiny_leaderboard.csv")
    remote = pd.read_csv(tmp_path / "cluster" / "sknn_compare_tiny_leaderboard.csv")
    pd.testing.assert_frame_equal(
        remote[["model", "mean_score", "std_score"]], local[["model", "mean_score", "std_score"]]
    )


def test_an_unreachable_scheduler_is_a_usage_error(capsys):
    assert main(["--quick", "--no-plot", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "cannot reach the Dask scheduler" in capsys.readouterr().err


# -- devices ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "local_rank, current, expected",
    [(None, 0, "cuda:0"), (None, 1, "cuda:1"), ("3", 0, "cuda:3"), ("6", 0, "cuda:2")],
)
def test_auto_picks_the_current_gpu_or_the_local_rank(monkeypatch, local_rank, current, expected):
    # CUDA_VISIBLE_DEVICES (dask-cuda's one GPU per worker) is applied by CUDA itself;
    # among the GPUs a process sees, 'auto' takes torchrun's LOCAL_RANK, else the current.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: current)
    if local_rank is None:
        monkeypatch.delenv("LOCAL_RANK", raising=False)
    else:
        monkeypatch.setenv("LOCAL_RANK", local_rank)
    assert str(resolve_device("auto")) == expected


# -- data-parallel training --------------------------------------------------------------

WORKER = textwrap.dedent(
    """
    import os, sys, warnings
    import numpy as np
    import torch
    import torch.distributed as dist
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import StandardScaler
    from sknn import MLPClassifier, MLPRegressor

    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(np.float32)[:600]
    y = y[:600]
    weights = np.linspace(0.5, 2.0, len(y))
    out, mode = sys.argv[1], sys.argv[2]
    early = mode == "early"
    params = dict(hidden_layer_sizes=(32,), max_iter=6, batch_size=50, alpha=1e-3,
                  random_state=None if early else 0, early_stopping=early, device="cpu")
    Estimator, output = MLPClassifier, "predict_proba"
    if mode == "multi-output":  # the squared error's gradient summed over 3 outputs
        Estimator, output = MLPRegressor, "predict"
        y = StandardScaler().fit_transform(np.c_[y, np.sqrt(y), X[:, 20]])
    if "RANK" in os.environ:
        dist.init_process_group("gloo")
        np.random.seed(dist.get_rank())  # random_state=None must still agree across ranks
        clf = Estimator(**params).fit(X, y, sample_weight=weights)
        np.save(f"{out}/proba{dist.get_rank()}.npy", getattr(clf, output)(X))
        if dist.get_rank() == 0:
            clf.save(f"{out}/model.sknn")
        dist.destroy_process_group()
    else:
        np.random.seed(0)
        clf = Estimator(**params).fit(X, y, sample_weight=weights)
        np.save(f"{out}/single.npy", getattr(clf, output)(X))
        np.save(f"{out}/curve.npy", np.array(clf.loss_curve_))
    """
)


def _run_alone_then_on_two_processes(script, out, *args, port):
    """Run ``script out *args`` in one process, then in two gloo processes (torchrun)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    command = [str(script), str(out), *args]
    subprocess.run([sys.executable, *command], env=env, check=True, timeout=300)
    launch = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_port",
        str(port + os.getpid() % 500),
        *command,
    ]
    result = subprocess.run(launch, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize("mode", ["seeded", "early", "multi-output"])
def test_a_two_process_fit_matches_the_one_process_fit(tmp_path, mode):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    _run_alone_then_on_two_processes(script, tmp_path, mode, port=29500)
    single = np.load(tmp_path / "single.npy")
    rank0, rank1 = np.load(tmp_path / "proba0.npy"), np.load(tmp_path / "proba1.npy")
    np.testing.assert_array_equal(rank0, rank1)  # every rank holds the same model
    np.testing.assert_allclose(rank0, single, atol=1e-5)  # ... the one-process model
    model = sknn.load(tmp_path / "model.sknn")  # rank 0 saved it
    np.testing.assert_allclose(model.loss_curve_, np.load(tmp_path / "curve.npy"), rtol=1e-5)
    assert model.t_ == model.n_iter_ * (540 if mode == "early" else 600)


def test_what_cannot_train_data_parallel_is_refused(monkeypatch):
    from sknn.engine import distributed as engine

    monkeypatch.setattr(engine.DataParallel, "current", classmethod(lambda cls: cls(0, 2)))
    monkeypatch.setattr(engine.DataParallel, "broadcast_seed", lambda self, seed: seed)
    monkeypatch.setattr(engine.DataParallel, "broadcast_module", lambda self, module: None)
    monkeypatch.setattr(engine.DataParallel, "check_same_data", lambda self, *a, **k: None)
    with pytest.raises(ValueError, match="lbfgs.*data-parallel over 2 processes"):
        MLPClassifier(solver="lbfgs", device="cpu").fit(X_DIGITS, Y_DIGITS)
    with pytest.raises(ValueError, match="batch_norm=True.*cannot train data-parallel"):
        MLPClassifier(batch_norm=True, device="cpu").fit(X_DIGITS, Y_DIGITS)
    # The sequence estimators' default encoder normalises batches too: named as such.
    series = np.random.RandomState(0).randn(20, 12, 1).astype(np.float32)
    with pytest.raises(ValueError, match=r"convolutional sequence encoders.*cell='gru'"):
        SequenceClassifier(device="cpu").fit(series, np.arange(20) % 2)


@pytest.mark.parametrize("device", ["cpu:0", torch.device("cpu", 0)])
def test_torch_s_indexed_cpu_is_the_cpu(device):
    assert resolve_device(device) == torch.device("cpu")


# -- batches with no rows or no weight -------------------------------------------------------


def _rows_and_labels(n):
    rng = np.random.RandomState(0)
    X = rng.randn(n, 5).astype(np.float32)
    return X, (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)


@pytest.mark.parametrize("captured", [False, True])
def test_a_batch_whose_weights_are_all_zero_is_skipped(captured, graphs_on_cpu):
    # Non-regression: a batch of zero total weight made the loss 0/0 = NaN, and the fit
    # failed blaming the learning rate and the input scale. It has no gradient: its step
    # is skipped (Adam's state does not advance), so the fit is the fit without its rows.
    if captured:
        graphs_on_cpu()  # where a captured step would run (CUDA), such fits train eagerly
    X, y = _rows_and_labels(40)
    weights = np.ones(40)
    weights[8:12] = 0.0  # the third batch of 4 rows, in this fixed order
    kept = weights > 0
    for alpha in (1e-4, 0.0):
        clf, without = (
            MLPClassifier(
                hidden_layer_sizes=(8,),
                batch_size=4,
                max_iter=3,
                shuffle=False,
                alpha=alpha,
                random_state=0,
                device="cpu",
            )
            for _ in range(2)
        )
        clf.fit(X, y, sample_weight=weights)
        without.fit(X[kept], y[kept], sample_weight=weights[kept])
        np.testing.assert_allclose(clf.predict_proba(X), without.predict_proba(X), rtol=1e-6)
    # The skipped batch adds 0 to the epoch's loss, which is over all 40 rows (without
    # alpha: the loss curve adds the penalty once per batch, skipped or not).
    np.testing.assert_allclose(
        np.array(clf.loss_curve_) * 40, np.array(without.loss_curve_) * 36, rtol=1e-6
    )
    # Half the rows weighted 0 and shuffled: some batches weigh 0, the fit still trains.
    weights = np.tile([0.0, 1.0], 20)
    shuffled = MLPClassifier(hidden_layer_sizes=(8,), batch_size=4, max_iter=3, random_state=0)
    assert np.isfinite(shuffled.fit(X, y, sample_weight=weights).loss_curve_).all()


DP_CASES = textwrap.dedent(
    """
    import json, os, sys, warnings
    import numpy as np
    import torch
    import torch.distributed as dist
    from sknn import MLPClassifier
    from sknn.engine.distributed import DataParallel, single_process

    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    out = sys.argv[1]

    def data(n):
        rng = np.random.RandomState(0)
        X = rng.randn(n, 5).astype(np.float32)
        return X, (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)

    def fit(name, n, batch_size, weights=None, **params):
        X, y = data(n)
        clf = MLPClassifier(hidden_layer_sizes=(8,), batch_size=batch_size, max_iter=4,
                            random_state=0, device="cpu", **params)
        try:
            clf.fit(X, y, sample_weight=weights)
        except Exception as error:
            np.savez(f"{out}/{name}_{who}.npz", error=repr(error))
            return
        np.savez(f"{out}/{name}_{who}.npz", proba=clf.predict_proba(X),
                 curve=np.array(clf.loss_curve_))

    def cases():
        # 129 rows in batches of 32: the last batch has 1 row, so rank 1's share is empty.
        fit("empty_share", 129, 32)
        # Every even row weighs 0: rank 0's share of each batch weighs 0, the batch 2.
        fit("zero_weight_share", 64, 4, np.tile([0.0, 1.0], 32), shuffle=False)
        # A whole batch weighing 0 is skipped on every rank.
        fit("zero_weight_batch", 64, 4, np.r_[np.ones(8), np.zeros(4), np.ones(52)],
            shuffle=False)

    if "RANK" in os.environ:
        dist.init_process_group("gloo")
        who = dist.get_rank()
        cases()
        parallel = DataParallel.current()
        X, y = data(100)
        messages = {}
        for name, (Xr, yr, w) in {
            "same": (X, y, None),
            "fewer_rows": (X[:-2], y[:-2], None) if who else (X, y, None),
            "other_y": (X, np.where(np.arange(100) == 50, 1 - y, y) if who else y, None),
            "other_weights": (X, y, np.ones(100) + (who == 1)),
            "other_classes": (X, y, None),
        }.items():
            classes = [0, 1, 2] if name == "other_classes" and who else [0, 1]
            try:
                parallel.check_same_data(Xr, yr, w, classes)
                messages[name] = None
            except ValueError as error:
                messages[name] = str(error)
        try:  # the check in a fit, before any collective could fail
            MLPClassifier(max_iter=1, device="cpu", random_state=0).fit(
                X[:-2] if who else X, y[:-2] if who else y
            )
            messages["fit"] = None
        except ValueError as error:
            messages["fit"] = str(error)
        try:  # parameters that would make the ranks train different steps
            MLPClassifier(hidden_layer_sizes=(5,) if who else (4,), max_iter=1, device="cpu",
                          verbose=who).fit(X, y)
            messages["params"] = None
        except ValueError as error:
            messages["params"] = str(error)
        if who == 0:  # a fit on one process only, not waiting for the others
            with single_process():
                messages["alone"] = MLPClassifier(max_iter=1, device="cpu").fit(X, y).n_iter_
        # Each rank draws the dropout masks of its own rows.
        masks = []
        dropout = torch.nn.functional.dropout

        def spy(input, p=0.5, training=True, inplace=False):
            output = dropout(input, p, training, inplace)
            if training:
                masks.append((output != 0).numpy().tolist())
            return output

        torch.nn.functional.dropout = spy
        MLPClassifier(hidden_layer_sizes=(64,), dropout=0.5, max_iter=1, batch_size=32,
                      shuffle=False, random_state=0, device="cpu").fit(X, y)
        torch.nn.functional.dropout = dropout
        messages["first_mask"] = masks[0]
        with open(f"{out}/check_{who}.json", "w") as f:
            json.dump(messages, f)
        dist.barrier()
        dist.destroy_process_group()
    else:
        who = "single"
        cases()
    """
)


@pytest.fixture(scope="module")
def data_parallel_cases(tmp_path_factory):
    """The outputs of DP_CASES, run in one process and in two gloo processes."""
    out = tmp_path_factory.mktemp("dp_cases")
    script = out / "cases.py"
    script.write_text(DP_CASES)
    _run_alone_then_on_two_processes(script, out, port=29000)
    return out


@pytest.mark.parametrize("case", ["empty_share", "zero_weight_share", "zero_weight_batch"])
def test_a_share_without_rows_or_weight_matches_the_one_process_fit(data_parallel_cases, case):
    # Non-regression: a rank whose share of a batch had no rows (a last batch of fewer
    # rows than processes) made the epoch loss NaN and stopped the fit after one epoch;
    # one whose share weighed 0 made its gradient 0/0 = NaN, poisoning the all-reduce.
    fits = {}
    for who in ("single", 0, 1):
        saved = np.load(data_parallel_cases / f"{case}_{who}.npz")
        assert "error" not in saved, (who, str(saved["error"]))
        fits[who] = saved
    np.testing.assert_array_equal(fits[0]["proba"], fits[1]["proba"])
    np.testing.assert_allclose(fits[0]["proba"], fits["single"]["proba"], atol=1e-5)
    assert len(fits[0]["curve"]) == len(fits["single"]["curve"]) == 4
    np.testing.assert_allclose(fits[0]["curve"], fits["single"]["curve"], rtol=1e-5)


def _gathered_from_two_ranks(monkeypatch, theirs):
    """Make check_same_data's all-gather return this rank's summary and ``theirs``."""
    from sknn.engine import distributed as engine

    def all_gather_object(summaries, summary):
        summaries[:] = [
            summary,
            engine._params_summary(theirs[0]) + engine._data_summary(*theirs[1:]),
        ]

    monkeypatch.setattr(engine.dist, "all_gather_object", all_gather_object)
    return engine.DataParallel(0, 2)


@pytest.mark.parametrize(
    "ours, theirs, difference",
    [
        (
            {"class_weight": {0: 1.0, 1: 2.0}},
            {"class_weight": {0: 1.0, 1: 3.0}},
            "class_weight={0: 1.0, 1: 3.0} but rank 0 has {0: 1.0, 1: 2.0}",
        ),
        (
            {"hidden_layer_sizes": np.array([8, 4])},
            {"hidden_layer_sizes": np.array([8, 5])},
            "hidden_layer_sizes=array([8, 5]) but rank 0 has array([8, 4])",
        ),
        (
            {"batch_size": 16, "max_iter": 2},
            {"batch_size": 16, "max_iter": 3},
            "max_iter=3 but rank 0 has 2",
        ),
        (
            {"alpha": 0.1, "max_iter": 2},
            {"max_iter": 2, "tol": 0.1},
            "fits another kind of estimator",
        ),
    ],
)
def test_processes_given_other_parameters_are_told_so(monkeypatch, ours, theirs, difference):
    # Non-regression: ranks given other parameters aborted inside gloo ("Connection reset
    # by peer"), or one returned while the other died; now every rank raises this error.
    X, y = _rows_and_labels(20)
    parallel = _gathered_from_two_ranks(monkeypatch, (theirs, X, y, None, [0, 1]))
    with pytest.raises(ValueError) as error:
        parallel.check_same_data(X, y, None, [0, 1], params=ours)
    assert str(error.value) == (
        "Data-parallel fit over 2 processes: rank 1 %s. Every process must call the same fit "
        "with the same parameters (only verbose, device, checkpoint and callbacks may "
        "differ); to fit in one process alone, fit inside "
        "sknn.engine.distributed.single_process()."
        % (difference if difference.startswith("fits") else "has " + difference)
    )


def test_parameters_that_differ_only_in_address_or_per_process_are_the_same(monkeypatch):
    # A function's or an object's repr holds its address, which differs between processes:
    # compared by type. verbose, device, checkpoint and callbacks may differ per process.
    X, y = _rows_and_labels(20)
    ours = {
        "activation": lambda x: x,
        "tokenizer": object(),
        "class_weight": {1: 2, 0: 1},
        "verbose": 0,
        "device": "cuda:0",
        "checkpoint": "rank0.pt",
        "callbacks": None,
    }
    theirs = {
        "activation": lambda x: x,
        "tokenizer": object(),
        "class_weight": {0: 1, 1: 2},
        "verbose": 1,
        "device": "cuda:1",
        "checkpoint": None,
        "callbacks": [object()],
    }
    parallel = _gathered_from_two_ranks(monkeypatch, (theirs, X, y, None, [0, 1]))
    parallel.check_same_data(X, y, None, [0, 1], params=ours)


def test_single_process_fits_alone_inside_a_process_group(monkeypatch):
    import threading

    from sknn.engine import distributed as engine

    monkeypatch.setattr(engine.dist, "is_initialized", lambda: True)
    monkeypatch.setattr(engine.dist, "get_world_size", lambda: 2)
    monkeypatch.setattr(engine.dist, "get_rank", lambda: 0)
    assert repr(engine.DataParallel.current()) == "DataParallel(rank=0, world_size=2)"
    seen = []
    with engine.single_process():
        seen.append(engine.DataParallel.current())
        with engine.single_process():
            seen.append(engine.DataParallel.current())
        seen.append(engine.DataParallel.current())
        # Also for fits in the process's other threads (joblib's threading backend).
        thread = threading.Thread(target=lambda: seen.append(engine.DataParallel.current()))
        thread.start()
        thread.join()
    assert seen == [None] * 4
    assert engine.DataParallel.current() is not None


def test_each_rank_draws_from_a_stream_of_its_own():
    from sknn.engine.distributed import DataParallel

    def draws(rank, seed=3):
        DataParallel(rank, 2).seed_own_draws(seed, "cpu")
        return torch.rand(8)

    with torch.random.fork_rng():
        assert torch.equal(draws(0), draws(0))
        assert not torch.equal(draws(0), draws(1))
        assert not torch.equal(draws(1), draws(1, seed=4))


def test_processes_given_other_data_are_told_so(data_parallel_cases):
    # Non-regression: ranks fitting on different data crashed inside gloo (an abort on a
    # size mismatch) or trained on a mix of their datasets without a word.
    messages = [json.loads((data_parallel_cases / f"check_{r}.json").read_text()) for r in (0, 1)]
    # Each rank drew its own dropout masks (the same ones, row for row, before).
    masks = [np.array(m.pop("first_mask")) for m in messages]
    assert masks[0].shape == masks[1].shape == (16, 64)  # 32 rows a batch, 16 each
    assert 0.3 < (masks[0] == masks[1]).mean() < 0.7
    # A fit in one process only, inside single_process(), ran alone.
    assert messages[0].pop("alone") == 1 and "alone" not in messages[1]
    assert messages[0] == messages[1]  # the same error on every rank
    messages = messages[0]
    # Other parameters: the fit is refused before any collective (it aborted in gloo).
    assert messages.pop("params") == (
        "Data-parallel fit over 2 processes: rank 1 has hidden_layer_sizes=(5,) but rank 0 "
        "has (4,). Every process must call the same fit with the same parameters (only "
        "verbose, device, checkpoint and callbacks may differ); to fit in one process "
        "alone, fit inside sknn.engine.distributed.single_process()."
    )
    assert messages["same"] is None
    expected = {
        "fewer_rows": "rank 1 has X of shape (98, 5) but rank 0 has X of shape (100, 5)",
        "other_y": "rank 1 has other values of y than rank 0",
        "other_weights": "rank 1 has other values of sample_weight than rank 0",
        "other_classes": "rank 1 has 3 classes but rank 0 has 2 classes",
    }
    expected["fit"] = expected["fewer_rows"]
    for name, difference in expected.items():
        assert messages[name] == (
            "Data-parallel fit over 2 processes: %s. Every process must fit on the same data "
            "(the same X, y and sample_weight, in the same order)." % difference
        )
