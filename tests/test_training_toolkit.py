"""The shared training toolkit: schedules, penalties, clipping, restarts, history,
pictures, checkpoints, mixed precision, compilation and search spaces.

Each test would fail if the feature it covers did nothing.
"""

import copy
import tempfile
import warnings
from unittest import mock

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import RandomizedSearchCV
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

from sknn import MLPClassifier, MLPRegressor
from sknn.engine.callbacks import schedule_factor
from sknn.inspection import LossCurveDisplay
from sknn.search_spaces import param_distributions

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = StandardScaler().fit_transform(X_IRIS)
FAST = dict(device="cpu", random_state=0)


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


class _RecordLR(Callback):
    """The learning rate each optimizer step actually used."""

    def initialize(self):
        self.lrs = []
        return self

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.lrs.append(net.optimizer_.param_groups[0]["lr"])


class _RecordGradNorm(Callback):
    def initialize(self):
        self.norms = []
        return self

    def on_grad_computed(self, net, named_parameters, **kwargs):
        grads = [p.grad for _, p in named_parameters if p.grad is not None]
        self.norms.append(float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))))


# -- learning-rate schedules -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["linear", "cosine"])
@pytest.mark.parametrize("warmup", [4, 0.25])
def test_learning_rate_follows_warmup_and_decay_per_batch(kind, warmup):
    record = _RecordLR()
    # 150 rows in batches of 50: 3 steps per epoch, 16 steps in all.
    MLPClassifier(
        batch_size=50,
        max_iter=16 // 3 + 1,
        learning_rate=kind,
        learning_rate_init=0.01,
        warmup=warmup,
        min_lr=0.1,
        n_iter_no_change=np.inf,
        callbacks=[record],
        **FAST,
    ).fit(X_IRIS, Y_IRIS)
    total = 3 * (16 // 3 + 1)
    warmup_steps = warmup if isinstance(warmup, int) else int(np.ceil(warmup * total))
    expected = [
        0.01 * schedule_factor(kind, step, total, warmup_steps, 0.1) for step in range(total)
    ]
    np.testing.assert_allclose(record.lrs, expected, rtol=1e-12)
    assert record.lrs[0] < record.lrs[warmup_steps - 1] == pytest.approx(0.01)
    assert record.lrs[-1] == pytest.approx(
        0.01 * (0.1 + 0.9 * (1 / (total - warmup_steps))), rel=0.5
    )
    assert min(record.lrs[warmup_steps:]) >= 0.001 - 1e-12  # never below the floor


def _schedule_warnings(**params):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        MLPClassifier(batch_size=50, **params, **FAST).fit(X_IRIS, Y_IRIS)
    return [str(w.message) for w in caught if "learning-rate schedule spans" in str(w.message)]


def test_a_decaying_schedule_over_too_few_steps_warns():
    # 150 rows in batches of 50: 3 steps an epoch.
    (message,) = _schedule_warnings(learning_rate="cosine", max_iter=16)
    assert "'cosine' learning-rate schedule spans only 48 optimizer steps" in message
    assert "(16 epochs of 3 batches of up to 50 rows)" in message
    assert "lower batch_size or raise max_iter to give it at least 50" in message
    assert _schedule_warnings(learning_rate="linear", max_iter=16)
    # Enough steps, or a schedule that does not decay to a floor: no warning.
    assert not _schedule_warnings(learning_rate="cosine", max_iter=17)
    assert not _schedule_warnings(learning_rate="constant", max_iter=2)
    assert not _schedule_warnings(learning_rate="plateau", max_iter=2)


def test_constant_schedule_with_warmup_then_flat():
    record = _RecordLR()
    MLPClassifier(batch_size=50, max_iter=3, warmup=3, callbacks=[record], **FAST).fit(
        X_IRIS, Y_IRIS
    )
    np.testing.assert_allclose(record.lrs[:3], [0.001 / 3, 0.002 / 3, 0.001])
    assert set(record.lrs[3:]) == {0.001}


def test_plateau_schedule_halves_the_rate_when_the_loss_stalls():
    clf = MLPClassifier(
        learning_rate="plateau", tol=10.0, n_iter_no_change=4, max_iter=5, min_lr=0.2, **FAST
    ).fit(X_IRIS, Y_IRIS)
    lrs = pd.DataFrame(clf.history_)["lr"].tolist()
    assert lrs[0] == 0.001
    assert lrs[-1] < 0.001
    assert min(lrs) >= 0.0002


def test_plateau_schedule_counts_across_partial_fit_calls_and_a_resume(tmp_path):
    # Non-regression: the count of epochs without improvement restarted at every call,
    # so a partial_fit loop never lowered the rate, and a resumed fit lowered it late.
    params = dict(learning_rate="plateau", tol=10.0, n_iter_no_change=6, max_iter=8, **FAST)
    straight = MLPClassifier(**params).fit(X_IRIS, Y_IRIS)
    lrs = pd.DataFrame(straight.history_)["lr"].tolist()
    assert lrs == [0.001] * 4 + [0.0005] * 3 + [0.00025]
    incremental = MLPClassifier(**params)
    for _ in range(8):
        incremental.partial_fit(X_IRIS, Y_IRIS, classes=np.unique(Y_IRIS))
    assert pd.DataFrame(incremental.history_)["lr"].tolist() == lrs
    path = tmp_path / "ckpt.pt"
    MLPClassifier(**{**params, "max_iter": 3}, checkpoint=path).fit(X_IRIS, Y_IRIS)
    resumed = MLPClassifier(**params, resume_from=path).fit(X_IRIS, Y_IRIS)
    assert resumed.loss_curve_ == straight.loss_curve_


def test_adaptive_schedule_divides_the_base_rate_under_a_warmup():
    # Non-regression: the fifth was taken of the warm-up's fraction of the rate, so a
    # reduction during the warm-up cut the base rate by ~10 and every later rate was low.
    X, y = make_classification(200, 10, random_state=0)
    lrs = {}
    for warmup in (0, 60):
        clf = MLPClassifier(
            hidden_layer_sizes=(16,),
            solver="sgd",
            learning_rate="adaptive",
            learning_rate_init=0.1,
            warmup=warmup,
            batch_size=20,
            n_iter_no_change=1,
            tol=10.0,
            max_iter=12,
            **FAST,
        ).fit(X, y)
        lrs[warmup] = pd.DataFrame(clf.history_)["lr"].to_numpy()
    # Ten batches an epoch: the warm-up ends in epoch 6, after the second reduction.
    np.testing.assert_allclose(lrs[0][:6], [0.1, 0.1, 0.1, 0.02, 0.02, 0.004])
    np.testing.assert_allclose(lrs[60][5:], lrs[0][5:])


def test_learning_rate_is_recorded_per_epoch_in_history():
    clf = MLPClassifier(max_iter=4, learning_rate="linear", **FAST).fit(X_IRIS, Y_IRIS)
    table = pd.DataFrame(clf.history_)
    assert {"epoch", "train_loss", "lr", "dur", "best"} <= set(table.columns)
    assert table["lr"].is_monotonic_decreasing and len(table) == 4


# -- regularisation ----------------------------------------------------------------------


def test_l1_drives_uninformative_weights_towards_zero():
    X, y = make_classification(
        n_samples=400,
        n_features=20,
        n_informative=4,
        n_redundant=0,
        shuffle=False,
        random_state=0,
    )
    params = dict(hidden_layer_sizes=(16,), max_iter=150, learning_rate_init=0.01, **FAST)
    plain = MLPClassifier(**params).fit(X, y)
    sparse = MLPClassifier(l1=3e-3, **params).fit(X, y)
    noise = np.abs(sparse.coefs_[0][4:])  # shuffle=False puts the informative features first
    assert noise.mean() < 0.2 * np.abs(plain.coefs_[0][4:]).mean()
    assert (noise < 1e-2).mean() > 0.5  # most weights from noise features are near zero
    assert np.abs(sparse.coefs_[0][:4]).mean() > 3 * noise.mean()
    assert sparse.score(X, y) > 0.9


def test_gradient_clipping_bounds_the_gradient_norm():
    X, y = make_classification(n_samples=200, random_state=0)
    X = X * 100  # large inputs give large gradients
    free, clipped = _RecordGradNorm(), _RecordGradNorm()
    MLPClassifier(max_iter=3, callbacks=[free], **FAST).fit(X, y)
    MLPClassifier(max_iter=3, grad_clip=0.5, callbacks=[clipped], **FAST).fit(X, y)
    assert max(free.norms) > 0.5
    assert max(clipped.norms) <= 0.5 * (1 + 1e-5)


def test_label_smoothing_makes_the_classifier_less_confident():
    params = dict(max_iter=200, learning_rate_init=0.01, **FAST)
    sharp = MLPClassifier(**params).fit(X_IRIS, Y_IRIS)
    smooth = MLPClassifier(label_smoothing=0.2, **params).fit(X_IRIS, Y_IRIS)
    assert smooth.predict_proba(X_IRIS).max(axis=1).mean() < (
        sharp.predict_proba(X_IRIS).max(axis=1).mean() - 0.05
    )


def test_adamw_weight_decay_shrinks_weights():
    params = dict(solver="adamw", alpha=0.0, max_iter=100, learning_rate_init=0.01, **FAST)
    none = MLPClassifier(weight_decay=0.0, **params).fit(X_IRIS, Y_IRIS)
    decayed = MLPClassifier(weight_decay=1.0, **params).fit(X_IRIS, Y_IRIS)
    assert np.abs(decayed.coefs_[0]).mean() < np.abs(none.coefs_[0]).mean()


# -- restarts and ensembles --------------------------------------------------------------


def test_n_init_keeps_the_run_with_the_best_validation_score():
    clf = MLPClassifier(n_init=4, early_stopping=True, max_iter=15, **FAST).fit(X_IRIS, Y_IRIS)
    assert len(clf.init_scores_) == 4
    assert clf.best_init_ == int(np.argmax(clf.init_scores_))
    assert clf.best_validation_score_ == max(clf.init_scores_)
    assert len(set(clf.init_scores_)) > 1  # the runs really differ
    assert clf.runs_ is None


@pytest.mark.parametrize("random_state", [0, None])
def test_early_stopping_holds_out_the_same_rows_across_warm_fits_and_restarts(
    monkeypatch, random_state
):
    # Non-regression: the split was drawn from each fit's seed, offset by t_ for warm
    # fits (so most of a warm fit's validation rows had been trained on) and different
    # for each n_init run (which ensemble='best' then compared on unequal footing).
    from sknn.base import BaseNeuralNet

    drawn = []
    split = BaseNeuralNet._validation_split

    def spy(self, *args):
        train, valid = split(self, *args)
        drawn.append(sorted(valid))
        return train, valid

    monkeypatch.setattr(BaseNeuralNet, "_validation_split", spy)
    X, y = make_classification(200, 10, random_state=0)
    params = dict(early_stopping=True, max_iter=2, device="cpu", random_state=random_state)
    warm = MLPClassifier(warm_start=True, **params)
    for _ in range(3):
        warm.fit(X, y)
    assert drawn[0] == drawn[1] == drawn[2]
    drawn.clear()
    MLPClassifier(n_init=3, **params).fit(X, y)
    assert len(drawn) == 3 and drawn[0] == drawn[1] == drawn[2]


def test_n_init_keeps_a_finite_run_and_ranks_the_networks_kept():
    # Non-regression: runs were scored by -loss_ and ranked by np.argmax, which takes NaN
    # for the maximum: a run whose last epoch went NaN (R^2 -1.6) beat one that never
    # diverged (R^2 +0.02). And loss_ is the last epoch's, not that of the weights a
    # diverged run kept.
    X, y = make_regression(100, 5, noise=1, random_state=0)
    params = dict(solver="sgd", learning_rate_init=0.015, max_iter=10, hidden_layer_sizes=(10,))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = MLPRegressor(n_init=4, ensemble="average", random_state=3, device="cpu", **params)
        reg.fit(X, y)
    assert any(not np.isfinite(run.loss_) for run in reg.runs_)
    assert np.isfinite(reg.init_scores_).all()
    # The score of each run is the loss of the network it kept, on the training rows (all
    # 100 here): the ranking is that of their R^2.
    r2 = [run.score(X, y) for run in reg.runs_]
    assert reg.best_init_ == int(np.argmax(r2)) == int(np.argmax(reg.init_scores_))
    for run, score in zip(reg.runs_, reg.init_scores_, strict=True):
        mse = np.mean((run.predict(X) - y) ** 2)
        assert -score == pytest.approx(mse / 2, rel=1e-5)


def test_n_init_average_averages_the_runs_predictions():
    clf = MLPClassifier(n_init=3, ensemble="average", max_iter=10, **FAST).fit(X_IRIS, Y_IRIS)
    proba = clf.predict_proba(X_IRIS)
    members = [run.predict_proba(X_IRIS) for run in clf.runs_]
    np.testing.assert_allclose(proba, np.mean(members, axis=0))
    assert not np.allclose(proba, members[clf.best_init_])
    reg = MLPRegressor(n_init=2, ensemble="average", max_iter=5, **FAST).fit(X_IRIS, Y_IRIS)
    np.testing.assert_allclose(
        reg.predict(X_IRIS), np.mean([r.predict(X_IRIS) for r in reg.runs_], axis=0)
    )


def test_a_refit_with_one_init_replaces_the_averaged_runs():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    reg = MLPRegressor(n_init=2, ensemble="average", max_iter=5, **FAST).fit(
        X, rng.normal(size=40)
    )
    reg.set_params(n_init=1, solver="lbfgs", max_iter=50).fit(X, 100 + X[:, 0])
    assert not hasattr(reg, "runs_") and not hasattr(reg, "init_scores_")
    assert np.abs(reg.predict(X) - (100 + X[:, 0])).mean() < 5  # the new fit, not the runs
    clf = MLPClassifier(n_init=2, ensemble="average", max_iter=5, **FAST)
    clf.fit(X, np.arange(40) % 2).set_params(n_init=1).fit(X, np.array(list("abcd") * 10))
    assert clf.predict_proba(X).shape == (40, 4)


@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_continuing_an_averaged_model_continues_every_network(how):
    # Each network continues as it would alone, under the estimator's parameters as they
    # are now (max_iter changed here), and predict averages the continued networks.
    clf = MLPClassifier(n_init=2, ensemble="average", max_iter=5, **FAST).fit(X_IRIS, Y_IRIS)
    alone = [copy.deepcopy(run) for run in clf.runs_]
    if how == "warm_start":
        clf.set_params(warm_start=True, max_iter=3).fit(X_IRIS, Y_IRIS)
        for run in alone:
            run.set_params(warm_start=True, max_iter=3).fit(X_IRIS, Y_IRIS)
    else:
        clf.partial_fit(X_IRIS, Y_IRIS)
        for run in alone:
            run.partial_fit(X_IRIS, Y_IRIS)
    assert len(clf.runs_) == 2
    for run, twin in zip(clf.runs_, alone, strict=True):
        assert run.t_ == twin.t_ > 5 * len(X_IRIS)
        np.testing.assert_array_equal(run.predict_proba(X_IRIS), twin.predict_proba(X_IRIS))
    np.testing.assert_allclose(
        clf.predict_proba(X_IRIS),
        np.mean([twin.predict_proba(X_IRIS) for twin in alone], axis=0),
        rtol=1e-6,
    )
    kept = clf.runs_[clf.best_init_]
    assert clf.net_ is kept.net_ and clf.n_iter_ == kept.n_iter_


def test_a_failed_continuation_leaves_every_network_as_it_was():
    clf = MLPClassifier(n_init=2, ensemble="average", max_iter=5, **FAST).fit(X_IRIS, Y_IRIS)
    before = [(run.t_, run.predict_proba(X_IRIS)) for run in clf.runs_]
    proba = clf.predict_proba(X_IRIS)
    # The second network fails after the first has trained its epoch.
    with mock.patch.object(clf.runs_[1], "_train", side_effect=RuntimeError("boom")):
        with pytest.raises(RuntimeError, match="boom"):
            clf.partial_fit(X_IRIS, Y_IRIS)
    for run, (t, run_proba) in zip(clf.runs_, before, strict=True):
        assert run.t_ == t
        np.testing.assert_array_equal(run.predict_proba(X_IRIS), run_proba)
    np.testing.assert_array_equal(clf.predict_proba(X_IRIS), proba)


def test_continuing_the_kept_run_of_best():
    clf = MLPClassifier(n_init=2, max_iter=5, **FAST).fit(X_IRIS, Y_IRIS)
    t = clf.t_
    clf.partial_fit(X_IRIS, Y_IRIS)
    assert clf.runs_ is None and clf.t_ == t + len(X_IRIS)


def test_the_runs_of_n_init_warn_once():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        MLPClassifier(n_init=3, max_iter=2, **FAST).fit(X_IRIS, Y_IRIS)
    messages = [str(w.message) for w in caught if w.category is ConvergenceWarning]
    assert len(messages) == 1 and "Maximum iterations (2)" in messages[0]
    assert caught[0].filename == __file__


def test_n_init_refuses_incremental_use():
    with pytest.raises(ValueError, match="n_init > 1"):
        MLPClassifier(n_init=2, **FAST).partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])


# -- progress, pictures, checkpoints -----------------------------------------------------


def test_verbose_1_shows_a_progress_bar(capsys):
    MLPClassifier(max_iter=3, verbose=1, **FAST).fit(X_IRIS, Y_IRIS)
    err = capsys.readouterr().err
    assert "MLPClassifier" in err and "3/3" in err and "loss=" in err


def test_verbose_2_prints_sklearn_messages(capsys):
    MLPClassifier(max_iter=2, verbose=2, **FAST).fit(X_IRIS, Y_IRIS)
    assert "Iteration 2, loss = " in capsys.readouterr().out


def test_loss_curve_display_never_marks_a_nan_epoch_best():
    pytest.importorskip("matplotlib").use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.base import BaseEstimator

    class Fitted(BaseEstimator):
        history_ = [{"epoch": i + 1, "train_loss": v} for i, v in enumerate([np.nan, 3.0, 2.0])]

        def fit(self):
            return self

        def __sklearn_is_fitted__(self):
            return True

    display = LossCurveDisplay.from_estimator(Fitted())
    assert display.best_epoch == 3
    plt.close(display.figure_)


def test_loss_curve_display_marks_the_epoch_whose_weights_were_kept():
    # Non-regression: after a divergence (a NaN validation score last) the NaN epoch was
    # marked best, and after a warm start that turned early stopping on, the best epoch was
    # counted from the second fit's first epoch and the validation curve was not drawn.
    pytest.importorskip("matplotlib").use("Agg")
    import matplotlib.pyplot as plt

    clf = MLPClassifier(max_iter=4, **FAST).fit(X_IRIS, Y_IRIS)
    clf.set_params(warm_start=True, early_stopping=True, max_iter=3, n_iter_no_change=50)
    clf.fit(X_IRIS, Y_IRIS)
    display = LossCurveDisplay.from_estimator(clf)
    assert len(display.train_loss) == 7 and len(display.lines_) == 2
    assert np.isnan(display.valid_loss[:4]).all() and np.isfinite(display.valid_loss[4:]).all()
    assert display.best_epoch == 4 + int(np.argmax(clf.validation_scores_)) + 1
    plt.close(display.figure_)

    clf.history_[-1]["valid_score"] = np.nan  # a diverged last epoch
    display = LossCurveDisplay.from_estimator(clf)
    assert display.best_epoch == 4 + int(np.argmax(clf.validation_scores_[:-1])) + 1
    plt.close(display.figure_)


def test_loss_curve_display_reads_a_pipelines_last_step():
    # Non-regression: a Pipeline (as the user guide recommends, with a scaler) gave
    # AttributeError: 'Pipeline' object has no attribute 'history_'.
    pytest.importorskip("matplotlib").use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.pipeline import make_pipeline

    pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=3, **FAST)).fit(X_IRIS, Y_IRIS)
    display = LossCurveDisplay.from_estimator(pipe)
    assert len(display.train_loss) == 3 and display.estimator_name == "MLPClassifier"
    np.testing.assert_allclose(display.train_loss, pipe[-1].loss_curve_, rtol=1e-3)
    plt.close(display.figure_)
    scaler = make_pipeline(StandardScaler()).fit(X_IRIS)
    with pytest.raises(TypeError, match="needs a fitted sknn estimator.*got StandardScaler"):
        LossCurveDisplay.from_estimator(scaler)


def test_loss_curve_display_draws_a_picture(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    clf = MLPClassifier(early_stopping=True, max_iter=30, **FAST).fit(X_IRIS, Y_IRIS)
    display = LossCurveDisplay.from_estimator(clf)
    assert len(display.lines_) == 2
    np.testing.assert_allclose(display.lines_[0].get_ydata(), clf.loss_curve_, rtol=1e-3)
    assert display.best_epoch == int(np.argmax(clf.validation_scores_)) + 1
    path = tmp_path / "curve.png"
    display.figure_.savefig(path)
    plt.close(display.figure_)
    pixels = plt.imread(path)
    assert pixels.std() > 0.01  # not a blank canvas


def test_checkpoint_then_resume_continues_from_the_checkpoints_epoch(tmp_path):
    path = tmp_path / "ckpt.pt"
    params = dict(n_iter_no_change=np.inf, **FAST)
    first = MLPClassifier(max_iter=5, checkpoint=path, **params).fit(X_IRIS, Y_IRIS)
    assert path.exists()
    resumed = MLPClassifier(max_iter=8, resume_from=path, **params).fit(X_IRIS, Y_IRIS)
    assert resumed.n_iter_ == 8 and len(resumed.loss_curve_) == 8
    assert resumed.loss_curve_[:5] == first.loss_curve_
    assert resumed.t_ == 8 * len(X_IRIS)
    # the resumed run picks up the weights and the random streams (shuffles, dropout):
    # it is the uninterrupted run, bit for bit
    straight = MLPClassifier(max_iter=8, **params).fit(X_IRIS, Y_IRIS)
    assert resumed.loss_curve_ == straight.loss_curve_
    np.testing.assert_array_equal(resumed.predict_proba(X_IRIS), straight.predict_proba(X_IRIS))
    assert len(pd.DataFrame(resumed.history_)) == 8


def test_partial_fit_resumes_from_a_checkpoint_as_the_next_call_in_memory(tmp_path):
    # Non-regression: partial_fit ignored resume_from, trained a fresh network and wrote
    # it over the checkpoint that held the interrupted loop's progress.
    path = tmp_path / "loop.ckpt"
    params = dict(hidden_layer_sizes=(8,), dropout=0.2, checkpoint=path, **FAST)
    classes = np.unique(Y_IRIS)
    in_memory = MLPClassifier(**params)
    for _ in range(3):
        in_memory.partial_fit(X_IRIS, Y_IRIS, classes=classes)
    resumed = MLPClassifier(resume_from=path, **params)
    resumed.partial_fit(X_IRIS, Y_IRIS, classes=classes)
    in_memory.partial_fit(X_IRIS, Y_IRIS)
    assert resumed.t_ == in_memory.t_ == 4 * len(X_IRIS)
    assert resumed.loss_curve_ == in_memory.loss_curve_
    np.testing.assert_array_equal(resumed.predict_proba(X_IRIS), in_memory.predict_proba(X_IRIS))


def test_resume_from_a_missing_file(tmp_path):
    # The checkpoint's own file, not written yet: a restartable job's first run.
    path = tmp_path / "job.ckpt"
    first = MLPClassifier(max_iter=3, checkpoint=path, resume_from=path, **FAST)
    first.fit(X_IRIS, Y_IRIS)
    assert path.exists() and first.n_iter_ == 3
    again = MLPClassifier(max_iter=5, checkpoint=path, resume_from=path, **FAST)
    assert again.fit(X_IRIS, Y_IRIS).n_iter_ == 5 and again.loss_curve_[:3] == first.loss_curve_
    # Any other missing file is a mistake, named.
    with pytest.raises(FileNotFoundError, match="resume_from=.*typo.ckpt.*no such checkpoint"):
        MLPClassifier(resume_from=tmp_path / "typo.ckpt", **FAST).fit(X_IRIS, Y_IRIS)


def test_a_resumed_fit_with_dropout_and_no_seed_is_the_uninterrupted_one(tmp_path):
    # Non-regression: the resumed epochs replayed the first epochs' shuffles and dropout
    # masks (a new generator from the seed), and random_state=None drew another seed, so
    # also another validation split.
    path = tmp_path / "ckpt.pt"
    params = dict(
        hidden_layer_sizes=(16,),
        dropout=0.2,
        early_stopping=True,
        n_iter_no_change=50,
        device="cpu",
        random_state=None,
    )

    class Interrupt(Callback):
        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == 3:
                raise KeyboardInterrupt

    np.random.seed(7)  # random_state=None draws its seed from NumPy's global generator
    MLPClassifier(max_iter=6, checkpoint=path, callbacks=[Interrupt()], **params).fit(
        X_IRIS, Y_IRIS
    )
    resumed = MLPClassifier(max_iter=6, resume_from=path, **params).fit(X_IRIS, Y_IRIS)
    np.random.seed(7)
    straight = MLPClassifier(max_iter=6, **params).fit(X_IRIS, Y_IRIS)
    assert resumed.loss_curve_ == straight.loss_curve_
    assert resumed.validation_scores_ == straight.validation_scores_


@pytest.mark.parametrize(
    "params, match",
    [
        ({"learning_rate_init": 0.1}, r"learning_rate_init=0.1 \(the checkpoint's 0.001\)"),
        ({"activation": "tanh"}, r"activation='tanh' \(the checkpoint's 'relu'\)"),
        ({"solver": "sgd"}, r"solver='sgd' \(the checkpoint's 'adam'\)"),
        ({"solver": "lbfgs"}, "resume_from saves or restores the state .* solver='lbfgs'"),
        ({"n_init": 2}, "cannot be combined with .*resume_from"),
    ],
    ids=["learning-rate", "activation", "solver", "lbfgs", "n_init"],
)
def test_resuming_with_other_parameters_is_refused(tmp_path, params, match):
    # Non-regression: a changed activation or learning rate was ignored without a word
    # (the checkpoint's optimizer settings won), and another solver raised torch's
    # KeyError at the first step.
    path = tmp_path / "ckpt.pt"
    MLPClassifier(max_iter=2, checkpoint=path, **FAST).fit(X_IRIS, Y_IRIS)
    with pytest.raises(ValueError, match=match):
        MLPClassifier(max_iter=4, resume_from=path, **{**FAST, **params}).fit(X_IRIS, Y_IRIS)
    # What only changes where, how long or how verbosely it runs may change.
    MLPClassifier(max_iter=4, resume_from=path, verbose=0, **FAST).fit(X_IRIS, Y_IRIS)


def test_checkpoints_that_could_not_be_written_are_refused_before_training(tmp_path, monkeypatch):
    # Non-regression: with solver='lbfgs' nothing was written, without a word; a folder
    # that cannot be written to failed only after the first epoch.
    with pytest.raises(ValueError, match="checkpoint saves or restores .* solver='lbfgs'"):
        MLPClassifier(solver="lbfgs", checkpoint=tmp_path / "c.ckpt", **FAST).fit(X_IRIS, Y_IRIS)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    clf = MLPClassifier(checkpoint=tmp_path / "c.ckpt", **FAST)
    with pytest.raises(PermissionError, match="cannot write in the folder .*Permission denied"):
        clf.fit(X_IRIS, Y_IRIS)
    assert not hasattr(clf, "net_")


def test_resuming_a_finished_fit_keeps_it(tmp_path):
    # Re-running a script whose fit already wrote its last checkpoint.
    path = tmp_path / "ckpt.pt"
    params = dict(n_iter_no_change=np.inf, **FAST)
    first = MLPClassifier(max_iter=5, checkpoint=path, **params).fit(X_IRIS, Y_IRIS)
    again = MLPClassifier(max_iter=5, resume_from=path, **params).fit(X_IRIS, Y_IRIS)
    assert again.n_iter_ == 5 and again.loss_curve_ == first.loss_curve_
    np.testing.assert_array_equal(again.predict_proba(X_IRIS), first.predict_proba(X_IRIS))
    with pytest.warns(UserWarning, match="already trained 5 epochs, more than max_iter=3"):
        fewer = MLPClassifier(max_iter=3, resume_from=path, **params).fit(X_IRIS, Y_IRIS)
    assert fewer.n_iter_ == 5


# -- precision and compilation -----------------------------------------------------------


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_trains_on_the_cpu_path(precision):
    full = MLPClassifier(max_iter=60, learning_rate_init=0.01, **FAST).fit(X_IRIS, Y_IRIS)
    mixed = MLPClassifier(max_iter=60, learning_rate_init=0.01, precision=precision, **FAST).fit(
        X_IRIS, Y_IRIS
    )
    assert abs(mixed.score(X_IRIS, Y_IRIS) - full.score(X_IRIS, Y_IRIS)) < 0.05
    assert not np.array_equal(mixed.coefs_[0], full.coefs_[0])  # autocast really ran


def test_torch_compile_trains_and_pickles():
    import pickle

    clf = MLPClassifier(
        hidden_layer_sizes=(8,), batch_size=50, max_iter=2, compile=True, **FAST
    ).fit(X_IRIS, Y_IRIS)
    eager = MLPClassifier(hidden_layer_sizes=(8,), batch_size=50, max_iter=2, **FAST).fit(
        X_IRIS, Y_IRIS
    )
    np.testing.assert_allclose(clf.coefs_[0], eager.coefs_[0], atol=1e-5)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict(X_IRIS), clf.predict(X_IRIS))


# -- search spaces -----------------------------------------------------------------------


def test_search_space_drives_a_randomized_search():
    space = param_distributions(MLPClassifier())
    assert space["learning_rate_init"].support() == (1e-5, 1e-3)
    search = RandomizedSearchCV(
        MLPClassifier(max_iter=5, **FAST), space, n_iter=3, cv=2, random_state=0
    ).fit(X_IRIS, Y_IRIS)
    assert len(search.cv_results_["params"]) == 3
    assert set(param_distributions(MLPRegressor())) <= set(MLPRegressor().get_params())
    assert "label_smoothing" not in param_distributions(MLPRegressor())


def test_search_space_of_a_wrapper_is_refused():
    # A Pipeline has none of the parameters itself: its space was empty, without a word.
    from sklearn.pipeline import make_pipeline

    from sknn import Word2Vec

    pipe = make_pipeline(StandardScaler(), MLPClassifier())
    for wrong in (pipe, Word2Vec()):
        with pytest.raises(TypeError, match="pass the step and its prefix"):
            param_distributions(wrong)
    space = param_distributions(pipe[-1], prefix="mlpclassifier__")
    assert "mlpclassifier__learning_rate_init" in space
    assert set(space) <= set(pipe.get_params())


def test_search_space_of_a_class_asks_for_an_instance():
    # Non-regression: param_distributions(MLPClassifier) said "got ABCMeta".
    with pytest.raises(TypeError, match=r"got the class MLPClassifier: pass MLPClassifier\(\)"):
        param_distributions(MLPClassifier)


class _CountEpochs(Callback):
    def initialize(self):
        self.epochs_ = 0
        return self

    def on_epoch_end(self, net, **kwargs):
        self.epochs_ += 1


def test_callbacks_given_as_pairs_and_classes_run_as_skorch_runs_them():
    # Non-regression: (name, callback) pairs, which the parameter's own error message
    # suggests, were wrapped in a second pair, and classes were never instantiated: fit
    # crashed inside skorch.
    from skorch.callbacks import EarlyStopping

    counter = _CountEpochs()
    clf = MLPClassifier(
        max_iter=3,
        callbacks=[("stop", EarlyStopping(monitor="train_loss")), _CountEpochs, counter],
        **FAST,
    ).fit(X_IRIS, Y_IRIS)
    names = [name for name, _ in clf.net_.callbacks_]
    assert names == ["stop", "_CountEpochs_1", "_CountEpochs_2"]
    made = dict(clf.net_.callbacks_)["_CountEpochs_1"]
    assert made.epochs_ == 3 and counter.epochs_ == 3
    clf.partial_fit(X_IRIS, Y_IRIS)  # the instance made of the class goes on counting
    assert dict(clf.net_.callbacks_)["_CountEpochs_1"] is made and made.epochs_ == 4


def test_skorch_callbacks_that_read_batch_rows_and_best_flags_run(tmp_path, capsys):
    # Non-regression: sknn's history had no per-batch rows and no '<key>_best' flags, so a
    # batch-stepped LRScheduler, ProgressBar and Checkpoint crashed inside skorch with an
    # IndexError, and PrintLog printed nothing at any verbose.
    from skorch.callbacks import Checkpoint, LRScheduler, PrintLog, ProgressBar
    from torch.optim.lr_scheduler import OneCycleLR

    cycle = LRScheduler(OneCycleLR, max_lr=0.01, total_steps=30, step_every="batch")
    clf = MLPClassifier(
        batch_size=50,
        max_iter=3,
        early_stopping=True,
        **FAST,
        callbacks=[cycle, ProgressBar(), Checkpoint(dirname=str(tmp_path)), PrintLog()],
    )
    clf.fit(X_IRIS, Y_IRIS)
    assert len(set(pd.DataFrame(clf.history_)["lr"])) == 3  # stepped within epochs
    batches = [row for row in clf.history_[-1, "batches"] if "train_loss" in row]
    assert [row["train_batch_size"] for row in batches] == [50, 50, 35]  # 15 validate
    losses = [row["train_loss"] for row in batches]
    assert np.average(losses, weights=[50, 50, 35]) == pytest.approx(
        clf.history_[-1, "train_loss"]
    )
    assert (tmp_path / "params.pt").exists()  # monitors valid_loss_best
    curve = pd.DataFrame(clf.history_)["train_loss"]
    assert clf.history_[:, "train_loss_best"] == list(curve == curve.cummin())
    assert "train_loss" not in capsys.readouterr().out  # PrintLog follows verbose=0
    clf.set_params(verbose=1, callbacks=[PrintLog()]).fit(X_IRIS, Y_IRIS)
    assert "train_loss" in capsys.readouterr().out
    # Without callbacks, one row per epoch and no per-batch read of the loss.
    plain = MLPClassifier(max_iter=2, **FAST).fit(X_IRIS, Y_IRIS)
    assert plain.history_[-1, "batches"] == []


@pytest.mark.parametrize("stop", [KeyboardInterrupt, "StopTraining"])
def test_a_callback_that_stops_the_fit_is_not_a_ctrl_c(stop):
    from sknn.engine.callbacks import StopTraining

    error = StopTraining if stop == "StopTraining" else stop

    class StopAtTwo(Callback):
        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == 2:
                raise error()

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = MLPClassifier(max_iter=5, callbacks=[StopAtTwo()], **FAST).fit(X_IRIS, Y_IRIS)
    assert clf.n_iter_ == 2


@pytest.mark.parametrize("schedule", ["cosine", "linear"])
def test_partial_fit_after_the_schedule_has_decayed_to_zero_warns(schedule):
    # Non-regression: partial_fit after a fit with a decaying schedule (the sequence
    # estimators' default) trained at a learning rate of 0 and changed nothing, silently.
    reg = MLPRegressor(learning_rate=schedule, max_iter=5, **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X_IRIS, Y_IRIS.astype(float))
    before = reg.predict(X_IRIS)
    ended = "schedule has ended.*learning rate of 0: the weights do not change.*statistics"
    with pytest.warns(ConvergenceWarning, match=ended):
        reg.partial_fit(X_IRIS, Y_IRIS.astype(float))
    np.testing.assert_array_equal(reg.predict(X_IRIS), before)  # what the warning says
    reg.set_params(min_lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg.partial_fit(X_IRIS, Y_IRIS.astype(float))
    assert not np.array_equal(reg.predict(X_IRIS), before)


def test_a_users_lr_scheduler_resumes_under_a_new_optimizer(tmp_path):
    # Non-regression: a warm-started fit, or partial_fit after sknn.load, starts a new
    # optimizer under the kept history; skorch's LRScheduler then resumed at that epoch
    # and torch raised KeyError 'initial_lr'.
    from skorch.callbacks import LRScheduler

    import sknn

    def make():
        scheduler = LRScheduler(policy="StepLR", step_size=1, gamma=0.5)
        return MLPClassifier(max_iter=3, callbacks=[scheduler], **FAST)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm = make().fit(X_IRIS, Y_IRIS)
        warm.set_params(warm_start=True).fit(X_IRIS, Y_IRIS)
        assert len(warm.history_) == 6
        make().fit(X_IRIS, Y_IRIS).save(tmp_path / "m.sknn")
        path = tmp_path / "m.sknn"
        loaded = sknn.load(path, trusted=sknn.get_untrusted_types(path))
        loaded.partial_fit(X_IRIS, Y_IRIS)
    assert len(loaded.history_) == 4


def test_a_state_written_before_the_plateau_count_reads_it_as_zero():
    # Files and checkpoints of earlier versions have no plateau_count: it starts at 0,
    # while a field of the kind that a fit leaves undefined (lbfgs's curves) stays MISSING.
    from sknn.engine.state import MISSING, TrainingState

    document = TrainingState(plateau_count=3).to_document()
    assert TrainingState.from_document(document).plateau_count == 3
    del document["plateau_count"], document["loss_curve"]
    state = TrainingState.from_document(document)
    assert state.plateau_count == 0 and state.loss_curve is MISSING
