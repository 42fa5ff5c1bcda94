"""The one front door for text and sequence input.

The text-aware estimators accept three kinds of ``X``: raw texts, pre-tokenized token lists,
and sequences of integer ids. They all call :func:`check_sequence_input` so that every one of
them accepts the same containers and fails with the same exception and message:
:class:`TypeError` for a container that is not a corpus (a bare string, a dict, a set, a
sparse matrix, a scalar), :class:`ValueError` for documents of the wrong kind. The sequence
estimators, which also take numeric sequences, decide between the two readings with
:func:`looks_like_text` after :func:`check_corpus_container`.
"""

import warnings
from collections.abc import Mapping, Set
from numbers import Integral

import numpy as np
import pandas as pd
import scipy.sparse as sp

from sknn._stacklevel import stacklevel_outside_sknn as _stacklevel_outside_sknn

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
    if _is_foreign_array(X):
        # A torch tensor (a tokenizer's return_tensors="pt"), a JAX or CuPy array: read as
        # the NumPy array it converts to, as scikit-learn reads array-likes.
        X = _converted_array(X, input_name)
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
    """Refuse a 2-d array of strings that is a table of texts rather than of tokens, or
    a table of tokens padded with empty strings.

    A 2-d array is read row by row, each row a token sequence. A table whose cells hold
    whitespace (``df[["title", "body"]].to_numpy()``) or that has a single column
    (``df[["text"]].to_numpy()``, object dtype included) holds raw texts: read row by row,
    each text would become one token. Refuse rather than guess. A table whose short rows
    are padded with ``""`` (or blanks) would have its padding learned as a word and
    counted in every row's length, which defeats the models' padding masks, as ``None``
    padding would if it were not refused by the check of each document.
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
    spaced = next(
        (cell for cell in strings if cell.strip() and any(char.isspace() for char in cell)),
        None,
    )
    if spaced is not None:
        raise ValueError(
            f"Got a 2-d array of strings for {input_name} whose cells hold whitespace (e.g. "
            f"{_preview(str(spaced))}): a 2-d array is read row by row as token lists, so each "
            "cell would be one token. Pass a 1-d array of raw texts (join the columns, e.g. "
            f"[' '.join(row) for row in {input_name}]), or a list of token lists."
        )
    # Every cell, not a probe: padding sits in the short rows, wherever they are. Reading
    # the table costs a pass over its cells anyway.
    if X.dtype.kind == "U":
        blank = np.char.str_len(np.char.strip(X)) == 0
    else:
        blank = np.array(
            [isinstance(cell, str) and not cell.strip() for cell in X.ravel()], dtype=bool
        ).reshape(X.shape)
    if blank.any():
        row, column = np.argwhere(blank)[0]
        raise ValueError(
            f"Got a 2-d array of tokens for {input_name} with {int(blank.sum())} empty or "
            f"whitespace-only cell(s) (e.g. row {row}, column {column}: "
            f"{_preview(str(X[row, column]))}). A 2-d array is read row by row and every "
            "cell is a token, so padding with '' would be learned as a word and count in "
            "each row's length. Pass a list of token lists without the padding, e.g. "
            f"[[token for token in row if token.strip()] for row in {input_name}]."
        )


def _is_foreign_array(value):
    """Whether ``value`` is an array of another library (a torch tensor, a JAX or CuPy
    array) that NumPy can convert: it has ``__array__`` but is not NumPy's or pandas'."""
    # The common documents first: this runs once per document.
    return not isinstance(
        value, (str, list, tuple, np.ndarray, np.generic, pd.Series, pd.DataFrame, pd.Index)
    ) and hasattr(value, "__array__")


def _converted_array(value, what):
    try:
        return np.asarray(value)
    except (TypeError, ValueError, RuntimeError) as error:
        # e.g. a CUDA tensor, which NumPy cannot read from the GPU
        raise TypeError(
            f"Could not convert {what}, a {type(value).__name__}, to a NumPy array "
            f"({error}). Convert it first, e.g. with .cpu().numpy() or .tolist()."
        ) from None


#: Rows of an id table that :func:`_warn_if_padded` looks at.
PADDING_PROBE_ROWS = 10_000


def padding_of(documents):
    """``(value, side, n_rows, n_looked_at)`` when equal-length id documents look padded
    with ``value`` at their ``side`` ('end' or 'begin') in ``n_rows`` of the first
    ``n_looked_at`` rows, else None.

    The signature looked for is one id that, in the rows holding it, only ever fills the
    end (or only the beginning) of the row, in at least half of the rows, with runs of
    two or more in at least a quarter of them. A real id repeated at the end of a few
    rows, or one that also occurs inside rows, does not count.
    """
    width = len(documents[0])
    if width < 2 or len(documents) < 2:
        return None
    regular = isinstance(documents, np.ndarray) and documents.ndim == 2
    if not regular and any(len(doc) != width for doc in documents):
        return None
    table = np.array(documents[:PADDING_PROBE_ROWS])  # object dtype for ids beyond int64
    for side, from_edge in (("end", table[:, ::-1]), ("begin", table)):
        values, counts = np.unique(from_edge[:, 0], return_counts=True)
        value = values[np.argmax(counts)]
        # Column j is the j-th cell from the edge: padding fills a prefix of each row.
        padding = from_edge == value
        if (~padding[:, :-1] & padding[:, 1:]).any():
            continue  # it also occurs inside a row: a real token
        runs = padding.sum(axis=1)
        if (runs >= 1).mean() < 0.5 or (runs >= 2).mean() < 0.25 or (runs == width).all():
            continue
        return int(value), side, int((runs >= 1).sum()), len(table)
    return None


def _warn_if_padded(documents, input_name, from_array):
    """Warn when equal-length id documents look padded (:func:`padding_of`), as Keras'
    ``pad_sequences`` or a Hugging Face tokenizer with ``padding=True`` pad them.

    sknn reads every id as a token: padding would be learned as a word, count in each
    document's length and so escape the models' padding masks, and the same document
    would be predicted differently with another padding width.
    """
    found = padding_of(documents)
    if found is None:
        return
    value, side, n_rows, n_looked_at = found
    example = (
        f"[row[row != {value}] for row in {input_name}]"
        if from_array
        else f"[[i for i in row if i != {value}] for row in {input_name}]"
    )
    looked_at = "" if n_looked_at == len(documents) else f" (of the first {n_looked_at})"
    warnings.warn(
        f"{input_name} looks padded with id {value}: {n_rows} of its "
        f"{n_looked_at} rows{looked_at} {side} with a run of it, and it occurs nowhere "
        "else. sknn reads every id as a token, so the padding would be learned as a "
        "word, count in each document's length and change predictions with the "
        "padding width. Pass a list of id lists without the padding instead, e.g. "
        f"{example}.",
        UserWarning,
        stacklevel=_stacklevel_outside_sknn(),
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
        or sequences of ``int`` (token ids). A 2-d array (or tensor) is read row by row,
        each row being a token or id sequence, every cell a token: a 2-d array of tokens
        with empty cells is refused, and one of ids that looks padded warns. Arrays of
        other libraries (a torch tensor, or a list of 1-d tensors) are read as the NumPy
        arrays they convert to. ``X`` is not modified.
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
        documents of a kind not in ``kinds``; if ``X`` is a 2-d array of tokens with empty
        or whitespace-only cells (padding).

    Warns
    -----
    UserWarning
        If the documents are ids of equal length that look padded: one id fills the end
        (or the beginning) of most rows and occurs nowhere else. The padding would be read
        as tokens; pass the documents without it.

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
        if _is_foreign_array(doc):
            # A list of 1-d tensors, as a tokenizer gives them one document at a time.
            documents[index] = doc = _converted_array(doc, f"document {index} of {input_name}")
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
    documents = [_normalise(doc, kind) for doc in documents]
    if kind == IDS:
        from_array = isinstance(X, np.ndarray) or _is_foreign_array(X)
        _warn_if_padded(documents, input_name, from_array)
    return documents, kind


def looks_like_text(X) -> bool:
    """Whether ``X`` holds raw texts or string tokens rather than numeric sequences.

    For the estimators that take both (the sequence estimators with ``input_kind='auto'``):
    the first of its documents that is a string or a non-empty sequence decides: ``X`` is
    text when that document is a string or holds one. :func:`check_sequence_input` then
    checks every document (and names a missing or numeric one). Missing documents and
    single numbers are skipped: a text column as ``read_excel`` gives it may hold a review
    that is the number 5. Integer sequences are numbers here; those estimators read them
    as token ids only when told to.

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
    >>> looks_like_text([None, "a film"]), looks_like_text([5, "a film"])
    (True, True)
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
        if np.ndim(doc) == 0:
            continue  # a number: a flat list of numbers, or a text column holding one
        # len, not np.size: a torch tensor's .size is a method, which np.size returns.
        if np.ndim(doc) != 1 or len(doc) > 0:
            return False
    return False


def _preview(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
