"""Turn texts, token lists or id sequences into padded arrays of vocabulary ids."""

import contextlib
import hashlib
import warnings
from collections.abc import Callable

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from sknn._constraints import Count
from sknn.persistence import SaveMixin
from sknn.text._input import _stacklevel_outside_sknn, check_sequence_input
from sknn.text._tokenize import tokenize_documents
from sknn.text._vocabulary import count_vocabulary

PAD_ID = 0
OOV_ID = 1
CLS_ID = 2
PAD_TOKEN = "[PAD]"
CLS_TOKEN = "[CLS]"
N_SPECIAL = 3


class TextVectorizer(SaveMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Map documents to padded sequences of integer vocabulary ids.

    The front end of the sequence estimators: it learns a vocabulary in :meth:`fit` and turns
    each document into a row of ids in :meth:`transform`, padded with 0. Ids 0, 1 and 2 are
    reserved for the padding, out-of-vocabulary (OOV) and ``[CLS]`` tokens; learned tokens
    get ids from 3 on, the most frequent first. ``[CLS]`` is never emitted by
    :meth:`transform`: its id is reserved so that a transformer can prepend it.

    Parameters
    ----------
    tokenizer : callable or None, default=None
        A function ``str -> list of str`` splitting a raw text into tokens. None uses
        :func:`sknn.text.word_tokenize`. Ignored for pre-tokenized and id input. A lambda
        works but makes the vectorizer unpicklable; use a module-level function.
    lowercase : bool, default=True
        Lower-case raw texts before tokenizing them (so a custom ``tokenizer`` receives
        lower-cased text), and pre-tokenized string tokens before looking them up. The
        same rule, and the same parameter, in every text-aware sknn estimator.
    max_vocab : int or None, default=None
        Keep only the ``max_vocab`` most frequent tokens (the special tokens come on top).
        Ties in frequency are broken by the token's sort order (string order for tokens,
        numeric order for ids), so the vocabulary does not depend on document order.
        None keeps every token seen at least ``min_freq`` times.
    min_freq : int, default=1
        Drop tokens seen fewer than ``min_freq`` times in the training corpus; they map to
        the OOV id.
    max_len : int or None, default=None
        The longest sequence :meth:`transform` returns; longer documents are truncated.
        None never truncates.
    padding : {"longest", "max_len"}, default="longest"
        ``"longest"`` pads every row to the longest document of the batch (at most
        ``max_len``); ``"max_len"`` pads every row to exactly ``max_len``, which must then
        be set, so that every batch has the same width.
    truncation_side : {"right", "left"}, default="right"
        Which end of a document too long for ``max_len`` is cut: ``"right"`` keeps its
        beginning, ``"left"`` its end.
    oov_token : str, default="[UNK]"
        The token that :meth:`inverse_transform` writes for the OOV id.

    Attributes
    ----------
    vocabulary_ : dict
        Token to id, the three special tokens (``"[PAD]"``, ``oov_token``, ``"[CLS]"``)
        included. For id input the keys are the original integer ids.
    n_vocab_ : int
        ``len(vocabulary_)``: the size that an embedding table for these ids needs.
    input_kind_ : {"text", "tokens", "ids"}
        The kind of input seen in :meth:`fit`; :meth:`transform` requires the same.

    See Also
    --------
    sknn.text.word_tokenize : The default tokenizer.
    sklearn.feature_extraction.text.CountVectorizer : Bag-of-words counts instead of sequences.

    Notes
    -----
    **Input kinds.** ``X`` may hold raw texts (``str``), pre-tokenized documents (sequences
    of ``str``) or sequences of integer ids; see :func:`sknn.text.check_sequence_input`,
    which raises a ``TypeError`` for a single string, a dict or a set and a ``ValueError``
    for bad documents, as in every text-aware estimator. ``X`` is never modified. Integer
    ids are treated as opaque tokens: the vocabulary is the set of ids seen in :meth:`fit`,
    remapped to ids from 3 on (most frequent first) so that 0, 1 and 2 stay reserved.
    ``max_vocab`` and ``min_freq`` apply to them as to words, and
    :meth:`inverse_transform` gives back the original ids.

    **Reserved spellings.** A token of the input spelled exactly like a special token
    (``"[PAD]"``, ``"[CLS]"`` or ``oov_token``, after ``lowercase``) is never learned and
    maps to the OOV id, at :meth:`fit` and :meth:`transform` alike: it never takes the
    padding or ``[CLS]`` id. With ``lowercase=True`` a ``"[CLS]"`` becomes ``"[cls]"``,
    an ordinary token. The default tokenizer splits a ``"[CLS]"`` of raw text into
    ``"["``, ``"CLS"`` and ``"]"`` anyway.

    **Empty documents.** A document with no tokens (``""``, ``"   "``, ``[]``) becomes the
    single OOV id, never an all-padding row: attention over a row whose keys are all masked
    is undefined (a softmax over nothing gives NaN). Every row therefore holds at least one
    non-zero id, and the length of row ``i`` is ``np.count_nonzero(ids[i])``; see
    :meth:`transform_with_lengths`.

    **Feature names.** The columns of :meth:`transform` are positions, not tokens (unlike
    ``CountVectorizer``'s). With ``padding="max_len"`` :meth:`get_feature_names_out` names
    them ``textvectorizer0`` to ``textvectorizer{max_len - 1}``, so that a
    ``ColumnTransformer`` lines its names up with its columns; with ``padding="longest"``
    their number changes from batch to batch and it raises an ``AttributeError``. The
    tokens are in ``vocabulary_``.

    **Output container.** The ids stay a NumPy array whatever the output configuration:
    :meth:`set_output` (which ``Pipeline.set_output`` and ``ColumnTransformer.set_output``
    call on each step) is accepted and ignored, as is ``set_config(transform_output=...)``.
    The columns are positions in the documents, not features, and the sequence estimators
    read the array of ids. A ``ColumnTransformer`` set to pandas output still names the
    columns of ``padding="max_len"`` ids ``textvectorizer0``, ... in its DataFrame.

    **Padding in the input.** Every id of an id document, and every cell of a 2-d array,
    is a token: no id is taken for padding. A 2-d array of tokens with empty cells is
    refused, and a 2-d array of ids that looks padded (one id filling the end or the
    beginning of most rows, and nowhere else) warns. Pass ragged lists instead, e.g.
    ``[row[row != 0] for row in X]``.

    Examples
    --------
    >>> from sknn.text import TextVectorizer
    >>> vec = TextVectorizer().fit(["a good film", "a bad film", "a film"])
    >>> vec.vocabulary_
    {'[PAD]': 0, '[UNK]': 1, '[CLS]': 2, 'a': 3, 'film': 4, 'bad': 5, 'good': 6}
    >>> vec.transform(["A good book", ""])
    array([[3, 6, 1],
           [1, 0, 0]])
    >>> vec.inverse_transform([[3, 6, 1]])
    [['a', 'good', '[UNK]']]
    """

    _parameter_constraints: dict = {
        "tokenizer": [callable, None],
        "lowercase": ["boolean"],
        "max_vocab": [Count(1, None, closed="left"), None],
        "min_freq": [Count(1, None, closed="left")],
        "max_len": [Count(1, None, closed="left"), None],
        "padding": [StrOptions({"longest", "max_len"})],
        "truncation_side": [StrOptions({"right", "left"})],
        "oov_token": [str],
    }

    def __init__(
        self,
        *,
        tokenizer: Callable[[str], list[str]] | None = None,
        lowercase: bool = True,
        max_vocab: int | None = None,
        min_freq: int = 1,
        max_len: int | None = None,
        padding: str = "longest",
        truncation_side: str = "right",
        oov_token: str = "[UNK]",
    ):
        self.tokenizer = tokenizer
        self.lowercase = lowercase
        self.max_vocab = max_vocab
        self.min_freq = min_freq
        self.max_len = max_len
        self.padding = padding
        self.truncation_side = truncation_side
        self.oov_token = oov_token

    def fit(self, X, y=None):
        """Learn the vocabulary from a corpus.

        Parameters
        ----------
        X : iterable of str, of sequences of str, or of sequences of int
            The training documents.
        y : None
            Ignored.

        Returns
        -------
        self : TextVectorizer
            The fitted vectorizer.
        """
        self._fit_tokens(X)
        return self

    def fit_transform(self, X, y=None) -> np.ndarray:
        """Learn the vocabulary and return the padded ids of ``X``, tokenizing once.

        Parameters
        ----------
        X : iterable of str, of sequences of str, or of sequences of int
            The training documents.
        y : None
            Ignored.

        Returns
        -------
        ids : ndarray of shape (n_documents, length), dtype=int64
            See :meth:`transform`.
        """
        return self._pad(self._lookup(self._fit_tokens(X)))

    def transform(self, X) -> np.ndarray:
        """Turn documents into a padded array of ids.

        Parameters
        ----------
        X : iterable of str, of sequences of str, or of sequences of int
            Documents of the kind seen in :meth:`fit`. Unknown tokens map to the OOV id 1.

        Returns
        -------
        ids : ndarray of shape (n_documents, length), dtype=int64
            Row ``i`` holds the ids of document ``i``, truncated to ``max_len`` and followed
            by zeros. ``length`` is the longest document's (at most ``max_len``) with
            ``padding="longest"``, and ``max_len`` with ``padding="max_len"``.
        """
        return self.transform_with_lengths(X)[0]

    def transform_with_lengths(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Turn documents into padded ids and also return each row's unpadded length.

        Parameters
        ----------
        X : iterable of str, of sequences of str, or of sequences of int
            Documents of the kind seen in :meth:`fit`.

        Returns
        -------
        ids : ndarray of shape (n_documents, length), dtype=int64
            As returned by :meth:`transform`.
        lengths : ndarray of shape (n_documents,), dtype=int64
            The number of non-padding ids in each row, at least 1.
        """
        check_is_fitted(self)
        sequences = self._lookup(self._tokenize_fitted(X))
        ids = self._pad(sequences)
        return ids, np.count_nonzero(ids, axis=1).astype(np.int64)

    def inverse_transform(self, X) -> list[list]:
        """Turn ids back into tokens, dropping the padding.

        Parameters
        ----------
        X : array-like of shape (n_documents, length) or list of sequences of int
            Ids as returned by :meth:`transform`.

        Returns
        -------
        documents : list of list
            The tokens of each row (original ids for id input); the OOV id gives
            ``oov_token`` and the ``[CLS]`` id ``"[CLS]"``.
        """
        check_is_fitted(self)
        tokens = self._id_to_token
        documents = []
        for row in X:
            row = np.asarray(row)
            if row.ndim != 1 or (row.size and row.dtype.kind not in "iu"):
                raise ValueError(
                    "inverse_transform expects rows of integer ids; got "
                    f"{row.ndim}-d rows of {row.dtype}."
                )
            if row.size and (row.min() < 0 or row.max() >= len(tokens)):
                raise ValueError(
                    f"Ids must lie in [0, {len(tokens) - 1}] (the vocabulary size is "
                    f"{len(tokens)}); got ids from {row.min()} to {row.max()}."
                )
            documents.append([tokens[i] for i in row.tolist() if i != PAD_ID])
        return documents

    def get_feature_names_out(self, input_features=None):
        """Names of the columns of :meth:`transform`: its positions.

        Only with ``padding="max_len"``: with ``padding="longest"`` the number of columns
        changes from batch to batch, and an ``AttributeError`` says so (as
        ``ColumnTransformer`` expects of a transformer without feature names). The tokens
        are in ``vocabulary_``.

        Parameters
        ----------
        input_features : None
            Ignored; present for API consistency.

        Returns
        -------
        feature_names_out : ndarray of str objects of shape (max_len,)
            ``"textvectorizer0"`` to ``f"textvectorizer{max_len - 1}"``, as scikit-learn
            names the columns of a transformer that makes new features.
        """
        check_is_fitted(self)
        if self.padding != "max_len":
            raise AttributeError(
                "get_feature_names_out needs padding='max_len': with "
                f"padding={self.padding!r} the number of columns of transform changes from "
                "batch to batch, so they have no fixed names. Set padding='max_len' and "
                "max_len for fixed columns; the tokens are in vocabulary_."
            )
        self._check_padding()
        prefix = type(self).__name__.lower()
        return np.asarray([f"{prefix}{i}" for i in range(self.max_len)], dtype=object)

    def set_output(self, *, transform=None):
        """Accept a :class:`~sklearn.pipeline.Pipeline`'s output configuration, and
        ignore it: the output stays a NumPy array of ids, whose columns are positions in
        the documents rather than features (with ``padding="longest"`` their number
        changes from batch to batch). It exists so that ``Pipeline.set_output`` and
        ``ColumnTransformer.set_output`` configure the steps around this one.

        Parameters
        ----------
        transform : {'default', 'pandas', 'polars'} or None, default=None
            Ignored.

        Returns
        -------
        self : TextVectorizer
        """
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags

    def _fit_transform_checked(self, documents, kind):
        """:meth:`fit_transform` of what :func:`check_sequence_input` returned for ``X``.

        For an estimator that checks ``X`` itself first: checking it again would repeat
        its warnings.
        """
        return self._pad(self._lookup(self._fit_tokens(None, checked=(documents, kind))))

    def _transform_checked(self, documents, kind):
        """:meth:`transform` of what :func:`check_sequence_input` returned for ``X``."""
        check_is_fitted(self)
        return self._pad(self._lookup(self._tokenize_fitted(None, checked=(documents, kind))))

    @_fit_context(prefer_skip_nested_validation=True)
    def _fit_tokens(self, X, checked=None):
        self._check_padding()
        if self.oov_token in (PAD_TOKEN, CLS_TOKEN):
            raise ValueError(
                f"oov_token must differ from {PAD_TOKEN!r} and {CLS_TOKEN!r}; "
                f"got {self.oov_token!r}."
            )
        documents, kind = self._tokenize(X, checked)
        vocabulary = count_vocabulary(
            documents,
            min_count=self.min_freq,
            max_size=self.max_vocab,
            exclude={PAD_TOKEN, self.oov_token, CLS_TOKEN},
            min_count_name="min_freq",
        )
        self.input_kind_ = kind
        self._id_to_token = [PAD_TOKEN, self.oov_token, CLS_TOKEN] + vocabulary.tokens
        self.vocabulary_ = {token: i for i, token in enumerate(self._id_to_token)}
        self.n_vocab_ = len(self.vocabulary_)
        return documents

    def _vocabulary_digest(self):
        """A hash of the fitted vocabulary, its tokens in id order: what a checkpoint of a
        text model records, so that a fit resuming from it on another vocabulary (whose
        ids name other tokens) is refused."""
        check_is_fitted(self)
        text = "\n".join(repr(token) for token in self._id_to_token)
        return hashlib.blake2b(
            text.encode("utf-8", "backslashreplace"), digest_size=16
        ).hexdigest()

    def _tokenize(self, X, checked=None):
        documents, kind = check_sequence_input(X) if checked is None else checked
        tokens = tokenize_documents(
            documents, kind, tokenizer=self.tokenizer, lowercase=self.lowercase
        )
        return tokens, kind

    @contextlib.contextmanager
    def errors_named_for(self, owner):
        """Within the block, this vectorizer's error for input of another kind than its
        fit's names ``owner`` (the estimator that built it, which the user fitted)."""
        try:
            yield
        except _OtherInputKind as error:
            forms = {"text": "raw texts", "tokens": "lists of tokens"}
            fitted, given = (
                forms.get(kind, f"{kind} input") for kind in (error.fitted, error.given)
            )
            raise ValueError(
                f"{owner} was fitted on {fitted} but X holds {given}: pass X in the form "
                "of the fit."
            ) from None

    def _tokenize_fitted(self, X, checked=None):
        tokens, kind = self._tokenize(X, checked)
        if kind != self.input_kind_ and any(tokens):
            raise _OtherInputKind(
                f"{type(self).__name__} was fitted on {self.input_kind_} input but "
                f"transform got {kind} input.",
                self.input_kind_,
                kind,
            )
        return tokens

    def _lookup(self, documents):
        vocabulary = self.vocabulary_
        # A token of the input spelled like a reserved one ("[PAD]", "[CLS]", oov_token)
        # was not counted at fit and must not take its id here: a "[PAD]" would become
        # padding mid-row, a "[CLS]" the transformer's pooling token. It is unknown.
        sequences = []
        for doc in documents:
            ids = [vocabulary.get(token, OOV_ID) for token in doc]
            sequences.append([i if i >= N_SPECIAL else OOV_ID for i in ids] or [OOV_ID])
        return sequences

    def _check_padding(self):
        # Checked at transform too: like CountVectorizer, transform reads the parameters
        # as they are now (set_params after fit).
        if self.padding == "max_len" and self.max_len is None:
            raise ValueError("padding='max_len' needs max_len to be set; got max_len=None.")

    def _pad(self, sequences):
        self._check_padding()
        max_len = self.max_len
        if self.padding == "max_len":
            width = max_len
        else:
            width = max(len(seq) for seq in sequences)
            if max_len is not None:
                width = min(width, max_len)
        ids = np.zeros((len(sequences), width), dtype=np.int64)
        for row, seq in enumerate(sequences):
            if len(seq) > width:
                seq = seq[:width] if self.truncation_side == "right" else seq[-width:]
            ids[row, : len(seq)] = seq
        return ids


#: The share of a continued fit's token positions that may be the OOV id before it warns.
MOSTLY_UNKNOWN = 0.5


def warn_if_mostly_unknown(ids, vectorizer, owner):
    """Warn when most tokens of a continued fit's documents are outside the vocabulary.

    ``partial_fit`` and a warm-started ``fit`` keep the vocabulary of the first fit (the
    network's embedding is sized by it), so in a stream whose later batches bring new
    words those words all train as the OOV token, which nothing else would tell.

    Parameters
    ----------
    ids : ndarray of shape (n_documents, length)
        The batch as :meth:`TextVectorizer.transform` returned it.
    vectorizer : TextVectorizer
        The fitted vectorizer, for its ``oov_token``.
    owner : str
        The estimator's name, for the message.
    """
    n_tokens = np.count_nonzero(ids)
    n_unknown = np.count_nonzero(ids == OOV_ID)
    if not n_tokens or n_unknown <= MOSTLY_UNKNOWN * n_tokens:
        return
    warnings.warn(
        f"{n_unknown / n_tokens:.0%} of the tokens given to this partial_fit (or "
        f"warm-started fit) of {owner} are outside its vocabulary, and train as the "
        f"unknown token {vectorizer.oov_token!r}: the vocabulary is the first fit's, and "
        "later calls keep it. Give the first call documents that cover the whole "
        "corpus's vocabulary (a large sample of it), or fit on all the documents at once.",
        UserWarning,
        stacklevel=_stacklevel_outside_sknn(),
    )


class _OtherInputKind(ValueError):
    """Input of another kind (text, tokens) than the fit's; its fields name both."""

    def __init__(self, message, fitted, given):
        super().__init__(message)
        self.fitted, self.given = fitted, given
