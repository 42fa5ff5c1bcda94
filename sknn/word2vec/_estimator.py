"""The scikit-learn face of word2vec: a text transformer with gensim's word-vector queries."""

import difflib
import warnings
from numbers import Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._constraints import Count
from .._device import resolve_device
from .._random import draw_seed, make_generator, torch_seed_scope
from .._sizes import check_memory, out_of_memory_says
from .._stacklevel import stacklevel_outside_sknn
from ..persistence import SaveMixin
from ..text._input import TEXT, TOKENS, check_sequence_input
from ..text._tokenize import tokenize_documents
from ._keyed_vectors import WordVectors
from ._training import NegativeSamplingTrainer, flatten_corpus
from ._vocab import build_vocabulary

_SKIP_GRAM = {"skipgram": True, "cbow": False}


class Word2Vec(SaveMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Word2vec word embeddings, and document vectors built from them.

    ``fit`` learns one vector per frequent word with the skip-gram (or CBOW) model of
    Mikolov et al., trained by negative sampling with frequent-word subsampling, a window
    shrunk at random per position and a linearly decaying learning rate, in batches on
    the GPU when there is one. ``transform`` maps each document to the mean of its word
    vectors (optionally TF-IDF weighted). The fitted ``wv_`` answers gensim's queries
    (``most_similar``, ``similarity``, the WordSim and analogy evaluations) and reads and
    writes the word2vec text and binary formats.

    Parameters
    ----------
    vector_size : int, default=100
        Dimension of the word vectors, and of the document vectors.
    window : int, default=5
        Maximum distance between a word and its context words. Each position uses a
        radius drawn uniformly in ``[1, window]``.
    min_count : int, default=5
        Words seen fewer times in the corpus are ignored.
    max_vocab_size : int, default=None
        Keep at most this many words, the most frequent. ``None`` keeps all.
    sample : float, default=1e-3
        Subsampling threshold, in ``[0, 1)``: occurrences of words whose frequency in the
        corpus exceeds ``sample`` are randomly dropped at each epoch, the more the more
        frequent. ``0`` disables it. On a small corpus most words exceed that frequency
        and most of their occurrences are dropped: lower ``sample`` (or set it to 0)
        there. An epoch left with no pair to train on gets a NaN loss and a warning; a
        fit left with none at all raises a ``ValueError``.
    architecture : {"skipgram", "cbow"}, default="skipgram"
        Skip-gram predicts the centre word from each context word (gensim's ``sg=1``);
        CBOW predicts it from the mean of the context vectors (``sg=0, cbow_mean=1``).
    negative : int, default=5
        Noise words drawn per positive example.
    ns_exponent : float, default=0.75
        Negatives are drawn from the unigram distribution raised to this power (any finite
        value: 0 draws them uniformly, 1 by frequency; large values send them all to the
        most frequent word, large negative ones to the rarest).
    alpha : float, default=0.025
        Initial learning rate.
    min_alpha : float, default=0.0001
        Final learning rate, reached linearly over all epochs.
    epochs : int, default=5
        Passes over the corpus.
    batch_size : int, default=4096
        (Context, centre) pairs per SGD step. Updates within a step are summed, so larger
        values are faster on a GPU but drift further from sequential SGD.
    batch_words : int, default=50_000
        Tokens turned into training pairs at once; bounds the memory used.
    weighting : {"mean", "tfidf"}, default="mean"
        How ``transform`` combines the vectors of a document's words: plain mean over its
        tokens, or a mean weighted by TF-IDF (term count times the smoothed inverse
        document frequency learnt on the training corpus).
    tokenizer : callable, default=None
        Turns a raw string into a list of tokens; ``None`` uses
        :func:`sknn.text.word_tokenize`. Documents given as lists of tokens are not split
        again. Use a module-level function, not a lambda, if the model is to be pickled.
    lowercase : bool, default=True
        Lower-case raw texts before tokenizing them (whatever the tokenizer) and string
        tokens of pre-tokenized documents, in ``fit`` and ``transform``, as
        :class:`sknn.text.TextVectorizer` does. ``False`` keeps the case.
        :meth:`from_word2vec_format` picks ``False`` for a file with cased words.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, subsampling, windows and negatives. An int gives identical
        fits on the CPU.
    device : str, default="auto"
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
    verbose : int, default=0
        Print the loss and speed of each epoch when positive.

    Attributes
    ----------
    wv_ : WordVectors
        The learnt word vectors, with ``most_similar``, ``similarity``,
        ``evaluate_word_pairs``, ``evaluate_word_analogies`` and
        ``save_word2vec_format``.
    vocabulary_ : dict of str to int
        Row of each word in ``wv_.vectors``, most frequent word first.
    word_counts_ : ndarray of shape (n_words,)
        Corpus count of each word.
    idf_ : ndarray of shape (n_words,)
        Smoothed inverse document frequency of each word.
    loss_curve_ : list of float
        Mean negative-sampling loss per positive example, one entry per epoch: for each
        (context, centre) pair, ``-log σ(u_centre·v_context) - Σ log σ(-u_noise·v_context)``.
        NaN for an epoch that trained on no pair (with a warning).
    n_iter_ : int
        Epochs run (fewer than ``epochs`` when training was interrupted).
    history_ : list of dict
        One record per epoch, ``{"epoch": int, "train_loss": float}``, read from
        ``loss_curve_``: the shape of the other sknn estimators' ``history_``, so that
        :class:`sknn.inspection.LossCurveDisplay` draws it.
    corpus_total_words_ : int
        Tokens in the training corpus, known words or not.
    input_kind_ : {"text", "tokens"} or None
        The kind of input seen in ``fit``: raw texts or token lists. ``transform``
        requires the same, as :class:`sknn.text.TextVectorizer` does, since the tokenizer
        splits raw texts and never token lists. None for a model made by
        :meth:`from_word2vec_format`, which takes either.

    See Also
    --------
    sklearn.feature_extraction.text.TfidfVectorizer : Sparse bag-of-words features.

    Notes
    -----
    A document with no word in the vocabulary is mapped to the zero vector; a
    ``transform`` call in which no document holds a word of the vocabulary warns.

    ``X`` is read by :func:`sknn.text.check_sequence_input`, as in every text-aware sknn
    estimator: a list, array, pandas Series or one-column DataFrame of raw texts or of
    token lists. A single string, a dict or a set raises a ``TypeError``; integer ids,
    numbers, ``None`` or a mix of kinds a ``ValueError``.

    Training stops with a ``ValueError`` when it could not learn anything: no document
    holds two words of the vocabulary, or subsampling left no pair to train on in any
    epoch; and before anything is allocated when ``vector_size`` or ``negative`` asks for
    more memory than the machine (or the GPU) has. Interrupting ``fit`` (Ctrl-C) keeps the
    partly trained model, with a warning.

    The noise words of a window are shared by its context words (Ji et al., 2016), and
    the updates of one SGD step are summed: both make the update a few matrix products
    and are the only departures from the reference C code. ``loss_curve_`` is the true
    per-epoch mean, unlike gensim's ``get_latest_training_loss``, a running tally.

    References
    ----------
    T. Mikolov, I. Sutskever, K. Chen, G. Corrado and J. Dean. "Distributed
    Representations of Words and Phrases and their Compositionality". NeurIPS 2013.

    S. Ji, N. Satish, S. Li and P. Dubey. "Parallelizing Word2Vec in Shared and
    Distributed Memory". arXiv:1604.04661, 2016.

    Examples
    --------
    >>> from sknn.word2vec import Word2Vec
    >>> docs = ["the cat sat on the mat", "the dog sat on the log"] * 50
    >>> model = Word2Vec(vector_size=8, min_count=1, epochs=2, random_state=0)
    >>> model.fit_transform(docs).shape
    (100, 8)
    >>> model.wv_["cat"].shape
    (8,)
    >>> [word for word, _ in model.most_similar("cat", topn=3)]  # doctest: +SKIP
    ['dog', ...]
    """

    _parameter_constraints: dict = {
        "vector_size": [Count(1, None, closed="left")],
        "window": [Count(1, None, closed="left")],
        "min_count": [Count(1, None, closed="left")],
        "max_vocab_size": [Count(1, None, closed="left"), None],
        "sample": [Interval(Real, 0, 1, closed="left")],
        "architecture": [StrOptions(set(_SKIP_GRAM))],
        "negative": [Count(1, None, closed="left")],
        "ns_exponent": [Interval(Real, None, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "min_alpha": [Interval(Real, 0, None, closed="left")],
        "epochs": [Count(1, None, closed="left")],
        "batch_size": [Count(1, None, closed="left")],
        "batch_words": [Count(1, None, closed="left")],
        "weighting": [StrOptions({"mean", "tfidf"})],
        "tokenizer": [callable, None],
        "lowercase": ["boolean"],
        "random_state": ["random_state"],
        "device": [str, torch.device],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        vector_size=100,
        window=5,
        min_count=5,
        max_vocab_size=None,
        sample=1e-3,
        architecture="skipgram",
        negative=5,
        ns_exponent=0.75,
        alpha=0.025,
        min_alpha=0.0001,
        epochs=5,
        batch_size=4096,
        batch_words=50_000,
        weighting="mean",
        tokenizer=None,
        lowercase=True,
        random_state=None,
        device="auto",
        verbose=0,
    ):
        self.vector_size = vector_size
        self.window = window
        self.min_count = min_count
        self.max_vocab_size = max_vocab_size
        self.sample = sample
        self.architecture = architecture
        self.negative = negative
        self.ns_exponent = ns_exponent
        self.alpha = alpha
        self.min_alpha = min_alpha
        self.epochs = epochs
        self.batch_size = batch_size
        self.batch_words = batch_words
        self.weighting = weighting
        self.tokenizer = tokenizer
        self.lowercase = lowercase
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = True
        # transform returns float32 vectors whatever X is (X is text: no dtype to keep).
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    def _tokenize(self, X, reading=None):
        """Lists of tokens from raw strings or token sequences, through the shared checker,
        read as ``reading`` (the fit's :meth:`_fitted_reading`) says, else as the
        parameters say; and the kind of input."""
        reading = reading or self._reading_params()
        documents, kind = check_sequence_input(X, kinds=(TEXT, TOKENS))
        tokens = tokenize_documents(
            documents, kind, tokenizer=reading["tokenizer"], lowercase=reading["lowercase"]
        )
        return tokens, kind

    def _reading_params(self):
        return {
            "tokenizer": self.tokenizer,
            "lowercase": self.lowercase,
            "weighting": self.weighting,
        }

    def _fitted_reading(self):
        """How the fit read documents: transform reads them so, whatever set_params
        changed since (it takes effect at the next fit, as in scikit-learn)."""
        return getattr(self, "_reading", None) or self._reading_params()

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the vocabulary and the word vectors.

        Parameters
        ----------
        X : iterable of str or of list of str
            Raw documents, or documents already split into tokens (sentences work best:
            windows never cross a document boundary).
        y : None
            Ignored.

        Returns
        -------
        self : Word2Vec
            The fitted estimator.
        """
        if self.min_alpha > self.alpha:
            raise ValueError(
                f"min_alpha={self.min_alpha} must not exceed alpha={self.alpha}: the "
                "learning rate decays from alpha to min_alpha."
            )
        documents, kind = self._tokenize(X)
        vocabulary = build_vocabulary(documents, self.min_count, self.max_vocab_size)
        encoded = [vocabulary.encode(doc) for doc in documents]
        if not any(len(doc) > 1 for doc in encoded):
            raise ValueError(
                "No document holds two words of the vocabulary, so there is nothing to "
                "learn: word2vec learns from words that occur near each other in one "
                "document (windows never cross documents). Pass longer documents, or "
                f"lower min_count={self.min_count}."
            )
        device = resolve_device(self.device)
        self._check_memory(vocabulary, device, sum(len(doc) for doc in encoded))
        seed = draw_seed(self.random_state)
        interrupted = False
        advice = (
            "The device ran out of memory training Word2Vec: lower batch_size "
            f"(={self.batch_size}), negative (={self.negative}) or vector_size "
            f"(={self.vector_size}), or use device='cpu'."
        )
        with torch_seed_scope(seed, device), out_of_memory_says(advice):
            tokens, sentence_ids = flatten_corpus(encoded, device)
            trainer = NegativeSamplingTrainer(
                len(vocabulary),
                self.vector_size,
                vocabulary.keep_probabilities(self.sample),
                vocabulary.noise_distribution(self.ns_exponent),
                sg=_SKIP_GRAM[self.architecture],
                window=self.window,
                negative=self.negative,
                alpha=self.alpha,
                min_alpha=self.min_alpha,
                batch_words=self.batch_words,
                batch_size=self.batch_size,
                device=device,
                generator=make_generator(seed, device),
            )
            try:
                trainer.train(
                    tokens,
                    sentence_ids,
                    self.epochs,
                    callback=self._report if self.verbose else None,
                )
            except KeyboardInterrupt:
                interrupted = True
            if interrupted and not torch.isfinite(trainer.input_vectors).all():
                raise ValueError(
                    "Word2Vec training diverged (non-finite weights). Try a smaller 'alpha'."
                )
            vectors = trainer.input_vectors.cpu().numpy()
        self._check_pairs_trained(trainer.examples_per_epoch, vocabulary, len(tokens))
        if interrupted:
            warnings.warn("Training interrupted by user.", stacklevel=stacklevel_outside_sknn())
        self.wv_ = WordVectors(vocabulary.index_to_key, vectors)
        self.vocabulary_ = dict(vocabulary.key_to_index)
        self.word_counts_ = vocabulary.counts
        self.idf_ = vocabulary.idf()
        self.loss_curve_ = list(trainer.loss_curve)
        self.n_iter_ = len(self.loss_curve_)
        self.corpus_total_words_ = sum(len(doc) for doc in documents)
        self._n_features_out = self.vector_size
        self._reading = self._reading_params()
        self.input_kind_ = kind
        return self

    def _check_memory(self, vocabulary, device, n_tokens):
        """Refuse sizes whose vectors, or one SGD step, cannot fit in memory."""
        # A sure lower bound: the two embedding matrices, and what a step holds for each
        # centre word: its negatives' output vectors, the draws and their indices (three
        # values). A step takes about batch_size / (2 * window) centres; with subsampling
        # there may be as few as one.
        # Python ints: NumPy integers (drawn by a search) would wrap around.
        vector_size, negative = int(self.vector_size), int(self.negative)
        rows = (
            1
            if self.sample
            else max(1, min(int(self.batch_size) // (2 * int(self.window)), n_tokens))
        )
        n_values = 2 * len(vocabulary) * vector_size
        n_values += rows * (negative + 1) * (vector_size + 3)
        sizes = {
            "vector_size": self.vector_size,
            "negative": self.negative,
            "len(vocabulary_)": len(vocabulary),
        }
        check_memory(n_values, sizes, owner=type(self).__name__, device=device, what="model")

    def _check_pairs_trained(self, examples_per_epoch, vocabulary, n_tokens):
        """Fail or warn when subsampling left epochs without a single training pair."""
        n_empty = sum(1 for n in examples_per_epoch if n == 0)
        if not n_empty:
            return
        kept = float(
            (vocabulary.keep_probabilities(self.sample) * vocabulary.counts).sum()
            / vocabulary.counts.sum()
        )
        advice = (
            f"Frequent-word subsampling (sample={self.sample}) keeps an estimated "
            f"{kept:.1%} of the {n_tokens} known tokens per epoch. Lower sample "
            "(sample=0 turns subsampling off), lower min_count, or provide more text."
        )
        if n_empty == len(examples_per_epoch):
            raise ValueError(
                f"Word2Vec trained on no (context, centre) pair in any of its "
                f"{n_empty} epoch(s): the vectors would be their random initialisation. " + advice
            )
        warnings.warn(
            f"{n_empty} of the {len(examples_per_epoch)} epochs trained on no (context, "
            "centre) pair; their loss_curve_ entries are NaN. " + advice,
            UserWarning,
            stacklevel=stacklevel_outside_sknn(),
        )

    def _report(self, epoch, loss):
        print(f"Word2Vec epoch {epoch + 1}/{self.epochs}: loss {loss:.4f}")

    @property
    def history_(self):
        """Per-epoch records ``{"epoch", "train_loss"}`` of the last fit, from ``loss_curve_``."""
        # Derived rather than stored, so models saved before it existed have it too.
        check_is_fitted(self)
        return [
            {"epoch": epoch, "train_loss": loss}
            for epoch, loss in enumerate(self.loss_curve_, start=1)
        ]

    def transform(self, X):
        """Map each document to the (weighted) mean of its known word vectors.

        Parameters
        ----------
        X : iterable of str or of list of str

        Returns
        -------
        ndarray of shape (n_documents, vector_size)
            Documents with no word in the vocabulary get the zero vector. When that is
            every document, a ``UserWarning`` says so (once per call).
        """
        check_is_fitted(self)
        reading = self._fitted_reading()
        documents, kind = self._tokenize(X, reading)
        # None: vectors read from a file, or a model saved before the kind was kept.
        fitted_kind = getattr(self, "input_kind_", None)
        if fitted_kind is not None and kind != fitted_kind and any(documents):
            # Raw texts are split by the tokenizer, token lists are not: "film," is one
            # token of a list but two of a text, so the other kind would miss words.
            raise ValueError(
                f"{type(self).__name__} was fitted on {fitted_kind} input but transform "
                f"got {kind} input. Pass documents of the kind seen in fit "
                f"({'raw texts' if fitted_kind == TEXT else 'token lists'})."
            )
        rows, columns = [], []
        for i, document in enumerate(documents):
            encoded = [self.vocabulary_[t] for t in document if t in self.vocabulary_]
            rows.extend([i] * len(encoded))
            columns.extend(encoded)
        if not rows:
            n_tokens = sum(len(document) for document in documents)
            warnings.warn(
                f"No document among the {len(documents)} passed to transform holds a word "
                f"of the vocabulary ({n_tokens} tokens in all, {len(self.vocabulary_)} words "
                "known): every row of the output is the zero vector. Check that the "
                "documents are split and cased as the vocabulary is (tokenizer, "
                f"lowercase={reading['lowercase']}).",
                UserWarning,
                stacklevel=stacklevel_outside_sknn(),
            )
        counts = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float64), (rows, columns)),
            shape=(len(documents), len(self.vocabulary_)),
        )
        if reading["weighting"] == "tfidf":
            counts = counts @ sp.diags(self.idf_)
        totals = np.asarray(counts.sum(axis=1)).ravel()
        # Empty documents keep a zero row instead of dividing by zero.
        scale = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
        weights = sp.diags(scale) @ counts
        return np.asarray(weights @ self.wv_.vectors, dtype=np.float32)

    @classmethod
    def from_word2vec_format(cls, path, binary=False, **params):
        """A fitted ``Word2Vec`` from vectors in word2vec format (e.g. saved by gensim).

        The result transforms documents and answers queries; its ``idf_`` is all ones (no
        corpus was seen) and ``loss_curve_`` is empty. ``fit`` would train from scratch.

        Parameters
        ----------
        path : str or path-like
        binary : bool, default=False
        **params
            Other parameters of the estimator, such as ``tokenizer``, checked as ``fit``
            checks them. ``vector_size`` is the file's; passing it is allowed only when
            it matches. Without ``lowercase``, it is False when a word of the file holds
            an upper-case letter (cased vectors, as GoogleNews or fastText's: lower-cased
            text would never reach those words) and True otherwise.

        Returns
        -------
        Word2Vec

        Warns
        -----
        UserWarning
            With ``lowercase=True`` passed explicitly while words of the file hold
            upper-case letters: ``transform`` can never match them.

        Raises
        ------
        OSError
            If ``path`` cannot be read (``FileNotFoundError`` if it does not exist).
        TypeError
            If a parameter is not one of the estimator's.
        ValueError
            If the file is not well-formed word2vec (a wrong header, NaN values, a word
            seen twice, ...: the message names the line or entry) or holds no word; if
            ``vector_size`` is not the file's; ``InvalidParameterError`` (a
            ``ValueError``) for a parameter value that ``fit`` would refuse.
        """
        names = cls._get_param_names()
        for name in params:
            if name not in names:
                close = difflib.get_close_matches(name, names, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise TypeError(
                    f"from_word2vec_format() got an unexpected parameter {name!r}.{hint} "
                    f"The parameters of {cls.__name__} are {', '.join(names)}."
                )
        model = cls(**params)
        # Before reading the file, which may take long: a parameter fit would refuse
        # must not give a model that transforms wrongly or that sknn.load refuses.
        model._validate_params()
        wv = WordVectors.load_word2vec_format(path, binary=binary)
        if len(wv) == 0:
            raise ValueError(f"{path!s} holds no word vector: there is nothing to transform with.")
        if "vector_size" in params and params["vector_size"] != wv.vector_size:
            raise ValueError(
                f"vector_size={params['vector_size']} does not match {path!s}, whose vectors "
                f"have {wv.vector_size} values. Leave vector_size out: it is read from the "
                "file."
            )
        cased = [word for word in wv.index_to_key if word != word.lower()]
        if "lowercase" not in params:
            model.set_params(lowercase=not cased)
        elif model.lowercase and cased:
            warnings.warn(
                f"{path!s} holds {len(cased)} word(s) with upper-case letters, out of "
                f"{len(wv)} (e.g. {cased[0]!r}): transform can never match them with "
                "lowercase=True, which lower-cases every text and token. Pass "
                "lowercase=False to keep the case (the default for such a file).",
                UserWarning,
                stacklevel=stacklevel_outside_sknn(),
            )
        model.set_params(vector_size=wv.vector_size)
        model.wv_ = wv
        model.vocabulary_ = dict(wv.key_to_index)
        model.word_counts_ = np.zeros(len(wv), dtype=np.int64)
        model.idf_ = np.ones(len(wv))
        model.loss_curve_ = []
        model.n_iter_ = 0
        model.corpus_total_words_ = 0
        model._n_features_out = wv.vector_size
        model._reading = model._reading_params()
        model.input_kind_ = None
        return model

    def get_vector(self, word, norm=False):
        """The vector of ``word``; see :meth:`WordVectors.get_vector`."""
        check_is_fitted(self)
        return self.wv_.get_vector(word, norm=norm)

    def most_similar(self, positive=None, negative=None, topn=10):
        """Nearest words by cosine; see :meth:`WordVectors.most_similar`."""
        check_is_fitted(self)
        return self.wv_.most_similar(positive, negative, topn)

    def similarity(self, w1, w2):
        """Cosine similarity of two words."""
        check_is_fitted(self)
        return self.wv_.similarity(w1, w2)

    def evaluate_word_pairs(self, pairs, delimiter="\t", case_insensitive=True):
        """Correlation with human similarity scores; see
        :meth:`WordVectors.evaluate_word_pairs`."""
        check_is_fitted(self)
        return self.wv_.evaluate_word_pairs(pairs, delimiter, case_insensitive)

    def evaluate_word_analogies(self, analogies, restrict_vocab=300_000, case_insensitive=True):
        """Analogy accuracy; see :meth:`WordVectors.evaluate_word_analogies`."""
        check_is_fitted(self)
        return self.wv_.evaluate_word_analogies(analogies, restrict_vocab, case_insensitive)

    def save_word2vec_format(self, path, binary=False):
        """Write the word vectors in word2vec text or binary format, readable by gensim."""
        check_is_fitted(self)
        self.wv_.save_word2vec_format(path, binary=binary)
