"""Tests for sknn.word2vec: the scikit-learn API checks for a text transformer, the
word2vec file formats and the quality of training on a planted corpus."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from sknn.word2vec import Word2Vec, WordVectors

GROUPS = {
    "animal": ["cat", "dog", "horse", "cow", "sheep"],
    "vehicle": ["car", "bus", "truck", "train", "bike"],
    "food": ["bread", "cheese", "apple", "rice", "soup"],
}
FILLERS = ["the", "a", "and", "with", "of"]


def planted_corpus(n_sentences=600, seed=0):
    """Sentences that each mix words of one group with fillers, so neighbours are known."""
    rng = np.random.RandomState(seed)
    names = sorted(GROUPS)
    sentences = []
    for _ in range(n_sentences):
        group = GROUPS[names[rng.randint(len(names))]]
        words = [
            group[rng.randint(len(group))] if rng.rand() < 0.6 else FILLERS[rng.randint(5)]
            for _ in range(10)
        ]
        sentences.append(" ".join(words))
    return sentences


FAST = dict(vector_size=16, min_count=1, epochs=3, random_state=0, device="cpu")


@pytest.fixture(scope="module")
def corpus():
    return planted_corpus()


@pytest.fixture(scope="module")
def fitted(corpus):
    return Word2Vec(vector_size=24, min_count=1, epochs=8, sample=0, random_state=0).fit(corpus)


def test_planted_neighbours(fitted):
    for group in GROUPS.values():
        for word in group[:2]:
            neighbours = [w for w, _ in fitted.most_similar(word, topn=3)]
            assert set(neighbours) <= set(group), (word, neighbours)


def test_cbow_planted_neighbours(corpus):
    model = Word2Vec(architecture="cbow", **{**FAST, "epochs": 8, "vector_size": 24})
    model.fit(corpus)
    neighbours = [w for w, _ in model.most_similar("cat", topn=3)]
    assert set(neighbours) <= set(GROUPS["animal"])


def test_loss_curve(fitted):
    assert len(fitted.loss_curve_) == fitted.n_iter_ == 8
    assert all(np.isfinite(fitted.loss_curve_))
    # With all-zero output vectors at the start the first loss is near (1 + k) log 2.
    assert fitted.loss_curve_[-1] < fitted.loss_curve_[0] < 6 * np.log(2) + 0.1


def test_initial_vectors_as_gensim():
    # gensim 4 draws input vectors uniformly in [-1, 1) / D, the C code in [-0.5, 0.5) / D.
    from sknn.word2vec._training import NegativeSamplingTrainer

    n_words, dim = 500, 20
    trainer = NegativeSamplingTrainer(
        n_words,
        dim,
        np.ones(n_words),
        np.full(n_words, 1.0 / n_words),
        sg=True,
        window=2,
        negative=2,
        alpha=0.025,
        min_alpha=0.0001,
        batch_words=100,
        batch_size=64,
        device=torch.device("cpu"),
        generator=torch.Generator().manual_seed(0),
    )
    scaled = trainer.input_vectors * dim
    assert scaled.min() >= -1.0 and scaled.max() < 1.0
    assert scaled.min() < -0.95 and scaled.max() > 0.95
    assert scaled.abs().mean() == pytest.approx(0.5, abs=0.01)
    assert not trainer.output_vectors.any()


def test_init_stores_params_only():
    params = dict(vector_size=7, window=3, tokenizer=str.split, device="cpu")
    model = Word2Vec(**params)
    assert {k: v for k, v in vars(model).items()} == {**Word2Vec().get_params(), **params}
    assert not [k for k in vars(model) if k.endswith("_")]


def test_clone_get_set_params():
    model = Word2Vec(vector_size=7, epochs=2)
    cloned = clone(model)
    assert cloned.get_params() == model.get_params()
    assert cloned.set_params(window=2) is cloned and cloned.window == 2


def test_fit_returns_self_and_seeded_refit_identical(corpus):
    model = Word2Vec(**FAST)
    assert model.fit(corpus) is model
    first = model.wv_.vectors.copy()
    np.testing.assert_array_equal(first, model.fit(corpus).wv_.vectors)
    assert model.loss_curve_ == Word2Vec(**FAST).fit(corpus).loss_curve_


def test_global_rng_untouched(corpus):
    state = torch.random.get_rng_state()
    Word2Vec(**FAST).fit(corpus[:50])
    assert torch.equal(state, torch.random.get_rng_state())


def test_pickle_round_trip(corpus):
    model = Word2Vec(**FAST).fit(corpus)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(model.transform(corpus[:5]), restored.transform(corpus[:5]))


def test_not_fitted():
    for call in (
        lambda m: m.transform(["a b"]),
        lambda m: m.most_similar("a"),
        lambda m: m.get_feature_names_out(),
    ):
        with pytest.raises(NotFittedError):
            call(Word2Vec())


@pytest.mark.parametrize("X", [[], [""], ["", "   "], [[]]])
def test_empty_corpus(X):
    with pytest.raises(ValueError, match="empty corpus"):
        Word2Vec().fit(X)


def test_min_count_empties_vocabulary():
    with pytest.raises(ValueError, match="min_count=5"):
        Word2Vec(min_count=5).fit(["one two three", "four five"])


def test_bad_input_and_params():
    with pytest.raises(ValueError, match="string object received"):
        Word2Vec().fit("a single string")
    with pytest.raises(TypeError, match="string or a list of string"):
        Word2Vec().fit([1, 2, 3])
    with pytest.raises(InvalidParameterError):
        Word2Vec(architecture="glove").fit(["a b"])
    with pytest.raises(InvalidParameterError):
        Word2Vec(vector_size=0).fit(["a b"])
    with pytest.raises(ValueError, match="min_alpha"):
        Word2Vec(alpha=0.01, min_alpha=0.1, min_count=1).fit(["a b"])


def test_token_lists_equal_strings(corpus):
    tokens = [doc.split() for doc in corpus]
    a = Word2Vec(**FAST).fit(corpus)
    b = Word2Vec(**FAST).fit(tokens)
    np.testing.assert_array_equal(a.wv_.vectors, b.wv_.vectors)
    np.testing.assert_array_equal(a.transform(corpus[:3]), b.transform(tokens[:3]))


def test_transform(corpus):
    model = Word2Vec(**FAST).fit(corpus)
    X = model.transform(["cat dog", "unknownword", ""])
    np.testing.assert_allclose(X[0], (model.wv_["cat"] + model.wv_["dog"]) / 2, rtol=1e-5)
    np.testing.assert_array_equal(X[1:], 0.0)
    assert X.shape == (3, 16) and X.dtype == np.float32
    tfidf = model.set_params(weighting="tfidf").transform(["cat cat the"])
    mean = model.set_params(weighting="mean").transform(["cat cat the"])
    assert not np.allclose(tfidf, mean)


def test_feature_names_and_pandas_output(corpus):
    pytest.importorskip("pandas")
    model = Word2Vec(**FAST).fit(corpus)
    names = model.get_feature_names_out()
    assert list(names[:2]) == ["word2vec0", "word2vec1"] and len(names) == 16
    frame = model.set_output(transform="pandas").transform(corpus[:4])
    assert list(frame.columns) == list(names) and frame.shape == (4, 16)


def test_long_document_is_chunked():
    text = " ".join(planted_corpus(100))
    model = Word2Vec(**{**FAST, "batch_words": 200}).fit([text])
    assert len(model.vocabulary_) == 20 and np.isfinite(model.loss_curve_).all()


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_format_round_trip(fitted, tmp_path, binary):
    path = tmp_path / "vectors.bin"
    fitted.save_word2vec_format(path, binary=binary)
    loaded = WordVectors.load_word2vec_format(path, binary=binary)
    assert loaded.index_to_key == fitted.wv_.index_to_key
    np.testing.assert_array_equal(loaded.vectors, fitted.wv_.vectors)
    model = Word2Vec.from_word2vec_format(path, binary=binary)
    np.testing.assert_array_equal(model.transform(["cat bus"]), fitted.transform(["cat bus"]))


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_interoperability(fitted, tmp_path, binary):
    keyed_vectors = pytest.importorskip("gensim.models").KeyedVectors
    ours = tmp_path / "ours"
    fitted.save_word2vec_format(ours, binary=binary)
    theirs = keyed_vectors.load_word2vec_format(str(ours), binary=binary)
    np.testing.assert_array_equal(theirs["cat"], fitted.wv_["cat"])
    assert theirs.most_similar("cat", topn=1)[0][0] == fitted.most_similar("cat", topn=1)[0][0]
    back = tmp_path / "theirs"
    theirs.save_word2vec_format(str(back), binary=binary)
    loaded = WordVectors.load_word2vec_format(back, binary=binary)
    np.testing.assert_array_equal(loaded.vectors, fitted.wv_.vectors)


def test_most_similar_and_similarity():
    wv = WordVectors(["king", "man", "woman", "queen"], [[1, 1], [1, 0], [0, 1], [0.1, 2]])
    assert wv.most_similar(positive=["king", "woman"], negative=["man"], topn=1)[0][0] == "queen"
    assert wv.similarity("man", "woman") == pytest.approx(0.0)
    assert wv.most_similar(np.array([1.0, 0.0]), topn=1)[0][0] == "man"
    with pytest.raises(KeyError, match="not in the vocabulary"):
        wv.similarity("man", "robot")


def test_evaluations(tmp_path):
    wv = WordVectors(["king", "man", "woman", "queen"], [[1, 1], [1, 0], [0, 1], [0.1, 2]])
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("# comment\nKing\tqueen\t9\nman\twoman\t1\nking\tman\t5\nman\trobot\t3\n")
    pearson, spearman, oov = wv.evaluate_word_pairs(pairs)
    assert spearman.statistic == pytest.approx(1.0) and oov == pytest.approx(25.0)
    analogies = tmp_path / "questions.txt"
    analogies.write_text(": royal\nman king woman queen\nman woman king robot\n")
    score, sections = wv.evaluate_word_analogies(analogies)
    assert score == 1.0
    assert sections[-1]["section"] == "Total accuracy"
    assert sections[0]["correct"] == [("man", "king", "woman", "queen")]
