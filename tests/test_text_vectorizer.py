import pickle
import re
import string
import unicodedata
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from sknn.text import CLS_ID, OOV_ID, PAD_ID, TextVectorizer, check_sequence_input, word_tokenize
from sknn.text._input import looks_like_text
from sknn.text._tokenize import tokenize_documents
from sknn.text._vocabulary import count_vocabulary

CORPUS = ["The cat sat.", "The dog sat on the mat!", "A cat, a dog."]


def whitespace_split(text):
    return text.split()


def test_special_ids_are_reserved():
    vec = TextVectorizer().fit(CORPUS)
    assert (PAD_ID, OOV_ID, CLS_ID) == (0, 1, 2)
    assert vec.vocabulary_["[PAD]"] == 0
    assert vec.vocabulary_["[UNK]"] == 1
    assert vec.vocabulary_["[CLS]"] == 2
    assert vec.n_vocab_ == len(vec.vocabulary_)
    assert vec.input_kind_ == "text"


def test_vocabulary_is_ordered_by_frequency_then_token():
    vec = TextVectorizer().fit(CORPUS)
    # the: 3; a, cat, dog, sat, '.': 2; the rest once, in string order.
    assert vec.vocabulary_["the"] == 3
    assert [vec.vocabulary_[t] for t in [".", "a", "cat", "dog", "sat"]] == [4, 5, 6, 7, 8]
    tokens = list(vec.vocabulary_)
    assert tokens[:4] == ["[PAD]", "[UNK]", "[CLS]", "the"]
    assert len(tokens) == vec.n_vocab_


def test_vocabulary_does_not_depend_on_document_order():
    forward = TextVectorizer().fit(CORPUS).vocabulary_
    backward = TextVectorizer().fit(CORPUS[::-1]).vocabulary_
    assert forward == backward


def test_max_vocab_and_min_freq():
    vec = TextVectorizer(max_vocab=2).fit(CORPUS)
    assert list(vec.vocabulary_) == ["[PAD]", "[UNK]", "[CLS]", "the", "."]
    vec = TextVectorizer(min_freq=2).fit(CORPUS)
    assert set(vec.vocabulary_) == {
        "[PAD]",
        "[UNK]",
        "[CLS]",
        "the",
        ".",
        "a",
        "cat",
        "dog",
        "sat",
    }
    assert vec.transform(["the mat"]).tolist() == [[3, OOV_ID]]


def test_unknown_tokens_map_to_oov_and_back_to_oov_token():
    vec = TextVectorizer(oov_token="<unk>").fit(CORPUS)
    ids = vec.transform(["the zebra"])
    assert ids.tolist() == [[3, OOV_ID]]
    assert vec.inverse_transform(ids) == [["the", "<unk>"]]


def test_padding_to_longest_and_truncation():
    vec = TextVectorizer().fit(CORPUS)
    ids = vec.transform(["the", "the cat sat"])
    assert ids.dtype == np.int64
    assert ids.shape == (2, 3)
    assert ids[0].tolist() == [3, 0, 0]

    vec = TextVectorizer(max_len=2).fit(CORPUS)
    assert vec.transform(["the cat sat", "the"]).tolist() == [[3, 6], [3, 0]]
    assert vec.transform(["the"]).shape == (1, 1)

    vec = TextVectorizer(max_len=2, truncation_side="left").fit(CORPUS)
    assert vec.transform(["the cat sat"]).tolist() == [[6, 8]]


def test_padding_to_max_len():
    vec = TextVectorizer(max_len=5, padding="max_len").fit(CORPUS)
    ids = vec.transform(["the cat"])
    assert ids.tolist() == [[3, 6, 0, 0, 0]]
    with pytest.raises(ValueError, match="max_len"):
        TextVectorizer(padding="max_len").fit(CORPUS)


def test_padding_to_max_len_set_after_fit_without_max_len_says_so():
    # Non-regression: transform read padding='max_len' with max_len=None and NumPy
    # raised "'NoneType' object cannot be interpreted as an integer".
    vec = TextVectorizer().fit(["a b", "c"]).set_params(padding="max_len")
    with pytest.raises(ValueError, match="padding='max_len' needs max_len to be set"):
        vec.transform(["a b"])


def test_lengths_count_non_padding_ids():
    vec = TextVectorizer(max_len=3).fit(CORPUS)
    ids, lengths = vec.transform_with_lengths(["the cat sat on the mat", "dog", ""])
    assert lengths.tolist() == [3, 1, 1]
    assert lengths.tolist() == np.count_nonzero(ids, axis=1).tolist()


@pytest.mark.parametrize("empty", ["", "   ", "\n\t"])
def test_empty_document_becomes_a_single_oov_id(empty):
    vec = TextVectorizer().fit(CORPUS)
    ids = vec.transform(["the cat", empty])
    assert ids[1].tolist() == [OOV_ID, PAD_ID]


def test_fit_transform_equals_fit_then_transform():
    vec = TextVectorizer(max_len=4)
    np.testing.assert_array_equal(vec.fit_transform(CORPUS), vec.transform(CORPUS))


@pytest.mark.parametrize(
    "container",
    [list, tuple, np.array, lambda x: np.array(x, dtype=object), pd.Series, pd.DataFrame],
)
def test_accepted_text_containers(container):
    expected = TextVectorizer().fit_transform(CORPUS)
    np.testing.assert_array_equal(TextVectorizer().fit_transform(container(CORPUS)), expected)


def test_pre_tokenized_input():
    tokens = [["The", "cat"], ["the", "dog", "dog"]]
    vec = TextVectorizer().fit(tokens)
    assert vec.input_kind_ == "tokens"
    assert list(vec.vocabulary_)[3:] == ["dog", "the", "cat"]
    assert vec.transform([["cat", "bird"]]).tolist() == [[5, OOV_ID]]
    assert TextVectorizer(lowercase=False).fit(tokens).vocabulary_["The"] > 2
    # A literal padding token inside a document must not become padding mid-row.
    assert vec.transform([["[PAD]", "cat"]]).tolist() == [[OOV_ID, 5]]


@pytest.mark.parametrize("lowercase", [True, False])
@pytest.mark.parametrize("kind", ["text", "tokens"])
@pytest.mark.parametrize("reserved", ["[PAD]", "[CLS]", "[UNK]", "<unk>"])
def test_tokens_spelled_like_reserved_tokens_never_take_a_reserved_id(kind, lowercase, reserved):
    # Non-regression: a literal "[CLS]" with lowercase=False took the reserved [CLS] id 2
    # (only "[PAD]" was guarded), which the transformer reserves for its pooling token.
    docs = [[reserved, "cat", reserved], ["dog", reserved]]
    X = [" ".join(doc) for doc in docs] if kind == "text" else docs
    vec = TextVectorizer(tokenizer=whitespace_split, lowercase=lowercase, oov_token="<unk>")
    fitted_ids = vec.fit_transform(X)
    ids = vec.transform(X)
    np.testing.assert_array_equal(fitted_ids, ids)
    spelled = reserved.lower() if lowercase else reserved
    if spelled in {"[PAD]", "[CLS]", "<unk>"}:
        # Not learned, and unknown at fit and transform alike.
        assert spelled not in list(vec.vocabulary_)[3:]
        expected = [OOV_ID, vec.vocabulary_["cat"], OOV_ID]
    else:
        # An ordinary token once lowercased ("[cls]"), or one that is not reserved here.
        assert vec.vocabulary_[spelled] >= 3
        expected = [vec.vocabulary_[spelled], vec.vocabulary_["cat"], vec.vocabulary_[spelled]]
    assert ids[0].tolist() == expected
    # Never padding inside a row, never the [CLS] id.
    assert ids[1].tolist()[:2] == [vec.vocabulary_["dog"], expected[0]]
    assert CLS_ID not in ids
    assert vec.transform_with_lengths(X)[1].tolist() == [3, 2]


def test_integer_id_input_is_remapped_and_inverted():
    ids_in = [[10, 7, 7], np.array([7, 0]), (99,)]
    vec = TextVectorizer(max_vocab=2).fit(ids_in)
    assert vec.input_kind_ == "ids"
    # 7 is the most frequent; 0, 10 and 99 tie once each and the smallest wins.
    assert list(vec.vocabulary_.items())[3:] == [(7, 3), (0, 4)]
    out = vec.transform([[7, 0, 10]])
    assert out.tolist() == [[3, 4, OOV_ID]]
    assert vec.inverse_transform(out) == [[7, 0, "[UNK]"]]
    np.testing.assert_array_equal(
        TextVectorizer().fit_transform(np.array([[4, 5], [5, 6]])),
        TextVectorizer().fit_transform([[4, 5], [5, 6]]),
    )


def test_custom_tokenizer_and_lowercase():
    vec = TextVectorizer(tokenizer=whitespace_split).fit(["Hello, world", "hello"])
    assert set(vec.vocabulary_) >= {"hello,", "world", "hello"}
    vec = TextVectorizer(tokenizer=whitespace_split, lowercase=False).fit(["Hello hello"])
    assert {"Hello", "hello"} <= set(vec.vocabulary_)
    with pytest.raises(TypeError, match="tokenizer must return a list of str"):
        TextVectorizer(tokenizer=len).fit(CORPUS)


def test_pickle_round_trip_keeps_vocabulary():
    vec = TextVectorizer(tokenizer=whitespace_split, max_len=4).fit(CORPUS)
    restored = pickle.loads(pickle.dumps(vec))
    assert restored.vocabulary_ == vec.vocabulary_
    np.testing.assert_array_equal(restored.transform(CORPUS), vec.transform(CORPUS))


def test_clone_and_get_params():
    vec = TextVectorizer(max_vocab=10, min_freq=2, padding="max_len", max_len=7)
    params = vec.get_params()
    assert params["max_vocab"] == 10 and params["padding"] == "max_len"
    fitted = vec.fit(CORPUS)
    cloned = clone(fitted)
    assert cloned.get_params() == params
    assert not hasattr(cloned, "vocabulary_")


def test_init_does_nothing():
    vec = TextVectorizer(max_vocab=-3, padding="nonsense")
    assert vec.max_vocab == -3
    with pytest.raises(InvalidParameterError, match="max_vocab"):
        vec.fit(CORPUS)
    with pytest.raises(InvalidParameterError, match="padding"):
        TextVectorizer(padding="nonsense").fit(CORPUS)


@pytest.mark.parametrize(
    "X, error, match",
    [
        ([], ValueError, r"Found X with 0 sample\(s\)"),
        (["", " "], ValueError, "Empty vocabulary"),
        ("a single text", TypeError, "single str"),
        (np.zeros((3, 2)), ValueError, "float64"),
        ([1.5, 2.5], ValueError, "document 0 is float"),
        ([1, 2, 3], ValueError, "document 0 is int"),
        (["text", ["tokens"]], ValueError, "mix"),
        (["a", None], ValueError, "document 1 is NoneType"),
        (np.array([["a"], ["b"]]), ValueError, "one column"),
        (np.array([["a"], ["b"]], dtype=object), ValueError, "one column"),
        # A table of texts (df[["title", "body"]].to_numpy()): each text would be a token.
        (np.array([["a good film", "it is"], ["dull", "a bad one"]]), ValueError, "whitespace"),
        (pd.DataFrame({"a": ["x"], "b": ["y"]}), ValueError, "2 columns"),
    ],
)
def test_bad_input_raises(X, error, match):
    with pytest.raises(error, match=match):
        TextVectorizer().fit(X)


def test_a_two_dimensional_array_of_tokens_is_read_row_by_row():
    vec = TextVectorizer().fit(np.array([["the", "cat"], ["a", "dog"]]))
    assert vec.input_kind_ == "tokens" and vec.n_vocab_ == 3 + 4


def test_transform_errors():
    vec = TextVectorizer()
    with pytest.raises(Exception, match="not fitted"):
        vec.transform(CORPUS)
    vec.fit(CORPUS)
    with pytest.raises(ValueError, match="fitted on text input but transform got ids"):
        vec.transform([[1, 2]])
    with pytest.raises(ValueError, match="Ids must lie in"):
        vec.inverse_transform([[0, 1000]])


def test_check_sequence_input_normalises_documents():
    docs, kind = check_sequence_input(pd.Series([np.array(["a", "b"]), ("c",), []]))
    assert kind == "tokens"
    assert docs == [["a", "b"], ["c"], []]
    docs, kind = check_sequence_input([np.array([1, 2], dtype=np.int32), [np.int64(3)]])
    assert kind == "ids"
    assert docs == [[1, 2], [3]]
    assert all(type(i) is int for i in docs[1])
    with pytest.raises(ValueError, match="document 0 is list"):
        check_sequence_input([[True, False]])


# -- the one front door (#16) ----------------------------------------------------------------
@pytest.mark.parametrize(
    "X, match",
    [
        ("one text", r"got a single str\. Wrap it in a list: X=\[text\]"),
        (b"one text", r"got a single bytes\. Wrap it in a list"),
        ({"a b": 0, "c": 1}, r"got a dict, whose iteration gives its keys"),
        ({"a b", "c"}, r"got a set, which has no order"),
        (frozenset({"a b"}), r"got a frozenset, which has no order"),
        (sp.csr_matrix(np.eye(2)), r"got a sparse matrix"),
        (sp.dok_array(np.eye(2)), r"got a sparse matrix"),  # a dict subclass
        (42, r"got int"),
    ],
    ids=["str", "bytes", "dict", "set", "frozenset", "sparse", "dok", "int"],
)
def test_containers_that_are_not_a_corpus_raise_type_error(X, match):
    with pytest.raises(TypeError, match=match):
        check_sequence_input(X)
    with pytest.raises(TypeError, match=match):
        TextVectorizer().fit(X)


def test_empty_sequence_among_texts_is_an_empty_document():
    # Non-regression: it was read as the text "[]", i.e. the tokens "[" and "]".
    docs, kind = check_sequence_input(["a film", [], np.array([], dtype=object)])
    assert kind == "text" and docs == ["a film", "", ""]
    vec = TextVectorizer().fit(["a film", []])
    assert "[" not in vec.vocabulary_


def test_kinds_restricts_the_accepted_documents():
    assert check_sequence_input(["a b"], kinds=("text", "tokens"))[1] == "text"
    with pytest.raises(ValueError, match="each a str .raw text. or a sequence of str"):
        check_sequence_input([[1, 2]], kinds=("text", "tokens"))
    with pytest.raises(
        TypeError, match=r"each a str .raw text. or a sequence of str .tokens. for X; got a single"
    ):
        check_sequence_input("a b", kinds=("text", "tokens"))


def test_input_is_not_modified():
    tokens = [["The", "Cat"], ["A", "dog"]]
    texts = np.array(["The cat", "A dog"], dtype=object)
    before = [list(doc) for doc in tokens], texts.copy()
    TextVectorizer().fit(tokens).transform(tokens)
    TextVectorizer().fit(texts).transform(texts)
    assert tokens == before[0]
    np.testing.assert_array_equal(texts, before[1])


@pytest.mark.parametrize(
    "X, expected",
    [
        (["a film"], True),
        ([["a", "film"]], True),
        ([[], ["a"]], True),
        (np.array(["a", "b"]), True),
        (pd.Series(["a film"]), True),
        (pd.DataFrame({"text": ["a film"]}), True),
        ([np.array(["a", "b"])], True),
        ([["a", 1.5]], True),  # text, so that the text checker says what is wrong
        # Non-regression: the first document, a number, decided "numeric", so a text
        # column holding one number got a numeric-shape error instead of naming it.
        ([5, "a film"], True),
        (pd.Series([np.nan, 5, "a film"], dtype=object), True),
        ([5, 6.0], False),
        ([[0.5, 1.0], [2.0]], False),
        ([[3, 4], [5]], False),
        (np.zeros((2, 3)), False),
        ([np.zeros((3, 2))], False),
        (pd.DataFrame({"a": ["x"], "b": ["y"]}), False),
        (sp.csr_matrix(np.eye(2)), False),
    ],
)
def test_looks_like_text(X, expected):
    assert looks_like_text(X) is expected


def test_tokenize_documents_is_the_one_lowercase_rule():
    assert tokenize_documents(["A Cat."], "text") == [["a", "cat", "."]]
    assert tokenize_documents(["A Cat."], "text", lowercase=False) == [["A", "Cat", "."]]
    assert tokenize_documents(["A Cat."], "text", tokenizer=str.split) == [["a", "cat."]]
    assert tokenize_documents([["A", "Cat"]], "tokens") == [["a", "cat"]]
    assert tokenize_documents([["A", "Cat"]], "tokens", lowercase=False) == [["A", "Cat"]]
    assert tokenize_documents([[3, 1]], "ids") == [[3, 1]]


def test_count_vocabulary_orders_by_count_then_token():
    documents = [["b", "a", "c"], ["c", "b"], ["d", "c"]]
    vocabulary = count_vocabulary(documents)
    assert vocabulary.tokens == ["c", "b", "a", "d"]
    assert vocabulary.counts.tolist() == [3, 2, 1, 1]
    assert vocabulary.document_counts.tolist() == [3, 2, 1, 1]
    assert vocabulary.n_documents == 3
    assert count_vocabulary(documents[::-1]).tokens == vocabulary.tokens
    assert count_vocabulary(documents, max_size=2, exclude={"c"}).tokens == ["b", "a"]
    assert count_vocabulary(documents, min_count=2).tokens == ["c", "b"]
    with pytest.raises(ValueError, match=r"no token occurs at least min_freq=4 times .the most"):
        count_vocabulary(documents, min_count=4, min_count_name="min_freq")
    with pytest.raises(ValueError, match="the documents hold no token"):
        count_vocabulary([[], []])


# -- padding in 2-d input, Unicode, feature names, tensors ----------------------------------
def _padded(documents, width, side="end", value=0):
    table = np.full((len(documents), width), value, dtype=np.int64)
    for row, doc in enumerate(documents):
        if side == "end":
            table[row, : len(doc)] = doc
        else:
            table[row, width - len(doc) :] = doc
    return table


RAGGED_IDS = [
    list(np.random.default_rng(0).integers(1, 21, size=length))
    for length in np.random.default_rng(1).integers(2, 6, size=40)
]


@pytest.mark.parametrize(
    "make_X, pad, advice",
    [
        (lambda: _padded(RAGGED_IDS, 5), 0, "[row[row != 0] for row in X]"),
        (lambda: _padded(RAGGED_IDS, 12), 0, "[row[row != 0] for row in X]"),
        (lambda: _padded(RAGGED_IDS, 6, side="begin"), 0, "[row[row != 0] for row in X]"),
        (lambda: _padded(RAGGED_IDS, 6).tolist(), 0, "[[i for i in row if i != 0] for row in X]"),
        (lambda: torch.as_tensor(_padded(RAGGED_IDS, 6)), 0, "[row[row != 0] for row in X]"),
        (lambda: _padded(RAGGED_IDS, 7, value=99), 99, "[row[row != 99] for row in X]"),
    ],
    ids=["end-5", "end-12", "beginning", "list", "tensor", "id-99"],
)
def test_padded_id_arrays_warn(make_X, pad, advice):
    # Non-regression: the padding of a 2-d id array (Keras' pad_sequences, a tokenizer's
    # padding=True) was learned as the most frequent token and counted in every row's
    # length, so predictions changed with the padding width, without a word.
    X = make_X()
    with pytest.warns(UserWarning, match=rf"X looks padded with id {pad}: ") as record:
        vec = TextVectorizer().fit(X)
    assert len(record) == 1 and record[0].filename == __file__
    message = str(record[0].message)
    assert "sknn reads every id as a token" in message and advice in message
    assert pad in vec.vocabulary_  # what the warning is about
    # The advice works: the documents without the padding, and no warning.
    cleaned = [row[row != pad] for row in np.asarray(X)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, lengths = TextVectorizer().fit(cleaned).transform_with_lengths(cleaned)
    assert lengths.tolist() == [len(doc) for doc in RAGGED_IDS]


@pytest.mark.parametrize(
    "X",
    [
        RAGGED_IDS,  # ragged: not padded
        # A real id repeated at the end of a few rows.
        np.vstack([_padded([[3, 4, 7, 7]] * 5, 4), np.arange(1, 141).reshape(35, 4)]),
        # An id that ends most rows but also occurs inside rows: a real token.
        np.array([[5, 0, 6, 0, 0], [7, 8, 0, 0, 0], [9, 0, 3, 4, 0]] * 5),
        # Every row begins with the same id once ([CLS]) and ends with another ([SEP]).
        np.array([[101, 5, 6, 102], [101, 7, 8, 102], [101, 9, 4, 102]] * 5),
        np.random.default_rng(0).integers(0, 3, size=(100, 10)),
        np.array([[3, 3], [3, 3]]),  # every row is one id: nothing else to pad
    ],
    ids=["ragged", "a-few-rows", "inside-rows", "cls-sep", "random", "constant"],
)
def test_id_arrays_that_are_not_padded_do_not_warn(X):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TextVectorizer().fit(X)


def test_a_token_table_padded_with_empty_strings_is_refused():
    # Non-regression: '' padding of a 2-d token table was learned as the most frequent
    # token and counted in each row's length, which defeats the padding masks.
    tokens = [["good", "film", ""], ["bad", "", ""], ["a", "great", "film"]]
    for X in (np.array(tokens), np.array(tokens, dtype=object)):
        with pytest.raises(
            ValueError,
            match=r"3 empty or whitespace-only cell\(s\) \(e\.g\. row 0, column 2: ''\)",
        ):
            TextVectorizer().fit(X)
    blank = np.array([["good", "film", " "], ["bad", "film", "\t"]])
    with pytest.raises(ValueError, match=r"empty or whitespace-only .* if token\.strip\(\)\]"):
        TextVectorizer().fit(blank)
    # Cells with words and whitespace are still texts, named as such.
    with pytest.raises(ValueError, match="whose cells hold whitespace"):
        TextVectorizer().fit(np.array([["a good film", ""], ["bad", "x"]]))


def test_word_tokenize_keeps_combining_marks_and_joiners_inside_words():
    # Non-regression: \w leaves out the combining marks, so Hindi, Arabic with vowel
    # points, decomposed accents and emoji sequences were cut into fragments.
    assert word_tokenize("नमस्ते दुनिया") == ["नमस्ते", "दुनिया"]
    assert word_tokenize("كَتَبَ الوَلَدُ") == ["كَتَبَ", "الوَلَدُ"]
    assert word_tokenize("שָׁלוֹם") == ["שָׁלוֹם"]
    nfd = unicodedata.normalize("NFD", "Le café, naïve.")
    assert word_tokenize(nfd) == ["le", "café", ",", "naïve", "."]
    assert word_tokenize(nfd) == word_tokenize(unicodedata.normalize("NFC", nfd))
    assert word_tokenize("İstanbul") == ["i̇stanbul"]  # with its dot, not ['i', '̇', ...]
    family = "👨\u200d👩\u200d👧"
    assert word_tokenize(f"ok {family} 👍🏽!") == ["ok", family, "👍🏽", "!"]
    assert word_tokenize("1\ufe0f\u20e3 🇫🇷🇩🇪") == ["1\ufe0f\u20e3", "🇫🇷", "🇩🇪"]
    assert word_tokenize("می\u200cخواهم") == ["می\u200cخواهم"]  # Persian, with a ZWNJ
    # The same word in both normal forms is one token of the vocabulary.
    vec = TextVectorizer().fit(["le café est bon"])
    assert vec.transform([unicodedata.normalize("NFD", "le café est bon")]).min() >= 3


def test_word_tokenize_splits_ascii_as_it_always_did():
    pattern = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]")
    rng = np.random.default_rng(0)
    alphabet = list(string.printable) + ["’", "é", "—", "“", "”", "我", "ß"]
    for _ in range(500):
        text = "".join(rng.choice(alphabet, size=30))
        assert word_tokenize(text) == pattern.findall(text.lower())
        assert word_tokenize(text, lowercase=False) == pattern.findall(text)


def test_get_feature_names_out_names_the_columns_of_transform():
    # Non-regression: it listed the vocabulary, so a ColumnTransformer's names did not
    # line up with its columns (9 names for 4 columns).
    frame = pd.DataFrame({"text": ["a good film", "a bad film", "fine"], "n": [1.0, 2.0, 3.0]})
    vectorizer = TextVectorizer(padding="max_len", max_len=3)
    columns = ColumnTransformer([("v", vectorizer, "text"), ("s", StandardScaler(), ["n"])])
    output = columns.fit_transform(frame)
    names = columns.get_feature_names_out()
    assert len(names) == output.shape[1]
    assert list(names) == [
        "v__textvectorizer0",
        "v__textvectorizer1",
        "v__textvectorizer2",
        "s__n",
    ]
    # A width that changes from call to call has no names.
    longest = TextVectorizer().fit(frame["text"])
    with pytest.raises(AttributeError, match="needs padding='max_len'.* vocabulary_"):
        longest.get_feature_names_out()
    with pytest.raises(AttributeError, match="needs padding='max_len'"):
        ColumnTransformer([("v", TextVectorizer(), "text")]).fit(frame).get_feature_names_out()


def test_set_output_of_a_pipeline_or_column_transformer_is_accepted_and_ignored():
    # Non-regression: TextVectorizer had no set_output, so Pipeline.set_output and
    # ColumnTransformer.set_output refused any pipeline that held it.
    from sklearn.pipeline import make_pipeline

    frame = pd.DataFrame(
        {"text": ["a good film", "a bad film", "fine"], "n": [1.0, 2.0, 3.0]}, index=[5, 6, 7]
    )
    vectorizer = TextVectorizer(padding="max_len", max_len=3)
    assert vectorizer.set_output(transform="pandas") is vectorizer
    pipe = make_pipeline(TextVectorizer(), StandardScaler()).set_output(transform="pandas")
    ids = pipe[0].fit_transform(frame["text"])
    assert isinstance(ids, np.ndarray) and ids.dtype == np.int64
    assert isinstance(pipe.fit_transform(frame["text"]), pd.DataFrame)
    columns = ColumnTransformer([("v", vectorizer, "text"), ("s", StandardScaler(), ["n"])])
    output = columns.set_output(transform="pandas").fit_transform(frame)
    assert list(output.columns) == [f"v__textvectorizer{i}" for i in range(3)] + ["s__n"]
    assert list(output.index) == [5, 6, 7]
    expected = TextVectorizer(padding="max_len", max_len=3).fit_transform(frame["text"])
    np.testing.assert_array_equal(output.iloc[:, :3].to_numpy(), expected)


def test_token_ids_as_torch_tensors():
    # Non-regression: a 2-d LongTensor, or a list of 1-d tensors (a tokenizer's
    # return_tensors="pt"), was refused as "not a sequence of int".
    ids = np.random.default_rng(0).integers(3, 50, size=(20, 6))
    expected = TextVectorizer().fit_transform(ids)
    tensor = torch.as_tensor(ids)
    np.testing.assert_array_equal(TextVectorizer().fit_transform(tensor), expected)
    np.testing.assert_array_equal(TextVectorizer().fit_transform(list(tensor)), expected)
    with pytest.raises(ValueError, match="Numeric features are not text"):
        TextVectorizer().fit(torch.rand(4, 3))


def _generator_split(text):
    yield from text.split()


def _int_tokens(text):
    return [len(word) for word in text.split()]


def test_a_tokenizer_may_return_any_iterable_of_str():
    # Non-regression: a generator (jieba.cut gives one) was refused, where scikit-learn's
    # CountVectorizer takes any iterable; tokens of another type are named.
    by_list = TextVectorizer(tokenizer=str.split).fit(CORPUS)
    by_generator = TextVectorizer(tokenizer=_generator_split).fit(CORPUS)
    assert by_generator.vocabulary_ == by_list.vocabulary_
    np.testing.assert_array_equal(by_generator.transform(CORPUS), by_list.transform(CORPUS))
    with pytest.raises(TypeError, match=r"got a token of type int \(\d+\)"):
        TextVectorizer(tokenizer=_int_tokens).fit(CORPUS)
    with pytest.raises(TypeError, match="got str for"):
        TextVectorizer(tokenizer=str.lower).fit(CORPUS)
