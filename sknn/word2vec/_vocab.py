"""The vocabulary: word counts, pruning, subsampling and the negative-sampling table.

Knows numpy, not torch and not scikit-learn, so it can be tested and reused on its own.
"""

from collections import Counter

import numpy as np


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
        """The unigram distribution raised to ``exponent``, from which negatives are drawn."""
        weights = self.counts.astype(np.float64) ** exponent
        return weights / weights.sum()

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
        Keep at most this many words, the most frequent ones. Unlike gensim, which prunes
        while it scans and so may lose words that were rare early in the corpus, the full
        counts are taken first: the result does not depend on the order of the documents.

    Returns
    -------
    Vocabulary
    """
    counts = Counter()
    document_counts = Counter()
    for tokens in documents:
        counts.update(tokens)
        document_counts.update(set(tokens))
    # Ties are broken alphabetically so that the vocabulary, hence the fit, is the same for
    # any hash seed.
    kept = sorted(
        (item for item in counts.items() if item[1] >= min_count),
        key=lambda item: (-item[1], item[0]),
    )
    if max_vocab_size is not None:
        kept = kept[:max_vocab_size]
    words = [word for word, _ in kept]
    return Vocabulary(
        words,
        [count for _, count in kept],
        n_documents=len(documents),
        document_frequency=[document_counts[word] for word in words],
    )
