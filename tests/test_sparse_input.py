"""Sparse input to the MLPs: trained and predicted as sparse, never densified.

scipy CSR and CSC matrices and arrays go in; each batch is a torch sparse CSR tensor of
its rows (gathered where the data are) and the first layer multiplies it as sparse. The
CUDA path is the same code on another device: what runs here on the CPU is what runs there,
except the one host synchronisation per batch that reads the batch's size.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_pipeline

import sknn.base
from sknn import ConvNetClassifier, MLPClassifier, MLPRegressor, SequenceClassifier
from sknn.engine.data import HostData, StreamBatches, csr_rows, to_tensor
from sknn.engine.graph import capture_blockers
from sknn.modules.mlp import InputMajorLinear, MLPModule

needs_cuda = pytest.mark.gpu  # skipped without a CUDA device (tests/conftest.py)

SOLVERS = ["adam", "sgd", "adamw", "rmsprop", "adagrad", "lbfgs"]


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _sparse_classification(n=240, n_features=40, seed=0):
    """A classification problem whose X is mostly zeros, dense and as CSR."""
    X, y = make_classification(
        n_samples=n, n_features=n_features, n_informative=8, n_classes=3, random_state=seed
    )
    X[np.abs(X) < 1.0] = 0.0  # about two thirds of the entries
    return X, sp.csr_matrix(X), y


def _dense_rows(t):
    return t.to_dense().numpy()


# -- the data path ------------------------------------------------------------------------


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_csr_rows_gathers_and_slices_rows_without_densifying(index_dtype):
    X = sp.random(30, 17, density=0.2, format="csr", random_state=0, dtype=np.float64)
    X.data[X.indptr[5] : X.indptr[6]] = 0  # an empty row
    X.eliminate_zeros()
    X.indices, X.indptr = X.indices.astype(index_dtype), X.indptr.astype(index_dtype)
    t = to_tensor(X, "cpu")
    assert t.layout == torch.sparse_csr and t.dtype == torch.float32
    assert t.crow_indices().dtype == t.col_indices().dtype == torch.from_numpy(X.indptr).dtype
    dense = X.toarray().astype(np.float32)
    index = torch.tensor([5, 0, 29, 7, 7, 12])
    np.testing.assert_array_equal(_dense_rows(csr_rows(t, index)), dense[index.numpy()])
    np.testing.assert_array_equal(_dense_rows(csr_rows(t, slice(4, 11))), dense[4:11])
    np.testing.assert_array_equal(_dense_rows(csr_rows(t, slice(None))), dense)
    np.testing.assert_array_equal(_dense_rows(csr_rows(t, slice(25, 40))), dense[25:])


def test_float32_csr_is_shared_not_copied_on_the_cpu():
    X = sp.random(20, 10, density=0.3, format="csr", random_state=0, dtype=np.float32)
    t = to_tensor(X, "cpu")
    assert t.values().data_ptr() == X.data.__array_interface__["data"][0]
    assert t.col_indices().data_ptr() == X.indices.__array_interface__["data"][0]


def test_module_on_a_sparse_batch_matches_the_dense_one():
    X = sp.random(16, 30, density=0.2, format="csr", random_state=0, dtype=np.float32)
    torch.manual_seed(0)
    dense = MLPModule(30, [8, 6], 3)
    torch.manual_seed(0)
    sparse = MLPModule(30, [8, 6], 3, sparse_input=True)
    first = sparse.layers[0]
    # The first weight is stored input-major, initialised as the dense network's.
    assert isinstance(first, InputMajorLinear) and first.weight_t.shape == (30, 8)
    assert first.weight_t.is_contiguous() and first.weight.shape == (8, 30)
    assert len(sparse.linear_layers()) == len(dense.linear_layers()) == 3
    for a, b in zip(sparse.state_dict().values(), dense.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b.t() if a.shape != b.shape else b, rtol=0, atol=0)
    Xd = torch.from_numpy(X.toarray())
    out_sparse = sparse(to_tensor(X, "cpu"))
    out_dense = dense(Xd)
    torch.testing.assert_close(out_sparse, out_dense, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(sparse(Xd), out_dense, rtol=1e-5, atol=1e-6)  # dense input too
    out_sparse.square().sum().backward()
    out_dense.square().sum().backward()
    for a, b in zip(sparse.parameters(), dense.parameters(), strict=True):
        grad = a.grad.t() if a.shape != b.shape else a.grad
        torch.testing.assert_close(grad, b.grad, rtol=1e-5, atol=1e-6)


def test_stream_batches_deliver_sparse_rows():
    X = sp.random(50, 12, density=0.3, format="csr", random_state=0, dtype=np.float32)
    y = np.arange(50)
    data = HostData(X, y, None, np.arange(10, 50), torch.device("cpu"))
    seen = []
    for Xb, (yb, _) in StreamBatches(data, 16, shuffle=True, generator=torch.Generator()):
        assert Xb.layout == torch.sparse_csr
        np.testing.assert_array_equal(_dense_rows(Xb), X[yb.numpy()].toarray())
        seen.extend(yb.tolist())
    assert sorted(seen) == list(range(10, 50))


def test_a_sparse_step_is_never_captured():
    est = MLPClassifier(device="cpu")
    est.precision_ = "float32"
    reasons = capture_blockers(est, torch.device("cuda"), 1000, 100, None, sparse=True)
    assert reasons == [
        "the input is sparse: the number of stored values, and so the shape of the step's "
        "tensors, varies from batch to batch"
    ]
    X, Xs, y = _sparse_classification()
    with pytest.raises(ValueError, match="the input is sparse"):
        MLPClassifier(cuda_graph=True, device="cpu", max_iter=2).fit(Xs, y)


# -- the estimators -----------------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS)
def test_every_solver_trains_on_sparse_input_as_on_dense(solver):
    X, Xs, y = _sparse_classification()
    params = dict(hidden_layer_sizes=(16,), solver=solver, max_iter=8, random_state=0)
    dense = MLPClassifier(device="cpu", **params).fit(X, y)
    sparse = MLPClassifier(device="cpu", **params).fit(Xs, y)
    # The same computation up to float32 summation order.
    np.testing.assert_allclose(sparse.predict_proba(Xs), dense.predict_proba(X), atol=2e-4)
    np.testing.assert_allclose(sparse.coefs_[0], dense.coefs_[0], atol=2e-4)
    assert sparse.score(Xs, y) == pytest.approx(dense.score(X, y), abs=0.01)
    # A model fitted on sparse input predicts dense input alike, and the other way round.
    np.testing.assert_allclose(sparse.predict_proba(X), sparse.predict_proba(Xs), atol=1e-5)
    np.testing.assert_allclose(dense.predict_proba(Xs), dense.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize(
    "container",
    [sp.csr_matrix, sp.csr_array, sp.csc_matrix, sp.csc_array, sp.coo_matrix],
    ids=lambda c: c.__name__,
)
def test_sparse_formats_and_int64_indices(container):
    X, Xs, y = _sparse_classification()
    Xc = container(X)
    if hasattr(Xc, "indices"):
        Xc.indices, Xc.indptr = Xc.indices.astype(np.int64), Xc.indptr.astype(np.int64)
    params = dict(hidden_layer_sizes=(16,), max_iter=5, random_state=0, device="cpu")
    ours = MLPClassifier(**params).fit(Xc, y)
    reference = MLPClassifier(**params).fit(Xs, y)
    np.testing.assert_allclose(ours.predict_proba(Xc), reference.predict_proba(Xs), atol=1e-6)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_sample_weight_and_early_stopping_on_sparse_input(early_stopping):
    X, Xs, y = _sparse_classification()
    weights = np.random.RandomState(0).uniform(0.2, 2.0, len(y))
    params = dict(
        hidden_layer_sizes=(16,),
        max_iter=15,
        early_stopping=early_stopping,
        random_state=0,
        device="cpu",
    )
    dense = MLPClassifier(**params).fit(X, y, sample_weight=weights)
    sparse = MLPClassifier(**params).fit(Xs, y, sample_weight=weights)
    np.testing.assert_allclose(sparse.predict_proba(Xs), dense.predict_proba(X), atol=2e-4)
    if early_stopping:
        np.testing.assert_allclose(sparse.validation_scores_, dense.validation_scores_)
    Xr, yr = make_regression(n_samples=150, n_features=20, random_state=0)
    Xr[np.abs(Xr) < 1.0] = 0.0
    reg = MLPRegressor(**params).fit(sp.csr_matrix(Xr), yr, sample_weight=weights[:150])
    reg_dense = MLPRegressor(**params).fit(Xr, yr, sample_weight=weights[:150])
    np.testing.assert_allclose(
        reg.predict(sp.csr_matrix(Xr)), reg_dense.predict(Xr), rtol=1e-3, atol=1e-3
    )
    assert reg.score(sp.csr_matrix(Xr), yr) == pytest.approx(reg_dense.score(Xr, yr), abs=1e-3)


def test_partial_fit_on_sparse_and_dense_batches():
    X, Xs, y = _sparse_classification()
    clf = MLPClassifier(hidden_layer_sizes=(16,), random_state=0, device="cpu")
    same = MLPClassifier(hidden_layer_sizes=(16,), random_state=0, device="cpu")
    clf.partial_fit(Xs[:120], y[:120], classes=[0, 1, 2]).partial_fit(X[120:], y[120:])
    same.partial_fit(X[:120], y[:120], classes=[0, 1, 2]).partial_fit(Xs[120:], y[120:])
    np.testing.assert_allclose(clf.predict_proba(Xs), same.predict_proba(X), atol=1e-5)
    assert clf.t_ == len(y)
    reg = MLPRegressor(hidden_layer_sizes=(8,), random_state=0, device="cpu")
    reg.partial_fit(Xs, y.astype(float)).partial_fit(Xs, y.astype(float))
    assert reg.n_iter_ == 1 and reg.t_ == 2 * len(y)


def test_streamed_sparse_fit_gives_the_in_memory_results():
    X, Xs, y = _sparse_classification()
    params = dict(
        hidden_layer_sizes=(16,), batch_size=32, max_iter=4, random_state=0, device="cpu"
    )
    kept = MLPClassifier(**params, early_stopping=True, stream_data=False).fit(Xs, y)
    streamed = MLPClassifier(**params, early_stopping=True, stream_data=True).fit(Xs, y)
    # Streaming reads each batch's rows in increasing order: the same sums, reordered.
    np.testing.assert_allclose(streamed.loss_curve_, kept.loss_curve_, rtol=1e-5)
    np.testing.assert_allclose(streamed.predict_proba(Xs), kept.predict_proba(Xs), atol=1e-5)


def test_prediction_batches_of_sparse_rows(monkeypatch):
    X, Xs, y = _sparse_classification()
    clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=5, random_state=0, device="cpu")
    clf.fit(Xs, y)
    whole = clf.predict_proba(Xs)
    monkeypatch.setattr(sknn.base, "PREDICT_BATCH_SIZE", 7)
    np.testing.assert_allclose(clf.predict_proba(Xs), whole, atol=1e-6)


def _refuse_to_densify(monkeypatch, width):
    """Make densifying any sparse matrix or tensor ``width`` columns wide an error (others,
    such as scikit-learn's binarised labels, may still be densified)."""

    def refusing(method):
        def densify(self, *args, **kwargs):
            if self.shape[-1] == width:
                raise AssertionError("a sparse matrix was densified")
            return method(self, *args, **kwargs)

        return densify

    for cls in (sp.csr_matrix, sp.csr_array, sp.csc_matrix, sp.csc_array):
        monkeypatch.setattr(cls, "toarray", refusing(cls.toarray))
        monkeypatch.setattr(cls, "todense", refusing(cls.todense))
    monkeypatch.setattr(torch.Tensor, "to_dense", refusing(torch.Tensor.to_dense))


@pytest.mark.parametrize(
    "params",
    [
        dict(),
        dict(solver="lbfgs", max_iter=5),
        dict(early_stopping=True, validation_fraction=0.2),
        dict(stream_data=True),
        dict(batch_norm=True, dropout=0.1, alpha=1e-2, l1=1e-4),
    ],
    ids=["adam", "lbfgs", "early-stopping", "streamed", "batchnorm-dropout-penalties"],
)
def test_a_wide_sparse_matrix_is_never_densified(params, monkeypatch):
    # 2**20 columns: any densified batch of 50 rows would be 200 MB.
    rng = np.random.RandomState(0)
    n, width = 300, 2**20
    rows = np.repeat(np.arange(n), 5)
    y = rng.randint(0, 2, n)
    cols = rng.randint(0, width, len(rows)) // 2 * 2 + y[rows]  # parity tells the class
    Xs = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, width))
    _refuse_to_densify(monkeypatch, width)
    settings = dict(hidden_layer_sizes=(4,), batch_size=50, max_iter=3, random_state=0)
    clf = MLPClassifier(device="cpu", **{**settings, **params}).fit(Xs, y)
    assert clf.predict_proba(Xs).shape == (n, 2)
    assert 0 <= clf.score(Xs, y) <= 1
    if clf.solver != "lbfgs" and not clf.early_stopping:
        clf.partial_fit(Xs[:60], y[:60])


def test_tfidf_pipeline_learns_text():
    texts = [f"{word} movie {i % 7}" for i in range(60) for word in ("great", "awful")]
    labels = [word for i in range(60) for word in ("pos", "neg")]
    model = make_pipeline(
        TfidfVectorizer(),
        MLPClassifier(
            hidden_layer_sizes=(8,),
            learning_rate_init=0.05,
            max_iter=30,
            random_state=0,
            device="cpu",
        ),
    ).fit(texts, labels)
    assert model.score(texts, labels) == 1.0
    assert list(model.predict(["great film", "awful film"])) == ["pos", "neg"]


def test_only_the_mlps_take_sparse_input():
    assert MLPClassifier().__sklearn_tags__().input_tags.sparse
    assert MLPRegressor().__sklearn_tags__().input_tags.sparse
    X, Xs, y = _sparse_classification(n=40)
    for est in (ConvNetClassifier(max_iter=1), SequenceClassifier(max_iter=1)):
        assert not est.__sklearn_tags__().input_tags.sparse
        with pytest.raises(TypeError, match="Sparse data was passed for X, but dense data"):
            est.fit(Xs, y)


@pytest.mark.parametrize(
    "params",
    [
        dict(numeric_scaling="robust"),
        dict(numeric_embedding="periodic"),
        dict(categorical_features=[0]),
    ],
)
def test_pandas_sparse_columns_on_the_table_path_are_refused_as_a_sparse_matrix(params):
    # Non-regression: scikit-learn's "Use '.toarray()'" came from inside the numeric path;
    # a sparse matrix gets sknn's message, which names the parameters that need dense data.
    import pandas as pd

    frame = pd.get_dummies(pd.DataFrame({"c": list("abcab") * 4}), sparse=True, dtype=float)
    match = r"columns 'c_a', 'c_b', 'c_c' are pandas sparse.*numeric_scaling need dense data"
    with pytest.raises(TypeError, match=match):
        MLPClassifier(max_iter=1, **params).fit(frame, np.arange(20) % 2)


@needs_cuda
@pytest.mark.parametrize("stream_data", [False, True])
def test_sparse_fit_on_cuda_matches_the_cpu(stream_data):
    # shuffle=False: data held on the GPU are shuffled by a generator on the GPU, whose
    # draws are not the CPU's (streamed data are drawn on the CPU), so the two fits would
    # see other batches. 30 epochs at 0.003: on the CPU the fit reaches 0.79 (0.66 with
    # early stopping), where 8 epochs at the default rate stayed at chance (0.38).
    X, Xs, y = _sparse_classification()
    params = dict(hidden_layer_sizes=(16,), max_iter=30, learning_rate_init=0.003)
    params.update(random_state=0, stream_data=stream_data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cpu = MLPClassifier(device="cpu", shuffle=False, **params).fit(Xs, y)
        gpu_plain = MLPClassifier(device="cuda", shuffle=False, **params).fit(Xs, y)
        cpu_stopped = MLPClassifier(device="cpu", early_stopping=True, **params).fit(Xs, y)
        gpu = MLPClassifier(device="cuda", early_stopping=True, **params).fit(Xs, y)
    assert gpu.cuda_graph_ is False and gpu_plain.cuda_graph_ is False
    np.testing.assert_allclose(gpu_plain.predict_proba(Xs), cpu.predict_proba(Xs), atol=1e-3)
    assert cpu.score(Xs, y) > 0.7
    assert gpu.score(Xs, y) > 0.55 and abs(gpu.score(Xs, y) - cpu_stopped.score(Xs, y)) < 0.1
