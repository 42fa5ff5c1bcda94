"""Beyond one process: searches on a Dask cluster, torch's threads inside workers, the
device a worker picks, and data-parallel training over torch.distributed (gloo)."""

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
from sknn import ConvNetClassifier, MLPClassifier
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
    from sknn import MLPClassifier

    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(np.float32)[:600]
    y = y[:600]
    weights = np.linspace(0.5, 2.0, len(y))
    out, early = sys.argv[1], sys.argv[2] == "early"
    params = dict(hidden_layer_sizes=(32,), max_iter=6, batch_size=50, alpha=1e-3,
                  random_state=None if early else 0, early_stopping=early, device="cpu")
    if "RANK" in os.environ:
        dist.init_process_group("gloo")
        np.random.seed(dist.get_rank())  # random_state=None must still agree across ranks
        clf = MLPClassifier(**params).fit(X, y, sample_weight=weights)
        np.save(f"{out}/proba{dist.get_rank()}.npy", clf.predict_proba(X))
        if dist.get_rank() == 0:
            clf.save(f"{out}/model.sknn")
        dist.destroy_process_group()
    else:
        np.random.seed(0)
        clf = MLPClassifier(**params).fit(X, y, sample_weight=weights)
        np.save(f"{out}/single.npy", clf.predict_proba(X))
        np.save(f"{out}/curve.npy", np.array(clf.loss_curve_))
    """
)


@pytest.mark.parametrize("mode", ["seeded", "early"])
def test_a_two_process_fit_matches_the_one_process_fit(tmp_path, mode):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    subprocess.run(
        [sys.executable, str(script), str(tmp_path), mode], env=env, check=True, timeout=300
    )
    launch = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_port",
        str(29500 + os.getpid() % 500),
        str(script),
        str(tmp_path),
        mode,
    ]
    result = subprocess.run(launch, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
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
    with pytest.raises(ValueError, match="lbfgs.*data-parallel over 2 processes"):
        MLPClassifier(solver="lbfgs", device="cpu").fit(X_DIGITS, Y_DIGITS)
    with pytest.raises(ValueError, match="batch_norm=True cannot train data-parallel"):
        MLPClassifier(batch_norm=True, device="cpu").fit(X_DIGITS, Y_DIGITS)


@pytest.mark.parametrize("device", ["cpu:0", torch.device("cpu", 0)])
def test_torch_s_indexed_cpu_is_the_cpu(device):
    assert resolve_device(device) == torch.device("cpu")
