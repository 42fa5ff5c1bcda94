"""SequenceClassifier and SequenceRegressor: the API checks on sequence input, then behaviour.

scikit-learn's conformance suite covers the 2-D form in test_common.py; it cannot feed 3-D
arrays, ragged lists or texts, so the checks that matter for those forms are repeated here.
"""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils.estimator_checks import check_no_attributes_set_in_init

from sknn.data.sequences import (
    channel_statistics,
    check_sequences,
    series_statistics,
    with_series_statistics,
    with_time_index,
)
from sknn.estimators.sequence import (
    AUTO_N_INIT,
    AUTO_N_INIT_MAX_SERIES,
    AUTO_N_INIT_MAX_STEPS,
    SequenceClassifier,
    SequenceRegressor,
)
from sknn.timeseries import make_windows

FAST = dict(hidden_size=8, max_iter=5, learning_rate_init=0.01, device="cpu", random_state=0)
ESTIMATORS = [SequenceClassifier, SequenceRegressor]
# The API checks run over a recurrent cell and each convolutional encoder.
CELLS = ["lstm", "fcn", "resnet"]


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _data(Estimator, n=40, T=6, d=3, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, T, d)).astype(np.float32)
    signal = X[:, :, 0].sum(axis=1)
    y = (signal > 0).astype(int) if Estimator is SequenceClassifier else signal
    return X, y


def _ragged(n=12, d=2, seed=0):
    rng = np.random.RandomState(seed)
    return [rng.normal(size=(rng.randint(1, 8), d)) for _ in range(n)]


def _output(est, X):
    return est.predict_proba(X) if is_classifier(est) else est.predict(X)


# -- scikit-learn's API checks, on 3-D, ragged and text input ----------------------------------
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_init_stores_params_only_and_clone(Estimator):
    est = Estimator(cell="gru", hidden_size=5, pooling="attention", validation_gap=2)
    check_no_attributes_set_in_init(Estimator.__name__, est)
    cloned = clone(est)
    assert cloned.get_params() == est.get_params()
    assert cloned.set_params(cell="rnn") is cloned and cloned.cell == "rnn"
    assert est.cell == "gru"


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_fit_returns_self_and_unfitted_raises(Estimator, cell):
    X, y = _data(Estimator)
    est = Estimator(**FAST, cell=cell)
    with pytest.raises(NotFittedError):
        est.predict(X)
    assert est.fit(X, y) is est
    assert est.n_features_in_ == 3 and est.input_kind_ == "sequences"
    assert est.vectorizer_ is None
    assert _output(est, X).shape[0] == len(X)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_seeded_refit_is_identical_and_pickle_round_trips(Estimator, cell):
    X, y = _data(Estimator)
    # Two stacked layers for the recurrent cell (the convolutional encoders have none).
    params = dict(FAST, cell=cell, dropout=0.2, num_layers=2 if cell == "lstm" else 1)
    first = _output(Estimator(**params).fit(X, y), X)
    est = Estimator(**params).fit(X, y)
    np.testing.assert_array_equal(_output(est, X), first)
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(_output(restored, X), first)
    # A clone fitted again is the same model too.
    np.testing.assert_array_equal(_output(clone(est).fit(X, y), X), first)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_ragged_list_is_padded_not_truncated(Estimator, cell):
    X = _ragged()
    y = np.arange(len(X)) % 2
    est = Estimator(**FAST, cell=cell).fit(X, y)
    assert est.n_features_in_ == 2
    # A sequence predicts the same alone as in a batch padded to the longest one.
    longest = max(range(len(X)), key=lambda i: len(X[i]))
    shortest = min(range(len(X)), key=lambda i: len(X[i]))
    batch = _output(est, X)
    np.testing.assert_allclose(_output(est, [X[shortest]]), batch[[shortest]], atol=1e-6)
    np.testing.assert_allclose(_output(est, [X[longest]]), batch[[longest]], atol=1e-6)
    # Sequences longer than any seen at fit are read in full.
    assert _output(est, [np.zeros((20, 2))]).shape[0] == 1


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "X, message",
    [
        ([], "0 sample"),
        (np.zeros((0, 4, 2)), "0 sample"),
        ([np.zeros((3, 2)), np.zeros((0, 2))], "length 0"),
        ([np.zeros((3, 2)), np.zeros((4, 3))], "inconsistent numbers of features"),
        (np.zeros((2, 3, 4, 1)), "4-D"),
        ([[1.0, np.nan, 2.0], [1.0]], "NaN"),
    ],
)
def test_clear_errors_for_empty_and_ragged_input(Estimator, X, message):
    with pytest.raises(ValueError, match=message):
        Estimator(**FAST).fit(X, np.arange(max(len(X), 1)) % 2)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_predict_checks_features_per_step(Estimator, cell):
    X, y = _data(Estimator)
    est = Estimator(**FAST, cell=cell).fit(X, y)
    with pytest.raises(ValueError, match="2 features per time step.*expecting 3"):
        est.predict(X[:, :, :2])
    with pytest.raises(ValueError, match="numbers of samples"):
        Estimator(**FAST, cell=cell).fit(X, y[:-1])


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_two_d_form_keeps_the_tabular_contract(Estimator, cell):
    X, y = _data(Estimator, d=1)
    X2 = X[:, :, 0]
    est = Estimator(**FAST, cell=cell).fit(X2, y)
    assert est.n_features_in_ == X2.shape[1]
    with pytest.raises(ValueError, match="expecting 6 features"):
        est.predict(X2[:, :4])
    # The same univariate sequences in 3-D or list form give the same predictions.
    np.testing.assert_allclose(_output(est, X), _output(est, X2), atol=1e-6)
    np.testing.assert_array_equal(_output(est, X2.tolist()), _output(est, X2.astype(np.float64)))


def test_two_d_form_is_normalised_as_its_three_d_form():
    # The same univariate series as the 2-D array a random forest takes, or in 3-D: each
    # with its own gain and offset, the class in its shape. normalize='auto' resolves
    # alike, and the fits are the same.
    rng = np.random.RandomState(0)
    y = np.arange(40) % 2
    t = np.linspace(0, 2 * np.pi, 24)
    shapes = np.where(y[:, None] == 1, np.sin(t), np.cos(t))
    X = 500 * rng.uniform(0.5, 2, size=(40, 1)) * shapes + rng.uniform(-1e3, 1e3, size=(40, 1))
    params = dict(FAST, max_iter=30)
    two_d = SequenceClassifier(**params).fit(X, y)
    three_d = SequenceClassifier(**params).fit(X[:, :, None], y)
    assert two_d.normalize_ == three_d.normalize_ == "series_stats"
    np.testing.assert_array_equal(two_d.predict_proba(X), three_d.predict_proba(X[:, :, None]))
    assert two_d.score(X, y) == 1.0
    # A table of one column keeps its values through the mean statistic.
    level = (X[:, 0] > np.median(X[:, 0])).astype(int)
    one = SequenceClassifier(**params).fit(X[:, :1], level)
    assert one.series_stats_kept_.tolist() == [True, False]
    assert one.score(X[:, :1], level) >= 0.9


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_nan_padded_rows_are_named_in_every_form(Estimator):
    # Sequences padded with NaN after their ends, in the 2-D form (a table: scikit-learn's
    # check runs first), a DataFrame and 3-D: the same message, at fit and at predict.
    X, y = _data(Estimator, d=1)
    X = X.astype(np.float64)
    padded = X.copy()
    padded[::3, 4:] = np.nan
    est = Estimator(**FAST).fit(X[:, :, 0], y)
    for form in (padded[:, :, 0], pd.DataFrame(padded[:, :, 0]), padded):
        with pytest.raises(ValueError, match="end in steps of NaN"):
            Estimator(**FAST).fit(form, y)
    with pytest.raises(ValueError, match=r"\[x\[~np.isnan\(x\)\] for x in X\]"):
        est.predict(padded[:, :, 0])


# -- the time-aware validation split ------------------------------------------------------------
class _RecordingRegressor(SequenceRegressor):
    def _validation_split(self, y, y_train, seed):
        self.split_ = super()._validation_split(y, y_train, seed)
        return self.split_


@pytest.mark.parametrize("gap", [0, 3])
def test_validation_rows_all_come_after_training_rows(gap):
    X, y = make_windows(np.sin(np.arange(80) / 4), window=5, flatten=False)
    est = _RecordingRegressor(
        **FAST, early_stopping=True, validation_fraction=0.25, validation_gap=gap
    ).fit(X, y)
    train_idx, valid_idx = est.split_
    assert train_idx.max() + gap < valid_idx.min()
    assert valid_idx.max() == len(X) - 1
    assert len(train_idx) + gap + len(valid_idx) == len(X)
    assert len(est.validation_scores_) == est.n_iter_


def test_validation_gap_is_named_and_overlapping_horizons_warn():
    # Non-regression: a validation_gap too large for the rows said "gap=18" and
    # "n_samples=20", last_fraction_split's names; and forecast windows one step apart
    # with the default validation_gap=0 validated on targets the training rows hold.
    X, y = make_windows(np.sin(np.arange(60) / 4), window=5, horizon=3, flatten=False)
    params = dict(FAST, early_stopping=True)
    with pytest.raises(ValueError, match="validation_gap=60, early_stopping leaves no training"):
        SequenceRegressor(**params, validation_gap=60).fit(X, y)
    with pytest.warns(UserWarning, match="shifted by 1 column.*validation_gap=2"):
        SequenceRegressor(**params).fit(X, y)
    # Two targets, and a stride of 2: the shift is 2 columns, then 2 steps of 4.
    two = np.c_[np.sin(np.arange(60) / 4), np.cos(np.arange(60) / 4)]
    for kwargs, needed in ((dict(horizon=3, target=None), 2), (dict(horizon=4, stride=2), 1)):
        data = pd.DataFrame(two, columns=["a", "b"]) if "target" in kwargs else two[:, 0]
        Xw, yw = make_windows(data, window=5, flatten=False, **kwargs)
        with pytest.warns(UserWarning, match=f"validation_gap={needed}"):
            SequenceRegressor(**params).fit(Xw, yw)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        SequenceRegressor(**params, validation_gap=2).fit(X, y)
        SequenceRegressor(**params).fit(X[::3], y[::3])  # windows three steps apart


def test_random_validation_split_is_stratified():
    X, y = _data(SequenceClassifier, n=60)
    y = np.sort(y)  # time order = class order: a 'last' split would see one class only
    est = SequenceClassifier(**FAST, early_stopping=True, validation_split="random")
    train_idx, valid_idx = est.fit(X, y)._validation_split(y, y, seed=0)
    assert set(y[valid_idx]) == {0, 1}
    assert not set(train_idx) & set(valid_idx)


# -- architecture -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        dict(cell="rnn", pooling="last"),
        dict(cell="gru", pooling="mean", bidirectional=True),
        dict(cell="lstm", pooling="max", num_layers=2, dropout=0.1),
        dict(cell="gru", pooling="attention", dense_sizes=(6,), activation="tanh"),
    ],
)
def test_architecture_from_parameters(params):
    X, y = _data(SequenceClassifier, n=20)
    est = SequenceClassifier(**dict(FAST, max_iter=2), **params).fit(X, y)
    rnn = est.module_.rnn
    assert type(rnn).__name__ == params["cell"].upper()
    assert rnn.num_layers == params.get("num_layers", 1)
    assert rnn.bidirectional == params.get("bidirectional", False)
    assert est.module_.pooling == params["pooling"]


@pytest.mark.parametrize("bad", [dict(cell="transformer"), dict(dense_sizes=(4, 0))])
def test_invalid_parameters_raise_at_fit(bad):
    X, y = _data(SequenceClassifier, n=10)
    est = SequenceClassifier(**FAST, **bad)
    with pytest.raises(ValueError):
        est.fit(X, y)


@pytest.mark.parametrize(
    "cell, channels, blocks",
    [("fcn", (4, 8, 4), "_ConvNormReLU"), ("resnet", (4, 8, 8), "_ResidualBlock")],
)
def test_convolutional_encoders_from_parameters(cell, channels, blocks):
    X, y = _data(SequenceClassifier, n=20)
    est = SequenceClassifier(**dict(FAST, max_iter=2), cell=cell).fit(X, y)
    module = est.module_
    assert est.cell_ == cell and module.architecture == cell
    assert [type(block).__name__ for block in module.blocks] == [blocks] * 3
    widths = [
        block.norm.num_features if cell == "fcn" else block.shortcut_norm.num_features
        for block in module.blocks
    ]
    assert tuple(widths) == channels  # hidden_size=8: the widest layer is 8
    assert module.pooling == "mean"  # pooling='auto': global average pooling
    est = SequenceClassifier(**dict(FAST, max_iter=2), cell=cell, pooling="attention")
    assert est.fit(X, y).module_.pooling == "attention"


def test_cell_auto_resolves_by_input_kind():
    X, y = _data(SequenceClassifier, n=20)
    numeric = SequenceClassifier(**dict(FAST, max_iter=2)).fit(X, y)
    assert numeric.cell == "auto" and numeric.cell_ == "fcn"
    # Several features per step: their levels may carry the answer, so each feature is
    # standardised over the training set rather than each series z-normalised.
    assert numeric.normalize_ == "channel"
    # One feature per step: each series z-normalised, its mean and spread kept beside.
    univariate = SequenceClassifier(**dict(FAST, max_iter=2)).fit(X[:, :, :1], y)
    assert univariate.normalize_ == "series_stats"
    ragged = SequenceClassifier(**dict(FAST, max_iter=2)).fit(
        [x[: 3 + i % 3, :1] for i, x in enumerate(X)], y
    )
    assert ragged.normalize_ == "series_stats"
    # The 2-D form: univariate series, as in 3-D.
    two_d = SequenceClassifier(**dict(FAST, max_iter=2)).fit(X[:, :, 0], y)
    assert two_d.normalize_ == "series_stats"
    assert (
        SequenceRegressor(**dict(FAST, max_iter=2), normalize="auto")
        .fit(X, X[:, -1, 0])
        .normalize_
        is None
    )
    assert type(numeric.module_).__name__ == "ConvSequenceModule"
    text = SequenceClassifier(**dict(FAST, max_iter=2)).fit(REVIEWS, LABELS)
    assert text.cell_ == "lstm" and text.module_.pooling == "last"
    assert type(text.module_.rnn).__name__ == "LSTM"
    regressor = SequenceRegressor(**dict(FAST, max_iter=2)).fit(X, X[:, -1, 0])
    assert regressor.cell_ == "lstm"
    # An explicit cell is kept whatever the input.
    assert SequenceClassifier(**FAST, cell="fcn").fit(REVIEWS, LABELS).cell_ == "fcn"


def test_max_iter_auto_gives_small_sets_a_floor_of_optimizer_steps(monkeypatch):
    from sknn.estimators import sequence

    # Scaled down: 3 epochs, or enough for 40 steps (the defaults: 100 and 2,000).
    monkeypatch.setattr(sequence, "AUTO_EPOCHS", 3)
    monkeypatch.setattr(sequence, "AUTO_MIN_STEPS", 40)
    X, y = _data(SequenceClassifier, n=20)
    params = dict(FAST, max_iter="auto")
    # 20 series in batches of 4 ('auto'): 5 steps an epoch, so 8 epochs make 40 steps.
    conv = SequenceClassifier(**params, cell="fcn").fit(X, y)
    assert conv.max_iter == "auto" and conv.n_iter_ == 8
    # The cosine schedule is planned over those 8 epochs: it ends at its floor.
    assert conv.history_[-1]["lr"] < 0.1 * params["learning_rate_init"]
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(8\)"):
        SequenceClassifier(**params, cell="fcn").fit(X, y)
    # The recurrent cells, and batches enough, take the plain number of epochs.
    assert SequenceClassifier(**params, cell="gru").fit(X, y).n_iter_ == 3
    big = SequenceClassifier(**params, cell="fcn", batch_size=1).fit(X, y)
    assert big.n_iter_ == 3
    # An int is the number of epochs, as everywhere.
    assert SequenceClassifier(**dict(FAST, max_iter=2), cell="fcn").fit(X, y).n_iter_ == 2
    # L-BFGS counts iterations: 'auto' is the plain number.
    lbfgs = SequenceClassifier(**params, cell="fcn", solver="lbfgs").fit(X, y)
    assert lbfgs.n_iter_ <= 3
    with pytest.raises(ValueError, match="max_iter"):
        SequenceClassifier(**dict(FAST, max_iter="many")).fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_n_iter_no_change_auto_lets_the_convolutional_encoders_finish_their_schedule(
    Estimator,
):
    # A training loss that stalls by tol while the cosine rate is still high stopped the
    # FCN before its rate decayed (Coffee: a test series in seven lost); 'auto'
    # trains the convolutional encoders to the schedule's end and keeps 30 elsewhere.
    X, y = _data(Estimator, n=20)
    params = dict(FAST, max_iter=12, tol=100.0)  # no epoch improves by tol
    conv = Estimator(**params, cell="fcn").fit(X, y)
    assert conv.n_iter_ == 12 and conv._n_iter_no_change() == np.inf
    assert Estimator(**params, cell="fcn", n_iter_no_change=3).fit(X, y).n_iter_ == 5
    assert Estimator(**params, cell="gru", n_iter_no_change=3).fit(X, y).n_iter_ == 5
    # 30 for the recurrent cells, a schedule that does not decay, and early stopping.
    for kwargs in (
        dict(cell="gru"),
        dict(cell="fcn", learning_rate="constant"),
        dict(cell="fcn", early_stopping=True),
    ):
        assert Estimator(**params, **kwargs)._n_iter_no_change() == 30
    with pytest.raises(ValueError, match="n_iter_no_change"):
        Estimator(**dict(FAST, n_iter_no_change="never")).fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_resume_from_refuses_data_with_other_statistics(Estimator, tmp_path):
    # Non-regression: a resumed fit recomputed the normalisation statistics and the time
    # index's span on the new X, and continued the checkpoint's weights under them.
    X, y = _data(Estimator, n=20, d=1)
    path = tmp_path / "run.ckpt"
    params = dict(FAST, max_iter=2, normalize="channel", time_index=True)
    Estimator(**params, checkpoint=path).fit(X, y)
    resumed = Estimator(**dict(params, max_iter=3), resume_from=path).fit(X, y)
    assert resumed.n_iter_ == 3
    with pytest.raises(ValueError, match="other data: X has statistics hash"):
        Estimator(**dict(params, max_iter=3), resume_from=path).fit(X * 10, y)
    longer = [np.concatenate([x, x]) if i == 0 else x for i, x in enumerate(X)]
    with pytest.raises(ValueError, match="time_index_span 12 .the checkpoint's 6."):
        Estimator(**dict(params, max_iter=3), resume_from=path).fit(longer, y)


def test_a_schedule_run_to_its_planned_end_warns_only_while_the_loss_falls():
    # Non-regression: with n_iter_no_change='auto' training the FCN to its schedule's end,
    # every default fit warned "Maximum iterations reached and the optimization hasn't
    # converged yet" (three times in a cross_val_score). Now only a fit whose loss still
    # improved by more than tol over its last 10 epochs warns, as when it ran out.
    rng = np.random.RandomState(0)
    y = rng.randint(2, size=40)
    t = np.linspace(0, 1, 20)
    X = np.sin(2 * np.pi * (1 + y[:, None]) * t) + 0.3 * rng.normal(size=(40, 20))
    params = dict(hidden_size=8, n_init=1, random_state=0, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        settled = SequenceClassifier(**params).fit(X, y)  # max_iter="auto": 200 epochs
    curve = settled.loss_curve_
    assert len(curve) == 200 and min(curve[-10:]) > min(curve[:-10]) - settled.tol
    # Still falling by more than tol at the end of a shorter schedule: the warning.
    params["max_iter"] = 60
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(60\)"):
        SequenceClassifier(**params).fit(X, y)
    # A patience the user chose keeps scikit-learn's rule: max_iter reached, a warning.
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(60\)"):
        SequenceClassifier(**params, n_iter_no_change=np.inf).fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_normalize_series_ignores_each_series_offset_and_scale(Estimator):
    X, y = _data(Estimator, n=24, T=10, d=2)
    rng = np.random.RandomState(1)
    # A different positive scale and offset per series and feature.
    shifted = X * rng.uniform(0.5, 3, size=(24, 1, 2)) + rng.normal(size=(24, 1, 2)) * 5
    est = Estimator(**FAST, normalize="series").fit(X, y)
    np.testing.assert_allclose(_output(est, shifted), _output(est, X), atol=1e-5)
    refit = Estimator(**FAST, normalize="series").fit(shifted, y)
    np.testing.assert_allclose(_output(refit, X), _output(est, X), atol=1e-5)
    plain = Estimator(**FAST, normalize=None).fit(X, y)
    assert not np.allclose(_output(plain, shifted), _output(plain, X), atol=1e-3)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_normalize_channel_learns_each_features_scale_at_fit(Estimator):
    X, y = _data(Estimator, n=24, T=10, d=2)
    rng = np.random.RandomState(1)
    # One scale and offset per feature, the same for every series: a change of units.
    scale, offset = np.array([1000.0, 0.01]), np.array([-50.0, 3.0])
    rescaled = (X * scale + offset).astype(np.float32)
    est = Estimator(**FAST, normalize="channel").fit(X, y)
    refit = Estimator(**FAST, normalize="channel").fit(rescaled, y)
    # Learned over every valid step of the training set, as StandardScaler would.
    steps = rescaled.reshape(-1, 2)
    np.testing.assert_allclose(refit.channel_mean_, steps.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(refit.channel_scale_, steps.std(axis=0), rtol=1e-5)
    np.testing.assert_allclose(_output(refit, rescaled), _output(est, X), atol=1e-4)
    # At predict, the fit's statistics apply: not those of the new data (a batch of one
    # series would otherwise be standardised to its own mean).
    shifted = X[:3] + rng.normal(size=(3, 1, 2)).astype(np.float32)
    assert not np.allclose(_output(est, shifted), _output(est, X[:3]), atol=1e-3)
    # warm_start keeps the first fit's statistics.
    before = est.channel_mean_.copy()
    est.set_params(warm_start=True, max_iter=1).fit(X + 10, y)
    np.testing.assert_array_equal(est.channel_mean_, before)
    # Other settings record no statistics; a constant feature gets scale 1.
    plain = Estimator(**FAST, normalize=None).fit(X, y)
    assert plain.channel_mean_ is None and plain.channel_scale_ is None
    constant = X.copy()
    constant[:, :, 1] = 7.0
    fitted = Estimator(**FAST, normalize="channel").fit(constant, y)
    assert fitted.channel_scale_[1] == 1.0 and np.isfinite(_output(fitted, constant)).all()


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_normalize_series_stats_keeps_what_z_normalising_removes(Estimator):
    X, y = _data(Estimator, n=24, T=10, d=2)
    rng = np.random.RandomState(1)
    # Series of very different levels and amplitudes, as PLAID's currents.
    X = (X * rng.lognormal(0, 2, size=(24, 1, 2)) + rng.normal(size=(24, 1, 2)) * 5).astype(
        np.float32
    )
    params = dict(FAST, cell="fcn", time_index=False)
    est = Estimator(**params, normalize="series_stats").fit(X, y)
    np.testing.assert_allclose(est.channel_mean_, X.reshape(-1, 2).mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(est.channel_scale_, X.reshape(-1, 2).std(axis=0), rtol=1e-5)
    # The network reads each feature z-normalised, then each series' relative mean and log
    # relative standard deviation at every step: six inputs for two features. The
    # convolutions take the two z-normalised features, the head the four statistics
    # beside the pooled features.
    assert est.series_stats_kept_.tolist() == [True] * 4
    assert est.module_.static_features == (2, 3, 4, 5)
    assert est.module_.blocks[0].conv.in_channels == 2
    assert est.module_.head[-1].in_features == est.module_.blocks[-1].conv.out_channels + 4
    # Unlike 'series', one series' amplitude changes its output ...
    louder = X.copy()
    louder[0] *= 10
    assert not np.allclose(_output(est, louder[:1]), _output(est, X[:1]), atol=1e-4)
    series = Estimator(**params, normalize="series").fit(X, y)
    np.testing.assert_allclose(_output(series, louder[:1]), _output(series, X[:1]), atol=1e-5)
    # ... but a change of units of the whole data set does not: the statistics are relative
    # to the training set's.
    units = np.array([1000.0, 0.01], dtype=np.float32)
    refit = Estimator(**params, normalize="series_stats").fit(X * units - 3, y)
    # Up to rounding: float32 rounding of the rescaled data moves the statistics by up to
    # 2e-4, and training carries that into the outputs.
    np.testing.assert_allclose(_output(refit, X * units - 3), _output(est, X), atol=5e-3)
    # Series z-normalised beforehand (most of the UCR archive): the statistics are zero,
    # and the network sees only the series.
    z = (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)
    lengths = np.full(24, 10)
    mean, scale = channel_statistics(z, lengths)
    np.testing.assert_allclose(series_statistics(z, lengths, mean, scale), 0, atol=1e-4)
    # They are left out, so the fit is exactly that of 'series'.
    on_z = Estimator(**params, normalize="series_stats").fit(z, y)
    assert not on_z.series_stats_kept_.any()
    assert on_z.module_.blocks[0].conv.in_channels == 2
    z_series = Estimator(**params, normalize="series").fit(z, y)
    np.testing.assert_array_equal(_output(on_z, z), _output(z_series, z))
    assert series.series_stats_kept_ is None
    # A constant series stays finite: its log standard deviation is floored.
    constant = X.copy()
    constant[3] = 7.0
    assert np.isfinite(_output(est, constant)).all()


def test_series_stats_reach_the_recurrent_cells_as_features_at_every_step():
    X, y = _data(SequenceClassifier, n=24, T=10, d=1)
    X = (X * np.random.RandomState(1).lognormal(0, 2, size=(24, 1, 1)) + 3).astype(np.float32)
    est = SequenceClassifier(**dict(FAST, cell="gru"), normalize="series_stats").fit(X, y)
    assert est.series_stats_kept_.tolist() == [True, True]
    assert est.module_.rnn.input_size == 3
    # The convolutional encoders convolve the series and its time index; the two
    # statistics between them go to the head.
    fcn = SequenceClassifier(**FAST, normalize="series_stats", time_index=True).fit(X, y)
    assert fcn.module_.static_features == (1, 2)
    assert fcn.module_.blocks[0].conv.in_channels == 2


def test_a_fit_from_before_the_statistics_went_to_the_head_predicts_as_it_was_trained(
    monkeypatch, tmp_path
):
    """Files saved when the convolutions read 'series_stats''s statistics at every step
    load with that network: the fitted estimator has no ``_statistics_to_head``."""
    import sknn

    X, y = _data(SequenceClassifier, n=24, T=10, d=1)
    X = (X * np.random.RandomState(1).lognormal(0, 2, size=(24, 1, 1)) + 3).astype(np.float32)
    with monkeypatch.context() as patch:
        patch.setattr(SequenceClassifier, "_static_features", lambda self: ())
        old = SequenceClassifier(**FAST, normalize="series_stats", time_index=False, n_init=1).fit(
            X, y
        )
    assert old.module_.blocks[0].conv.in_channels == 3  # the statistics convolved
    del old._statistics_to_head
    expected = old.predict_proba(X)
    old.save(tmp_path / "old.sknn")
    loaded = sknn.load(tmp_path / "old.sknn")
    assert loaded.module_.static_features == ()
    np.testing.assert_allclose(loaded.predict_proba(X), expected, atol=1e-6)


def test_series_statistics_leave_padding_out():
    X = _ragged(n=12, d=2)
    padded, lengths = check_sequences(X)
    mean, scale = channel_statistics(padded, lengths)
    statistics = series_statistics(padded, lengths, mean, scale)
    expected = [
        np.concatenate(
            [(x.mean(axis=0) - mean) / scale, np.log(np.maximum(x.std(axis=0) / scale, 1e-6))]
        )
        for x in X
    ]
    np.testing.assert_allclose(statistics, expected, rtol=1e-4, atol=1e-5)
    # Appended at every valid step, zero on the padding.
    appended = with_series_statistics(padded, lengths, statistics)
    assert appended.shape == (12, padded.shape[1], 6)
    for i, length in enumerate(lengths):
        np.testing.assert_allclose(appended[i, :length, 2:], np.tile(statistics[i], (length, 1)))
        assert not appended[i, length:].any()
    # A series predicts alike alone and padded among longer ones.
    est = SequenceClassifier(**FAST, normalize="series_stats").fit(X, np.arange(12) % 2)
    np.testing.assert_allclose(est.predict_proba(X)[:1], est.predict_proba([X[0]]), atol=1e-5)


def test_normalize_channel_leaves_padding_out():
    X = _ragged(n=12, d=2)
    y = np.arange(12) % 2
    est = SequenceClassifier(**FAST, normalize="channel").fit(X, y)
    steps = np.concatenate(X)
    np.testing.assert_allclose(est.channel_mean_, steps.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(est.channel_scale_, steps.std(axis=0), rtol=1e-5)
    # A series predicts alike alone and padded among longer ones.
    alone = est.predict_proba([X[0]])
    np.testing.assert_allclose(est.predict_proba(X)[:1], alone, atol=1e-5)


def _spikes(n=40, n_steps=64, seed=0):
    """Series of zeros with one spike, early for class 0 and late for class 1, and far
    from both ends: the FCN's receptive field (14 steps) never reaches an end from it."""
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 2
    X = np.zeros((n, n_steps, 1), dtype=np.float32)
    X[np.arange(n), np.where(y == 0, rng.randint(16, 28, n), rng.randint(36, 48, n)), 0] = 1
    return X, y


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_time_index_tells_the_convolutions_where_a_pattern_lies(Estimator):
    X, y = _spikes()
    params = dict(FAST, cell="fcn", normalize=None, max_iter=30)
    # Convolutions and average pooling are blind to where the spike lies: every series
    # gets the same output.
    blind = Estimator(**params, time_index=False).fit(X, y)
    assert blind.time_index_span_ is None
    assert blind.module_.blocks[0].conv.in_channels == 1
    output = _output(blind, X)
    np.testing.assert_allclose(output, np.broadcast_to(output[:1], output.shape), atol=1e-5)
    # With each step's position as a second feature, they tell early from late.
    est = Estimator(**params, time_index=True).fit(X, y)
    assert est.time_index_span_ == 64
    assert est.module_.blocks[0].conv.in_channels == 2
    X_new, y_new = _spikes(seed=1)
    if is_classifier(est):
        assert est.score(X, y) > 0.9 and est.score(X_new, y_new) > 0.9
    else:
        assert est.score(X_new, y_new) > 0.5  # R^2 of the 0/1 target
    # warm_start keeps the first fit's span, as predict does.
    est.set_params(warm_start=True, max_iter=1).fit(X[:, :50], y)
    assert est.time_index_span_ == 64


def test_time_index_auto_gives_the_position_to_the_convolutions_on_short_series():
    # 'auto': on for SequenceClassifier's convolutional encoders when the longest training
    # series has at most AUTO_TIME_INDEX_MAX_STEPS steps (ragged ones by their longest).
    from sknn.estimators.sequence import AUTO_TIME_INDEX_MAX_STEPS as limit

    rng = np.random.RandomState(0)
    y = np.arange(12) % 2

    def span(est, X):
        return est.fit(X, y).time_index_span_

    short, long = rng.normal(size=(12, limit, 1)), rng.normal(size=(12, limit + 1, 1))
    assert span(SequenceClassifier(**FAST), short) == limit
    assert span(SequenceClassifier(**FAST), long) is None
    assert span(SequenceClassifier(**FAST), list(short)) == limit  # a list of one length
    assert span(SequenceClassifier(**FAST), short[:, :, 0]) == limit  # the 2-D form alike
    # Not for ragged series, which may be aligned at their start or (PastRows' windows)
    # at their end, where a ramp from each one's first step misplaces the current row.
    ragged = [rng.normal(size=(n, 1)) for n in [limit] * 11 + [limit - 5]]
    assert span(SequenceClassifier(**FAST), ragged) is None
    # Not for the recurrent cells, nor the regressor (not measured there), nor text.
    assert span(SequenceClassifier(**FAST, cell="gru"), short) is None
    assert SequenceRegressor(**FAST, cell="fcn").fit(short, y * 1.0).time_index_span_ is None
    assert SequenceClassifier(**FAST).fit(REVIEWS, LABELS).time_index_span_ is None
    # A continued fit takes 'auto' and the value it resolved to as the same.
    est = SequenceClassifier(**FAST, warm_start=True).fit(short, y)
    est.set_params(time_index=True).fit(short, y)
    with pytest.raises(ValueError, match="time_index=False .fitted with 'auto'."):
        est.set_params(time_index=False).fit(short, y)
    est = SequenceClassifier(**FAST, warm_start=True).fit(long, y)
    est.set_params(time_index=False).fit(long, y)


def test_sequences_longer_than_the_time_index_span_warn_at_predict():
    # Non-regression (a probe of time_index='auto'): trained on 24 steps, predicted on 96,
    # the ramp reached 7.6 and every prediction was one class, without a word.
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(12, 24, 1)), np.arange(12) % 2
    est = SequenceClassifier(**FAST).fit(X, y)
    assert est.time_index_span_ == 24
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        est.predict(X[:, :20])  # shorter: within the ramp seen in training
    with pytest.warns(UserWarning, match=r"1 of the 2 sequences are longer than .* \(24 steps"):
        est.predict([X[0], rng.normal(size=(96, 1))])
    blind = SequenceClassifier(**FAST, time_index=False).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        blind.predict(rng.normal(size=(2, 96, 1)))


def test_a_text_model_continued_with_time_index_true_is_told_why():
    est = SequenceClassifier(**FAST, warm_start=True).fit(REVIEWS, LABELS)
    with pytest.raises(ValueError, match="text input has none.*Leave time_index='auto'"):
        est.set_params(time_index=True).fit(REVIEWS, LABELS)


def test_estimators_pickled_before_time_index_predict_as_before():
    X, y = _data(SequenceClassifier, n=20)
    est = SequenceClassifier(**FAST, time_index=False).fit(X, y)
    expected = est.predict_proba(X)
    state = pickle.loads(pickle.dumps(est)).__dict__
    del state["time_index_span_"], state["time_index"]
    old = SequenceClassifier.__new__(SequenceClassifier)
    old.__setstate__(state)
    np.testing.assert_array_equal(old.predict_proba(X), expected)


def test_time_index_on_ragged_sequences():
    X = _ragged(n=12, d=2)
    span = max(len(x) for x in X)
    padded, lengths = check_sequences(X)
    # The same ramp for every sequence, from -1 at its first step to 1 at step span - 1,
    # after the features; zero on the padding.
    with_time = with_time_index(padded, lengths, span)
    assert with_time.shape == (12, span, 3) and with_time.dtype == np.float32
    np.testing.assert_array_equal(with_time[:, :, :2], padded)
    for i, length in enumerate(lengths):
        np.testing.assert_allclose(with_time[i, :length, 2], np.linspace(-1, 1, span)[:length])
        assert not with_time[i, length:].any()
    est = SequenceClassifier(**FAST, time_index=True).fit(X, np.arange(12) % 2)
    assert est.time_index_span_ == span
    # A series predicts alike alone and padded among longer ones.
    np.testing.assert_allclose(est.predict_proba(X)[:1], est.predict_proba([X[0]]), atol=1e-5)
    # A series longer than any seen at fit continues the ramp past 1.
    longer = np.random.RandomState(1).normal(size=(3 * span, 2)).astype(np.float32)
    ramp = with_time_index(longer[np.newaxis], [3 * span], span)[0, :, 2]
    np.testing.assert_allclose(np.diff(ramp), 2 / (span - 1), rtol=1e-5)
    assert ramp[-1] > 1
    assert np.isfinite(est.predict_proba([longer])).all()
    # The recurrent cells read it too, as one more feature.
    gru = SequenceClassifier(**FAST, cell="gru", time_index=True).fit(X, np.arange(12) % 2)
    assert gru.module_.rnn.input_size == 3


def test_time_index_refuses_text():
    with pytest.raises(ValueError, match="time_index=True .* text input"):
        SequenceClassifier(**FAST, time_index=True).fit(REVIEWS, LABELS)
    assert SequenceClassifier(**FAST).fit(REVIEWS, LABELS).time_index_span_ is None


@pytest.mark.parametrize(
    "bad, match",
    [
        (dict(cell="bogus"), "'cell' parameter"),
        (dict(pooling="bogus"), "'pooling' parameter"),
        (dict(normalize="bogus"), "'normalize' parameter"),
        (dict(normalize=True), "'normalize' parameter"),
        (dict(normalize="channels"), "'normalize' parameter"),
        (dict(cell="fcn", hidden_size=0), "'hidden_size' parameter"),
    ],
)
def test_invalid_encoder_parameters_raise_sklearn_errors(bad, match):
    X, y = _data(SequenceClassifier, n=10)
    with pytest.raises(ValueError, match=match):
        SequenceClassifier(**{**FAST, **bad}).fit(X, y)


@pytest.mark.parametrize("cell", ["fcn", "resnet"])
def test_convolutional_encoders_need_two_training_rows(cell):
    X, y = _data(SequenceRegressor, n=1)
    with pytest.raises(ValueError, match="at least 2 training rows; got n_samples = 1"):
        SequenceRegressor(**FAST, cell=cell).fit(X, y)
    # Recurrent cells have no batch statistics: one row is enough.
    SequenceRegressor(**FAST, cell="gru").fit(X, y)


@pytest.mark.parametrize("cell", ["fcn", "resnet"])
def test_convolutional_text_classifier_reads_token_ids(cell):
    clf = SequenceClassifier(**dict(FAST, max_iter=20, learning_rate_init=0.05), cell=cell)
    clf.fit(REVIEWS, LABELS)
    assert clf.module_.embedding is not None
    proba = clf.predict_proba(["a good film", "a bad film", "good"])
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    assert list(clf.predict(["a great film", "an awful film"])) == ["pos", "neg"]


# -- tasks ------------------------------------------------------------------------------------
def test_classifier_learns_and_round_trips_string_labels():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 8, 2)).astype(np.float32)
    y = np.where(X[:, :, 1].mean(axis=1) > 0, "up", "down")
    # The level is the label here: no per-series normalisation.
    clf = SequenceClassifier(
        **dict(FAST, max_iter=40, hidden_size=16, learning_rate="constant"),
        cell="gru",
        normalize=None,
    )
    clf.fit(X, y)
    assert list(clf.classes_) == ["down", "up"]
    assert clf.score(X, y) > 0.9
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)


def test_classifier_multiclass_class_weight_and_sample_weight():
    X, y = _data(SequenceClassifier, n=45)
    y = np.arange(45) % 3
    plain = SequenceClassifier(**FAST).fit(X, y)
    assert plain.predict_proba(X).shape == (45, 3)
    balanced = SequenceClassifier(**FAST, class_weight="balanced").fit(X[:40], y[:40])
    weighted = SequenceClassifier(**FAST).fit(X[:40], y[:40], sample_weight=np.arange(40.0))
    assert not np.allclose(balanced.predict_proba(X), weighted.predict_proba(X))


def test_regressor_forecasts_a_horizon():
    series = np.sin(np.arange(200) / 6)
    X, y = make_windows(series, window=12, horizon=3, flatten=False)
    # A constant rate: 30 epochs of the default cosine schedule end before it fits.
    reg = SequenceRegressor(
        **dict(FAST, max_iter=30, hidden_size=16, learning_rate="constant"), cell="gru"
    ).fit(X, y)
    assert reg.n_outputs_ == 3
    assert reg.predict(X[:4]).shape == (4, 3)
    assert reg.score(X, y) > 0.9


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_warm_start_and_partial_fit_continue(Estimator, cell):
    X, y = _data(Estimator)
    est = Estimator(**FAST, cell=cell, warm_start=True).fit(X, y)
    n_iter = est.n_iter_
    est.fit(X, y)
    assert len(est.loss_curve_) == 2 * n_iter
    inc = Estimator(**FAST, cell=cell)
    kwargs = {"classes": np.unique(y)} if Estimator is SequenceClassifier else {}
    inc.partial_fit(X, y, **kwargs).partial_fit(X, y)
    assert len(inc.loss_curve_) == 2
    with pytest.raises(ValueError, match="features per time step"):
        inc.partial_fit(X[:, :, :1], y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_long_frame_is_read_as_its_instances(Estimator, tmp_path):
    # sktime's 'pd-multiindex' form: one row per time step under an (instance, time
    # point) index, with y of one value per instance. Read as the instances' sequences,
    # in the order of their first rows, each in time order.
    from sknn.persistence import load, save

    X, y = _data(Estimator, d=2)
    n, T, _ = X.shape
    index = pd.MultiIndex.from_product([[f"case{i}" for i in range(n)], range(T)])
    values = X.reshape(n * T, 2).astype(np.float64)
    long = pd.DataFrame(values, index=index, columns=["dim_0", "dim_1"])
    est = Estimator(**FAST).fit(long, y)
    assert est.n_features_in_ == 2 and list(est.feature_names_in_) == ["dim_0", "dim_1"]
    expected = _output(Estimator(**FAST).fit(X, y), X.astype(np.float64))
    # The same network; its outputs to float32 rounding (another batch layout).
    np.testing.assert_allclose(_output(est, long), expected, rtol=1e-5, atol=1e-6)
    # Instances in another order, or their rows interleaved (time point by time point):
    # the instances in the order of their first rows, each in the order of its rows.
    order = np.random.RandomState(0).permutation(n)
    shuffled = long.loc[[f"case{i}" for i in order]]
    np.testing.assert_allclose(_output(est, shuffled), expected[order], rtol=1e-5, atol=1e-6)
    interleaved = long.sort_index(level=1, sort_remaining=False)
    np.testing.assert_allclose(_output(est, interleaved), expected, rtol=1e-5, atol=1e-6)
    # Time points that are numbers out of order are refused, not sorted; strings
    # (which sort as '0', '1', '10', '11', '2') are read in the order given.
    with pytest.raises(ValueError, match="Instance 0 .* out of increasing order"):
        est.predict(long.iloc[::-1])
    as_text = long.set_axis(
        pd.MultiIndex.from_product([[f"case{i}" for i in range(n)], [str(t) for t in range(T)]])
    )
    np.testing.assert_allclose(_output(est, as_text), expected, rtol=1e-5, atol=1e-6)
    # Ragged instances, and the model saved and loaded.
    ragged = long.drop(index=[("case3", T - 1), ("case5", T - 1), ("case5", T - 2)])
    est.fit(ragged, y)
    lists = [frame.to_numpy() for _, frame in ragged.groupby(level=0, sort=False)]
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        from_lists = _output(est, lists)
    np.testing.assert_array_equal(_output(est, ragged), from_lists)
    save(est, tmp_path / "long.sknn")
    loaded = load(tmp_path / "long.sknn")
    np.testing.assert_array_equal(_output(loaded, ragged), _output(est, ragged))
    # Cross-validation splits X by rows, here time steps: the list of instances splits.
    from sklearn.model_selection import cross_val_score

    from sknn.data.sequences import long_frame_sequences

    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        cross_val_score(Estimator(**FAST), long, y, cv=2)
    assert len(cross_val_score(Estimator(**FAST), long_frame_sequences(long), y, cv=2)) == 2
    # A model fitted on that list (a search's best_estimator_), or on any other form of
    # sequences, reads the long form at predict: one output per instance.
    for fitted_on in (long_frame_sequences(long), X):
        fitted = Estimator(**FAST).fit(fitted_on, y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # names seen, or not, at fit
            assert len(_output(fitted, long)) == n
    # With y of one value per row, such a frame is a table of samples, as before.
    table = pd.DataFrame(X[:, :, 0], index=pd.MultiIndex.from_product([range(n // 2), [0, 1]]))
    assert Estimator(**FAST).fit(table, y).n_features_in_ == T


def test_lbfgs_predicts_with_batch_norm_statistics_of_its_final_weights():
    # Non-regression: every point L-BFGS evaluated (line-search trials included) moved the
    # batch norm's running statistics, which then described earlier weights: loss_ 0.0003
    # but a training accuracy of 0.40 at predict, with advice about batch sizes.
    from sklearn.metrics import log_loss

    rng = np.random.RandomState(0)
    y = rng.randint(2, size=60)
    t = np.linspace(0, 1, 40)
    X = np.sin(2 * np.pi * (1 + y[:, None]) * t) + 0.8 * rng.normal(size=(60, 40))
    est = SequenceClassifier(hidden_size=16, solver="lbfgs", max_iter=200, random_state=0)
    est.set_params(device="cpu").fit(X[:, :, None], y)
    assert est.score(X[:, :, None], y) == 1.0
    assert log_loss(y, est.predict_proba(X[:, :, None])) < 10 * est.loss_ + 0.01
    # Each layer's momentum is as it was.
    assert {m.momentum for m in est.net_.module_.modules() if hasattr(m, "running_mean")} == {0.1}


@pytest.mark.gpu  # skipped without a CUDA device (tests/conftest.py)
@pytest.mark.parametrize("ragged", [False, True])
def test_lbfgs_resets_batch_norm_statistics_on_cuda(ragged):
    # The final full-batch pass of the test above, on the GPU; ragged series take the
    # masked batch norm's path there (the CPU packs them instead).
    from sklearn.metrics import log_loss

    rng = np.random.RandomState(0)
    y = rng.randint(2, size=60)
    lengths = rng.randint(30, 41, size=60) if ragged else np.full(60, 40)
    X = [
        (np.sin(2 * np.pi * (1 + c) * np.linspace(0, 1, n)) + 0.8 * rng.normal(size=n))[:, None]
        for c, n in zip(y, lengths, strict=True)
    ]
    if not ragged:
        X = np.stack(X)
    est = SequenceClassifier(hidden_size=16, solver="lbfgs", max_iter=200, random_state=0)
    est.set_params(device="cuda").fit(X, y)
    assert est.score(X, y) == 1.0
    assert log_loss(y, est.predict_proba(X)) < 10 * est.loss_ + 0.01
    assert {m.momentum for m in est.net_.module_.modules() if hasattr(m, "running_mean")} == {0.1}


def test_forecasts_on_series_far_from_unit_scale_or_of_counts_warn():
    # Non-regression (SequenceRegressor as a forecaster): a series in the thousands reached
    # the LSTM as given and came out flat, and scaling only y, as the warning said, hid it;
    # Poisson counts near 5000 predicted as 0.9 were never compared with their mean; a
    # constant series at 1000 was predicted as 4.75 without a word.
    rng = np.random.RandomState(0)
    series = 5000 + 500 * np.sin(np.arange(200) / 5) + rng.poisson(50, 200)
    X, y = make_windows(series, window=12, flatten=False)
    params = dict(FAST, hidden_size=8, max_iter=20)
    with pytest.warns(UserWarning, match="far from unit scale .* normalize='channel'"):
        SequenceRegressor(**params).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="no better than .* divide them by a constant"):
        SequenceRegressor(**params, loss="poisson").fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        SequenceRegressor(**params, normalize="channel").fit(X, y)  # X scaled: no word
    X, y = make_windows(np.full(150, 1000.0), window=8, flatten=False)
    with pytest.warns(ConvergenceWarning, match="no better than predicting the mean"):
        SequenceRegressor(**params, normalize="channel").fit(X, y)


def test_one_window_given_as_2d_warns_that_it_is_read_as_one_step_sequences():
    # Non-regression: reg.predict(X[-1]) (the latest window, 8 steps) gave 8 forecasts,
    # one for each step read as a sequence, without a word.
    X, y = make_windows(np.sin(np.arange(100) / 4), window=8, flatten=False)
    reg = SequenceRegressor(**FAST).fit(X, y)
    with pytest.warns(UserWarning, match="8 sequences of one step each.*Pass X\\[-1:\\]"):
        assert reg.predict(X[-1]).shape == (8,)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert reg.predict(X[-1:]).shape == (1,)
        ragged = SequenceRegressor(**FAST).fit([x[: 1 + i % 8] for i, x in enumerate(X)], y)
        ragged.predict(X[-1])  # fitted on sequences of every length: nothing to tell


def test_padded_token_ids_read_as_numbers_warn():
    # Non-regression: TextVectorizer's output piped into SequenceClassifier was read as
    # numeric series (z-normalised ids, chance accuracy) without a word.
    from sknn.text import TextVectorizer

    texts = ["a good film, a fine cast", "good", "great fun", "a bad film", "awful", "bad"] * 4
    ids = TextVectorizer().fit_transform(texts)
    with pytest.warns(UserWarning, match=r"token ids padded with 0.*\[row\[row != 0\]"):
        SequenceClassifier(**FAST).fit(ids, LABELS)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        SequenceClassifier(**FAST, input_kind="sequences").fit(ids, LABELS)  # as asked
        counts = np.random.RandomState(0).poisson(1.0, size=(len(LABELS), 12))
        SequenceClassifier(**FAST).fit(counts, LABELS)  # zeros inside rows: counts
    # Numbers written as strings are read as tokens, as input_kind='auto' reads strings;
    # scikit-learn's estimators read them as numbers: a warning says which.
    as_text = np.random.RandomState(0).rand(len(LABELS), 6).round(2).astype(str)
    with pytest.warns(UserWarning, match="strings that all read as numbers.*X.astype"):
        assert SequenceClassifier(**FAST).fit(as_text, LABELS).input_kind_ == "text"


def test_other_containers_of_sequences_are_read_as_their_sequences():
    # Non-regression: a torch nested tensor and bfloat16 tensors raised torch's internal
    # errors; a nested DataFrame's values (an object array of Series) NumPy's "setting an
    # array element with a sequence"; a long frame with a text column, or pandas' NA,
    # "must contain numeric values, got dtype object".
    import torch

    X, y = _data(SequenceClassifier, d=2)
    ragged = [x[: 3 + i % 4] for i, x in enumerate(X)]
    expected = SequenceClassifier(**FAST).fit(ragged, y).predict_proba(ragged)
    nested_tensor = torch.nested.nested_tensor([torch.from_numpy(x) for x in ragged])
    est = SequenceClassifier(**FAST).fit(nested_tensor, y)
    np.testing.assert_allclose(est.predict_proba(nested_tensor), expected, atol=1e-6)
    bf16 = [torch.from_numpy(x).bfloat16() for x in ragged]
    assert SequenceClassifier(**FAST).fit(bf16, y).predict(torch.stack(bf16[:1])).shape == (1,)
    nested = pd.DataFrame({f"dim_{j}": [pd.Series(x[:, j]) for x in ragged] for j in range(2)})
    est = SequenceClassifier(**FAST).fit(nested.to_numpy(), y)
    np.testing.assert_allclose(est.predict_proba(nested.to_numpy()), expected, atol=1e-6)
    frames = [pd.DataFrame(x, columns=["a", "b"]).assign(site="A") for x in ragged]
    with pytest.raises(ValueError, match=r"columns \['site'\] are not numeric"):
        SequenceClassifier(**FAST).fit(frames, y)
    frames = [pd.DataFrame(x, columns=["a", "b"]).astype("Float64") for x in ragged]
    frames[2].iloc[1, 0] = pd.NA
    with pytest.raises(ValueError, match="Input X contains NaN"):
        SequenceClassifier(**FAST).fit(frames, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_nested_dataframe_is_read_as_its_sequences(Estimator):
    # sktime's 'nested_univ' DataFrame (a column per feature, a Series per cell) is the
    # same data as the 3-D array, and ragged rows the same as the list of sequences.
    X, y = _data(Estimator, d=2)
    nested = pd.DataFrame(
        {f"dim_{j}": [pd.Series(row[:, j]) for row in X] for j in range(X.shape[2])}
    )
    est = Estimator(**FAST).fit(nested, y)
    assert est.n_features_in_ == 2 and list(est.feature_names_in_) == ["dim_0", "dim_1"]
    np.testing.assert_array_equal(
        _output(est, nested), _output(Estimator(**FAST).fit(X, y), X.astype(np.float64))
    )
    # Its columns are the step's features, checked at predict as a table's columns are.
    with pytest.raises(ValueError, match="same order as they were in fit"):
        est.predict(nested[["dim_1", "dim_0"]])
    with pytest.raises(ValueError, match="unseen at fit time"):
        est.predict(nested.rename(columns={"dim_0": "other"}))
    ragged = _ragged(n=len(y))
    nested = pd.DataFrame({f"dim_{j}": [seq[:, j] for seq in ragged] for j in range(2)})
    est = Estimator(**FAST).fit(nested, y)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        np.testing.assert_array_equal(_output(est, nested), _output(est, ragged))
    broken = nested.copy()
    broken.iat[3, 1] = broken.iat[3, 1][:-1] if len(broken.iat[3, 1]) > 1 else [1.0, 2.0]
    with pytest.raises(ValueError, match="Row 3 of the nested DataFrame X"):
        est.predict(broken)


@pytest.mark.parametrize(
    "params, named, cell_",
    [
        ({"num_layers": 2}, "num_layers=2 applies", "fcn"),
        ({"num_layers": 3, "bidirectional": True}, "num_layers=3 and bidirectional=True", "fcn"),
        ({"cell": "resnet", "bidirectional": True}, "bidirectional=True applies", "resnet"),
    ],
)
def test_recurrent_only_params_on_a_convolutional_encoder_warn(params, named, cell_):
    # cell='auto' trained the LSTM on numeric sequences before the convolutional encoders:
    # a stacked or bidirectional setting made for it must not vanish without a word.
    X, y = _data(SequenceClassifier)
    with pytest.warns(UserWarning, match=named + ".*recurrent cells only.*" + cell_):
        est = SequenceClassifier(**FAST, **params).fit(X, y)
    assert est.cell_ == cell_
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*recurrent cells only")
        SequenceClassifier(**FAST).fit(X, y)  # the defaults: no such warning
        lstm = SequenceClassifier(**FAST, **{**params, "cell": "lstm"}).fit(X, y)
    assert lstm.module_.rnn.num_layers == params.get("num_layers", 1)


@pytest.mark.parametrize(
    "params, text, named",
    [
        ({"min_freq": 2, "embedding_dim": 8}, False, "min_freq=2 and embedding_dim=8 apply"),
        ({"lowercase": False}, False, "lowercase=False applies to text input only"),
        ({"normalize": "series"}, True, "normalize='series' applies to numeric sequences"),
    ],
)
def test_params_of_the_other_input_kind_warn(params, text, named):
    # A text setting on numeric sequences, or a normalisation on text, is not applied:
    # the fit says so rather than ignoring it without a word.
    texts, series = (REVIEWS, LABELS), _data(SequenceClassifier)
    other, own = (texts, series) if text else (series, texts)
    with pytest.warns(UserWarning, match=named + ".*(is|are) ignored for"):
        SequenceClassifier(**FAST, **params).fit(*other)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".* ignored (by|for) ")
        # The same settings on the input kind they belong to: no such warning.
        SequenceClassifier(**FAST, **params).fit(*own)


def test_a_validation_gap_with_random_validation_rows_warns():
    X, y = _data(SequenceClassifier)
    with pytest.warns(UserWarning, match="validation_gap=2 applies to validation_split='last'"):
        SequenceClassifier(validation_split="random", validation_gap=2, **FAST).fit(X, y)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="validation_gap")
        SequenceClassifier(validation_gap=2, **FAST).fit(X, y)


# -- text -------------------------------------------------------------------------------------
REVIEWS = ["a good film", "a great film", "good fun", "a bad film", "an awful film", "bad"] * 4
LABELS = ["pos", "pos", "pos", "neg", "neg", "neg"] * 4


def test_text_classifier_is_one_estimator():
    clf = SequenceClassifier(**dict(FAST, max_iter=30, learning_rate_init=0.05))
    clf.fit(REVIEWS, LABELS)
    assert clf.input_kind_ == "text" and clf.vectorizer_.n_vocab_ > 3
    assert clf.n_features_in_ == 1
    assert clf.module_.embedding is not None
    assert list(clf.predict(["a great film", "awful", "unseen words"])[:2]) == ["pos", "neg"]
    tokens = [review.split() for review in REVIEWS]
    assert clf.fit(tokens, LABELS).vectorizer_.input_kind_ == "tokens"
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(tokens), clf.predict_proba(tokens))


def test_a_generator_of_documents_is_read_whole():
    # Its kind is read from its first document: that document must still be trained on.
    listed = SequenceClassifier(**FAST).fit(REVIEWS, LABELS)
    generated = SequenceClassifier(**FAST).fit((doc for doc in REVIEWS), LABELS)
    np.testing.assert_array_equal(
        generated.predict_proba(doc for doc in REVIEWS), listed.predict_proba(REVIEWS)
    )
    with pytest.raises(ValueError, match="inconsistent numbers of samples: .24, 23"):
        SequenceClassifier(**FAST).fit((doc for doc in REVIEWS), LABELS[1:])


@pytest.mark.parametrize(
    "make",
    [
        lambda docs: [None] + docs[1:],
        lambda docs: pd.Series([np.nan] + docs[1:]),
        lambda docs: pd.Series([None] + docs[1:], dtype="string"),
        lambda docs: np.array([None] + docs[1:], dtype=object),
    ],
    ids=["None", "nan-series", "NA-string-series", "object-array"],
)
def test_a_missing_first_document_is_named(make):
    # Read as numbers before, for lack of a string in the first document.
    with pytest.raises(ValueError, match="document 0 is (NoneType None|float nan|NAType <NA>)"):
        SequenceClassifier(**FAST).fit(make(REVIEWS), LABELS)


def test_text_where_numeric_sequences_are_expected_is_named():
    X, y = _data(SequenceClassifier)
    est = SequenceClassifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="X holds text, but SequenceClassifier was fitted on"):
        est.predict(REVIEWS)
    with pytest.raises(ValueError, match="input_kind='sequences' reads X as numeric"):
        SequenceClassifier(input_kind="sequences", **FAST).fit(REVIEWS, LABELS)


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"title": REVIEWS, "body": REVIEWS[::-1]}),
        pd.DataFrame({"review": REVIEWS, "stars": np.arange(len(REVIEWS), dtype=float)}),
    ],
    ids=["two-text-columns", "text-and-number"],
)
def test_a_table_with_text_columns_is_named(frame):
    # Read as a table of time steps, it failed with NumPy's "could not convert string".
    with pytest.raises(ValueError, match=r"columns \[.*'(title|review)'.*\] hold text"):
        SequenceClassifier(**FAST).fit(frame, LABELS)


def test_a_column_of_documents_keeps_its_name():
    est = SequenceClassifier(**FAST).fit(pd.DataFrame({"review": REVIEWS}), LABELS)
    assert list(est.feature_names_in_) == ["review"]
    with pytest.raises(ValueError, match="unseen at fit time"):
        est.predict(pd.DataFrame({"other": REVIEWS}))
    assert not hasattr(SequenceClassifier(**FAST).fit(REVIEWS, LABELS), "feature_names_in_")


def test_integer_ids_are_numbers_unless_input_kind_is_text():
    ids = [[5, 9, 2], [7, 7], [3], [5, 9], [2, 2, 2, 2]] * 2
    y = [1, 0, 1, 1, 0] * 2
    as_numbers = SequenceClassifier(**FAST).fit(ids, y)
    assert as_numbers.input_kind_ == "sequences" and as_numbers.n_features_in_ == 1
    as_tokens = SequenceClassifier(**FAST, input_kind="text").fit(ids, y)
    assert as_tokens.input_kind_ == "text" and as_tokens.vectorizer_.input_kind_ == "ids"


def test_max_len_truncates_only_when_asked():
    X = _ragged(n=10)
    y = np.arange(10) % 2
    est = SequenceRegressor(**FAST, max_len=3, truncating="pre").fit(X, y)
    # The first steps are dropped: changing them changes nothing.
    altered = [np.vstack([np.full((len(x) - 3, 2), 99.0), x[-3:]]) if len(x) > 3 else x for x in X]
    np.testing.assert_allclose(est.predict(altered), est.predict(X), atol=1e-6)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_set_params_cut_after_fit_leaves_predict_unchanged(Estimator):
    # Non-regression: set_params(max_len=..., truncating=...) on a model fitted on numeric
    # sequences changed how predict cut X; a changed parameter takes effect at the next fit.
    X, y = _data(Estimator, n=24, T=10, d=2)
    est = Estimator(**FAST).fit(X, y)
    before = _output(est, X[:4])
    est.set_params(max_len=3, truncating="pre")
    np.testing.assert_array_equal(_output(est, X[:4]), before)
    # The next fit cuts as the parameters now say: the first steps no longer count.
    est.fit(X, y)
    altered = X.copy()
    altered[:, :-3] = 99.0
    np.testing.assert_allclose(_output(est, altered), _output(est, X), atol=1e-6)


@pytest.mark.parametrize("param, value", [("max_len", 3), ("truncating", "pre")])
def test_warm_start_refuses_a_changed_cut_of_numeric_sequences(param, value):
    # Non-regression: warm_start and partial_fit continued on sequences cut otherwise than
    # the first fit cut them (now that predict keeps the fit's cut, they keep it too).
    X, y = _data(SequenceRegressor, n=24, T=10, d=2)
    est = SequenceRegressor(**FAST, max_len=5).fit(X, y)
    est.set_params(warm_start=True, **{param: value})
    with pytest.raises(ValueError, match=f"different preprocessing: {param}="):
        est.fit(X, y)
    with pytest.raises(ValueError, match=f"different preprocessing: {param}="):
        est.partial_fit(X, y)


# -- input through the shared text front door, sizes (#16) -------------------------------------
@pytest.mark.parametrize("input_kind", ["auto", "sequences", "text"])
@pytest.mark.parametrize(
    "X, match",
    [
        ("a text", "Wrap it in a list"),
        ({"a good film": 1, "bad": 0}, "gives its keys"),
        ({"a good film", "bad"}, "no order"),
    ],
    ids=["str", "dict", "set"],
)
def test_containers_that_are_not_a_corpus_raise_type_error(input_kind, X, match):
    with pytest.raises(TypeError, match=match):
        SequenceClassifier(**FAST, input_kind=input_kind).fit(X, [0, 1])


def test_predict_refuses_the_same_containers():
    X, y = _data(SequenceClassifier)
    est = SequenceClassifier(**FAST).fit(X, y)
    with pytest.raises(TypeError, match="gives its keys"):
        est.predict({0: X[0]})
    text = SequenceClassifier(**FAST).fit(REVIEWS, LABELS)
    with pytest.raises(TypeError, match="Wrap it in a list"):
        text.predict("a good film")


def shouting_split(text):
    return text.upper().split()


def test_lowercase_and_tokenizer_mean_what_they_mean_in_text_vectorizer():
    cased = ["A Good film", "a BAD film"] * 6
    y = [1, 0] * 6
    assert "good" in SequenceClassifier(**FAST).fit(cased, y).vectorizer_.vocabulary_
    kept = SequenceClassifier(**FAST, lowercase=False).fit(cased, y).vectorizer_.vocabulary_
    assert {"Good", "BAD", "A", "a"} <= set(kept)
    custom = SequenceClassifier(**FAST, tokenizer=shouting_split, lowercase=False)
    assert "GOOD" in custom.fit(cased, y).vectorizer_.vocabulary_


@pytest.mark.parametrize(
    "params, culprit",
    [
        (dict(hidden_size=10**12), "hidden_size=1000000000000"),
        (dict(hidden_size=10**6), "hidden_size=1000000"),
        (dict(embedding_dim=10**12), "embedding_dim=1000000000000"),
        (dict(dense_sizes=(10**8, 10**8)), r"dense_sizes=\(100000000, 100000000\)"),
    ],
)
def test_sizes_beyond_memory_raise_a_value_error_naming_them(params, culprit):
    # Non-regression (#16): torch raised RuntimeError "can't allocate memory".
    with pytest.raises(ValueError, match=rf"SequenceClassifier: the network .*{culprit}"):
        SequenceClassifier(**{**FAST, **params}).fit(REVIEWS, LABELS)


# -- Probe findings (s16) ------------------------------------------------------------------------
@pytest.mark.parametrize("normalize", ["series", "series_stats", "channel"])
def test_normalisation_centres_a_large_offset_before_the_float32_cast(normalize):
    # Non-regression: X was cast to float32 before the normalisation, and float32 values
    # near 1e6 are 0.0625 apart: a 0.01 signal on a 1e6 offset became one value per
    # series, and the classifier scored at chance (1.00 without the offset, 0.35 with it).
    rng = np.random.RandomState(0)
    y = rng.randint(2, size=30)
    t = np.linspace(0, 1, 20)
    shape = np.sin(2 * np.pi * (1 + y[:, None]) * t) + 0.1 * rng.normal(size=(30, 20))
    params = dict(cell="gru", normalize=normalize, **FAST)
    outputs = [
        SequenceClassifier(**params).fit((offset + 0.01 * shape)[:, :, None], y)
        for offset in (0.0, 1e6)
    ]
    probas = [
        est.predict_proba((offset + 0.01 * shape)[:, :, None])
        for est, offset in zip(outputs, (0.0, 1e6), strict=True)
    ]
    np.testing.assert_allclose(probas[1], probas[0], atol=1e-4)


def test_a_channels_first_3d_array_warns():
    # Non-regression: sktime and aeon's numpy3D arrays (n, channels, timepoints) were read
    # as (n, timesteps, features) without a word (BasicMotions: 6 steps of 100 features).
    rng = np.random.RandomState(0)
    y = [0, 1] * 5
    est = SequenceClassifier("gru", **FAST)
    with pytest.warns(UserWarning, match=r"X.transpose\(0, 2, 1\), of shape \(10, 30, 3\)"):
        est.fit(rng.normal(size=(10, 3, 30)), y)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*transpose")
        est.fit(rng.normal(size=(10, 30, 3)), y)
        # Windows of 8 steps over 12 series (make_windows on the user guide's macrodata):
        # the warning told them to transpose.
        est.fit(rng.normal(size=(10, 8, 12)), y)


@pytest.mark.parametrize("normalize", ["channel", "series_stats"])
def test_zero_weight_rows_do_not_enter_the_normalisation_statistics(normalize):
    # Non-regression: channel_mean_, channel_scale_ and series_stats_kept_ were computed
    # over every row, so rows of weight zero (here 100 times larger) changed the fit.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 8, 1)) * rng.uniform(0.5, 2, size=(30, 1, 1))
    X[20:] *= 100
    y = X[:, :, 0].mean(axis=1)
    weight = np.r_[np.ones(20), np.zeros(10)]
    params = dict(hidden_size=4, solver="lbfgs", max_iter=5, alpha=0.0, normalize=normalize)
    params.update(device="cpu", random_state=0)
    weighted = SequenceRegressor("gru", **params).fit(X, y, sample_weight=weight)
    removed = SequenceRegressor("gru", **params).fit(X[:20], y[:20])
    np.testing.assert_allclose(weighted.channel_mean_, removed.channel_mean_, rtol=1e-10)
    np.testing.assert_allclose(weighted.channel_scale_, removed.channel_scale_, rtol=1e-10)
    if normalize == "series_stats":
        np.testing.assert_array_equal(weighted.series_stats_kept_, removed.series_stats_kept_)
    np.testing.assert_allclose(weighted.predict(X[:20]), removed.predict(X[:20]), atol=1e-5)
    # Integer weights are repeated rows.
    twice = SequenceRegressor("gru", **params).fit(
        X, y, sample_weight=np.r_[2 * weight[:10], weight[10:]]
    )
    repeated = SequenceRegressor("gru", **params).fit(np.r_[X[:10], X[:20]], np.r_[y[:10], y[:20]])
    np.testing.assert_allclose(twice.channel_mean_, repeated.channel_mean_, rtol=1e-10)
    np.testing.assert_allclose(twice.channel_scale_, repeated.channel_scale_, rtol=1e-10)


def test_last_validation_rows_of_one_class_warn():
    # Non-regression: on rows sorted by class, validation_split='last' validated on the
    # last class alone (a score of 0 every epoch) and stopped early without a word.
    rng = np.random.RandomState(0)
    y = np.repeat([0, 1, 2], 10)
    X = rng.normal(size=(30, 6, 1)) + y[:, None, None]
    params = dict(cell="gru", early_stopping=True, validation_fraction=0.2, **FAST)
    with pytest.warns(UserWarning, match=r"a single class \(2\).*validation_split='random'"):
        SequenceClassifier(**params).fit(X, y)
    mixed_end = np.r_[np.zeros(24, dtype=int), [1, 2] * 3]
    with pytest.warns(UserWarning, match=r"classes that no training row holds \(\[1, 2\]\)"):
        SequenceClassifier(**params).fit(X, mixed_end)
    order = rng.permutation(30)
    for fit in (
        lambda: SequenceClassifier(**params).fit(X[order], y[order]),
        lambda: SequenceClassifier(**params, validation_split="random").fit(X, y),
    ):
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message="early_stopping validates")
            fit()


def test_lists_of_1d_tensors_are_numeric_sequences():
    # Non-regression: looks_like_text compared np.size(tensor), a tensor's .size method,
    # with 0, and a list of 1-D tensors failed with a raw TypeError.
    torch = pytest.importorskip("torch")
    y = np.array([0, 1] * 5)
    est = SequenceClassifier("gru", **FAST)
    assert est.fit([torch.arange(2.0 + i % 3) for i in range(10)], y).n_features_in_ == 1
    # Of one length: the 2-D form, whose columns are the time steps.
    assert est.fit([torch.arange(3.0) + i for i in range(10)], y).n_features_in_ == 3


def test_a_numeric_column_beside_nested_series_is_named_at_fit():
    # Non-regression: the error blamed the series columns ("hold text", pass documents).
    rng = np.random.RandomState(0)
    nested = pd.DataFrame({"dim_0": [pd.Series(rng.normal(size=5 + i % 3)) for i in range(10)]})
    nested["subject_age"] = rng.randint(20, 60, size=10)
    with pytest.raises(ValueError, match="column 'subject_age' holds a single value"):
        SequenceClassifier("gru", **FAST).fit(nested, [0, 1] * 5)


def test_a_list_of_dataframes_records_and_checks_its_column_names():
    # Non-regression: their column names were neither recorded nor checked, so frames
    # with swapped columns at predict were read without a word (accuracy 1.0 -> 0.5).
    rng = np.random.RandomState(0)
    y = np.array([0, 1] * 10)
    frames = [
        pd.DataFrame({"temp": rng.normal(size=8) + 3 * y[i], "volt": rng.normal(size=8)})
        for i in range(20)
    ]
    ragged = [frame.iloc[: 5 + i % 3] for i, frame in enumerate(frames)]
    for X in (frames, ragged):
        est = SequenceClassifier("gru", **FAST).fit(X, y)
        assert list(est.feature_names_in_) == ["temp", "volt"]
        with pytest.raises(ValueError, match="feature names should match"):
            est.predict([frame[["volt", "temp"]] for frame in X])
    with pytest.raises(ValueError, match=r"frame 1 has \['volt', 'temp'\]"):
        SequenceClassifier("gru", **FAST).fit([frames[0], frames[1][["volt", "temp"]]], y[:2])


def test_predict_after_a_2d_fit_needs_that_many_time_steps():
    # Non-regression: after a fit on the 2-D form (n_features_in_ = its columns, the time
    # steps), predict took 3-D arrays and ragged lists of any length.
    rng = np.random.RandomState(0)
    est = SequenceClassifier("gru", **FAST).fit(rng.normal(size=(20, 10)), [0, 1] * 10)
    assert est.n_features_in_ == 10
    assert est.predict(rng.normal(size=(3, 10, 1))).shape == (3,)
    for X in (rng.normal(size=(3, 50, 1)), [np.zeros(3), np.zeros(40)]):
        with pytest.raises(ValueError, match="expecting sequences of 10 time steps"):
            est.predict(X)


# -- Probe findings (s17) ------------------------------------------------------------------------
NUMPY_INTEGERS = [np.int64, np.int32]
# Each size, count and rate of the encoders as NumPy gives it (a grid over np.arange, a
# float32 array): the parameter checks accept them, so the network must be built from them.
NUMPY_VALUES = [
    ("hidden_size", np.int64(6)),
    ("hidden_size", np.int32(6)),
    ("num_layers", np.int64(2)),
    ("num_layers", np.int32(2)),
    ("bidirectional", np.bool_(True)),
    ("dense_sizes", (np.int64(5), np.int32(3))),
    ("dense_sizes", np.array([5], dtype=np.int32)),
    ("dropout", np.float32(0.25)),
]
NUMPY_CASES = [
    pytest.param(cell, name, value, id=f"{cell}-{name}={value!r}")
    for cell in ["rnn", "gru", "lstm", "fcn", "resnet"]
    for name, value in NUMPY_VALUES
    # The convolutional encoders ignore these, with a warning.
    if not (cell in ("fcn", "resnet") and name in ("num_layers", "bidirectional"))
]


@pytest.mark.parametrize("cell, name, value", NUMPY_CASES)
def test_numpy_numbers_build_every_encoder(cell, name, value):
    # Non-regression: hidden_size=np.int64(8) (GridSearchCV over np.arange) passed the
    # parameter checks, then torch's recurrent layers raised "hidden_size should be of
    # type int, got: int64"; np.bool_(True) as bidirectional failed in their kernels.
    X, y = _data(SequenceClassifier, n=12)
    est = SequenceClassifier(cell, **{**FAST, "max_iter": 1, name: value}).fit(X, y)
    plain = SequenceClassifier(cell, **{**FAST, "max_iter": 1, name: _python(value)})
    assert _output(est, X).shape == (12, 2)
    assert repr(est.module_) == repr(plain.fit(X, y).module_)


def _python(value):
    if isinstance(value, np.ndarray):
        return tuple(value.tolist())
    if isinstance(value, tuple):
        return tuple(v.item() for v in value)
    return value.item()


@pytest.mark.parametrize("integer", NUMPY_INTEGERS)
@pytest.mark.parametrize("cell", ["auto", "gru", "fcn"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_numpy_integer_embedding_dim_builds_the_text_encoder(Estimator, cell, integer):
    # Non-regression: embedding_dim=np.int64(8) reached torch's LSTM (the text default) as
    # its input_size, which it refused ("input_size should be of type int, got: int64").
    y = LABELS if Estimator is SequenceClassifier else [float(len(r)) for r in REVIEWS]
    params = dict(FAST, max_iter=1, cell=cell, embedding_dim=integer(4))
    est = Estimator(**params).fit(REVIEWS, y)
    assert est.module_.embedding.embedding_dim == 4
    assert isinstance(est.module_.embedding.embedding_dim, int)


def test_a_grid_over_np_arange_searches_the_recurrent_sizes():
    from sklearn.model_selection import GridSearchCV

    X, y = _data(SequenceClassifier, n=16)
    grid = {"hidden_size": np.arange(4, 9, 4), "num_layers": np.arange(1, 3)}
    search = GridSearchCV(
        SequenceClassifier("lstm", **dict(FAST, max_iter=1)), grid, cv=2, error_score="raise"
    ).fit(X, y)
    assert search.best_estimator_.module_.rnn.hidden_size in (4, 8)


@pytest.mark.parametrize("cell", ["gru", "fcn"])
def test_numpy_sized_network_loads_as_fitted_after_set_params(cell, tmp_path):
    # The network is rebuilt at load from the parameters it was fitted with (NumPy
    # numbers included), not from those set_params changed since.
    import sknn

    X, y = _data(SequenceClassifier, n=12)
    est = SequenceClassifier(
        cell, **dict(FAST, max_iter=1), dense_sizes=np.array([3]), dropout=np.float32(0.1)
    )
    est.set_params(hidden_size=np.int64(6)).fit(X, y)
    proba = est.predict_proba(X)
    est.set_params(hidden_size=16, dense_sizes=(), dropout=0.0)
    sknn.save(est, tmp_path / "model.sknn")
    loaded = sknn.load(tmp_path / "model.sknn")
    np.testing.assert_allclose(loaded.predict_proba(X), proba, rtol=1e-6)
    assert repr(loaded.module_) == repr(est.module_)


@pytest.mark.parametrize(
    "Estimator, normalize, advice",
    [
        (SequenceClassifier, "series", "Leave normalize='auto'."),
        (SequenceClassifier, None, "Leave normalize='auto'."),
        (SequenceRegressor, "auto", "Leave normalize=None."),
        (SequenceRegressor, "channel", "Leave normalize=None."),
    ],
)
def test_normalize_on_text_advises_the_estimators_own_default(Estimator, normalize, advice):
    # Non-regression: SequenceRegressor(normalize='auto') on text was told "Leave
    # normalize='auto'", the classifier's default: the regressor's is None.
    y = LABELS if Estimator is SequenceClassifier else [float(len(r)) for r in REVIEWS]
    with pytest.warns(UserWarning, match=rf"normalize={normalize!r} applies to numeric") as w:
        Estimator(**dict(FAST, max_iter=1), normalize=normalize).fit(REVIEWS, y)
    (message,) = [str(m.message) for m in w if "applies to numeric" in str(m.message)]
    assert message.endswith(advice)


@pytest.mark.parametrize("size", [6, np.int64(6), np.int32(6)])
@pytest.mark.parametrize("cell", ["gru", "fcn"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_dense_sizes_takes_an_int_as_one_layer(Estimator, cell, size):
    # Non-regression: dense_sizes=16 was refused ("must be an array-like") where
    # ConvNetClassifier's dense_sizes and MLPClassifier's hidden_layer_sizes take an int.
    X, y = _data(Estimator, n=12)
    params = dict(FAST, max_iter=1, cell=cell)
    one = Estimator(**params, dense_sizes=size).fit(X, y)
    assert one.dense_sizes is size  # the parameter as given
    widths = [layer.out_features for layer in one.module_.head if hasattr(layer, "out_features")]
    assert widths == [6, one.n_outputs_]
    same = Estimator(**params, dense_sizes=(6,)).fit(X, y)
    assert repr(one.module_.head) == repr(same.module_.head)


@pytest.mark.parametrize("size", [0, -1, True, 2.0, "6"])
def test_dense_sizes_refuses_an_int_that_is_no_layer_size(size):
    X, y = _data(SequenceClassifier, n=12)
    with pytest.raises(ValueError, match="dense_sizes"):
        SequenceClassifier(**dict(FAST, max_iter=1), dense_sizes=size).fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_masked_arrays_that_hide_values_are_refused(Estimator):
    # Non-regression: NumPy drops masks, so the padding under one (-999) was read as data.
    X, y = _data(Estimator, n=20, T=10, d=1)
    mask = np.zeros(X.shape, bool)
    mask[0, 7:] = True
    for masked in (np.ma.array(X, mask=mask), np.ma.array(X[:, :, 0], mask=mask[:, :, 0])):
        with pytest.raises(ValueError, match=r"3 masked value\(s\).*row.compressed\(\)"):
            Estimator(**FAST).fit(masked, y)
    fitted = Estimator(**FAST).fit(np.ma.array(X), y)  # a mask that hides nothing
    np.testing.assert_array_equal(_output(fitted, np.ma.array(X)), _output(fitted, X))
    with pytest.raises(ValueError, match="masked value"):
        fitted.predict(np.ma.array(X, mask=mask))


def test_the_2d_form_with_max_len_refuses_sequences_of_other_lengths():
    # Non-regression: the lengths were checked after max_len's cut, so a model fitted on
    # 12 columns took sequences of 30 steps (cut to 6) without a word.
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(20, 12)), np.arange(20) % 2
    clf = SequenceClassifier(**dict(FAST, max_len=6), cell="lstm").fit(X, y)
    for other in (rng.normal(size=(2, 30, 1)), [rng.normal(size=30), rng.normal(size=9)]):
        with pytest.raises(ValueError, match="expecting sequences of 12 time steps"):
            clf.predict(other)
    np.testing.assert_array_equal(clf.predict(X[:, :, None]), clf.predict(X))


def test_text_of_another_form_than_the_fits_names_the_estimator():
    clf = SequenceClassifier(**FAST).fit(REVIEWS, LABELS)
    with pytest.raises(
        ValueError, match="SequenceClassifier was fitted on raw texts but X holds lists of tokens"
    ):
        clf.predict([review.split() for review in REVIEWS])


@pytest.mark.parametrize("normalize", ["series", "channel", None])
def test_one_long_sequence_is_padded_once(normalize):
    # Non-regression: every sequence was padded to the longest in float64, and each
    # normalisation step copied that padded array again: 300 short sequences and one of
    # 4000 steps peaked at 7 to 9 times the float32 network input, in NumPy alone.
    import tracemalloc

    rng = np.random.RandomState(0)
    X = [rng.normal(size=5) for _ in range(300)] + [rng.normal(size=4000)]
    y = np.arange(len(X)) % 2
    padded_bytes = len(X) * 4000 * 4  # the network input: float32, one feature per step
    params = dict(FAST, max_iter=1, hidden_size=2, batch_size=len(X), normalize=normalize)
    clf = SequenceClassifier(**params, cell="lstm")
    tracemalloc.start()
    try:
        clf.fit(X, y)
        fit_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        clf.predict_proba(X)
        predict_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert predict_peak < 1.5 * padded_bytes
    assert fit_peak < 3 * padded_bytes  # the input, and the training's own copy of it


def test_valid_loss_is_the_sample_weighted_loss_of_the_validation_rows():
    # Non-regression (a probe of the engine): over several validation batches, each batch's
    # weighted mean was weighed by its rows, not its weight (0.722 against 0.823 here).
    from sklearn.metrics import log_loss

    rng = np.random.RandomState(0)
    n = 120
    X = rng.randn(n, 6, 2).astype(np.float32)
    y = (X[:, :, 0].mean(1) > 0).astype(int)
    y[n - 8 :] = 1 - y[n - 8 :]  # mislabelled validation rows that carry the weight
    weight = np.ones(n)
    weight[n - 48 : n - 8] = 1e-3  # validation_split='last': the last 48 rows
    params = dict(cell="gru", hidden_size=8, early_stopping=True, validation_fraction=0.4)
    params.update(learning_rate_init=0.03, batch_size=8, max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = SequenceClassifier(**params, device="cpu").fit(X, y, sample_weight=weight)
    rows = slice(n - 48, n)
    expected = log_loss(y[rows], est.predict_proba(X[rows]), sample_weight=weight[rows])
    assert est.history_[-1]["valid_loss"] == pytest.approx(expected, rel=1e-5)


# -- n_init='auto' -------------------------------------------------------------------------
AUTO = dict(hidden_size=8, max_iter=2, device="cpu", random_state=0)


def _short_series(n=40, T=20, seed=0):
    rng = np.random.RandomState(seed)
    y = rng.randint(2, size=n)
    t = np.linspace(0, 1, T)
    X = np.sin(2 * np.pi * (1 + y[:, None]) * t) + 0.3 * rng.normal(size=(n, T))
    return X[:, :, None], y


def _fit_quietly(est, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.partial_fit(X, y, **kwargs) if kwargs else est.fit(X, y)


def test_n_init_auto_averages_three_networks_on_small_sets_of_short_series():
    X, y = _short_series(T=AUTO_N_INIT_MAX_STEPS)
    clf = _fit_quietly(SequenceClassifier(**AUTO), X, y)
    assert clf.n_init == "auto" and len(clf.runs_) == AUTO_N_INIT == 3
    np.testing.assert_allclose(
        clf.predict_proba(X), np.mean([r.predict_proba(X) for r in clf.runs_], axis=0), rtol=1e-6
    )
    # Each input form of such series resolves alike: the 2-D form, ragged lists.
    assert len(_fit_quietly(SequenceClassifier(**AUTO), X[:, :, 0], y).runs_) == 3
    ragged = [x[: 10 + i % 5] for i, x in enumerate(X)]
    assert len(_fit_quietly(SequenceClassifier(**AUTO), ragged, y).runs_) == 3
    # The largest such set.
    X, y = _short_series(n=AUTO_N_INIT_MAX_SERIES, T=4)
    assert AUTO_N_INIT_MAX_SERIES == 320
    assert len(_fit_quietly(SequenceClassifier(**AUTO, max_len=4), X, y).runs_) == 3


@pytest.mark.parametrize(
    "case", ["long", "many", "recurrent", "text", "partial_fit", "warm_start", "checkpoint"]
)
def test_n_init_auto_fits_one_network_elsewhere(case, tmp_path):
    X, y = _short_series()
    est = SequenceClassifier(**AUTO)
    if case == "long":
        X, y = _short_series(T=AUTO_N_INIT_MAX_STEPS + 1)
    elif case == "many":
        X, y = _short_series(n=AUTO_N_INIT_MAX_SERIES + 1, T=4)
    elif case == "recurrent":
        est.set_params(cell="gru")
    elif case == "text":
        X, y = ["a good film", "a bad film"] * 20, [1, 0] * 20
    elif case == "warm_start":
        est.set_params(warm_start=True)
    elif case == "checkpoint":
        est.set_params(checkpoint=tmp_path / "fit.ckpt")
    kwargs = dict(classes=[0, 1]) if case == "partial_fit" else {}
    _fit_quietly(est, X, y, **kwargs)
    assert getattr(est, "runs_", None) is None and not hasattr(est, "init_scores_")


def test_n_init_auto_ensemble_continues_and_refuses_a_checkpoint(tmp_path):
    X, y = _short_series()
    clf = _fit_quietly(SequenceClassifier(**AUTO), X, y)
    t = [run.t_ for run in clf.runs_]
    _fit_quietly(clf, X, y, classes=[0, 1])  # partial_fit: each network one more epoch
    assert [run.t_ for run in clf.runs_] == [value + len(X) for value in t]
    clf.set_params(warm_start=True, checkpoint=tmp_path / "fit.ckpt")
    with pytest.raises(ValueError, match="averages the predictions of 3 networks"):
        clf.fit(X, y)


def test_n_init_auto_is_the_classifiers_only():
    assert SequenceRegressor().n_init == 1 and SequenceRegressor().ensemble == "best"
    with pytest.raises(ValueError, match="n_init"):
        SequenceRegressor(n_init="auto").fit(*_data(SequenceRegressor))
