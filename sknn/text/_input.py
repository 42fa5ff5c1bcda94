"""The one front door for text and sequence input.

The text-aware estimators accept three kinds of ``X``: raw texts, pre-tokenized token lists,
and sequences of integer ids. They all call :func:`check_sequence_input` so that every one of
them accepts the same containers and fails with the same exception and message:
:class:`TypeError` for a container that is not a corpus (a bare string, a dict, a set, a
sparse matrix, a scalar), :class:`ValueError` for documents of the wrong kind. The sequence
estimators, which also take numeric sequences, decide between the two readings with
:func:`looks_like_text` after :func:`check_corpus_container`.
"""

from collections.abc import Mapping, Set
from numbers import Integral

import numpy as np
import pandas as pd
import scipy.sparse as sp

TEXT = "text"
TOKENS = "tokens"
IDS = "ids"

KINDS = (TEXT, TOKENS, IDS)

#: How each kind of document is named in error messages.
_DESCRIPTIONS = {
    TEXT: "a str (raw text)",
    TOKENS: "a sequence of str (tokens)",
    IDS: "a sequence of int (token ids)",
}


def _expected(kinds=KINDS):
    described = [_DESCRIPTIONS[kind] for kind in kinds]
    if len(described) > 1:
        described = [", ".join(described[:-1]) + " or " + described[-1]]
    return f"an iterable of documents, each {described[0]}"


def _is_int(value):
    # bool is an Integral, but True/False as token ids is almost surely a mistake.
    return isinstance(value, Integral) and not isinstance(value, (bool, np.bool_))


def check_corpus_container(X, *, input_name: str = "X", kinds: tuple[str, ...] = KINDS) -> None:
    """Refuse, with a :class:`TypeError`, the containers that are never a corpus.

    A bare string (iterating it gives characters), a mapping (iterating it gives its keys)
    and a set (it has no order, so its documents could not line up with ``y`` or with the
    rows of the output) are refused by every estimator that takes documents or sequences,
    with the same message. Sparse matrices (even the DOK format, a dict) are left to the
    caller, whose message says that sparse input is not supported.

    Parameters
    ----------
    X : object
        What the user passed as ``X``.
    input_name : str, default="X"
        The name used in error messages.
    kinds : tuple of {"text", "tokens", "ids"}, default=("text", "tokens", "ids")
        The kinds of document the caller accepts, for the message.

    Raises
    ------
    TypeError
        If ``X`` is a ``str``, ``bytes``, a mapping or a set.

    Examples
    --------
    >>> from sknn.text._input import check_corpus_container
    >>> check_corpus_container(["a film", "a book"])
    >>> check_corpus_container("a film")
    Traceback (most recent call last):
    ...
    TypeError: Expected an iterable of documents, ... got a single str. Wrap it in a list: ...
    """
    if sp.issparse(X):
        # A sparse matrix in DOK format is a dict: leave it to the caller's sparse message.
        return
    expected = _expected(kinds)
    if isinstance(X, (str, bytes)):
        raise TypeError(
            f"Expected {expected} for {input_name}; got a single {type(X).__name__}. "
            f"Wrap it in a list: {input_name}=[text]."
        )
    if isinstance(X, Mapping):
        raise TypeError(
            f"Expected {expected} for {input_name}; got a {type(X).__name__}, whose "
            f"iteration gives its keys. Pass list({input_name}.values()) for its values, or "
            f"list({input_name}) if the keys are the documents."
        )
    if isinstance(X, Set):
        raise TypeError(
            f"Expected {expected} for {input_name}; got a {type(X).__name__}, which has no "
            "order: its documents could not line up with y or with the rows of the output. "
            "Pass a list."
        )


def _as_documents(X, input_name, kinds):
    check_corpus_container(X, input_name=input_name, kinds=kinds)
    expected = _expected(kinds)
    if sp.issparse(X):
        raise TypeError(
            f"Expected {expected} for {input_name}; got a sparse matrix. Sparse features "
            "are not text; use a tabular estimator."
        )
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            raise ValueError(
                f"Expected {expected} for {input_name}; got a DataFrame with "
                f"{X.shape[1]} columns. Select the text column, e.g. df['text']."
            )
        X = X.iloc[:, 0]
    if isinstance(X, pd.Series):
        return X.tolist()
    if isinstance(X, np.ndarray):
        if X.ndim == 0:
            raise TypeError(f"Expected {expected} for {input_name}; got a 0-d array.")
        if X.ndim > 2:
            raise ValueError(f"Expected {expected} for {input_name}; got a {X.ndim}-d array.")
        if X.dtype.kind in "fcbmMV":
            raise ValueError(
                f"Expected {expected} for {input_name}; got a {X.ndim}-d array of "
                f"{X.dtype}. Numeric features are not text; use a tabular estimator."
            )
        if X.ndim == 2 and X.dtype.kind in "USO":
            _check_token_table(X, input_name)
        return list(X)
    if hasattr(X, "__iter__"):
        return list(X)
    raise TypeError(f"Expected {expected} for {input_name}; got {type(X).__name__}.")


#: Cells of a 2-d array of strings that :func:`_check_token_table` looks at.
TOKEN_TABLE_PROBE = 1000


def _check_token_table(X, input_name):
    """Refuse a 2-d array of strings that is a table of texts rather than of tokens.

    A 2-d array is read row by row, each row a token sequence. A table whose cells hold
    whitespace (``df[["title", "body"]].to_numpy()``) or that has a single column
    (``df[["text"]].to_numpy()``, object dtype included) holds raw texts: read row by row,
    each text would become one token. Refuse rather than guess.
    """
    # The first cells tell: a table of texts has whitespace throughout.
    strings = [cell for cell in X.ravel()[:TOKEN_TABLE_PROBE] if isinstance(cell, str)]
    if not strings:
        return  # not strings (token ids in an object array, lists...): the usual checks
    if X.shape[1] == 1:
        raise ValueError(
            f"Got a 2-d array of strings with one column for {input_name}. Pass a 1-d "
            f"array of raw texts ({input_name}.ravel()), or a list of token lists."
        )
    spaced = next((cell for cell in strings if any(char.isspace() for char in cell)), None)
    if spaced is not None:
        raise ValueError(
            f"Got a 2-d array of strings for {input_name} whose cells hold whitespace (e.g. "
            f"{_preview(str(spaced))}): a 2-d array is read row by row as token lists, so each "
            "cell would be one token. Pass a 1-d array of raw texts (join the columns, e.g. "
            f"[' '.join(row) for row in {input_name}]), or a list of token lists."
        )


def _document_kind(doc):
    """Return the kind of one document, None for an empty sequence, and raise otherwise."""
    if isinstance(doc, str):
        return TEXT
    if isinstance(doc, np.ndarray):
        if doc.ndim != 1:
            return "invalid"
        if doc.size == 0:
            return None
        if doc.dtype.kind in "iu":
            return IDS
        if doc.dtype.kind == "U":
            return TOKENS
        doc = doc.tolist()
    if isinstance(doc, (list, tuple)):
        if len(doc) == 0:
            return None
        if all(isinstance(token, str) for token in doc):
            return TOKENS
        if all(_is_int(token) for token in doc):
            return IDS
    return "invalid"


def _normalise(doc, kind):
    if kind == TEXT:
        # An empty sequence among texts is an empty document, not the text "[]".
        return doc if isinstance(doc, str) else ""
    if kind == TOKENS:
        return [str(token) for token in doc]
    return [int(token) for token in doc]


def check_sequence_input(
    X, *, input_name: str = "X", kinds: tuple[str, ...] = KINDS
) -> tuple[list, str]:
    """Check that ``X`` holds sequence documents and tell which kind.

    Parameters
    ----------
    X : iterable
        A list, tuple, 1-d NumPy array, pandas Series or one-column DataFrame of documents.
        All documents must be of one kind: ``str`` (raw text); sequences of ``str`` (tokens);
        or sequences of ``int`` (token ids). A 2-d array is read row by row, each row being a
        token or id sequence. ``X`` is not modified.
    input_name : str, default="X"
        The name used in error messages.
    kinds : tuple of {"text", "tokens", "ids"}, default=("text", "tokens", "ids")
        The kinds of document the caller accepts; another kind raises a ``ValueError``.

    Returns
    -------
    documents : list
        One entry per document: a ``str`` for raw text, a ``list`` of ``str`` for tokens, a
        ``list`` of ``int`` for ids.
    kind : {"text", "tokens", "ids"}
        The kind of input. A corpus whose documents are all empty sequences is ``"tokens"``.

    Raises
    ------
    TypeError
        If ``X`` is not a corpus: a single string, a mapping, a set, a sparse matrix or
        something not iterable (see :func:`check_corpus_container`).
    ValueError
        If ``X`` is empty, numeric (e.g. a 2-d float array), mixes kinds of documents, holds
        a document that is none of the three kinds (``None``, a number, ``NaN``) or holds
        documents of a kind not in ``kinds``.

    Examples
    --------
    >>> from sknn.text._input import check_sequence_input
    >>> check_sequence_input(["a film", "a book"])
    (['a film', 'a book'], 'text')
    >>> check_sequence_input([[3, 4], [5]])
    ([[3, 4], [5]], 'ids')
    """
    documents = _as_documents(X, input_name, kinds)
    if len(documents) == 0:
        # scikit-learn's words, which the sequence estimators also give for empty numeric input.
        raise ValueError(f"Found {input_name} with 0 sample(s) while a minimum of 1 is required.")
    expected = _expected(kinds)
    found = set()
    for index, doc in enumerate(documents):
        kind = _document_kind(doc)
        if kind == "invalid":
            raise ValueError(
                f"Expected {expected} for {input_name}; document {index} is "
                f"{type(doc).__name__} {_preview(doc)}."
            )
        if kind is not None:
            found.add(kind)
    if len(found) > 1:
        raise ValueError(
            f"All documents in {input_name} must be of one kind; found a mix of "
            f"{' and '.join(sorted(found))}."
        )
    kind = found.pop() if found else TOKENS
    if kind not in kinds:
        raise ValueError(
            f"Expected {expected} for {input_name}; got documents that are each "
            f"{_DESCRIPTIONS[kind]}."
        )
    return [_normalise(doc, kind) for doc in documents], kind


def looks_like_text(X) -> bool:
    """Whether ``X`` holds raw texts or string tokens rather than numeric sequences.

    For the estimators that take both (the sequence estimators with ``input_kind='auto'``):
    ``X`` is text when its first non-empty, non-missing document is a string or holds a
    string, then :func:`check_sequence_input` checks every document (and names a missing
    one). Integer sequences are numbers here;
    those estimators read them as token ids only when told to.

    Parameters
    ----------
    X : object
        What the user passed, after :func:`check_corpus_container`.

    Returns
    -------
    bool

    Examples
    --------
    >>> from sknn.text._input import looks_like_text
    >>> looks_like_text(["a film", "a book"]), looks_like_text([["a", "film"]])
    (True, True)
    >>> looks_like_text([[0.5, 1.0], [2.0]]), looks_like_text([[3, 4], [5]])
    (False, False)
    >>> looks_like_text([None, "a film"])
    True
    """
    if sp.issparse(X):
        return False
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            return False
        X = X.iloc[:, 0]
    if isinstance(X, pd.Series):
        X = X.to_numpy()
    if isinstance(X, np.ndarray):
        if X.dtype.kind in "US":
            return True
        if X.dtype != object:
            return False
    if not hasattr(X, "__iter__"):
        return False
    for doc in X:
        if isinstance(doc, (str, bytes)):
            return True  # bytes: text the checks of every document refuse by name
        if doc is None or doc is pd.NA or (isinstance(doc, float) and doc != doc):
            continue  # a missing document: the checks of every document name it
        if isinstance(doc, np.ndarray):
            if doc.dtype.kind in "US":
                return True
            doc = doc.tolist() if doc.ndim == 1 and doc.dtype == object else doc
        if isinstance(doc, (list, tuple)):
            if len(doc) == 0:
                continue
            return any(isinstance(token, str) for token in doc)
        if np.ndim(doc) != 1 or np.size(doc) > 0:
            return False
    return False


def _preview(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
