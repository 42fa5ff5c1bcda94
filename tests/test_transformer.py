"""TransformerClassifier: scikit-learn's API contract on text input, padding, embeddings."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

import sknn.estimators.transformer as transformer_module
from sknn.estimators.transformer import TransformerClassifier
from sknn.word2vec import Word2Vec, WordVectors

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Tiny settings: every fit here takes well under a second.
FAST = dict(
    d_model=8,
    n_heads=2,
    n_layers=1,
    max_iter=5,
    batch_size=8,
    early_stopping=False,
    learning_rate_init=0.01,
    device="cpu",
    random_state=0,
)

POSITIVE = ["a great film", "wonderful acting", "a moving and great story", "loved it"]
NEGATIVE = ["a dull film", "boring acting", "a tedious and dull story", "hated it"]
TEXTS = (POSITIVE + NEGATIVE) * 4
LABELS = np.array((["fresh"] * 4 + ["rotten"] * 4) * 4)


def make(**params):
    return TransformerClassifier(**{**FAST, **params})


@pytest.fixture(scope="module")
def fitted():
    return make(max_iter=15).fit(TEXTS, LABELS)


# -- scikit-learn's API checks, for text input --------------------------------------------
def test_init_stores_parameters_unchanged_and_sets_nothing_else():
    params = dict(FAST, tokenizer=str.split, embeddings={"a": np.zeros(3)})
    clf = TransformerClassifier(**params)
    assert vars(clf) == {**TransformerClassifier().get_params(), **params}
    assert not [name for name in vars(clf) if name.endswith("_")]


def test_clone_and_set_params():
    clf = make(n_heads=4, d_model=16)
    twin = clone(clf)
    assert twin is not clf and twin.get_params() == clf.get_params()
    assert twin.set_params(n_layers=3).n_layers == 3


def test_fit_returns_self_and_round_trips_labels(fitted):
    assert isinstance(fitted, TransformerClassifier)
    assert list(fitted.classes_) == ["fresh", "rotten"]
    assert fitted.n_features_in_ == 1
    assert set(fitted.predict(TEXTS)) <= {"fresh", "rotten"}
    assert fitted.score(TEXTS, LABELS) >= 0.9
    proba = fitted.predict_proba(["a great film", "hated it", ""])
    assert proba.shape == (3, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)


@pytest.mark.parametrize(
    "container",
    [list, np.array, pd.Series, lambda t: pd.DataFrame({"review": t})],
    ids=["list", "ndarray", "Series", "DataFrame"],
)
def test_text_containers(container):
    clf = make(max_iter=1).fit(container(TEXTS), LABELS)
    assert clf.predict(container(TEXTS[:3])).shape == (3,)


def test_one_column_dataframe_keeps_its_feature_name():
    clf = make(max_iter=1).fit(pd.DataFrame({"review": TEXTS}), LABELS)
    assert list(clf.feature_names_in_) == ["review"]


def test_pickle_round_trip_keeps_vocabulary_and_predictions(fitted):
    restored = pickle.loads(pickle.dumps(fitted))
    assert restored.vectorizer_.vocabulary_ == fitted.vectorizer_.vocabulary_
    np.testing.assert_array_equal(restored.predict_proba(TEXTS), fitted.predict_proba(TEXTS))


def test_seeded_refit_is_identical_and_leaves_global_rng_alone():
    torch_state = torch.random.get_rng_state()
    first = make(dropout=0.3, token_dropout=0.2).fit(TEXTS, LABELS)
    second = make(dropout=0.3, token_dropout=0.2).fit(TEXTS, LABELS)
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    assert first.loss_curve_ == second.loss_curve_
    np.testing.assert_array_equal(first.predict_proba(TEXTS), second.predict_proba(TEXTS))


@pytest.mark.parametrize("method", ["predict", "predict_proba", "attention_weights"])
def test_not_fitted(method):
    with pytest.raises(NotFittedError):
        getattr(make(), method)(TEXTS)


@pytest.mark.parametrize(
    "X, error, match",
    [
        (["", "  "] * 4, ValueError, "Empty vocabulary"),
        ([], ValueError, r"Found X with 0 sample\(s\)"),
        ("a single text", TypeError, "single str"),
        (np.ones((8, 3)), ValueError, "Numeric features are not text"),
        (["a text", None] * 4, ValueError, "document 1 is NoneType"),
        ([1.5, 2.5] * 4, ValueError, "document 0 is float"),
    ],
    ids=["empty-strings", "empty-corpus", "single-string", "float-array", "none", "numbers"],
)
def test_clear_errors_for_bad_text_input(X, error, match):
    with pytest.raises(error, match=match):
        make().fit(X, [0, 1] * 4)


def test_y_length_mismatch():
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        make().fit(TEXTS, LABELS[:-1])
    with pytest.raises(ValueError, match="requires y to be passed, but the target y is None"):
        make().fit(TEXTS, None)


def test_empty_string_predicts():
    # One empty document among real ones is fine: it maps to the out-of-vocabulary id.
    clf = make(max_iter=1).fit(TEXTS + [""], list(LABELS) + ["fresh"])
    assert clf.predict_proba([""]).shape == (1, 2)


def test_predict_input_kind_must_match_fit(fitted):
    # Named as the estimator the user fitted, not the vectorizer it built.
    with pytest.raises(
        ValueError,
        match="TransformerClassifier was fitted on raw texts but X holds lists of tokens",
    ):
        fitted.predict([["a", "great", "film"]])


def test_invalid_parameters():
    with pytest.raises(ValueError, match="divisible by n_heads"):
        make(d_model=10, n_heads=3).fit(TEXTS, LABELS)
    with pytest.raises(ValueError, match="pooling"):
        make(pooling="maximum").fit(TEXTS, LABELS)
    with pytest.raises(ValueError, match="token_dropout"):
        make(token_dropout=1.0).fit(TEXTS, LABELS)


def test_token_dropout_changes_training_not_prediction():
    plain = make(max_iter=15).fit(TEXTS, LABELS)
    dropped = make(max_iter=15, token_dropout=0.3).fit(TEXTS, LABELS)
    assert dropped.loss_curve_ != plain.loss_curve_
    assert (dropped.predict(TEXTS) == LABELS).mean() >= 0.9
    # Prediction runs in eval mode: repeated calls agree exactly.
    np.testing.assert_array_equal(dropped.predict_proba(TEXTS), dropped.predict_proba(TEXTS))


# -- padding ------------------------------------------------------------------------------
@pytest.mark.parametrize("pooling", ["mean", "cls"])
@pytest.mark.parametrize("positional", ["sinusoidal", "learned"])
def test_padding_never_changes_a_prediction(pooling, positional):
    clf = make(pooling=pooling, positional=positional, dropout=0.3).fit(TEXTS, LABELS)
    alone = clf.predict_proba(["a great film"])
    longer = "a moving and great story with wonderful acting that i loved " * 3
    batch = clf.predict_proba([longer, "a great film", "it", longer + longer])
    np.testing.assert_allclose(batch[1:2], alone, rtol=1e-5, atol=1e-6)


def test_small_prediction_batches_give_the_same_outputs(fitted, monkeypatch):
    expected = fitted.predict_proba(TEXTS)
    monkeypatch.setattr(transformer_module, "PREDICT_ATTENTION_BUDGET", 1)
    batches = list(fitted._prediction_batches(fitted.vectorizer_.transform(TEXTS)))
    assert len(batches) == len(TEXTS)
    np.testing.assert_allclose(fitted.predict_proba(TEXTS), expected, rtol=1e-5, atol=1e-6)


def test_set_params_without_refit_keeps_predicting_with_the_fitted_network(monkeypatch):
    # The fitted network fixes n_heads, pooling, max_len, positional, ...: changing the
    # parameters without a refit must change neither predict nor attention_weights.
    clf = make(max_iter=1, pooling="mean").fit(TEXTS, LABELS)
    ids = clf.vectorizer_.transform(TEXTS)
    width = int(np.count_nonzero(ids, axis=1).max())
    # A budget of two of the longest rows for the fitted 2 heads (one row for 64 heads).
    monkeypatch.setattr(transformer_module, "PREDICT_ATTENTION_BUDGET", 2 * 2 * width**2)
    batches = [rows.tolist() for rows, _ in clf._prediction_batches(ids)]
    proba = clf.predict_proba(TEXTS)
    tokens, weights = clf.attention_weights(TEXTS[:2])
    clf.set_params(
        n_heads=64, d_model=128, n_layers=3, max_len=1, positional="learned", pooling="cls"
    )
    assert [rows.tolist() for rows, _ in clf._prediction_batches(ids)] == batches
    np.testing.assert_array_equal(clf.predict_proba(TEXTS), proba)
    tokens_after, weights_after = clf.attention_weights(TEXTS[:2])
    assert tokens_after == tokens and "[CLS]" not in tokens_after[0]
    for doc, before, after in zip(tokens, weights, weights_after, strict=True):
        assert after.shape == (1, 2, len(doc), len(doc))
        np.testing.assert_array_equal(after, before)


def test_max_len_truncates_at_fit_and_predict():
    clf = make(max_len=3, max_iter=1).fit(TEXTS, LABELS)
    assert clf.module_.max_len == 3
    long_text = "a great film " * 20
    np.testing.assert_allclose(
        clf.predict_proba([long_text]), clf.predict_proba(["a great film"]), rtol=1e-5
    )


# -- other inputs and targets -------------------------------------------------------------
def test_pre_tokenized_and_id_input():
    tokens = [text.split() for text in TEXTS]
    assert make(max_iter=1).fit(tokens, LABELS).predict(tokens[:2]).shape == (2,)
    ids = [[len(word) for word in doc] for doc in tokens]
    assert make(max_iter=1).fit(ids, LABELS).predict(ids[:2]).shape == (2,)


def test_user_tokenizer_is_used():
    clf = make(max_iter=1, tokenizer=str.split).fit(["a,b c", "d,e f"] * 4, [0, 1] * 4)
    assert "a,b" in clf.vectorizer_.vocabulary_


def test_multiclass_class_weight_and_early_stopping():
    y = np.array([0, 1, 2, 0] * 8)
    clf = make(class_weight="balanced", early_stopping=True, validation_fraction=0.25)
    clf.fit(TEXTS, y)
    assert clf.out_activation_ == "softmax"
    assert clf.predict_proba(TEXTS).shape == (32, 3)
    assert len(clf.validation_scores_) == clf.n_iter_


def test_grid_search_in_a_pipeline():
    search = GridSearchCV(
        make_pipeline(make(max_iter=2)),
        {"transformerclassifier__n_heads": [1, 2], "transformerclassifier__n_layers": [1, 2]},
        cv=2,
    )
    search.fit(TEXTS, LABELS)
    assert search.best_params_["transformerclassifier__n_heads"] in (1, 2)


# -- attention ----------------------------------------------------------------------------
@pytest.mark.parametrize("pooling", ["mean", "cls", "max"])
def test_attention_weights(pooling):
    clf = make(pooling=pooling, n_layers=2).fit(TEXTS, LABELS)
    tokens, weights = clf.attention_weights(["a great unseen film", "it"])
    prefix = ["[CLS]"] if pooling == "cls" else []
    assert tokens == [prefix + ["a", "great", "[UNK]", "film"], prefix + ["it"]]
    for doc_tokens, doc_weights in zip(tokens, weights, strict=True):
        n = len(doc_tokens)
        assert doc_weights.shape == (2, 2, n, n)
        np.testing.assert_allclose(doc_weights.sum(axis=-1), 1, rtol=1e-5)


def test_a_literal_cls_token_is_not_the_pooling_token():
    # Non-regression: with lowercase=False a "[CLS]" of the input took the reserved id
    # that pooling="cls" prepends; it is now an unknown token, at fit and predict.
    tokens = [text.split() + ["[CLS]"] for text in TEXTS]
    clf = make(max_iter=1, lowercase=False, pooling="cls").fit(tokens, LABELS)
    seen, _ = clf.attention_weights([["[CLS]", "great"]])
    assert seen == [["[CLS]", "[UNK]", "great"]]


# -- pretrained embeddings ----------------------------------------------------------------
def _vocabulary_words():
    return sorted({word for text in TEXTS for word in text.split()})


def test_embeddings_from_a_dict_initialise_and_freeze():
    rng = np.random.default_rng(0)
    words = _vocabulary_words()
    vectors = {word: rng.normal(size=8).astype(np.float32) for word in words[:-2]}
    clf = make(embeddings=vectors, freeze_embeddings=True).fit(TEXTS, LABELS)
    table = clf.module_.embedding.weight.detach().numpy()
    vocabulary = clf.vectorizer_.vocabulary_
    for word, vector in vectors.items():
        np.testing.assert_array_equal(table[vocabulary[word]], vector)
    assert not clf.module_.embedding.weight.requires_grad
    assert clf.embedding_coverage_ == pytest.approx((len(words) - 2) / len(words))
    # Words without a vector get random, non-zero vectors; padding stays zero.
    assert np.all(table[vocabulary[words[-1]]] != 0)
    assert np.all(table[0] == 0)


def test_embeddings_of_another_size_are_projected():
    vectors = WordVectors(_vocabulary_words(), np.eye(len(_vocabulary_words()), 5))
    clf = make(embeddings=vectors).fit(TEXTS, LABELS)
    assert clf.module_.embedding.embedding_dim == 5
    assert clf.embedding_coverage_ == 1.0
    assert isinstance(clf.module_.projection, torch.nn.Linear)


def test_embeddings_from_a_fitted_word2vec_and_clone():
    w2v = Word2Vec(vector_size=8, min_count=1, epochs=1, random_state=0, device="cpu")
    w2v.fit(TEXTS)
    clf = make(embeddings=w2v).fit(TEXTS, LABELS)
    assert clf.embedding_coverage_ == 1.0
    # clone() re-creates an estimator parameter unfitted: the error says what to pass.
    with pytest.raises(ValueError, match=r"unfitted Word2Vec.*model.wv_"):
        clone(clf).fit(TEXTS, LABELS)
    assert clone(make(embeddings=w2v.wv_)).fit(TEXTS, LABELS).embedding_coverage_ == 1.0


@pytest.mark.parametrize(
    "keyed",
    [
        lambda table: {i: table[i] for i in range(len(table))},
        lambda table: {str(i): table[i] for i in range(len(table))},
        lambda table: pd.DataFrame(table, index=range(len(table))),
        lambda table: WordVectors([str(i) for i in range(len(table))], table),
    ],
    ids=["dict-of-ids", "dict-of-strings", "frame-indexed-by-ids", "word-vectors-of-strings"],
)
def test_embeddings_keyed_by_token_ids(keyed):
    # Non-regression: the vocabulary was looked up as strings, so a dict {id: vector} or
    # a DataFrame indexed by the ids never matched, and the error blamed the tokenization.
    rng = np.random.default_rng(0)
    documents = [list(rng.integers(3, 10, size=4)) for _ in range(16)]
    table = rng.normal(size=(10, 6)).astype(np.float32)
    clf = make(embeddings=keyed(table), freeze_embeddings=True).fit(documents, LABELS[:16])
    assert clf.embedding_coverage_ == 1.0
    weights = clf.module_.embedding.weight.detach().numpy()
    for token_id, row in clf.vectorizer_.vocabulary_.items():
        if row >= 3:
            np.testing.assert_array_equal(weights[row], table[token_id])


def test_embeddings_that_miss_every_token_id_say_how_to_key_them():
    documents = [[3, 4, 5], [6, 7]] * 8
    with pytest.raises(
        ValueError, match=r"for id input its keys must be the ids themselves or their strings"
    ):
        make(embeddings={"a": np.ones(4)}).fit(documents, LABELS[:16])
    # A word-vector object reads an int as a row number: only the strings of the ids.
    vectors = WordVectors(["a", "b", "c", "d", "e", "f", "g", "h"], np.eye(8))
    with pytest.raises(
        ValueError, match=r"the ids' strings, e.g. '5' \(a word-vector object reads"
    ):
        make(embeddings=vectors).fit(documents, LABELS[:16])


def test_bad_embeddings():
    with pytest.raises(TypeError, match="embeddings must be"):
        make(embeddings=42).fit(TEXTS, LABELS)
    with pytest.raises(ValueError, match="None of the vocabulary's tokens"):
        make(embeddings={"zzz": np.ones(4)}).fit(TEXTS, LABELS)


@pytest.mark.parametrize(
    "embeddings, match",
    [
        # Non-regression: a str raised "string indices must be integers", or (when no word
        # was a substring of it) "None of the vocabulary's tokens has a vector".
        ("a great film", r"embeddings must be .*got the str 'a great film'.*load_word2vec"),
        ("glove", r"embeddings must be .*got the str 'glove'.*load_word2vec"),
        (b"glove", r"embeddings must be .*got the bytes"),
        (["a", "great"], r"embeddings must be .*got a list, which is indexed by position"),
        (np.ones((3, 8)), r"embeddings must be .*got a ndarray"),
    ],
    ids=["text", "name", "bytes", "list", "array"],
)
def test_embeddings_of_a_refused_type_raise_the_documented_type_error(embeddings, match):
    with pytest.raises(TypeError, match=match):
        make(embeddings=embeddings).fit(TEXTS, LABELS)


@pytest.mark.parametrize(
    "embeddings, match",
    [
        # Non-regression: NumPy's "all input arrays must have the same shape".
        (
            {"great": [1.0, 2.0], "film": [1.0, 2.0, 3.0]},
            r"same length; the vector of 'film' has 3 values and that of 'great' 2",
        ),
        ({"film": [1.0, np.nan]}, r"vector of 'film' .* NaN or infinite"),
        ({"film": [1.0, np.inf]}, r"vector of 'film' .* NaN or infinite"),
        ({"film": [1e300, 1.0]}, r"vector of 'film' .* too large for float32"),
        ({"film": ["a", "b"]}, r"vector of 'film' .* must be numbers"),
        ({"film": [1.0, None]}, r"vector of 'film' .* must be numbers"),
        ({"film": None}, r"vector of 'film' .* must be numbers"),
        ({"film": [[1.0], [2.0, 3.0]]}, r"vector of 'film' .* must be numbers"),
        ({"film": np.ones((2, 2))}, r"vector of 'film' .* 1-d and non-empty; got shape \(2, 2\)"),
        ({"film": 3.0}, r"vector of 'film' .* 1-d and non-empty; got shape \(\)"),
        ({"film": []}, r"vector of 'film' .* 1-d and non-empty; got shape \(0,\)"),
    ],
    ids=[
        "lengths",
        "nan",
        "inf",
        "float32-overflow",
        "strings",
        "none-inside",
        "none",
        "ragged",
        "2-d",
        "scalar",
        "empty",
    ],
)
def test_bad_word_vectors_raise_a_value_error_naming_the_word(embeddings, match):
    with pytest.raises(ValueError, match=match):
        make(embeddings=embeddings).fit(TEXTS, LABELS)


def test_embeddings_from_a_data_frame_are_looked_up_by_its_rows():
    # Non-regression: a DataFrame was looked up by column ("word" in frame), so a table
    # of one row per word, as GloVe files are read, matched no word at all.
    pd = pytest.importorskip("pandas")
    words = _vocabulary_words()
    values = np.arange(len(words) * 4, dtype=np.float32).reshape(len(words), 4)
    frame = pd.DataFrame(values, index=words)
    clf = make(embeddings=frame, freeze_embeddings=True).fit(TEXTS, LABELS)
    table = clf.module_.embedding.weight.detach().numpy()
    for word, vector in zip(words, values, strict=True):
        np.testing.assert_array_equal(table[clf.vectorizer_.vocabulary_[word]], vector)
    assert clf.embedding_coverage_ == 1.0
    with pytest.raises(ValueError, match="index .*holds duplicates, e.g. \\['great'\\]"):
        make(embeddings=pd.DataFrame(np.ones((2, 4)), index=["great", "great"])).fit(TEXTS, LABELS)


def test_word_vectors_may_be_lists_or_cpu_tensors():
    vectors = {"great": [1, 2, 3], "film": torch.tensor([0.5, 0.0, -1.0], dtype=torch.bfloat16)}
    clf = make(embeddings=vectors, freeze_embeddings=True).fit(TEXTS, LABELS)
    table = clf.module_.embedding.weight.detach().numpy()
    np.testing.assert_array_equal(table[clf.vectorizer_.vocabulary_["great"]], [1, 2, 3])
    np.testing.assert_array_equal(table[clf.vectorizer_.vocabulary_["film"]], [0.5, 0, -1])


# -- input through the shared text front door, sizes (#16) -------------------------------------
@pytest.mark.parametrize(
    "X, match",
    [({"a great film": 1}, "gives its keys"), ({"a great film", "hated it"}, "no order")],
    ids=["dict", "set"],
)
def test_containers_that_are_not_a_corpus_raise_type_error(X, match):
    with pytest.raises(TypeError, match=match):
        make().fit(X, [0, 1][: len(X)])


@pytest.mark.parametrize(
    "params, culprit",
    [
        (dict(d_model=10**12, n_heads=1), "d_model=1000000000000"),
        (dict(d_model=10**6, n_heads=1), "d_model=1000000"),
        (dict(dim_feedforward=10**12), "dim_feedforward=1000000000000"),
        (dict(max_len=10**12, positional="learned"), "max_len=1000000000000"),
    ],
)
def test_sizes_beyond_memory_raise_a_value_error_naming_them(params, culprit):
    # Non-regression (#16): torch raised RuntimeError "can't allocate memory".
    with pytest.raises(ValueError, match=rf"TransformerClassifier: the network .*{culprit}"):
        make(**params).fit(TEXTS, LABELS)


# -- freeze_embeddings on continued fits, cased vectors, sparse multilabel y ----------------
def _embedding_moved(clf, before):
    return not torch.equal(clf.module_.embedding.weight.detach(), before)


def _optimized(clf):
    return {id(p) for group in clf.net_.optimizer_.param_groups for p in group["params"]}


def _trainable(clf):
    return {id(p) for p in clf.module_.parameters() if p.requires_grad}


@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
@pytest.mark.parametrize("freeze", [False, True], ids=["unfreeze", "freeze"])
def test_a_changed_freeze_embeddings_takes_effect_on_a_continued_fit(how, freeze):
    # Non-regression: requires_grad was set once, when the module was built, so the
    # usual two-stage recipe (frozen vectors, then fine-tuning) silently kept them frozen,
    # and freezing a trained embedding left it training.
    vectors = {word: np.full(8, i, dtype=np.float32) for i, word in enumerate(_vocabulary_words())}
    params = dict(embeddings=vectors) if freeze is False else {}
    clf = make(freeze_embeddings=not freeze, warm_start=how == "warm_start", **params)
    clf.fit(TEXTS, LABELS)
    before = clf.module_.embedding.weight.detach().clone()
    head = clf.module_.head.weight
    steps = int(clf.net_.optimizer_.state[head]["step"])
    clf.set_params(freeze_embeddings=freeze)
    if how == "warm_start":
        clf.fit(TEXTS, LABELS)
    else:
        clf.partial_fit(TEXTS, LABELS)
    assert clf.module_.embedding.weight.requires_grad is not freeze
    assert _embedding_moved(clf, before) is not freeze
    assert _optimized(clf) == _trainable(clf)
    if how == "partial_fit":
        # partial_fit keeps its optimizer's state (Adam's moments) for the other weights.
        assert int(clf.net_.optimizer_.state[head]["step"]) == steps + 4


def test_a_changed_freeze_embeddings_is_saved_with_the_optimizer(tmp_path):
    import sknn

    vectors = {word: np.ones(8, dtype=np.float32) for word in _vocabulary_words()}
    clf = make(embeddings=vectors, freeze_embeddings=True).fit(TEXTS, LABELS)
    clf.set_params(freeze_embeddings=False).partial_fit(TEXTS, LABELS)
    clf.save(tmp_path / "m.sknn", include_optimizer=True)
    restored = sknn.load(tmp_path / "m.sknn")
    assert restored.module_.embedding.weight.requires_grad
    before = restored.module_.embedding.weight.detach().clone()
    restored.partial_fit(TEXTS, LABELS)
    assert _embedding_moved(restored, before)


def test_a_failed_continued_fit_leaves_freeze_embeddings_as_it_was(monkeypatch):
    vectors = {word: np.ones(8, dtype=np.float32) for word in _vocabulary_words()}
    clf = make(embeddings=vectors, freeze_embeddings=True).fit(TEXTS, LABELS)
    optimizer = clf.net_.optimizer_

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(TransformerClassifier, "_train", interrupted)
    with pytest.raises(KeyboardInterrupt):
        clf.set_params(freeze_embeddings=False).partial_fit(TEXTS, LABELS)
    assert not clf.module_.embedding.weight.requires_grad
    assert clf.net_.optimizer_ is optimizer
    assert clf._module_params["freeze_embeddings"] is True


def test_freeze_embeddings_without_embeddings_raises():
    # Non-regression: the random embedding table was silently frozen.
    with pytest.raises(ValueError, match=r"freeze_embeddings=True .*embeddings=None"):
        make(freeze_embeddings=True).fit(TEXTS, LABELS)


class _UnlistedVectors:
    """A word-vector lookup with ``in`` and ``[]`` only: its words cannot be listed."""

    def __init__(self, vectors):
        self._vectors = vectors

    def __contains__(self, word):
        return word in self._vectors

    def __getitem__(self, word):
        return self._vectors[word]


@pytest.mark.parametrize(
    "container",
    [
        dict,
        lambda v: WordVectors(list(v), np.stack(list(v.values()))),
        lambda v: pd.DataFrame(np.stack(list(v.values())), index=list(v)),
        _UnlistedVectors,
    ],
    ids=["dict", "word-vectors", "data-frame", "unlisted"],
)
def test_cased_word_vectors_serve_lowercased_tokens(container):
    # Non-regression: with lowercase=True the token and its lower-cased form are the
    # same key, so "Great" or "FILM" (word2vec's GoogleNews is cased) never matched.
    vectors = {
        "A": np.full(4, 1.0),
        "a": np.full(4, 2.0),  # an exact match wins over another case
        "Great": np.full(4, 3.0),
        "GREAT": np.full(4, 4.0),  # of two other cases, the first in order wins
        "FILM": np.full(4, 5.0),
    }
    clf = make(embeddings=container(vectors), freeze_embeddings=True).fit(TEXTS, LABELS)
    table = clf.module_.embedding.weight.detach().numpy()
    vocabulary = clf.vectorizer_.vocabulary_
    np.testing.assert_array_equal(table[vocabulary["a"]], np.full(4, 2.0))
    np.testing.assert_array_equal(table[vocabulary["great"]], np.full(4, 3.0))
    np.testing.assert_array_equal(table[vocabulary["film"]], np.full(4, 5.0))
    assert clf.embedding_coverage_ == pytest.approx(3 / len(_vocabulary_words()))


def test_attention_weights_of_an_averaged_ensemble_are_those_of_best_init():
    clf = make(n_init=2, ensemble="average", max_iter=2).fit(TEXTS, LABELS)
    tokens, weights = clf.attention_weights(TEXTS[:2])
    best = clf.runs_[clf.best_init_].attention_weights(TEXTS[:2])
    assert tokens == best[0]
    for ours, theirs in zip(weights, best[1], strict=True):
        np.testing.assert_array_equal(ours, theirs)
    # Documented, since predict_proba averages every run.
    assert "runs_[i].attention_weights" in TransformerClassifier.attention_weights.__doc__


def test_sparse_multilabel_y_is_accepted_as_by_the_other_classifiers():
    # Non-regression: a sparse label-indicator y (MultiLabelBinarizer(sparse_output=True))
    # raised "Sparse data was passed for y", where MLPClassifier and SequenceClassifier
    # train and predict a sparse matrix.
    from scipy import sparse

    dense = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]] * 8)
    clf = make(max_iter=2).fit(TEXTS, sparse.csr_matrix(dense))
    predicted = clf.predict(TEXTS)
    assert sparse.issparse(predicted) and predicted.shape == (32, 3)
    twin = make(max_iter=2).fit(TEXTS, dense)
    np.testing.assert_array_equal(predicted.toarray(), twin.predict(TEXTS))
    np.testing.assert_array_equal(clf.predict_proba(TEXTS), twin.predict_proba(TEXTS))
