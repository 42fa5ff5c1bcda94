"""Tokenization shared by every text-aware sknn estimator: the default tokenizer, and the
one place where documents become token lists and ``lowercase`` is applied."""

import re

from sknn.text._input import IDS, TEXT

_TOKEN_PATTERN = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]", re.UNICODE)


def word_tokenize(text, lowercase=True):
    """Split a text into words and punctuation marks.

    Parameters
    ----------
    text : str
        The text to split.
    lowercase : bool, default=True
        Lower-case the text first.

    Returns
    -------
    list of str

    Examples
    --------
    >>> from sknn.text import word_tokenize
    >>> word_tokenize("It's a GREAT film, isn't it?")
    ["it's", 'a', 'great', 'film', ',', "isn't", 'it', '?']
    """
    if lowercase:
        text = text.lower()
    return _TOKEN_PATTERN.findall(text)


def tokenize_documents(documents, kind, *, tokenizer=None, lowercase=True):
    """Token lists from documents that :func:`~sknn.text.check_sequence_input` returned.

    The ``lowercase`` and ``tokenizer`` parameters mean the same in every text-aware
    estimator because they all come here: raw texts are lower-cased (when ``lowercase``)
    and then split by ``tokenizer`` (:func:`word_tokenize` when None); pre-tokenized
    documents are lower-cased token by token (when ``lowercase``) and never split again;
    integer ids are returned as they are.

    Parameters
    ----------
    documents : list
        The documents, all of ``kind``.
    kind : {"text", "tokens", "ids"}
        Their kind, as :func:`~sknn.text.check_sequence_input` tells it.
    tokenizer : callable or None, default=None
        ``str -> list of str``.
    lowercase : bool, default=True

    Returns
    -------
    list of list
        One token list per document (new lists: ``documents`` is not modified).

    Raises
    ------
    TypeError
        If ``tokenizer`` returns something other than a list or tuple of ``str``.

    Examples
    --------
    >>> from sknn.text._tokenize import tokenize_documents
    >>> tokenize_documents(["A film.", "Two"], "text")
    [['a', 'film', '.'], ['two']]
    >>> tokenize_documents([["A", "Film"]], "tokens", lowercase=False)
    [['A', 'Film']]
    """
    if kind == IDS:
        return [list(doc) for doc in documents]
    if kind == TEXT:
        if tokenizer is None:
            return [word_tokenize(text, lowercase=lowercase) for text in documents]
        return [_split(tokenizer, text.lower() if lowercase else text) for text in documents]
    if lowercase:
        return [[token.lower() for token in doc] for doc in documents]
    return [list(doc) for doc in documents]


def _split(tokenizer, text):
    tokens = tokenizer(text)
    if not isinstance(tokens, (list, tuple)) or not all(isinstance(t, str) for t in tokens):
        raise TypeError(
            f"The tokenizer must return a list of str; got {type(tokens).__name__} "
            f"for {text[:40]!r}."
        )
    return list(tokens)
