"""Recognise what kind of sequence input an estimator was given.

The text-aware estimators accept three kinds of ``X``: raw texts, pre-tokenized token lists,
and sequences of integer ids. They all call :func:`check_sequence_input` so that every one of
them accepts the same containers and fails with the same message.
"""

from numbers import Integral

import numpy as np
import pandas as pd

TEXT = "text"
TOKENS = "tokens"
IDS = "ids"

_EXPECTED = (
    "an iterable of documents, each a str (raw text), a sequence of str (tokens) or a "
    "sequence of int (token ids)"
)


def _is_int(value):
    # bool is an Integral, but True/False as token ids is almost surely a mistake.
    return isinstance(value, Integral) and not isinstance(value, (bool, np.bool_))


def _as_documents(X, input_name):
    if isinstance(X, (str, bytes)):
        raise TypeError(
            f"Expected {_EXPECTED} for {input_name}; got a single {type(X).__name__}. "
            f"Wrap it in a list: {input_name}=[text]."
        )
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            raise ValueError(
                f"Expected {_EXPECTED} for {input_name}; got a DataFrame with "
                f"{X.shape[1]} columns. Select the text column, e.g. df['text']."
            )
        X = X.iloc[:, 0]
    if isinstance(X, pd.Series):
        return X.tolist()
    if isinstance(X, np.ndarray):
        if X.ndim == 0:
            raise TypeError(f"Expected {_EXPECTED} for {input_name}; got a 0-d array.")
        if X.ndim > 2:
            raise ValueError(f"Expected {_EXPECTED} for {input_name}; got a {X.ndim}-d array.")
        if X.dtype.kind in "fcbmMV":
            raise ValueError(
                f"Expected {_EXPECTED} for {input_name}; got a {X.ndim}-d array of "
                f"{X.dtype}. Numeric features are not text; use a tabular estimator."
            )
        if X.ndim == 2 and X.dtype.kind in "US" and X.shape[1] == 1:
            # A single column of strings is far more likely raw texts (X.values of a
            # one-column frame) than one-token documents: refuse rather than guess.
            raise ValueError(
                f"Got a 2-d array of strings with one column for {input_name}. Pass a 1-d "
                f"array of raw texts ({input_name}.ravel()), or a list of token lists."
            )
        return list(X)
    if hasattr(X, "__iter__") and not isinstance(X, dict):
        return list(X)
    raise TypeError(f"Expected {_EXPECTED} for {input_name}; got {type(X).__name__}.")


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
        return str(doc)
    if kind == TOKENS:
        return [str(token) for token in doc]
    return [int(token) for token in doc]


def check_sequence_input(X, *, input_name: str = "X") -> tuple[list, str]:
    """Check that ``X`` holds sequence documents and tell which kind.

    Parameters
    ----------
    X : iterable
        A list, tuple, 1-d NumPy array, pandas Series or one-column DataFrame of documents.
        All documents must be of one kind: ``str`` (raw text); sequences of ``str`` (tokens);
        or sequences of ``int`` (token ids). A 2-d array is read row by row, each row being a
        token or id sequence.
    input_name : str, default="X"
        The name used in error messages.

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
        If ``X`` is a single string or not iterable.
    ValueError
        If ``X`` is empty, numeric (e.g. a 2-d float array), or mixes kinds of documents.

    Examples
    --------
    >>> from sknn.text._input import check_sequence_input
    >>> check_sequence_input(["a film", "a book"])
    (['a film', 'a book'], 'text')
    >>> check_sequence_input([[3, 4], [5]])
    ([[3, 4], [5]], 'ids')
    """
    documents = _as_documents(X, input_name)
    if len(documents) == 0:
        raise ValueError(f"Found an empty {input_name}: at least one document is required.")
    kinds = set()
    for index, doc in enumerate(documents):
        kind = _document_kind(doc)
        if kind == "invalid":
            raise ValueError(
                f"Expected {_EXPECTED} for {input_name}; document {index} is "
                f"{type(doc).__name__} {_preview(doc)}."
            )
        if kind is not None:
            kinds.add(kind)
    if len(kinds) > 1:
        raise ValueError(
            f"All documents in {input_name} must be of one kind; found a mix of "
            f"{' and '.join(sorted(kinds))}."
        )
    kind = kinds.pop() if kinds else TOKENS
    return [_normalise(doc, kind) for doc in documents], kind


def _preview(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
