"""A transformer text classifier: raw texts in, labels out, tokenizer and vocabulary inside."""

import copy
import os
from collections.abc import Mapping, Sequence
from numbers import Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_feature_names,
    _check_y,
    check_consistent_length,
    check_is_fitted,
)

from sknn._constraints import Count
from sknn._docstrings import fill_doc
from sknn.base import BaseNeuralNet, NeuralNetClassifierMixin, check_y_given
from sknn.modules.transformer import POOLINGS, POSITIONAL_ENCODINGS, TransformerEncoderModule
from sknn.text import CLS_ID, OOV_ID, PAD_ID, TextVectorizer, check_sequence_input
from sknn.text._input import check_corpus_container
from sknn.text._vectorizer import CLS_TOKEN, warn_if_mostly_unknown

#: Attention-matrix entries (rows x heads x S x S) per forward pass when predicting: the
#: attention of a batch is materialised on the CPU, so rows per batch shrink as S grows.
PREDICT_ATTENTION_BUDGET = 2**25
#: The most rows per forward pass when predicting, however short the documents.
PREDICT_MAX_ROWS = 4096
#: ``batch_size='auto'``: documents per training batch (fewer on a smaller corpus).
TRANSFORMER_AUTO_BATCH = 32


@fill_doc
class TransformerClassifier(NeuralNetClassifierMixin, BaseNeuralNet):
    """Transformer encoder text classifier, from raw texts, on the GPU when there is one.

    ``fit`` takes the documents as they are (a list, array or pandas Series of strings,
    pre-tokenized documents, or sequences of integer ids): it learns a vocabulary with a
    :class:`sknn.text.TextVectorizer` built from this estimator's text parameters, then
    trains a :class:`sknn.modules.transformer.TransformerEncoderModule` on the padded ids.
    No tokenizer to download and no training loop to write: the estimator drops into a
    scikit-learn pipeline, ``cross_val_score`` or ``GridSearchCV`` like a linear model on
    TF-IDF features. The token embedding can start from pre-trained word vectors
    (``embeddings``), and :meth:`attention_weights` shows what each layer attends to.

    Parameters
    ----------
    d_model : int, default=64
        The embedding and hidden size; must be divisible by ``n_heads``.

    n_heads : int, default=4
        The number of attention heads.

    n_layers : int, default=2
        The number of encoder blocks.

    %(training_parameters)s

    tokenizer : callable or None, default=None
        A function ``str -> list of str`` for raw texts; None uses
        :func:`sknn.text.word_tokenize`. Use a module-level function, not a lambda, if the
        model is to be pickled.

    lowercase : bool, default=True
        Lower-case raw texts before tokenizing them (whatever the tokenizer) and
        pre-tokenized string tokens before looking them up, as
        :class:`sknn.text.TextVectorizer` does.

    max_vocab : int or None, default=20000
        Keep only the most frequent tokens; the others map to the out-of-vocabulary id.

    min_freq : int, default=1
        Drop tokens seen fewer times in the training documents.

    max_len : int, default=256
        Documents are cut to their first ``max_len`` tokens, at fit and at predict. Also
        the size of the positional encoding.

    dim_feedforward : int or None, default=None
        The hidden size of each block's feed-forward network; None means ``4 * d_model``.

    dropout : float, default=0.3
        Dropout on the embeddings, the residual branches, inside the feed-forward
        networks and before the output layer.

    attention_dropout : float, default=0.0
        Dropout on the attention weights.

    token_dropout : float, default=0.1
        Word dropout: while training, each token of a document is replaced by the
        out-of-vocabulary token with this probability (a fresh draw every batch), so that
        no single word decides a prediction and the out-of-vocabulary embedding learns
        to stand for words never seen in training. Prediction is unaffected.

    positional : {'sinusoidal', 'learned'}, default='sinusoidal'
        The positional encoding.

    pooling : {'cls', 'mean', 'max'}, default='mean'
        How a document becomes one vector: the masked mean of the final token states, their
        masked maximum per feature (max-over-time, as convolutional text classifiers pool),
        or the final state of a ``[CLS]`` token prepended to every document.

    embeddings : mapping of str to vector, word-vector object or None, default=None
        Pre-trained word vectors to initialise the token embedding with: a dict of
        ``str -> array``, a gensim-style ``KeyedVectors`` or :class:`sknn.word2vec.WordVectors`
        (anything with ``__contains__`` and ``__getitem__``), a pandas DataFrame with one
        row per word and the words as its index (as
        ``pd.read_csv(path, sep=" ", index_col=0, header=None)`` reads a GloVe file), or
        a fitted model holding one
        as ``wv_`` (:class:`sknn.word2vec.Word2Vec`) or ``wv`` (gensim). A file name is not
        read (load it first, e.g. with
        :meth:`sknn.word2vec.WordVectors.load_word2vec_format`); a ``str``, a list or an
        array raises a ``TypeError``. The vectors must be 1-d, finite and all of one
        length, else a ``ValueError`` names the word. A token is looked up as it is,
        then lower-cased, then as any word of the vectors that differs from it only in
        case (the first in their order, the most frequent in word2vec and GloVe files), so
        that cased vectors (word2vec's GoogleNews, fastText) serve the default
        ``lowercase=True`` too. For id input, a mapping or a
        DataFrame may be keyed by the ids themselves or by their strings, a word-vector
        object by their strings. Tokens without a vector get random ones of the same
        spread. When the vectors' size differs from
        ``d_model``, a learned linear projection follows the embedding. Prefer passing
        ``word2vec.wv_`` to the fitted ``Word2Vec`` itself: ``clone`` (and so
        ``cross_val_score`` and ``GridSearchCV``) re-creates an estimator parameter
        unfitted, which then raises.

    freeze_embeddings : bool, default=False
        Keep the token embedding fixed during training, at the vectors of ``embeddings``:
        a fit that builds the network with ``freeze_embeddings=True`` and
        ``embeddings=None`` raises a ``ValueError`` (a random table would stay random). A
        changed value takes effect on a continued fit (``warm_start=True`` or
        ``partial_fit``), as a changed learning rate does: train the rest of the network
        over frozen pre-trained vectors, then set ``freeze_embeddings=False`` and fit on
        to fine-tune them too.

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes in the loss, as in scikit-learn's linear models; multiplied
        with ``sample_weight``. ``partial_fit`` refuses 'balanced', as ``SGDClassifier``
        does.

    label_smoothing : float, default=0.0
        Label smoothing of the classification loss: the target puts
        ``1 - label_smoothing`` on the true class and spreads the rest uniformly. A
        value around 0.1 often helps a transformer on a small corpus.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray of shape (n_classes,)
        Class labels, in the order of :meth:`predict_proba`'s columns.

    vectorizer_ : TextVectorizer
        The fitted text front end: tokenizer, vocabulary and truncation. Pickled with
        the model.

    embedding_coverage_ : float or None
        With ``embeddings``, the fraction of the learned vocabulary (special tokens
        excluded) that had a pre-trained vector; else None.

    %(training_attributes)s

    See Also
    --------
    sknn.text.TextVectorizer : The text front end, usable on its own.
    sknn.modules.transformer.TransformerEncoderModule : The torch module trained here.
    sklearn.feature_extraction.text.TfidfVectorizer : The bag-of-words baseline.

    Notes
    -----
    The defaults are chosen for small transformers trained from scratch and differ from
    :class:`MLPClassifier`'s: AdamW (``solver='adamw'``) with ``weight_decay=0.01`` in place
    of the L2 penalty (``alpha=0``), ``learning_rate_init=1e-3``, minibatches of 32, and
    early stopping on a 10% validation split (``n_iter_no_change=3``, at most
    ``max_iter=30`` epochs) with the best epoch's weights restored, because a transformer
    overfits a small corpus within a few epochs. For the same reason the regularisation is
    strong: ``dropout=0.3`` and ``token_dropout=0.1``. On the Rotten Tomatoes snippets
    (3-fold CV, CPU; TF-IDF + logistic regression 0.745 on the same folds) ``dropout=0.1``
    without word dropout scored 0.722, ``dropout=0.3`` 0.738, adding ``token_dropout=0.1``
    0.744, and adding ``min_freq=2`` too 0.753; ``min_freq=2`` is not the default because it
    empties the vocabulary of a corpus whose words all occur once. The usual recipe of a
    warm-up, a decaying rate and gradient clipping is one parameter each
    (``learning_rate='linear'``, ``warmup=0.1``, ``grad_clip=1.0``); on the Rotten Tomatoes
    snippets (3-fold CV, at most 6 epochs, CPU, ``dropout=0.1``) it scored 0.686 against the
    constant rate's 0.721, so it is not the default.

    ``X`` is read by :func:`sknn.text.check_sequence_input`, as in every text-aware sknn
    estimator: a single string, a dict or a set raises a ``TypeError``; numbers, ``None``
    or a mix of kinds a ``ValueError``. A network too large for the memory of the machine
    (or the GPU) is refused before it is built, with a ``ValueError`` naming ``d_model``,
    ``n_layers``, ``dim_feedforward`` and ``max_len``.

    ``n_features_in_`` is 1: the input is one column of documents. A one-column pandas
    DataFrame is accepted and its column name kept in ``feature_names_in_``.

    Padding is masked out of the attention and the pooling, and prediction pads each batch
    to its own longest document, so a document gets the same probabilities alone or among
    longer ones (up to float32 rounding).

    Examples
    --------
    >>> from sknn.estimators.transformer import TransformerClassifier
    >>> texts = ["a great film", "a wonderful story", "a dull film", "a boring story"] * 10
    >>> labels = ["pos", "pos", "neg", "neg"] * 10
    >>> clf = TransformerClassifier(d_model=16, n_heads=2, n_layers=1, early_stopping=False,
    ...                             max_iter=20, random_state=0, device="cpu")
    >>> clf.fit(texts, labels).predict(["a great story", "a boring film"])
    array(['pos', 'neg'], dtype='<U3')
    >>> tokens, weights = clf.attention_weights(["a great story"])
    >>> tokens[0], weights[0].shape  # (layers, heads, tokens, tokens)
    (['a', 'great', 'story'], (1, 2, 3, 3))
    """

    def __init__(
        self,
        d_model=64,
        n_heads=4,
        n_layers=2,
        *,
        solver="adamw",
        alpha=0.0,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=30,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=True,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=3,
        max_fun=15000,
        weight_decay=0.01,
        device="auto",
        callbacks=None,
        warmup=0,
        min_lr=0.0,
        l1=0.0,
        grad_clip=None,
        n_init=1,
        ensemble="best",
        precision="auto",
        compile=False,
        cuda_graph="auto",
        stream_data="auto",
        checkpoint=None,
        resume_from=None,
        tokenizer=None,
        lowercase=True,
        max_vocab=20000,
        min_freq=1,
        max_len=256,
        dim_feedforward=None,
        dropout=0.3,
        attention_dropout=0.0,
        token_dropout=0.1,
        positional="sinusoidal",
        pooling="mean",
        embeddings=None,
        freeze_embeddings=False,
        class_weight=None,
        label_smoothing=0.0,
    ):
        self.d_model = d_model
        self.n_heads = n_heads
        self.n_layers = n_layers
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.weight_decay = weight_decay
        self.device = device
        self.callbacks = callbacks
        self.warmup = warmup
        self.min_lr = min_lr
        self.l1 = l1
        self.grad_clip = grad_clip
        self.n_init = n_init
        self.ensemble = ensemble
        self.precision = precision
        self.compile = compile
        self.cuda_graph = cuda_graph
        self.stream_data = stream_data
        self.checkpoint = checkpoint
        self.resume_from = resume_from
        self.tokenizer = tokenizer
        self.lowercase = lowercase
        self.max_vocab = max_vocab
        self.min_freq = min_freq
        self.max_len = max_len
        self.dim_feedforward = dim_feedforward
        self.dropout = dropout
        self.attention_dropout = attention_dropout
        self.token_dropout = token_dropout
        self.positional = positional
        self.pooling = pooling
        self.embeddings = embeddings
        self.freeze_embeddings = freeze_embeddings
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing

    _parameter_constraints: dict = {
        **BaseNeuralNet._parameter_constraints,
        "d_model": [Count(1, None, closed="left")],
        "n_heads": [Count(1, None, closed="left")],
        "n_layers": [Count(1, None, closed="left")],
        "tokenizer": [callable, None],
        "lowercase": ["boolean"],
        "max_vocab": [Count(1, None, closed="left"), None],
        "min_freq": [Count(1, None, closed="left")],
        "max_len": [Count(1, None, closed="left")],
        "dim_feedforward": [Count(1, None, closed="left"), None],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "attention_dropout": [Interval(Real, 0, 1, closed="left")],
        "token_dropout": [Interval(Real, 0, 1, closed="left")],
        "positional": [StrOptions(set(POSITIONAL_ENCODINGS))],
        "pooling": [StrOptions(set(POOLINGS))],
        # Checked at fit by _word_vector_lookup, which accepts several duck types.
        "embeddings": "no_validation",
        "freeze_embeddings": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    }

    _parameter_docs = {
        "batch_size": """
batch_size : int or 'auto', default='auto'
    Size of minibatches; 'auto' is ``min(32, n_samples)``. Ignored by 'lbfgs'.
""",
    }

    # -- data -------------------------------------------------------------------------------
    def _batch_size(self, n_train):
        # 32 documents a batch, without the warning about a batch_size larger than the
        # training set that an int default gives on a small corpus (every fold of one).
        if self.batch_size == "auto" and self.solver != "lbfgs":
            return min(TRANSFORMER_AUTO_BATCH, n_train)
        return super()._batch_size(n_train)

    def _resume_signature(self):
        # The vocabulary, whose ids the embedding's rows stand for.
        return {"vocabulary hash": self.vectorizer_._vocabulary_digest()}

    def _validate_X_y(self, X, y, reset, sample_weight=None):
        if self.d_model % self.n_heads:
            raise ValueError(
                f"d_model must be divisible by n_heads; got d_model={self.d_model} and "
                f"n_heads={self.n_heads}."
            )
        if reset and self.freeze_embeddings and self.embeddings is None:
            # Only where the embedding is built: a continued fit may freeze a trained one.
            raise ValueError(
                "freeze_embeddings=True keeps the token embedding at the pre-trained vectors "
                "of `embeddings`, but embeddings=None: the embedding would stay at its "
                "random initialisation. Pass word vectors as `embeddings`, or set "
                "freeze_embeddings=False."
            )
        check_corpus_container(X)  # a string, dict or set: before any feature-name warning
        _check_feature_names(self, X, reset=reset)
        documents, kind = check_sequence_input(X)
        check_y_given(self, y)
        # As the other sknn classifiers read y: a sparse label-indicator matrix is multilabel.
        y = _check_y(y, multi_output=True, y_numeric=False, estimator=self)
        check_consistent_length(documents, y)
        if reset:
            self.vectorizer_ = TextVectorizer(
                tokenizer=self.tokenizer,
                lowercase=self.lowercase,
                max_vocab=self.max_vocab,
                min_freq=self.min_freq,
                max_len=self.max_len,
            )
            ids = self.vectorizer_._fit_transform_checked(documents, kind)
            self.n_features_in_ = 1
        else:
            with self.vectorizer_.errors_named_for(type(self).__name__):
                ids = self.vectorizer_._transform_checked(documents, kind)
            warn_if_mostly_unknown(ids, self.vectorizer_, type(self).__name__)
        return ids, self._validate_targets(y)

    def _validate_X(self, X):
        check_corpus_container(X)  # a string, dict or set: before any feature-name warning
        _check_feature_names(self, X, reset=False)
        with self.vectorizer_.errors_named_for(type(self).__name__):
            return self.vectorizer_.transform(X)

    def _fitted_preprocessing_params(self):
        # The vocabulary and its reading of documents, which warm_start and partial_fit
        # keep (max_len also sizes the positional embeddings).
        return ("tokenizer", "lowercase", "max_vocab", "min_freq", "max_len")

    def _bf16_helps(self, device):
        return True  # attention and feed-forward matmuls run on bfloat16 tensor cores

    # -- module -----------------------------------------------------------------------------
    def _build_module(self, X, n_outputs):
        weights = None
        self.embedding_coverage_ = None
        if self.embeddings is not None:
            weights, self.embedding_coverage_ = self._pretrained_embedding()

        def build():
            return TransformerEncoderModule(
                self.vectorizer_.n_vocab_,
                n_outputs,
                d_model=self.d_model,
                n_heads=self.n_heads,
                n_layers=self.n_layers,
                dim_feedforward=self.dim_feedforward,
                dropout=self.dropout,
                attention_dropout=self.attention_dropout,
                token_dropout=self.token_dropout,
                oov_id=OOV_ID,
                max_len=self.max_len,
                positional=self.positional,
                pooling=self.pooling,
                cls_id=CLS_ID,
                embedding_weights=weights,
                freeze_embedding=self.freeze_embeddings,
            )

        return build()

    def _fit(self, *args, **kwargs):
        # A fit that raises leaves the estimator as it was (the base restores its
        # attributes, weights and optimizer); whether the embedding trains is none of
        # these, so a continued fit that changed it puts it back here.
        net = self.__dict__.get("net_")
        weight = None if net is None else net.module_.embedding.weight
        trained = weight is not None and weight.requires_grad
        try:
            return super()._fit(*args, **kwargs)
        except BaseException:
            if weight is not None:
                weight.requires_grad_(trained)
            raise

    def _check_same_network(self):
        super()._check_same_network()
        # freeze_embeddings changes which weights train, not the network: like the
        # learning rate, a changed value takes effect on a continued fit (warm_start,
        # partial_fit), e.g. a head trained over frozen vectors, then all of it fine-tuned.
        self.net_.module_.embedding.weight.requires_grad_(not self.freeze_embeddings)
        # A new dict, so that a fit that raises puts back the old one; sknn.load builds
        # the module (and so its optimizer's parameters) from these values.
        self._module_params = {
            **getattr(self, "_module_params", {}),
            "freeze_embeddings": self.freeze_embeddings,
        }
        self._optimize_trainable_weights()

    def _optimize_trainable_weights(self):
        """Have the optimizer update exactly the weights that train.

        A warm-started ``fit`` builds a new optimizer anyway; ``partial_fit`` keeps its
        optimizer, which is rebuilt here, only where the trained weights changed, with the
        old one's settings (a scheduled learning rate) and state (Adam's moments) for the
        weights it already updated. A weight it did not update starts with a fresh state.
        """
        net = self.net_
        old = net.optimizer_
        updated = [p for group in old.param_groups for p in group["params"]]
        trainable = [p for p in net.module_.parameters() if p.requires_grad]
        if {id(p) for p in updated} == {id(p) for p in trainable}:
            return
        new = net.make_optimizer(net.module_)
        settings = {k: v for k, v in old.param_groups[0].items() if k != "params"}
        for group in new.param_groups:
            group.update(copy.deepcopy(settings))
        for p in trainable:
            if p in old.state:
                new.state[p] = copy.deepcopy(old.state[p])
        # Not changed in place: a fit that raises puts the old optimizer back.
        net.optimizer_ = new

    def _module_sizes(self):
        return {
            "d_model": self.d_model,
            "n_layers": self.n_layers,
            "dim_feedforward": self.dim_feedforward,
            "max_len": self.max_len,
            "vectorizer_.n_vocab_": self.vectorizer_.n_vocab_,
        }

    def _pretrained_embedding(self):
        """The vocabulary's rows of ``embeddings``, random rows for the tokens it lacks."""
        lookup = _word_vector_lookup(self.embeddings)
        # The tokens as learned: int ids for id input, which a mapping or a DataFrame
        # may hold as they are (word-vector objects read an int as a row number).
        tokens = self.vectorizer_._id_to_token
        by_id = isinstance(lookup, (Mapping, _FrameRows))
        other_case = _OtherCase(lookup)
        rows = {}
        first = None  # the first word with a vector, and its length
        for i, token in enumerate(tokens[3:], start=3):
            vector = _vector_of(lookup, token, by_id, other_case)
            if vector is None:
                continue
            if first is None:
                first = (token, len(vector))
            elif len(vector) != first[1]:
                raise ValueError(
                    "The word vectors in `embeddings` must all have the same length; the "
                    f"vector of {first[0]!r} has {first[1]} values and that of {token!r} "
                    f"{len(vector)}."
                )
            rows[i] = vector
        if not rows:
            if self.vectorizer_.input_kind_ == "ids":
                keys = (
                    "the ids themselves or their strings, e.g. {5: vector} or {'5': vector}"
                    if by_id
                    else "the ids' strings, e.g. '5' (a word-vector object reads an int as a "
                    "row number)"
                )
                raise ValueError(
                    "None of the vocabulary's ids has a vector in `embeddings`; for id input "
                    f"its keys must be {keys}."
                )
            raise ValueError(
                "None of the vocabulary's tokens has a vector in `embeddings`; check that "
                "both were built with the same tokenization and case."
            )
        known = np.stack(list(rows.values()))
        # Unknown tokens are drawn with the spread of the known vectors (Kim, 2014), so
        # that they are neither swamped by nor swamp them; torch's generator is seeded
        # by fit, so this is reproducible.
        scale = float(known.std()) or 1.0
        weights = torch.randn(len(tokens), known.shape[1]) * scale
        weights[list(rows)] = torch.as_tensor(known, dtype=torch.float32)
        weights[PAD_ID] = 0.0
        return weights, len(rows) / max(len(tokens) - 3, 1)

    # -- prediction ------------------------------------------------------------------------
    def _prediction_batches(self, ids):
        """Yield ``(rows, trimmed ids)`` batches, longest documents first.

        Sorting by length lets each batch drop the padding columns that none of its rows
        needs (the module ignores padding, so the result is the same), and bounds the
        attention matrices a batch materialises.
        """
        # The fitted module's pooling and heads, not the parameters: set_params without a
        # refit must not change how the fitted model predicts.
        module = self.net_.module_
        n_heads = module.blocks[0].attention.n_heads
        lengths = np.count_nonzero(ids, axis=1)
        order = np.argsort(-lengths, kind="stable")
        extra = 1 if module.pooling == "cls" else 0
        start = 0
        while start < len(order):
            width = int(lengths[order[start]])
            per_row = n_heads * (width + extra) ** 2
            n_rows = int(np.clip(PREDICT_ATTENTION_BUDGET // per_row, 1, PREDICT_MAX_ROWS))
            rows = order[start : start + n_rows]
            yield rows, ids[rows, :width]
            start += n_rows

    def attention_weights(self, X):
        """Attention weights of every layer and head, with the tokens they are over.

        Parameters
        ----------
        X : iterable of str, of sequences of str, or of sequences of int
            Documents of the kind seen in ``fit``.

        Returns
        -------
        tokens : list of list
            The tokens of each document as the model saw them: truncated to ``max_len``,
            out-of-vocabulary tokens as ``'[UNK]'``, preceded by ``'[CLS]'`` with
            ``pooling='cls'`` (integer ids in place of strings for id input).
        weights : list of ndarray of shape (n_layers, n_heads, n_tokens, n_tokens)
            For each document, ``weights[l, h, i, j]`` is how much token ``i`` attends to
            token ``j`` in head ``h`` of layer ``l``; each row sums to 1.

        Notes
        -----
        With ``n_init > 1`` these are the weights of the network of run ``best_init_``
        (the fitted ``net_``), also with ``ensemble='average'``, whose :meth:`predict_proba`
        averages the probabilities of every run: each run learns its own attention, and
        the weights of different networks do not average into the ensemble's. Those of
        run ``i`` are ``runs_[i].attention_weights(X)``.
        """
        check_is_fitted(self)
        ids = self._validate_X(X)
        module = self.net_.module_
        module.eval()
        device = next(module.parameters()).device
        vocabulary_tokens = self.vectorizer_.inverse_transform(ids)
        prefix = [CLS_TOKEN] if module.pooling == "cls" else []
        tokens = [prefix + doc for doc in vocabulary_tokens]
        weights = [None] * len(ids)
        with torch.inference_mode():
            for rows, batch in self._prediction_batches(ids):
                _, layers = module(torch.as_tensor(batch, device=device), return_attention=True)
                stacked = torch.stack(layers, dim=1).float().cpu().numpy()
                for k, row in enumerate(rows):
                    n = len(tokens[row])
                    weights[row] = stacked[k, :, :, :n, :n].copy()
        return tokens, weights

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags


_ACCEPTED_EMBEDDINGS = (
    "embeddings must be a mapping of str to vector, an object with __contains__ and "
    "__getitem__ (e.g. gensim KeyedVectors or sknn.word2vec.WordVectors), a DataFrame "
    "with one row per word and the words as its index, or a fitted "
    "model with a `wv_` or `wv` attribute"
)


def _word_vector_lookup(embeddings):
    """Turn the accepted kinds of ``embeddings`` into an object with ``in`` and ``[]``."""
    if isinstance(embeddings, Mapping):
        return embeddings
    if isinstance(embeddings, (str, bytes, os.PathLike)):
        # A str has ``in`` and ``[]`` too, but looks words up as substrings.
        raise TypeError(
            f"{_ACCEPTED_EMBEDDINGS}; got the {type(embeddings).__name__} "
            f"{_preview(embeddings)}. A file name or a model name is not read: load the "
            "vectors first, e.g. sknn.word2vec.WordVectors.load_word2vec_format(path)."
        )
    if isinstance(embeddings, (Sequence, np.ndarray, torch.Tensor)):
        # Indexed by position, not by word.
        raise TypeError(
            f"{_ACCEPTED_EMBEDDINGS}; got a {type(embeddings).__name__}, which is indexed "
            "by position, not by word. Pair the vectors with their words, e.g. "
            "sknn.word2vec.WordVectors(words, vectors)."
        )
    if _is_data_frame(embeddings):
        return _FrameRows(embeddings)
    for attribute in ("wv_", "wv"):
        inner = getattr(embeddings, attribute, None)
        if inner is not None:
            return inner
    if hasattr(embeddings, "get_params") and not hasattr(embeddings, "__getitem__"):
        raise ValueError(
            f"embeddings is an unfitted {type(embeddings).__name__}. Pass its fitted word "
            "vectors (`model.wv_`) instead: clone(), used by cross_val_score and "
            "GridSearchCV, re-creates an estimator parameter unfitted."
        )
    if hasattr(embeddings, "__contains__") and hasattr(embeddings, "__getitem__"):
        return embeddings
    raise TypeError(f"{_ACCEPTED_EMBEDDINGS}; got {type(embeddings).__name__}.")


def _is_data_frame(value):
    return hasattr(value, "loc") and hasattr(value, "columns") and hasattr(value, "index")


class _FrameRows:
    """A DataFrame of word vectors, one row per word, looked up by its index.

    ``word in frame`` and ``frame[word]`` would look up columns: a table read as GloVe is
    stored (``pd.read_csv(path, sep=" ", index_col=0, header=None)``) has its words in
    the index and a column per dimension.
    """

    def __init__(self, frame):
        if not frame.index.is_unique:
            duplicated = frame.index[frame.index.duplicated()][:3].tolist()
            raise ValueError(
                "embeddings is a DataFrame whose index (its words, one row per word) "
                f"holds duplicates, e.g. {duplicated}; keep one row per word."
            )
        self._frame = frame

    def __contains__(self, word):
        return word in self._frame.index

    def __getitem__(self, word):
        return self._frame.loc[word].to_numpy()

    def words(self):
        return self._frame.index


def _vector_of(lookup, token, by_id=True, other_case=None):
    """The vector of ``token`` in ``lookup`` as a finite 1-d float32 array, or None.

    ``token`` is a ``str``, or an ``int`` for id input: looked up as it is when ``by_id``
    (a mapping or a DataFrame keyed by the ids), then as its string. A ``str`` is looked
    up as it is, then lower-cased, then (with ``other_case``, an :class:`_OtherCase`
    of ``lookup``) as a word of ``lookup`` that differs from it only in case.
    """
    if isinstance(token, str):
        # The vectorizer lower-cases by default while vectors may be cased ("Paris" in
        # word2vec's GoogleNews vectors), or the other way round.
        keys = (token, token.lower())
    else:
        keys = (token, str(token)) if by_id else (str(token),)
    for key in keys:
        if key in lookup:
            return _checked_vector(lookup[key], key)
    if isinstance(token, str) and other_case is not None:
        key = other_case.key_of(token)
        if key is not None:
            return _checked_vector(lookup[key], key)
    return None


class _OtherCase:
    """Finds the word of a lookup that differs from a token only in case.

    The words are indexed by their lower-cased form once, on the first miss; of words
    that differ only in case, the first in the lookup's order wins (word2vec and GloVe
    files, and gensim's ``index_to_key``, list the most frequent first). A lookup that
    cannot list its words is tried with the token capitalised, in upper case and in
    title case.
    """

    def __init__(self, lookup):
        self._lookup = lookup
        self._index = None  # {lower-cased word: word}, once built

    def key_of(self, token):
        """The word of the lookup spelled as ``token`` up to case, or None."""
        if self._index is None:
            words = _words_of(self._lookup)
            if words is None:
                for key in (token.capitalize(), token.upper(), token.title()):
                    if key in self._lookup:
                        return key
                return None
            self._index = {}
            for word in words:
                if isinstance(word, str):
                    self._index.setdefault(word.lower(), word)
        return self._index.get(token.lower())


def _words_of(lookup):
    """The keys of a word-vector lookup in its order, or None where it cannot list them."""
    if isinstance(lookup, Mapping):
        return lookup.keys()
    if isinstance(lookup, _FrameRows):
        return lookup.words()
    for attribute in ("index_to_key", "index2word"):  # gensim 4 and sknn, gensim 3
        words = getattr(lookup, attribute, None)
        if isinstance(words, Sequence):
            return words
    return None


def _checked_vector(value, word):
    if isinstance(value, torch.Tensor):
        # NumPy has no bfloat16: widen half-precision vectors first.
        value = value.detach().cpu()
        value = value.float() if value.is_floating_point() else value
    try:
        vector = np.asarray(value)
    except (TypeError, ValueError):
        vector = None  # e.g. a ragged nested list
    if vector is None or vector.dtype.kind not in "biuf":
        raise ValueError(
            f"The vector of {word!r} in `embeddings` must be numbers; got "
            f"{type(value).__name__} {_preview(value)}."
        )
    if vector.ndim != 1 or vector.size == 0:
        raise ValueError(
            f"The vector of {word!r} in `embeddings` must be 1-d and non-empty; got shape "
            f"{vector.shape}."
        )
    with np.errstate(over="ignore"):
        vector = vector.astype(np.float32)
    if not np.isfinite(vector).all():
        raise ValueError(
            f"The vector of {word!r} in `embeddings` holds NaN or infinite values (or "
            "values too large for float32); word vectors must be finite."
        )
    return vector


def _preview(value, limit=40):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
