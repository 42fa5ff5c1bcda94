"""Fits in threads of one process: an integer ``random_state`` gives the fit it gives
alone, and the caller's torch random state is left as it was.

torch's global generators (weight initialisation, dropout) are shared by every thread of
a process, so ``torch_seed_scope`` makes the seeded part of concurrent fits take turns.
"""

import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from joblib import parallel_backend
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score
from skorch.callbacks import Callback

from sknn import MLPClassifier, Word2Vec

X, Y = make_classification(n_samples=200, n_features=6, random_state=0)
N_THREADS = 4


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _model(**params):
    defaults = dict(
        hidden_layer_sizes=(32,),
        dropout=0.3,
        batch_size=20,
        max_iter=3,
        random_state=0,
        device="cpu",
    )
    return MLPClassifier(**{**defaults, **params})


def _in_threads(task, n=N_THREADS):
    """``task()`` run in ``n`` threads that start together, so that the fits overlap."""
    start = threading.Barrier(n)

    def run(_):
        start.wait()
        return task()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def test_threaded_fits_equal_the_serial_fit_and_leave_the_rng_alone():
    # Non-regression: torch_seed_scope seeded and restored torch's process-global
    # generator, so fits in threads drew from each other's streams (an integer
    # random_state gave other weights and dropout masks) and one thread's restore
    # overwrote another's, or the caller's, random state.
    serial = _model().fit(X, Y).predict_proba(X)
    torch.manual_seed(123)
    state = torch.get_rng_state()
    threaded = _in_threads(lambda: _model().fit(X, Y).predict_proba(X))
    for proba in threaded:
        np.testing.assert_array_equal(proba, serial)
    assert torch.equal(torch.get_rng_state(), state)


class _FitsInside(Callback):
    """Fits another network at the end of every epoch: a fit inside a fit, one thread."""

    def on_epoch_end(self, net, **kwargs):
        _model(dropout=0.5, random_state=1).fit(X[:50], Y[:50])


def test_a_fit_inside_a_fit_does_not_deadlock_nor_change_the_outer_fit():
    # The lock is re-entrant: a fit started inside a fit (a callback's) in the thread that
    # holds it goes ahead, and its own seeded scope leaves the outer fit's stream alone.
    outcome = []

    def fit():
        try:
            outcome.append(_model(callbacks=[_FitsInside()]).fit(X, Y))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            outcome.append(error)

    # In a daemon thread, so that a deadlock fails the test instead of hanging the run.
    nested = threading.Thread(target=fit, daemon=True)
    nested.start()
    nested.join(timeout=120)
    assert outcome, "a fit inside a fit did not finish: the seed scope's lock deadlocked"
    assert not isinstance(outcome[0], BaseException), outcome[0]
    serial = _model().fit(X, Y).predict_proba(X)
    np.testing.assert_array_equal(outcome[0].predict_proba(X), serial)


def test_cross_val_score_under_the_threading_backend_is_the_serial_one():
    # Non-regression: the same bug through scikit-learn (joblib's threading backend).
    serial = cross_val_score(_model(), X, Y, cv=3)
    with parallel_backend("threading", n_jobs=3):
        threaded = cross_val_score(_model(), X, Y, cv=3)
    np.testing.assert_array_equal(threaded, serial)


def test_word2vec_fits_in_threads_equal_the_serial_fit():
    # Word2Vec's fit runs in the same seeded scope: in threads it takes its turn too.
    corpus = ["the cat sat on the mat", "a dog ran in the park", "the cat and the dog"] * 20
    params = dict(vector_size=8, min_count=1, epochs=2, random_state=0, device="cpu")
    serial = Word2Vec(**params).fit(corpus).wv_.vectors
    for vectors in _in_threads(lambda: Word2Vec(**params).fit(corpus).wv_.vectors, n=2):
        np.testing.assert_array_equal(vectors, serial)
