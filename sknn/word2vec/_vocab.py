"""Word2vec's view of the vocabulary: subsampling and the negative-sampling distribution.

The words and their counts come from the shared builder,
:func:`sknn.text._vocabulary.count_vocabulary`. Knows numpy, not torch and not
scikit-learn, so it can be tested and reused on its own.
"""

import numpy as np

from ..text._vocabulary import count_vocabulary


class Vocabulary:
    """Words kept for training, sorted by decreasing count.

    Parameters
    ----------
    index_to_key : list of str
        The words, most frequent first.
    counts : ndarray of shape (n_words,)
        How often each word occurs in the training corpus.
    n_documents : int
        How many documents the counts were taken from.
    document_frequency : ndarray of shape (n_words,)
        In how many documents each word occurs, for TF-IDF weighting.
    """

    def __init__(self, index_to_key, counts, n_documents, document_frequency):
        self.index_to_key = list(index_to_key)
        self.key_to_index = {word: i for i, word in enumerate(self.index_to_key)}
        self.counts = np.asarray(counts, dtype=np.int64)
        self.n_documents = int(n_documents)
        self.document_frequency = np.asarray(document_frequency, dtype=np.int64)

    def __len__(self):
        return len(self.index_to_key)

    def encode(self, tokens):
        """Indices of the known words of one document, unknown words dropped."""
        lookup = self.key_to_index
        return [lookup[word] for word in tokens if word in lookup]

    def keep_probabilities(self, sample):
        """Probability of keeping each occurrence of a word under frequent-word subsampling.

        The formula is the one of the reference word2vec C code and gensim, not the one of
        the paper: a word is never dropped while its frequency is below ``sample``.
        """
        if sample <= 0:
            return np.ones(len(self), dtype=np.float64)
        threshold = sample * self.counts.sum()
        counts = self.counts.astype(np.float64)
        keep = (np.sqrt(counts / threshold) + 1.0) * (threshold / counts)
        return np.minimum(keep, 1.0)

    def noise_distribution(self, exponent=0.75):
        """The unigram distribution raised to ``exponent``, from which negatives are drawn.

        Any finite exponent gives a finite distribution. A large exponent sends all the
        negatives to the most frequent word(s), a large negative one to the rarest; 0 is
        uniform.
        """
        counts = self.counts.astype(np.float64)
        with np.errstate(over="ignore", under="ignore"):
            weights = counts**exponent
            total = weights.sum()
            if not (np.isfinite(total) and total > 0):
                # The powers overflow (or all underflow): divide the counts by the one whose
                # power is the largest first, so every weight lies in [0, 1] and that word's
                # is 1. Only then, so that the usual exponents keep their exact values.
                reference = counts.max() if exponent >= 0 else counts.min()
                weights = (counts / reference) ** exponent
                total = weights.sum()
        return weights / total

    def idf(self):
        """Smoothed inverse document frequency, as ``TfidfVectorizer(smooth_idf=True)``."""
        return np.log((1.0 + self.n_documents) / (1.0 + self.document_frequency)) + 1.0


def build_vocabulary(documents, min_count, max_vocab_size):
    """Count the words of ``documents`` and keep the frequent ones.

    Parameters
    ----------
    documents : list of list of str
        The tokenized corpus.
    min_count : int
        Words seen fewer times are dropped.
    max_vocab_size : int or None
        Keep at most this many words, the most frequent ones; see
        :func:`sknn.text._vocabulary.count_vocabulary` for the order.

    Returns
    -------
    Vocabulary

    Raises
    ------
    ValueError
        If no word is kept.
    """
    counted = count_vocabulary(documents, min_count=min_count, max_size=max_vocab_size)
    return Vocabulary(
        counted.tokens,
        counted.counts,
        n_documents=counted.n_documents,
        document_frequency=counted.document_counts,
    )
