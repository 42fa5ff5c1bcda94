"""scikit-learn's API contract for the estimators that take strings (#16).

``parametrize_with_checks`` feeds numeric arrays, so it skips TransformerClassifier,
TextVectorizer and Word2Vec (their tags say ``string=True, two_d_array=False``). The checks
that matter for them are written here once, over the three: clone, get/set_params, fit
returning self, NotFittedError on every path before fit, pickling, no mutation of the input
and a reproducible refit. Then the promise of the one front door: the same mistake gets the
same exception from every text-aware estimator, and ``lowercase`` means the same in all.
"""

import copy
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import check_no_attributes_set_in_init

from sknn.estimators.sequence import SequenceClassifier
from sknn.estimators.transformer import TransformerClassifier
from sknn.text import TextVectorizer
from sknn.word2vec import Word2Vec

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

TEXTS = ["A great film", "a dull film", "Great acting", "dull acting", "a film", "great"] * 3
LABELS = np.array(["pos", "neg", "pos", "neg", "pos", "pos"] * 3)


def _transformer():
    return TransformerClassifier(
        d_model=8,
        n_heads=2,
        n_layers=1,
        max_iter=3,
        batch_size=8,
        early_stopping=False,
        dropout=0.1,
        device="cpu",
        random_state=0,
    )


def _vectorizer():
    return TextVectorizer(max_len=3)


def _word2vec():
    return Word2Vec(vector_size=8, min_count=1, sample=0, epochs=2, random_state=0, device="cpu")


ESTIMATORS = {
    "TransformerClassifier": _transformer,
    "TextVectorizer": _vectorizer,
    "Word2Vec": _word2vec,
}


def _fit(estimator, X=TEXTS, y=LABELS):
    if isinstance(estimator, TransformerClassifier):
        return estimator.fit(X, y)
    return estimator.fit(X)


def _output(estimator, X=TEXTS):
    if isinstance(estimator, TransformerClassifier):
        return estimator.predict_proba(X)
    return estimator.transform(X)


@pytest.fixture(params=list(ESTIMATORS))
def make(request):
    return ESTIMATORS[request.param]


def test_init_stores_parameters_only(make):
    estimator = make()
    check_no_attributes_set_in_init(type(estimator).__name__, estimator)


def test_clone_has_the_same_parameters_and_nothing_fitted(make):
    estimator = _fit(make())
    twin = clone(estimator)
    assert twin is not estimator
    assert twin.get_params() == estimator.get_params()
    with pytest.raises(NotFittedError):
        _output(twin)


def test_get_params_set_params_round_trip(make):
    estimator = make()
    params = estimator.get_params()
    twin = type(estimator)()
    assert twin.set_params(**params) is twin
    assert twin.get_params() == params
    name = "lowercase" if "lowercase" in params else "max_len"
    changed = not params[name] if name == "lowercase" else 5
    assert twin.set_params(**{name: changed}).get_params()[name] == changed
    assert estimator.get_params()[name] == params[name]


def test_fit_returns_self(make):
    estimator = make()
    assert _fit(estimator) is estimator


UNFITTED_CALLS = {
    "TransformerClassifier": {
        "predict": lambda m: m.predict(TEXTS),
        "predict_proba": lambda m: m.predict_proba(TEXTS),
        "predict_log_proba": lambda m: m.predict_log_proba(TEXTS),
        "score": lambda m: m.score(TEXTS, LABELS),
        "attention_weights": lambda m: m.attention_weights(TEXTS),
        "module_": lambda m: m.module_,
        "history_": lambda m: m.history_,
    },
    "TextVectorizer": {
        "transform": lambda m: m.transform(TEXTS),
        "transform_with_lengths": lambda m: m.transform_with_lengths(TEXTS),
        "inverse_transform": lambda m: m.inverse_transform([[3, 4]]),
        "get_feature_names_out": lambda m: m.get_feature_names_out(),
    },
    "Word2Vec": {
        "transform": lambda m: m.transform(TEXTS),
        "get_feature_names_out": lambda m: m.get_feature_names_out(),
        "get_vector": lambda m: m.get_vector("film"),
        "most_similar": lambda m: m.most_similar("film"),
        "similarity": lambda m: m.similarity("film", "great"),
        "evaluate_word_pairs": lambda m: m.evaluate_word_pairs("pairs.tsv"),
        "evaluate_word_analogies": lambda m: m.evaluate_word_analogies("questions.txt"),
        "save_word2vec_format": lambda m: m.save_word2vec_format("vectors.txt"),
    },
}


@pytest.mark.parametrize(
    "name, call",
    [(name, call) for name, calls in UNFITTED_CALLS.items() for call in calls],
)
def test_every_path_before_fit_raises_not_fitted_error(name, call, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may be written, but if it were, not here
    with pytest.raises(NotFittedError):
        UNFITTED_CALLS[name][call](ESTIMATORS[name]())
    assert not list(tmp_path.iterdir())


def test_pickle_round_trip_gives_identical_outputs(make):
    estimator = _fit(make())
    restored = pickle.loads(pickle.dumps(estimator))
    np.testing.assert_array_equal(_output(restored), _output(estimator))
    unfitted = pickle.loads(pickle.dumps(make()))
    assert unfitted.get_params() == make().get_params()


CONTAINERS = {
    "list": lambda: list(TEXTS),
    "tuple": lambda: tuple(TEXTS),
    "object array": lambda: np.array(TEXTS, dtype=object),
    "str array": lambda: np.array(TEXTS),
    "Series": lambda: pd.Series(TEXTS, index=np.arange(100, 100 + len(TEXTS))),
    "DataFrame": lambda: pd.DataFrame({"review": TEXTS}),
    "token lists": lambda: [text.split() for text in TEXTS],
    "token arrays": lambda: [np.array(text.split()) for text in TEXTS],
}


def _assert_same(a, b):
    if isinstance(a, pd.DataFrame | pd.Series):
        pd.testing.assert_frame_equal(pd.DataFrame(a), pd.DataFrame(b))
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype
    else:
        assert len(a) == len(b) and type(a) is type(b)
        for x, y in zip(a, b, strict=True):
            if isinstance(x, np.ndarray):
                np.testing.assert_array_equal(x, y)
            else:
                assert x == y


@pytest.mark.parametrize("container", list(CONTAINERS))
def test_input_is_not_modified(make, container):
    X = CONTAINERS[container]()
    y = LABELS.copy()
    before = copy.deepcopy(X)
    estimator = make()
    _fit(estimator, X, y)
    _output(estimator, X)
    _assert_same(X, before)
    np.testing.assert_array_equal(y, LABELS)


def test_fit_twice_is_idempotent_with_a_fixed_random_state(make):
    estimator = make()
    first = _output(_fit(estimator))
    np.testing.assert_array_equal(_output(_fit(estimator)), first)
    np.testing.assert_array_equal(_output(_fit(clone(estimator))), first)


# -- the one front door: the same mistake, the same error, everywhere ----------------------
def _sequence():
    return SequenceClassifier(hidden_size=4, max_iter=2, device="cpu", random_state=0)


ALL_TEXT_ESTIMATORS = {**ESTIMATORS, "SequenceClassifier": _sequence}


def _error(name, X):
    estimator = ALL_TEXT_ESTIMATORS[name]()
    y = [0, 1] * 3
    try:
        if isinstance(estimator, TransformerClassifier | SequenceClassifier):
            estimator.fit(X, y)
        else:
            estimator.fit(X)
    except (TypeError, ValueError) as error:
        return error
    raise AssertionError(f"{name} accepted {X!r}")


MISTAKES = {
    "a bare string": ("a great film", TypeError, "Wrap it in a list: X=[text]."),
    "a dict": ({"a great film": 1, "dull": 0}, TypeError, "whose iteration gives its keys"),
    "a set": ({"a great film", "dull"}, TypeError, "which has no order"),
    "None": (["a great film", None], ValueError, "document 1 is NoneType None."),
    "a mix": (["a great film", ["dull"]], ValueError, "found a mix of text and tokens."),
    "nothing": ([], ValueError, "Found X with 0 sample(s) while a minimum of 1 is required."),
    # Non-regression: SequenceClassifier decided "numeric" from the first document, a
    # number, and gave a numeric-shape error for this text column (read_excel's kind).
    "a number first": (
        pd.Series([5, "a great film", "dull", "fine", "great", "bad"], dtype=object),
        ValueError,
        "document 0 is int 5.",
    ),
    # Non-regression: '' padding of a token table was learned as a word.
    "'' padding": (
        np.array([["a", "great", "film"], ["dull", "", ""]] * 3),
        ValueError,
        "empty or whitespace-only cell(s)",
    ),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_the_same_mistake_gets_the_same_error_everywhere(mistake):
    X, error_type, words = MISTAKES[mistake]
    errors = {name: _error(name, X) for name in ALL_TEXT_ESTIMATORS}
    for name, error in errors.items():
        assert type(error) is error_type, (name, error)
        assert words in str(error), (name, error)
    # Word for word, but for the kinds Word2Vec accepts (no token ids).
    messages = {str(errors[name]) for name in errors if name != "Word2Vec"}
    assert len(messages) == 1, messages


@pytest.mark.parametrize("lowercase", [True, False])
@pytest.mark.parametrize("form", ["texts", "tokens"])
def test_lowercase_means_the_same_everywhere(lowercase, form):
    X = TEXTS if form == "texts" else [text.split() for text in TEXTS]
    expected = list(TextVectorizer(lowercase=lowercase).fit(X).vocabulary_)[3:]
    assert ("A" in expected) is (not lowercase)
    transformer = _transformer().set_params(lowercase=lowercase).fit(X, LABELS)
    sequence = _sequence().set_params(lowercase=lowercase).fit(X, LABELS)
    word2vec = _word2vec().set_params(lowercase=lowercase).fit(X)
    assert list(transformer.vectorizer_.vocabulary_)[3:] == expected
    assert list(sequence.vectorizer_.vocabulary_)[3:] == expected
    # One vocabulary builder: Word2Vec's words come in the same order.
    assert list(word2vec.vocabulary_) == expected


# -- padding, and continued fits on new words ------------------------------------------------
def _padded_ids(width):
    rng = np.random.default_rng(0)
    documents = [rng.integers(1, 21, size=length) for length in rng.integers(2, 6, size=30)]
    table = np.zeros((len(documents), width), dtype=np.int64)
    for row, doc in enumerate(documents):
        table[row, : len(doc)] = doc
    return table, np.array([int(doc[0] > 10) for doc in documents])


def _sequence_on_ids():
    return _sequence().set_params(input_kind="text")


@pytest.mark.parametrize("make", [_transformer, _sequence_on_ids], ids=["transformer", "sequence"])
def test_a_padded_id_array_warns_once_at_fit_and_at_predict(make):
    # Non-regression: the 0 padding of a 2-d id array was learned as a token and never
    # masked, so the same documents got other probabilities with another padding width.
    X, y = _padded_ids(8)
    with pytest.warns(UserWarning, match="X looks padded with id 0") as record:
        estimator = make().fit(X, y)
    assert sum("looks padded" in str(w.message) for w in record) == 1
    assert all(w.filename == __file__ for w in record if "looks padded" in str(w.message))
    with pytest.warns(UserWarning, match="X looks padded with id 0"):
        estimator.predict(X)


@pytest.mark.parametrize("make", [_transformer, _sequence], ids=["transformer", "sequence"])
def test_partial_fit_warns_when_a_batch_is_mostly_out_of_vocabulary(make):
    # Non-regression: partial_fit keeps the first batch's vocabulary, and later batches of
    # new words trained as all-[UNK] rows without a word of warning.
    # A constant rate: a schedule decayed to 0 over max_iter would warn about that.
    estimator = make().set_params(early_stopping=False, learning_rate="constant")
    known = ["a good film", "a bad film"] * 4
    estimator.partial_fit(known, [1, 0] * 4, classes=[0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        estimator.partial_fit(known, [1, 0] * 4)  # the same words: no warning
        # Half of the tokens known: not "most".
        estimator.partial_fit(["a good story", "a bad plot"] * 4, [1, 0] * 4)
    new = ["superb acting wonderful", "awful plot terrible"] * 4
    with pytest.warns(
        UserWarning, match=r"100% of the tokens given to this partial_fit"
    ) as record:
        estimator.partial_fit(new, [1, 0] * 4)
    assert record[0].filename == __file__
    assert "'[UNK]'" in str(record[0].message) and "the first fit's" in str(record[0].message)
    # And its docstring says so.
    assert "vocabulary" in type(estimator).partial_fit.__doc__


@pytest.mark.parametrize(
    "make", [_transformer, lambda: SequenceClassifier(max_iter=2, device="cpu")]
)
def test_resume_from_refuses_another_vocabulary(make, tmp_path):
    # Non-regression: a text model resumed on texts whose vocabulary had the same size
    # (always so once max_vocab binds) loaded every embedding row under another token.
    checkpoint = tmp_path / "run.ckpt"
    make().set_params(checkpoint=checkpoint).fit(TEXTS, LABELS)
    # The same five words, "film" and "acting" swapped: their ids swap, the size stays.
    swap = {"film": "acting", "acting": "film"}
    other = [" ".join(swap.get(word, word) for word in text.lower().split()) for text in TEXTS]
    resumed = make().set_params(resume_from=checkpoint, max_iter=4)
    assert resumed.fit(TEXTS, LABELS).n_iter_ == 4  # the same texts resume
    with pytest.raises(ValueError, match="written by a fit on other data: X has vocabulary"):
        make().set_params(resume_from=checkpoint, max_iter=4).fit(other, LABELS)


def test_transformer_refuses_a_bare_string_before_any_feature_name_warning():
    # Non-regression: fitted on a DataFrame, predict("a film") first warned "X does not
    # have valid feature names", then raised; SequenceClassifier raised alone.
    est = _transformer().fit(pd.DataFrame({"text": TEXTS}), LABELS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for bad in ("a film", {"a film"}):
            with pytest.raises(TypeError, match="Expected an iterable of documents"):
                est.predict(bad)
