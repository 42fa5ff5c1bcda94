"""The one vocabulary builder: token counts, ``min_count``, the size cap and the order.

Shared by :class:`sknn.text.TextVectorizer` (and so the transformer and the sequence
estimators) and :class:`sknn.word2vec.Word2Vec`, so that the same corpus and settings give
the same words in the same order everywhere.
"""

from collections import Counter
from typing import NamedTuple

import numpy as np


class CountedVocabulary(NamedTuple):
    """The tokens kept from a corpus, most frequent first.

    Attributes
    ----------
    tokens : list
        The kept tokens. Ties in count are broken by the tokens' sort order (string order
        for words, numeric order for ids), so the result depends neither on the order of
        the documents nor on the hash seed.
    counts : ndarray of shape (n_tokens,), dtype int64
        How often each kept token occurs in the corpus.
    document_counts : ndarray of shape (n_tokens,), dtype int64
        In how many documents each kept token occurs.
    n_documents : int
        The number of documents counted.
    """

    tokens: list
    counts: np.ndarray
    document_counts: np.ndarray
    n_documents: int


def count_vocabulary(
    documents, *, min_count=1, max_size=None, exclude=(), min_count_name="min_count"
) -> CountedVocabulary:
    """Count the tokens of a tokenized corpus and keep the frequent ones.

    Parameters
    ----------
    documents : list of list
        The tokenized corpus: tokens are ``str`` or ``int``, one kind throughout.
    min_count : int, default=1
        Tokens seen fewer times are dropped.
    max_size : int or None, default=None
        Keep at most this many tokens, the most frequent. The full counts are taken first,
        so the result does not depend on the order of the documents (unlike gensim, which
        prunes while it scans).
    exclude : collection, default=()
        Tokens never kept (a vectorizer's reserved tokens).
    min_count_name : str, default="min_count"
        How the caller names ``min_count``, for the error message.

    Returns
    -------
    CountedVocabulary

    Raises
    ------
    ValueError
        If no token is kept: the documents hold no token, or none occurs ``min_count``
        times.

    Examples
    --------
    >>> from sknn.text._vocabulary import count_vocabulary
    >>> vocabulary = count_vocabulary([["b", "a", "b"], ["a", "c", "b"]], min_count=2)
    >>> vocabulary.tokens, vocabulary.counts.tolist(), vocabulary.document_counts.tolist()
    (['b', 'a'], [3, 2], [2, 2])
    """
    counts = Counter()
    document_counts = Counter()
    for tokens in documents:
        counts.update(tokens)
        document_counts.update(set(tokens))
    if exclude:
        for token in exclude:
            counts.pop(token, None)
    kept = sorted(
        (item for item in counts.items() if item[1] >= min_count),
        key=lambda item: (-item[1], item[0]),
    )
    if max_size is not None:
        kept = kept[:max_size]
    if not kept:
        if not counts:
            raise ValueError(
                "Empty vocabulary: the documents hold no token (they are all empty, or "
                "hold only reserved tokens)."
            )
        raise ValueError(
            f"Empty vocabulary: no token occurs at least {min_count_name}={min_count} "
            f"times (the most frequent occurs {max(counts.values())} times). Lower "
            f"{min_count_name} or provide more text."
        )
    tokens = [token for token, _ in kept]
    return CountedVocabulary(
        tokens,
        np.array([count for _, count in kept], dtype=np.int64),
        np.array([document_counts[token] for token in tokens], dtype=np.int64),
        len(documents),
    )
