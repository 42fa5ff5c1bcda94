"""Trained word vectors and the gensim-style queries on them (no torch, no training)."""

from collections.abc import Iterable
from numbers import Integral, Real

import numpy as np
from scipy import stats

from ._formats import load_word2vec_format, save_word2vec_format


class WordVectors:
    """A read-only mapping from words to vectors, with gensim's ``KeyedVectors`` queries.

    Parameters
    ----------
    index_to_key : list of str
        The words, in row order, each once.
    vectors : array-like of shape (n_words, vector_size)
        Finite values, ``vector_size >= 1``.

    Attributes
    ----------
    index_to_key : list of str
    key_to_index : dict of str to int
    vectors : ndarray of shape (n_words, vector_size)

    Notes
    -----
    As in gensim, a word can also be named by its row: ``wv[0]`` is the vector of
    ``index_to_key[0]``, ``0 in wv`` is true and ``most_similar(0)`` gives its
    neighbours. A list of words gives a ``(n_keys, vector_size)`` array, ``(0,
    vector_size)`` for an empty list. A word that is absent, or a row out of range, raises
    a ``KeyError`` (which names the lower-case spelling when only that is in the
    vocabulary); a key that is neither a ``str`` nor an ``int`` a ``TypeError``.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn.word2vec import WordVectors
    >>> wv = WordVectors(["cat", "dog", "car"], np.array([[1, 0], [0.9, 0.1], [0, 1]]))
    >>> wv.most_similar("cat", topn=1)
    [('dog', 0.99...)]
    >>> wv["car"]
    array([0., 1.], dtype=float32)
    """

    def __init__(self, index_to_key, vectors):
        self.index_to_key = list(index_to_key)
        self.key_to_index = {key: i for i, key in enumerate(self.index_to_key)}
        self.vectors = np.asarray(vectors, dtype=np.float32)
        if self.vectors.ndim != 2 or len(self.vectors) != len(self.index_to_key):
            raise ValueError(
                f"vectors must have shape (n_words, vector_size) with n_words="
                f"{len(self.index_to_key)}; got shape {self.vectors.shape}."
            )
        if self.vectors.shape[1] == 0:
            raise ValueError("vectors must have at least one column; got vector_size=0.")
        if len(self.key_to_index) != len(self.index_to_key):
            seen = set()
            duplicate = next(k for k in self.index_to_key if k in seen or seen.add(k))
            raise ValueError(f"Each word must appear once; {duplicate!r} appears twice.")
        if not np.isfinite(self.vectors).all():
            row = int(np.flatnonzero(~np.isfinite(self.vectors).all(axis=1))[0])
            raise ValueError(
                f"vectors must be finite; the vector of {self.index_to_key[row]!r} holds "
                "NaN or infinite values."
            )

    @property
    def vector_size(self):
        return self.vectors.shape[1]

    def __len__(self):
        return len(self.index_to_key)

    def __contains__(self, key):
        if isinstance(key, str):
            return key in self.key_to_index
        return _is_row(key) and 0 <= key < len(self)

    def __getitem__(self, keys):
        """The vector of one word (or row index), or the stacked vectors of a list of them."""
        if isinstance(keys, str) or _is_row(keys):
            return self.get_vector(keys)
        if not isinstance(keys, Iterable) or isinstance(keys, bytes):
            raise TypeError(
                "Index word vectors with a word (str), a row index (int) or a list of "
                f"those; got {type(keys).__name__} {_preview(keys)}."
            )
        return self.vectors[[self._index(key) for key in keys]]

    def _index(self, key):
        """Row of ``key``: a word, or (as in gensim) an ``int`` row index."""
        if isinstance(key, str):
            try:
                return self.key_to_index[key]
            except KeyError:
                raise KeyError(
                    f"Word {key!r} is not in the vocabulary.{self._hint(key)}"
                ) from None
        if _is_row(key):
            if 0 <= key < len(self):
                return int(key)
            raise KeyError(
                f"Row index {key} is out of range: there are {len(self)} words, rows 0 to "
                f"{len(self) - 1}."
            )
        raise TypeError(
            f"A word must be a str (or an int row index, as in gensim); got "
            f"{type(key).__name__} {_preview(key)}."
        )

    def _hint(self, word):
        """A "did you mean" for a word missing only by its case: Word2Vec lower-cases the
        words it learns by default (``lowercase=True``), unlike gensim."""
        for spelled in (word.lower(), word.casefold()):
            if spelled != word and spelled in self.key_to_index:
                return (
                    f" Did you mean {spelled!r}? Word2Vec lower-cases the words it learns "
                    "with lowercase=True (the default); fit with lowercase=False to keep "
                    "the case."
                )
        return ""

    def get_vector(self, key, norm=False):
        """The vector of ``key``, scaled to unit length when ``norm`` is true."""
        vector = self.vectors[self._index(key)]
        return vector / max(np.linalg.norm(vector), 1e-12) if norm else vector.copy()

    def get_normed_vectors(self):
        """All vectors scaled to unit length, shape (n_words, vector_size)."""
        norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
        return self.vectors / np.maximum(norms, 1e-12)

    def similarity(self, w1, w2):
        """Cosine similarity of two words."""
        return float(np.dot(self.get_vector(w1, norm=True), self.get_vector(w2, norm=True)))

    def most_similar(self, positive=None, negative=None, topn=10):
        """Words closest, by cosine, to the mean of ``positive`` minus ``negative``.

        As in gensim, each word (or vector) enters as a unit vector, and the query words
        themselves are left out of the answer.

        Parameters
        ----------
        positive, negative : str, int, array-like or list of those, default=None
            Words, row indices (as in gensim) or vectors of ``vector_size`` values. A
            2-d array is a list of vectors.
        topn : int or None, default=10
            How many words to return. As in gensim, ``None`` returns the similarity of
            every word instead, query words included, and ``topn < 1`` an empty list.

        Returns
        -------
        list of (str, float), or ndarray of shape (n_words,) when ``topn`` is None

        Raises
        ------
        KeyError
            If a word is not in the vocabulary or a row index is out of range.
        TypeError
            If ``topn`` is neither an int nor None, or a query is neither a word, a row
            index nor a vector of numbers.
        ValueError
            If there is no query, or a vector does not have ``vector_size`` finite values.
        """
        if topn is not None and (not isinstance(topn, Integral) or isinstance(topn, bool)):
            raise TypeError(
                "topn must be an int, or None for the similarities of all words; got "
                f"{type(topn).__name__} {topn!r}."
            )
        positive = _as_list(positive, "positive")
        negative = _as_list(negative, "negative")
        if not positive and not negative:
            raise ValueError("most_similar needs at least one positive or negative word.")
        terms, exclude = [], set()
        for sign, items, name in ((1.0, positive, "positive"), (-1.0, negative, "negative")):
            for item in items:
                if isinstance(item, str) or _is_row(item):
                    row = self._index(item)
                    terms.append(sign * self.get_vector(row, norm=True))
                    exclude.add(row)
                else:
                    vector = self._query_vector(item, name)
                    terms.append(sign * vector / max(np.linalg.norm(vector), 1e-12))
        query = np.mean(terms, axis=0)
        query /= max(np.linalg.norm(query), 1e-12)
        similarities = self.get_normed_vectors() @ query
        if topn is None:
            return similarities
        if topn < 1:
            return []
        order = np.argsort(-similarities, kind="stable")
        best = [i for i in order[: topn + len(exclude)] if i not in exclude][:topn]
        return [(self.index_to_key[i], float(similarities[i])) for i in best]

    def _query_vector(self, item, name):
        """``item`` as a vector of ``vector_size`` finite float32 values, or a clear error."""
        if isinstance(item, Real):
            raise TypeError(
                f"{name} holds the number {item!r}, which is neither a word nor a vector. "
                f"Pass a vector as a 1-d array of {self.vector_size} values, or a list of "
                "such arrays."
            )
        try:
            vector = np.asarray(item, dtype=np.float32)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name} must hold words (str), row indices (int) or vectors of "
                f"{self.vector_size} numbers; got {type(item).__name__} {_preview(item)}."
            ) from None
        if vector.shape != (self.vector_size,):
            raise ValueError(
                f"A vector in {name} must have shape ({self.vector_size},), the "
                f"vector_size of these word vectors; got shape {vector.shape}."
            )
        if not np.isfinite(vector).all():
            raise ValueError(f"A vector in {name} holds NaN or infinite values.")
        return vector

    def _lookup(self, case_insensitive, restrict_vocab=None):
        """Key to row, lower-cased when asked; the most frequent spelling wins."""
        keys = self.index_to_key[:restrict_vocab]
        if not case_insensitive:
            return {key: i for i, key in enumerate(keys)}
        lookup = {}
        for i, key in enumerate(keys):
            lookup.setdefault(key.lower(), i)
        return lookup

    def evaluate_word_pairs(self, pairs, delimiter="\t", case_insensitive=True):
        """Correlate cosine similarities with human judgements (WordSim-353 format).

        Parameters
        ----------
        pairs : str or path-like
            A file of ``word1<delimiter>word2<delimiter>score`` lines; lines starting with
            ``#`` are comments.
        delimiter : str, default="\\t"
        case_insensitive : bool, default=True

        Returns
        -------
        pearson : scipy.stats.PearsonRResult
        spearman : scipy.stats.SignificanceResult
        oov_ratio : float
            Percentage of pairs skipped because a word is out of the vocabulary.
        """
        lookup = self._lookup(case_insensitive)
        normed = self.get_normed_vectors()
        human, model, n_oov, n_pairs = [], [], 0, 0
        with open(pairs, encoding="utf-8") as stream:
            for line in stream:
                if line.startswith("#") or not line.strip():
                    continue
                parts = line.rstrip("\n").split(delimiter)
                if len(parts) != 3:
                    raise ValueError(f"Malformed word-pair line: {line!r}.")
                w1, w2 = (w.lower() if case_insensitive else w for w in parts[:2])
                n_pairs += 1
                if w1 not in lookup or w2 not in lookup:
                    n_oov += 1
                    continue
                human.append(float(parts[2]))
                model.append(float(normed[lookup[w1]] @ normed[lookup[w2]]))
        if len(human) < 2:
            raise ValueError("Fewer than two word pairs are in the vocabulary.")
        oov_ratio = 100.0 * n_oov / n_pairs
        return stats.pearsonr(human, model), stats.spearmanr(human, model), oov_ratio

    def evaluate_word_analogies(self, analogies, restrict_vocab=300_000, case_insensitive=True):
        """Accuracy on ``a : b :: c : d`` questions (questions-words format).

        A question counts when its four words are among the ``restrict_vocab`` most
        frequent ones; the answer is the nearest word to ``b - a + c`` other than ``a``,
        ``b`` and ``c``, as in gensim. A question with no other candidate (every word
        within ``restrict_vocab`` is one of ``a``, ``b`` and ``c``) has no answer and is
        counted incorrect, as gensim does.

        Parameters
        ----------
        analogies : str or path-like
            Lines ``a b c d``, grouped under ``: section`` headers.
        restrict_vocab : int, default=300_000
        case_insensitive : bool, default=True

        Returns
        -------
        score : float
            Overall accuracy on the questions that count.
        sections : list of dict
            Per section ``{"section", "correct", "incorrect"}`` with lists of 4-tuples,
            ending with a ``"Total accuracy"`` section.
        """
        lookup = self._lookup(case_insensitive, restrict_vocab)
        sections, questions = [], []
        with open(analogies, encoding="utf-8") as stream:
            for line in stream:
                if line.startswith(":"):
                    sections.append({"section": line[1:].strip(), "correct": [], "incorrect": []})
                    continue
                words = [w.lower() if case_insensitive else w for w in line.split()]
                if len(words) != 4:
                    continue
                if not sections:
                    raise ValueError("Analogy file must start with a ': section' line.")
                if all(w in lookup for w in words):
                    questions.append((len(sections) - 1, tuple(words)))
        if questions:
            rows = np.array([[lookup[w] for w in q] for _, q in questions])
            normed = self.get_normed_vectors()[:restrict_vocab]
            # One matrix product for all questions instead of one query per question.
            for start in range(0, len(rows), 1024):
                block = rows[start : start + 1024]
                query = normed[block[:, 1]] - normed[block[:, 0]] + normed[block[:, 2]]
                scores = query @ normed.T
                np.put_along_axis(scores, block[:, :3], -np.inf, axis=1)
                predicted = scores.argmax(1)
                # With every candidate excluded, argmax would pick row 0 and could hit
                # the expected word by chance.
                predicted[np.isneginf(scores.max(1))] = -1
                for (section, words), guess, answer in zip(
                    questions[start : start + 1024], predicted, block[:, 3], strict=True
                ):
                    key = "correct" if guess == answer else "incorrect"
                    sections[section][key].append(words)
        total = {
            "section": "Total accuracy",
            "correct": [q for s in sections for q in s["correct"]],
            "incorrect": [q for s in sections for q in s["incorrect"]],
        }
        sections = [s for s in sections if s["correct"] or s["incorrect"]] + [total]
        n_total = len(total["correct"]) + len(total["incorrect"])
        score = len(total["correct"]) / n_total if n_total else 0.0
        return score, sections

    def save_word2vec_format(self, path, binary=False):
        """Write the vectors in the word2vec text (or binary) format, readable by gensim."""
        save_word2vec_format(path, self.index_to_key, self.vectors, binary=binary)

    @classmethod
    def load_word2vec_format(cls, path, binary=False):
        """Read vectors in the word2vec text (or binary) format, e.g. written by gensim.

        Raises ``OSError`` if ``path`` cannot be read, and ``ValueError``, naming the file
        and the line or entry, if it is not a well-formed word2vec file.
        """
        keys, vectors = load_word2vec_format(path, binary=binary)
        return cls(keys, vectors)


def _is_row(key):
    """Whether ``key`` is an int row index (not a bool)."""
    return isinstance(key, Integral) and not isinstance(key, (bool, np.bool_))


def _as_list(items, name):
    """The queries of ``most_similar``'s ``positive`` or ``negative``, as gensim reads them."""
    if items is None:
        return []
    if isinstance(items, str) or _is_row(items):
        return [items]
    if isinstance(items, np.ndarray) and items.ndim == 1 and items.dtype.kind not in "US":
        return [items]  # one vector; a 1-d array of str is a list of words
    if not isinstance(items, Iterable) or isinstance(items, bytes):
        raise TypeError(
            f"{name} must be a word (str), a row index (int), a vector or a list of those; "
            f"got {type(items).__name__} {_preview(items)}."
        )
    return list(items)


def _preview(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
