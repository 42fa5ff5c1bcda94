"""Tokenization shared by every text-aware sknn estimator: the default tokenizer, and the
one place where documents become token lists and ``lowercase`` is applied."""

import functools
import re
import unicodedata

from sknn.text._input import IDS, TEXT

#: Words (with inner apostrophes) and single punctuation marks: all ASCII text needs.
_TOKEN_PATTERN = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]")

#: Planes that hold combining marks (Mn, Mc, Me): the first two and the variation
#: selectors' supplement. The others hold none, so the scan stays small (~0.1 s).
_MARK_PLANES = (range(0x20000), range(0xE0000, 0xE1000))


@functools.cache
def _unicode_token_pattern():
    r"""The token pattern for non-ASCII text, built on first use (not at import).

    Python's ``\w`` leaves out the combining marks (Devanagari vowel signs and viramas,
    Arabic and Hebrew vowel points, the accents of decomposed Latin letters, variation
    selectors) and the zero-width (non-)joiners; ``[^\w\s]`` would then make each of
    them a token of its own. They belong to the letters they follow. After a symbol,
    they and the emoji skin-tone modifiers and tags belong to the symbol, and a joiner
    links the next symbol into one emoji sequence; a pair of regional indicators is one
    flag.
    """
    ranges = []
    for plane in _MARK_PLANES:
        for code in plane:
            if unicodedata.category(chr(code)) in ("Mn", "Mc", "Me"):
                if ranges and ranges[-1][1] == code - 1:
                    ranges[-1][1] = code
                else:
                    ranges.append([code, code])
    marks = "".join(rf"\U{a:08x}-\U{b:08x}" for a, b in ranges) + r"\u200c\u200d"
    word = rf"[\w{marks}]+"
    modifier = rf"[{marks}\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f]"
    return re.compile(
        rf"{word}(?:['’]{word})*"
        r"|[\U0001f1e6-\U0001f1ff]{2}"
        rf"|[^\w\s](?:\u200d[^\w\s]|{modifier})*"
    )


def word_tokenize(text, lowercase=True):
    r"""Split a text into words and punctuation marks.

    A word is a run of letters, digits and underscores (Python's ``\w``) with the
    combining marks, zero-width joiners and variation selectors inside it, so that
    Devanagari, Arabic with vowel points or decomposed accents stay whole; apostrophes
    between letters stay inside it (``"isn't"``). Every other character that is not
    whitespace is a token of its own, with its marks and modifiers: an emoji sequence
    (``"👍🏽"``, a family joined by zero-width joiners, a flag) is one token. The text is
    first brought to Unicode normal form NFC, so that the composed and decomposed
    spellings of a word (``"café"`` typed or from a macOS file name) give the same token.

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
    >>> word_tokenize("नमस्ते दुनिया")
    ['नमस्ते', 'दुनिया']
    """
    if text.isascii():
        # The common case, and the pattern ASCII text has always been split with.
        return _TOKEN_PATTERN.findall(text.lower() if lowercase else text)
    text = unicodedata.normalize("NFC", text)
    if lowercase:
        text = text.lower()
    return _unicode_token_pattern().findall(text)


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
    # Any iterable of str, as scikit-learn's CountVectorizer takes (jieba.cut gives a
    # generator); a str itself would be read as its characters.
    if isinstance(tokens, (str, bytes)) or not hasattr(tokens, "__iter__"):
        raise TypeError(
            f"The tokenizer must return a list of str; got {type(tokens).__name__} "
            f"for {text[:40]!r}."
        )
    tokens = list(tokens)
    wrong = [t for t in tokens if not isinstance(t, str)]
    if wrong:
        wrong = wrong[0]
        raise TypeError(
            f"The tokenizer must return a list of str; got a token of type "
            f"{type(wrong).__name__} ({wrong!r}) for {text[:40]!r}."
        )
    return tokens
