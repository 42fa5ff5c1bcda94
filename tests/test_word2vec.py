"""Tests for sknn.word2vec: the scikit-learn API checks for a text transformer, the
word2vec file formats and the quality of training on a planted corpus."""

import pickle
import warnings

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
        lambda m: m.history_,
    ):
        with pytest.raises(NotFittedError):
            call(Word2Vec())


def test_empty_corpus():
    with pytest.raises(ValueError, match=r"Found X with 0 sample\(s\)"):
        Word2Vec().fit([])


@pytest.mark.parametrize("X", [[""], ["", "   "], [[]]])
def test_corpus_of_empty_documents(X):
    with pytest.raises(ValueError, match="Empty vocabulary: the documents hold no token"):
        Word2Vec().fit(X)


def test_min_count_empties_vocabulary():
    with pytest.raises(ValueError, match="min_count=5"):
        Word2Vec(min_count=5).fit(["one two three", "four five"])


@pytest.mark.parametrize(
    "X, error, match",
    [
        ("a single string", TypeError, r"single str\. Wrap it in a list"),
        ({"a b": 1, "c d": 2}, TypeError, "gives its keys"),
        ({"a b", "c d"}, TypeError, "no order"),
        ([1, 2, 3], ValueError, "document 0 is int"),
        ([[1, 2], [3]], ValueError, r"got documents that are each a sequence of int"),
        (["a b", None], ValueError, "document 1 is NoneType"),
        (["a b", ["c"]], ValueError, "mix"),
    ],
    ids=["str", "dict", "set", "numbers", "ids", "none", "mix"],
)
def test_bad_input(X, error, match):
    # The shared checker (sknn.text.check_sequence_input) decides, so the types and
    # messages are those of every text-aware estimator; ids are not words.
    with pytest.raises(error, match=match):
        Word2Vec(min_count=1).fit(X)


def test_bad_params():
    with pytest.raises(InvalidParameterError):
        Word2Vec(architecture="glove").fit(["a b"])
    with pytest.raises(InvalidParameterError):
        Word2Vec(vector_size=0).fit(["a b"])
    with pytest.raises(ValueError, match="min_alpha"):
        Word2Vec(alpha=0.01, min_alpha=0.1, min_count=1).fit(["a b"])
    # gensim reads sample >= 1 as an absolute count; here it is a frequency, so refuse it
    # rather than silently turn subsampling off.
    with pytest.raises(InvalidParameterError, match="sample"):
        Word2Vec(sample=5).fit(["a b"])
    for exponent in (np.inf, np.nan):
        with pytest.raises(InvalidParameterError, match="ns_exponent"):
            Word2Vec(ns_exponent=exponent).fit(["a b"])


def test_token_lists_equal_strings(corpus):
    tokens = [doc.split() for doc in corpus]
    a = Word2Vec(**FAST).fit(corpus)
    b = Word2Vec(**FAST).fit(tokens)
    np.testing.assert_array_equal(a.wv_.vectors, b.wv_.vectors)
    np.testing.assert_array_equal(a.transform(corpus[:3]), b.transform(tokens[:3]))


def test_transform_refuses_the_other_kind_of_input():
    # Non-regression: a Word2Vec fitted on token lists accepted raw texts at transform
    # (and the other way round), which the tokenizer splits differently ("film," is one
    # token of a list, two of a text): most words went unknown without a word.
    texts = ["hello, world!", "a good film, it's fine.", "a great story."] * 4
    tokens = [text.split() for text in texts]
    on_tokens = Word2Vec(vector_size=3, min_count=1, sample=0, random_state=0).fit(tokens)
    assert on_tokens.input_kind_ == "tokens"
    with pytest.raises(ValueError, match="fitted on tokens input but transform got text"):
        on_tokens.transform(texts[:2])
    on_texts = Word2Vec(vector_size=3, min_count=1, sample=0, random_state=0).fit(texts)
    assert on_texts.input_kind_ == "text"
    with pytest.raises(ValueError, match=r"fitted on text input .* \(raw texts\)"):
        on_texts.transform(tokens[:2])
    # Empty documents have no kind: accepted, as by TextVectorizer.
    with pytest.warns(UserWarning, match="No document among the 1"):
        assert not on_texts.transform([[]]).any()


def test_transform(corpus):
    model = Word2Vec(**FAST).fit(corpus)
    X = model.transform(["cat dog", "unknownword", ""])
    np.testing.assert_allclose(X[0], (model.wv_["cat"] + model.wv_["dog"]) / 2, rtol=1e-5)
    np.testing.assert_array_equal(X[1:], 0.0)
    assert X.shape == (3, 16) and X.dtype == np.float32
    tfidf = Word2Vec(**FAST, weighting="tfidf").fit(corpus).transform(["cat cat the"])
    mean = model.transform(["cat cat the"])
    assert not np.allclose(tfidf, mean)


def test_tags_declare_the_float32_output(corpus):
    # Non-regression: the tags kept scikit-learn's default preserves_dtype=['float64']
    # although transform always returns float32.
    model = Word2Vec(**FAST)
    assert model.__sklearn_tags__().transformer_tags.preserves_dtype == ["float32"]
    assert model.fit(corpus[:50]).transform(corpus[:2]).dtype == np.float32


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


# -- degenerate corpora and settings (#16) --------------------------------------------------
TINY = ["the cat sat on the mat", "the dog sat on the log"]


def test_default_sample_on_a_tiny_corpus_never_reports_a_fake_zero_loss():
    # Non-regression (#16): sample=1e-3 keeps ~9% of these 12 tokens, so an epoch often has
    # no (context, centre) pair; loss_curve_ used to say 0.0. gensim trains on the same
    # corpus on 0 or 1 "effective words" per epoch, and logs it at INFO level only.
    params = dict(vector_size=4, min_count=1, epochs=4, device="cpu")
    with pytest.raises(ValueError, match=r"no \(context, centre\) pair in any of its 4 epoch"):
        Word2Vec(random_state=0, **params).fit(TINY)
    with pytest.warns(UserWarning, match=r"2 of the 4 epochs trained on no.*Lower sample"):
        model = Word2Vec(random_state=3, **params).fit(TINY)
    assert np.isnan(model.loss_curve_).sum() == 2
    assert np.isfinite(model.loss_curve_[2:]).all() and 0.0 not in model.loss_curve_
    # Without subsampling every epoch trains.
    model = Word2Vec(random_state=0, sample=0, **params).fit(TINY)
    assert np.isfinite(model.loss_curve_).all() and min(model.loss_curve_) > 0


def test_no_document_with_two_known_words():
    with pytest.raises(ValueError, match="No document holds two words of the vocabulary"):
        Word2Vec(min_count=1, sample=0).fit(["cat", "dog", "cat", []])
    with pytest.raises(ValueError, match="min_count=2"):
        Word2Vec(min_count=2, sample=0).fit(["cat bird", "fish dog", "cat", "dog"])


def test_noise_distribution_is_finite_for_any_exponent():
    from sknn.word2vec._vocab import Vocabulary

    counts = np.array([10**6, 5000, 30, 1])
    vocabulary = Vocabulary(list("abcd"), counts, 1, np.ones(4))
    np.testing.assert_array_equal(
        vocabulary.noise_distribution(0.75), counts**0.75 / (counts**0.75).sum()
    )
    for exponent, mode in [(1000.0, 0), (-1000.0, 3), (1e300, 0), (-1e300, 3)]:
        noise = vocabulary.noise_distribution(exponent)
        assert np.isfinite(noise).all() and noise.sum() == pytest.approx(1.0)
        assert noise[mode] == pytest.approx(1.0)
    np.testing.assert_allclose(vocabulary.noise_distribution(0.0), 0.25)


def test_extreme_ns_exponent_trains(corpus):
    # Non-regression (#16): ns_exponent=1000 made a NaN noise distribution.
    model = Word2Vec(**{**FAST, "ns_exponent": 1000, "epochs": 1}).fit(corpus[:100])
    assert np.isfinite(model.loss_curve_).all() and np.isfinite(model.wv_.vectors).all()


@pytest.mark.parametrize("param", ["vector_size", "negative"])
def test_sizes_beyond_memory_name_the_parameter(param):
    # Non-regression (#16): torch's "can't allocate memory" RuntimeError named nothing.
    with pytest.raises(ValueError, match=rf"more than the .* of memory.*{param}=10{{15}}"):
        Word2Vec(min_count=1, device="cpu", **{param: 10**15}).fit(TINY)


def test_huge_window_is_the_whole_sentence(corpus):
    # A window wider than every sentence reaches the same contexts as any other such window:
    # it neither allocates nor loops over its width.
    huge = Word2Vec(**{**FAST, "window": 10**12, "epochs": 1}).fit(corpus[:100])
    wide = Word2Vec(**{**FAST, "window": 10**9, "epochs": 1}).fit(corpus[:100])
    assert np.isfinite(huge.loss_curve_).all()
    np.testing.assert_array_equal(huge.wv_.vectors, wide.wv_.vectors)


def test_ctrl_c_keeps_the_partly_trained_model(corpus, monkeypatch):
    from sknn.word2vec._training import NegativeSamplingTrainer

    train_chunk = NegativeSamplingTrainer._train_chunk

    def interrupt_in_third_epoch(self, *args):
        if len(self.loss_curve) == 2:
            raise KeyboardInterrupt
        return train_chunk(self, *args)

    monkeypatch.setattr(NegativeSamplingTrainer, "_train_chunk", interrupt_in_third_epoch)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        model = Word2Vec(**{**FAST, "epochs": 5}).fit(corpus)
    assert model.n_iter_ == len(model.loss_curve_) == 2
    assert model.transform(corpus[:3]).shape == (3, 16)
    assert model.most_similar("cat", topn=1)


def test_lowercase_is_the_text_vectorizer_s():
    from sknn.text import TextVectorizer

    docs = ["The Cat saw THE cat", "A cat, the DOG"]
    tokens = [doc.split() for doc in docs]
    for lowercase in (True, False):
        for X in (docs, tokens):
            words = Word2Vec(min_count=1, lowercase=lowercase, sample=0, epochs=1).fit(X)
            vectorizer = TextVectorizer(lowercase=lowercase).fit(X)
            assert list(words.vocabulary_) == list(vectorizer.vocabulary_)[3:]
    assert "Cat" in Word2Vec(min_count=1, lowercase=False, sample=0, epochs=1).fit(docs).wv_


def shouting_split(text):
    return text.upper().split()


def test_tokenizer_receives_lowercased_text_only_when_asked():
    docs = ["a Cat", "the dog"]
    assert "a" in Word2Vec(min_count=1, sample=0, epochs=1, tokenizer=str.split).fit(docs).wv_
    model = Word2Vec(min_count=1, sample=0, epochs=1, tokenizer=str.split, lowercase=False)
    assert "Cat" in model.fit(docs).wv_
    with pytest.raises(TypeError, match="tokenizer must return a list of str"):
        Word2Vec(min_count=1, tokenizer=len).fit(docs)


# -- corrupted word2vec files (#16) ---------------------------------------------------------
@pytest.mark.parametrize(
    "content, match",
    [
        (b"2 2\ncat 1 nan\ndog 0 1\n", r"line 2: the vector of 'cat' holds NaN"),
        (b"2 2\ncat 1 0\ndog inf 1\n", r"line 3: the vector of 'dog' holds NaN or infinite"),
        (b"2 0\ncat\ndog\n", "vector size at least 1"),
        (b"-2 2\ncat 1 0\n", "number of words must be at least 0"),
        (
            b"2 2\ncat 1 0\ncat 0 1\n",
            r"line 3: the word 'cat' appears a second time \(first at line 2\)",
        ),
        (b"100000000000000 2\ncat 1 0\n", r"announces 100000000000000 words .* at most 1"),
        (b"3 2\ncat 1.5 0.25\ndog 0.75 1.5\n", "announces 3 words in its header but holds 2"),
        (b"2 2\ncat 1 zero\ndog 0 1\n", r"line 2: the values of 'cat' are not all numbers"),
        (b"two 2\ncat 1 0\n", "must be two integers"),
        (b"2 2\ncat 1 0 5\ndog 0 1\n", r"line 2: expected a word and 2 values"),
        (b"1 2\ncat 1 0\ndog 0 1\n", r"line 3: more entries than the 1"),
        (b"1 2\n 1 0\n", "the word is empty"),
        (b"hello\n", "first line must be"),
    ],
    ids=[
        "nan",
        "inf",
        "size-0",
        "negative-count",
        "duplicate",
        "huge-header",
        "truncated",
        "non-numeric",
        "bad-header",
        "long-line",
        "extra-line",
        "empty-word",
        "no-header",
    ],
)
def test_corrupted_text_file_raises_value_error_naming_the_file(tmp_path, content, match):
    path = tmp_path / "vectors.txt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match) as error:
        WordVectors.load_word2vec_format(path)
    assert str(path) in str(error.value)
    with pytest.raises(ValueError, match=match):
        Word2Vec.from_word2vec_format(path)


def _binary_entry(word, values):
    return word.encode() + b" " + np.asarray(values, dtype="<f4").tobytes() + b"\n"


@pytest.mark.parametrize(
    "content, match",
    [
        (b"2 2\n" + _binary_entry("cat", [1, np.nan]) + _binary_entry("dog", [0, 1]), "NaN"),
        (
            b"2 2\n" + _binary_entry("cat", [1, 0]) + _binary_entry("cat", [0, 1]),
            r"entry 2: the word 'cat' appears a second time \(first at entry 1\)",
        ),
        (b"2 2\n" + _binary_entry("cat", [1, 0]) + b"dog " + bytes(7), r"entry 2 of 2: the file"),
        (b"10000000000000 300\n" + _binary_entry("cat", [0] * 300), "can hold at most 1"),
        (
            b"1 2\n" + _binary_entry("cat", [1, 0]) + _binary_entry("dog", [0, 1]),
            r"after entry 1: more entries than the 1 that the header announces",
        ),
    ],
    ids=["nan", "duplicate", "truncated", "huge-header", "extra-entry"],
)
def test_corrupted_binary_file_raises_value_error_naming_the_file(tmp_path, content, match):
    path = tmp_path / "vectors.bin"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match) as error:
        WordVectors.load_word2vec_format(path, binary=True)
    assert str(path) in str(error.value)


def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        Word2Vec.from_word2vec_format(tmp_path / "absent.txt")


def test_file_without_words(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"0 3\n")
    assert len(WordVectors.load_word2vec_format(path)) == 0
    with pytest.raises(ValueError, match="holds no word vector"):
        Word2Vec.from_word2vec_format(path)


def test_word_vectors_refuse_what_would_break_transform():
    with pytest.raises(ValueError, match="'cat' appears twice"):
        WordVectors(["cat", "dog", "cat"], np.eye(3))
    with pytest.raises(ValueError, match="'dog' holds NaN"):
        WordVectors(["cat", "dog"], [[1.0, 0.0], [np.nan, 1.0]])
    with pytest.raises(ValueError, match="vector_size=0"):
        WordVectors(["cat", "dog"], np.zeros((2, 0)))


def test_binary_reader_accepts_trailing_newlines(tmp_path):
    path = tmp_path / "vectors.bin"
    path.write_bytes(b"1 2\n" + _binary_entry("cat", [1, 0]) + b"\n\r\n")
    assert WordVectors.load_word2vec_format(path, binary=True).index_to_key == ["cat"]


# -- probe findings: pretrained files, queries, evaluations --------------------------------
def _cased_file(tmp_path, words=("Paris", "x")):
    path = tmp_path / "vectors.txt"
    WordVectors(list(words), np.random.RandomState(0).rand(len(words), 3)).save_word2vec_format(
        path
    )
    return path


def test_from_word2vec_format_keeps_the_case_of_a_cased_file(tmp_path):
    # Non-regression: lowercase=True (the estimator's default) made the cased words of a
    # file (GoogleNews, fastText) unreachable, and transform gave zero vectors silently.
    path = _cased_file(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = Word2Vec.from_word2vec_format(path)
        assert model.lowercase is False
        expected = model.wv_["Paris"][None]
        np.testing.assert_array_equal(model.transform(["Paris"]), expected)
        np.testing.assert_array_equal(model.transform([["Paris"]]), expected)
        assert not Word2Vec.from_word2vec_format(path, lowercase=False).lowercase
    # A file of lower-case words keeps lowercase=True, so cased text still reaches them.
    lower = Word2Vec.from_word2vec_format(_cased_file(tmp_path, ["paris", "x"]))
    assert lower.lowercase is True
    np.testing.assert_array_equal(lower.transform(["PARIS"]), lower.wv_["paris"][None])


def test_from_word2vec_format_warns_when_lowercase_cannot_reach_cased_words(tmp_path):
    path = _cased_file(tmp_path, ["Paris", "Rome", "x"])
    with pytest.warns(UserWarning, match=r"2 word\(s\) with upper-case letters, out of 3 "):
        model = Word2Vec.from_word2vec_format(path, lowercase=True)
    assert model.lowercase is True
    with pytest.warns(UserWarning, match=r"'Paris'.*Pass lowercase=False"):
        Word2Vec.from_word2vec_format(path, lowercase=True)


def test_transform_reads_documents_as_the_fit_did():
    # Non-regression: transform read weighting, lowercase and tokenizer live, so
    # set_params after fit changed its output without a word (a model saved then too).
    corpus = ["the cat sat on the mat", "the dog sat on the log", "The Cat is Good"] * 6
    w2v = Word2Vec(vector_size=8, min_count=1, epochs=1, random_state=0, weighting="tfidf")
    expected = w2v.fit(corpus).transform(["the Cat sat"])
    w2v.set_params(weighting="mean", lowercase=False, tokenizer=list)
    np.testing.assert_array_equal(w2v.transform(["the Cat sat"]), expected)
    refitted = w2v.set_params(tokenizer=None).fit(corpus)  # the next fit takes them
    assert not np.array_equal(refitted.transform(["the Cat sat"]), expected)


def test_transform_warns_once_when_no_document_holds_a_known_word(fitted):
    with pytest.warns(UserWarning, match="No document among the 3 passed to transform") as record:
        X = fitted.transform(["zebra quokka", "wombat", ""])
    assert len(record) == 1 and "(3 tokens in all" in str(record[0].message)
    np.testing.assert_array_equal(X, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted.transform(["zebra quokka", "cat"])  # one known word: no warning


def test_from_word2vec_format_validates_params(tmp_path):
    # Non-regression: weighting="tfidff" was accepted (transform used the mean and sknn.load
    # refused the saved model); vector_size=... gave "got multiple values".
    path = _cased_file(tmp_path)
    with pytest.raises(InvalidParameterError, match="'weighting' parameter"):
        Word2Vec.from_word2vec_format(path, weighting="tfidff")
    # Checked before the file is read.
    with pytest.raises(InvalidParameterError, match="'window' parameter"):
        Word2Vec.from_word2vec_format(tmp_path / "absent.txt", window=0)
    with pytest.raises(ValueError, match=r"vector_size=10 does not match .* have 3 values"):
        Word2Vec.from_word2vec_format(path, vector_size=10)
    assert Word2Vec.from_word2vec_format(path, vector_size=3).vector_size == 3
    with pytest.raises(TypeError, match="unexpected parameter 'windw'. Did you mean 'window'"):
        Word2Vec.from_word2vec_format(path, windw=3)


def test_a_model_from_a_file_transforms_either_kind(tmp_path):
    model = Word2Vec.from_word2vec_format(_cased_file(tmp_path))
    assert model.input_kind_ is None  # no corpus seen: texts and token lists alike
    np.testing.assert_array_equal(model.transform(["Paris x"]), model.transform([["Paris", "x"]]))


def test_a_word_missing_by_its_case_is_named_in_the_error():
    # Non-regression: Word2Vec lower-cases by default (unlike gensim), and a query in the
    # original case got a bare KeyError without a hint.
    sentences = [["Paris", "is", "in", "France"], ["Berlin", "is", "in", "Germany"]] * 5
    model = Word2Vec(vector_size=4, min_count=1, sample=0, random_state=0).fit(sentences)
    for query in (
        lambda: model.most_similar("Paris"),
        lambda: model.similarity("Paris", "berlin"),
        lambda: model.get_vector("Paris"),
        lambda: model.wv_["Paris"],
    ):
        with pytest.raises(
            KeyError, match=r"'Paris' is not .* Did you mean 'paris'\? .*lowercase"
        ):
            query()
    with pytest.raises(KeyError) as error:
        model.wv_["Rome"]
    assert "Did you mean" not in str(error.value)


def test_model_from_word2vec_format_saves_and_loads(tmp_path):
    from sknn import load

    model = Word2Vec.from_word2vec_format(_cased_file(tmp_path), weighting="tfidf")
    model.save(tmp_path / "model.sknn")
    restored = load(tmp_path / "model.sknn")
    assert restored.get_params() == model.get_params()
    np.testing.assert_array_equal(restored.transform(["Paris x"]), model.transform(["Paris x"]))


WV = WordVectors(["king", "man", "woman", "queen"], [[1, 1], [1, 0], [0, 1], [0.1, 2]])


def test_most_similar_topn_as_gensim():
    # gensim: topn=None gives every similarity (query words included), topn < 1 nothing.
    similarities = WV.most_similar("king", topn=None)
    normed = WV.get_normed_vectors()
    np.testing.assert_allclose(similarities, normed @ normed[0], rtol=1e-6)
    assert similarities.shape == (4,)
    assert WV.most_similar("king", topn=0) == [] and WV.most_similar("king", topn=-1) == []
    assert WV.most_similar("king", topn=np.int64(1)) == WV.most_similar("king", topn=1)
    for topn in (2.5, "3", True):
        with pytest.raises(TypeError, match="topn must be an int, or None"):
            WV.most_similar("king", topn=topn)


def test_words_can_be_named_by_their_row_as_in_gensim():
    np.testing.assert_array_equal(WV[0], WV["king"])
    np.testing.assert_array_equal(WV[np.int64(3)], WV["queen"])
    np.testing.assert_array_equal(WV[["man", 2]], WV.vectors[[1, 2]])
    assert WV.most_similar(3) == WV.most_similar("queen")
    assert WV.similarity(1, "woman") == WV.similarity("man", "woman")
    assert 0 in WV and 3 in WV and 4 not in WV and -1 not in WV and True not in WV
    with pytest.raises(KeyError, match="Row index 4 is out of range: there are 4 words"):
        WV[4]
    with pytest.raises(KeyError, match="Row index -1 is out of range"):
        WV.most_similar(-1)


def test_vector_lookups_and_queries_fail_clearly():
    empty = WV[[]]
    assert empty.shape == (0, 2) and empty.dtype == np.float32
    with pytest.raises(TypeError, match=r"Index word vectors with a word \(str\), a row index"):
        WV[2.5]
    with pytest.raises(TypeError, match="A word must be a str"):
        WV[[None]]
    with pytest.raises(KeyError, match="'robot' is not in the vocabulary"):
        WV[["man", "robot"]]
    with pytest.raises(ValueError, match=r"must have shape \(2,\).*got shape \(3,\)"):
        WV.most_similar(np.ones(3))
    with pytest.raises(ValueError, match="negative holds NaN"):
        WV.most_similar("king", negative=[np.array([np.nan, 1.0])])
    with pytest.raises(TypeError, match="positive holds the number 1.0"):
        WV.most_similar([1.0, 0.0])
    with pytest.raises(TypeError, match="positive must be a word .* got float 2.5"):
        WV.most_similar(2.5)
    with pytest.raises(TypeError, match="positive must hold words"):
        WV.most_similar([("king", 2.0)])
    with pytest.raises(ValueError, match="at least one positive or negative"):
        WV.most_similar([])
    assert WV.most_similar(np.array(["king", "woman"])) == WV.most_similar(["king", "woman"])
    # Rows of a 2-d array are vectors, as in gensim.
    assert WV.most_similar(np.array([[1.0, 0.0], [1.0, 0.1]]), topn=1)[0][0] == "man"


def test_analogy_with_every_candidate_excluded_is_incorrect(tmp_path):
    # Non-regression: with a, b and c excluded, argmax over all -inf picked row 0, which
    # scored "a b c a" as correct. gensim finds no answer and counts it incorrect.
    wv = WordVectors(["a", "b", "c"], np.eye(3))
    path = tmp_path / "questions.txt"
    path.write_text(": s\na b c a\n")
    score, sections = wv.evaluate_word_analogies(path)
    assert score == 0.0 and sections[-1]["incorrect"] == [("a", "b", "c", "a")]
    # restrict_vocab can leave no candidate either.
    wv = WordVectors(["a", "b", "c", "d"], np.eye(4))
    path.write_text(": s\na b c a\n")
    assert wv.evaluate_word_analogies(path, restrict_vocab=3)[0] == 0.0


def test_history_for_the_loss_curve_display(fitted, tmp_path):
    # Non-regression: LossCurveDisplay.from_estimator raised AttributeError: no history_.
    assert fitted.history_ == [
        {"epoch": i + 1, "train_loss": loss} for i, loss in enumerate(fitted.loss_curve_)
    ]
    assert not hasattr(Word2Vec(), "history_")
    assert Word2Vec.from_word2vec_format(_cased_file(tmp_path)).history_ == []
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sknn.inspection import LossCurveDisplay

    display = LossCurveDisplay.from_estimator(fitted)
    np.testing.assert_array_equal(display.lines_[0].get_ydata(), fitted.loss_curve_)
    assert display.best_epoch == int(np.argmin(fitted.loss_curve_)) + 1
    plt.close(display.figure_)
