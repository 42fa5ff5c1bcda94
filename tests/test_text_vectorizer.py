import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

from sknn.text import CLS_ID, OOV_ID, PAD_ID, TextVectorizer, check_sequence_input
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
    names = vec.get_feature_names_out()
    assert names.dtype == object
    assert list(names[:4]) == ["[PAD]", "[UNK]", "[CLS]", "the"]
    assert len(names) == vec.n_vocab_


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
        assert spelled not in vec.get_feature_names_out()[3:]
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
