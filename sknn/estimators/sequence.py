"""Networks over sequences: SequenceClassifier and SequenceRegressor.

The encoder is a recurrent cell (RNN, GRU, LSTM) or a convolutional network (the fully
convolutional network or its residual variant); ``cell='auto'`` picks the fully
convolutional network to classify numeric series and the LSTM for text and regression.
"""

import hashlib
import inspect
import textwrap
import warnings
from collections.abc import Iterator
from numbers import Real

import numpy as np
import pandas as pd
import torch
from sklearn.base import clone, is_classifier
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_feature_names,
    _check_sample_weight,
    _check_y,
    _num_samples,
    check_consistent_length,
    validate_data,
)

from sknn._constraints import Count, positive_sizes
from sknn._docstrings import _with_class_defaults, fill_doc
from sknn._stacklevel import stacklevel_outside_sknn
from sknn.base import (
    BaseNeuralNet,
    NeuralNetClassifierMixin,
    NeuralNetRegressorMixin,
    _same_value,
    check_y_given,
)
from sknn.data.numeric import to_float32
from sknn.data.sequences import (
    channel_statistics,
    check_nan_padding,
    check_unmasked,
    frame_list_columns,
    is_long_frame,
    is_nested_array,
    is_nested_frame,
    long_frame_sequences,
    n_step_features,
    normalize_series,
    pad_sequences,
    padded_chunks,
    read_sequences,
    readable_tensor,
    series_statistics,
    standardize_channels,
    truncate_sequences,
    varying_statistics,
    with_series_statistics,
    with_time_index,
)
from sknn.modules.convolutional_sequence import KERNEL_SIZES, ConvSequenceModule
from sknn.modules.recurrent import ACTIVATIONS, CELLS, POOLINGS, RecurrentModule
from sknn.text import TextVectorizer
from sknn.text._input import check_corpus_container, looks_like_text, padding_of
from sknn.text._vectorizer import warn_if_mostly_unknown
from sknn.timeseries import last_fraction_split

#: ``truncating`` of the numeric sequences -> ``truncation_side`` of the text front end.
_TRUNCATION_SIDES = {"post": "right", "pre": "left"}

#: The first cuDNN version (9.13) with bfloat16 recurrent kernels.
CUDNN_BF16_RECURRENT = 91300

#: The convolutional encoders: ``cell`` -> the channels of its three layers ('fcn') or
#: blocks ('resnet') for ``hidden_size=h``, the widest. Wang et al.'s networks are 'fcn'
#: with h=256 and 'resnet' with h=128.
CONV_CELLS = {
    "fcn": lambda h: (max(1, h // 2), h, max(1, h // 2)),
    "resnet": lambda h: (max(1, h // 2), h, h),
}

#: What ``cell='auto'`` trains, by estimator and input kind (see the user guide for the
#: measurements: the FCN on the UCR classification sets, the LSTM on text and on the
#: sunspot forecasts).
AUTO_CELLS = {
    "SequenceClassifier": {"sequences": "fcn", "text": "lstm"},
    "SequenceRegressor": {"sequences": "lstm", "text": "lstm"},
}

#: ``time_index='auto'`` gives SequenceClassifier's convolutional encoders each step's
#: position on numeric series of at most this many steps (see ``time_index``).
AUTO_TIME_INDEX_MAX_STEPS = 64


def _refuse_time_index_on_text(time_index):
    if not isinstance(time_index, str) and time_index:
        raise ValueError(
            "time_index=True appends each step's position to numeric sequences; text input "
            "has none (its tokens are embedded). Leave time_index='auto' (the default) or "
            "pass time_index=False."
        )


def _warn_if_past_time_index_span(lengths, span):
    """Warn when sequences run past the longest training sequence's ``span`` steps: there
    the time index goes on past 1, to values the network never saw in training."""
    if span is None or not len(lengths):
        return
    longer = int(np.count_nonzero(np.asarray(lengths) > span))
    if longer:
        warnings.warn(
            f"{longer} of the {len(lengths)} sequences are longer than the longest training "
            f"sequence ({span} steps, time_index_span_): the time index goes on past 1 for "
            "their later steps, values the network never saw in training, and their "
            "outputs can be far off. Fit on sequences as long as those to predict, or "
            "with time_index=False.",
            UserWarning,
            stacklevel=stacklevel_outside_sknn(),
        )


#: ``pooling='auto'``: the recurrent cells' state at the last step, the convolutional
#: encoders' global average.
AUTO_POOLING = {"recurrent": "last", "convolutional": "mean"}

#: ``batch_size='auto'`` of the convolutional encoders: a tenth of the training rows
#: between these bounds (see :func:`conv_auto_batch_size`), so that the small training
#: sets of time-series classification take several steps per epoch.
CONV_MIN_BATCH = 4
CONV_AUTO_BATCH = 16

#: ``max_iter='auto'``: this many epochs, and for the convolutional encoders as many more
#: as reach ``AUTO_MIN_STEPS`` optimizer steps (see :func:`auto_max_iter`).
AUTO_EPOCHS = 100
AUTO_MIN_STEPS = 2000
#: ``n_init='auto'``: SequenceClassifier's convolutional encoders average this many
#: networks on small training sets of short series: at most this many series (those
#: whose default fit is at its floor of ``AUTO_MIN_STEPS`` optimizer steps, batches of
#: ``CONV_AUTO_BATCH`` over ``AUTO_EPOCHS`` epochs) of at most this many steps (see
#: ``n_init``).
AUTO_N_INIT = 3
AUTO_N_INIT_MAX_SERIES = AUTO_MIN_STEPS * CONV_AUTO_BATCH // AUTO_EPOCHS
AUTO_N_INIT_MAX_STEPS = AUTO_TIME_INDEX_MAX_STEPS

#: ``n_iter_no_change='auto'``: the patience of the recurrent cells, of fits with
#: ``early_stopping`` and of schedules that do not decay. The convolutional encoders under
#: a decaying schedule ('cosine', 'linear') train to its end instead (see
#: :meth:`_BaseSequence._n_iter_no_change`).
AUTO_PATIENCE = 30

#: The parameters that only text input reads (its vocabulary and embedding).
TEXT_PARAMS = ("tokenizer", "lowercase", "max_vocab", "min_freq", "embedding_dim")

#: Time steps (rows x padded length) per forward pass when a convolutional encoder
#: predicts: bounds the activation maps held at once.
CONV_PREDICT_STEPS = 2**18


class _BaseSequence(BaseNeuralNet):
    """What the two sequence estimators share: sequence input and the recurrent module.

    X reaches the module as ``{"x": padded, "lengths": lengths}``: float32
    ``(n, T, d)`` for numeric sequences, int64 ``(n, T)`` vocabulary ids for text.
    """

    _parameter_constraints: dict = {
        **BaseNeuralNet._parameter_constraints,
        "cell": [StrOptions({"auto", *CELLS, *CONV_CELLS})],
        "hidden_size": [Count(1, None, closed="left")],
        "num_layers": [Count(1, None, closed="left")],
        "bidirectional": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "pooling": [StrOptions({"auto", *POOLINGS})],
        "dense_sizes": ["array-like", Count(1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "input_kind": [StrOptions({"auto", "sequences", "text"})],
        "max_len": [Count(1, None, closed="left"), None],
        "truncating": [StrOptions(set(_TRUNCATION_SIDES))],
        "embedding_dim": [Count(1, None, closed="left")],
        "max_vocab": [Count(1, None, closed="left"), None],
        "min_freq": [Count(1, None, closed="left")],
        "tokenizer": [callable, None],
        "lowercase": ["boolean"],
        "validation_split": [StrOptions({"last", "random"})],
        "validation_gap": [Count(0, None, closed="left")],
        "normalize": [StrOptions({"auto", "series", "series_stats", "channel"}), None],
        "time_index": ["boolean", StrOptions({"auto"})],
        "max_iter": [Count(1, None, closed="left"), StrOptions({"auto"})],
        "n_iter_no_change": [
            Count(1, None, closed="left"),
            Options(Real, {np.inf}),
            StrOptions({"auto"}),
        ],
    }

    #: The entries of shared parameters whose meaning these estimators extend.
    _parameter_docs = {
        "batch_size": """
batch_size : int or 'auto', default='auto'
    Size of minibatches; 'auto' is ``min(200, n_samples)`` for the recurrent cells and,
    for the convolutional encoders, a tenth of the training rows between 4 and 16
    (``sknn.estimators.sequence.conv_auto_batch_size``). Ignored by 'lbfgs'.
""",
        "max_iter": """
max_iter : int or 'auto', default='auto'
    Maximum number of epochs (stochastic solvers) or of iterations ('lbfgs'). 'auto' is
    100 epochs, and for the convolutional encoders as many more as make 2,000 optimizer
    steps when an epoch has fewer than 20 batches (small training sets: 50 series in
    batches of 5 train 200 epochs; see ``sknn.estimators.sequence.auto_max_iter``).
""",
        "n_iter_no_change": """
n_iter_no_change : int, np.inf or 'auto', default='auto'
    Number of epochs without ``tol`` improvement before stopping. 'auto' is 30, but for
    the convolutional encoders under a decaying schedule (``learning_rate`` 'cosine' or
    'linear') without ``early_stopping``: they train to the schedule's end, since a
    training loss that stalls while the rate is still high stops them before the rate
    decays (three seeds of the default: Coffee 0.952 against 1.000, ItalyPowerDemand
    0.960 against 0.963; see the user guide). Such a fit reaches ``max_iter`` by plan: it
    warns (ConvergenceWarning) only when its training loss still improved by more than
    ``tol`` over its last 10 epochs.
""",
    }

    # -- data -------------------------------------------------------------------------------
    def _validate_X_y(self, X, y, reset, sample_weight=None):
        self._dense_sizes()
        X = check_unmasked(_reiterable(X), "X")
        check_corpus_container(X)
        if not reset:
            # warm_start and partial_fit keep the input kind, vocabulary and features of
            # the first fit, exactly as predict does.
            X = self._validate_X(X)
            if self.input_kind_ == "text":
                warn_if_mostly_unknown(X["x"], self.vectorizer_, type(self).__name__)
            y = self._check_y(y)
            check_consistent_length(X["lengths"], y)
            return X, self._validate_targets(y)

        # sktime's long form: one row per time step under an (instance, time point)
        # index, when y has one value per instance rather than per row.
        if is_long_frame(X) and y is not None and len(X) != _num_samples(y):
            X = long_frame_sequences(X)
        if self._is_text(X):
            _refuse_time_index_on_text(self.time_index)
            self.input_kind_ = "text"
            self.vectorizer_ = TextVectorizer(
                tokenizer=self.tokenizer,
                lowercase=self.lowercase,
                max_vocab=self.max_vocab,
                min_freq=self.min_freq,
                max_len=self.max_len,
                truncation_side=_TRUNCATION_SIDES[self.truncating],
            )
            self.normalize_ = None
            self.channel_mean_ = self.channel_scale_ = self.series_stats_kept_ = None
            self.time_index_span_ = None
            # One column of documents, as TransformerClassifier counts it, and its name.
            self.n_features_in_ = 1
            _check_feature_names(self, X, reset=True)
            ids = self.vectorizer_.fit_transform(X)
            X = {"x": ids, "lengths": np.count_nonzero(ids, axis=1).astype(np.int64)}
            y = self._check_y(y)
        else:
            if self.input_kind == "sequences" and looks_like_text(X):
                raise ValueError(
                    "input_kind='sequences' reads X as numeric sequences, but X holds text. "
                    "Pass input_kind='auto' or 'text'."
                )
            self.input_kind_ = "sequences"
            self.vectorizer_ = None
            # Before _regular_array, which turns equal-length frames into one array.
            names = _feature_names_source(X)
            X = _regular_array(X)
            if self.input_kind == "auto":
                _warn_if_padded_ids(X, type(self).__name__)
            if _is_table(X):
                # The 2-D form is a table whose columns are time steps: scikit-learn's
                # contract applies (n_features_in_, feature names, same width on predict).
                _refuse_text_columns(X, type(self).__name__)
                check_nan_padding(X)
                X, y = validate_data(
                    self,
                    X,
                    y,
                    multi_output=True,
                    y_numeric=self._y_numeric,
                    dtype=(np.float32, np.float64),
                )
                self._tabular = True
            else:
                y = self._check_y(y)
                self._tabular = False
                _warn_if_channels_first(X)
                # A nested DataFrame's columns, or those of a list of DataFrames, are the
                # features of each step.
                _check_feature_names(self, names, reset=True)
            # Read first, unnormalised: 'auto' depends on the features per step, and
            # 'channel' and 'series_stats' learn their statistics here.
            X = self._check_sequences(X)
            self._n_step_features = n_step_features(X["x"])
            lengths = X["lengths"]
            self._fit_steps = int(lengths[0]) if np.all(lengths == lengths[0]) else None
            self.normalize_ = self._resolved_normalize(self._n_step_features)
            self.channel_mean_ = self.channel_scale_ = self.series_stats_kept_ = None
            weight = _statistics_weight(sample_weight, len(X["lengths"]))
            if self.normalize_ in ("channel", "series_stats"):
                self.channel_mean_, self.channel_scale_ = channel_statistics(
                    X["x"], X["lengths"], weight
                )
            self._raw_scale = None
            if self.normalize_ is None:
                mean, scale = channel_statistics(X["x"], X["lengths"], weight)
                self._raw_scale = float(np.sqrt(mean**2 + scale**2).max())
                _warn_if_far_from_unit_scale(self._raw_scale, type(self).__name__)
            if self.normalize_ == "series_stats":
                statistics = np.concatenate(
                    [
                        series_statistics(chunk, lengths, self.channel_mean_, self.channel_scale_)
                        for _, chunk, lengths in padded_chunks(X["x"], X["lengths"])
                    ]
                )
                self.series_stats_kept_ = varying_statistics(statistics, weight)
            # The convolutional encoders give the statistics to the head (see
            # _static_features); a fit saved before that gave them to the convolutions.
            self._statistics_to_head = True
            given = self._resolved_time_index()
            self.time_index_span_ = int(X["lengths"].max()) if given else None
            X["x"] = self._network_input(X["x"], X["lengths"])
            if not self._tabular:
                self.n_features_in_ = self._n_step_features
        self.cell_ = self._resolved_cell()
        self._warn_unused_params()
        check_consistent_length(X["lengths"], y)
        return X, self._validate_targets(y)

    def _validate_X(self, X):
        X = check_unmasked(_reiterable(X), "X")
        check_corpus_container(X)
        if self.input_kind_ == "text":
            _check_feature_names(self, X, reset=False)
            with self.vectorizer_.errors_named_for(type(self).__name__):
                ids, lengths = self.vectorizer_.transform_with_lengths(X)
            return {"x": ids, "lengths": lengths}
        if looks_like_text(X):
            raise ValueError(
                f"X holds text, but {type(self).__name__} was fitted on numeric sequences "
                "(input_kind_='sequences')."
            )
        if not self._tabular and is_long_frame(X):
            # A model of sequences reads sktime's long form as its instances, whatever
            # form its fit had (a list from long_frame_sequences, in a search, say); one
            # fitted on the 2-D form reads it as a table, as its fit did.
            X = long_frame_sequences(X)
        names = _feature_names_source(X)
        X = _regular_array(X)
        if self._tabular and _is_table(X):
            _refuse_text_columns(X, type(self).__name__)
            check_nan_padding(X)
            X = validate_data(self, X, dtype=(np.float32, np.float64), reset=False)
        else:
            _check_feature_names(self, names, reset=False)
        # Cut as the fit cut them: a max_len or truncating set after fit takes effect at
        # the next fit, as in scikit-learn (the text path keeps them in vectorizer_).
        with self._fitted_params():
            max_len, truncating = self.max_len, self.truncating
            if not self._tabular:
                X = self._check_sequences(X)
            else:
                # The 2-D form's columns are its steps: its sequences all have that many,
                # checked before max_len cuts them as the fit cut its columns.
                with self._swapped_params({"max_len": None}):
                    X = self._check_sequences(X)
                self._check_tabular_steps(X["lengths"], self.n_features_in_)
                X["x"], X["lengths"] = truncate_sequences(
                    X["x"], X["lengths"], max_len, truncating
                )
        _warn_if_one_sequence_split(X["lengths"], getattr(self, "_fit_steps", None))
        n_features = n_step_features(X["x"])
        if n_features != self._n_step_features:
            raise ValueError(
                f"X has {n_features} features per time step, but "
                f"{type(self).__name__} is expecting {self._n_step_features} features per "
                "time step as input."
            )
        _warn_if_past_time_index_span(X["lengths"], getattr(self, "time_index_span_", None))
        X["x"] = self._network_input(X["x"], X["lengths"])
        return X

    def _check_tabular_steps(self, lengths, n_steps):
        if np.any(lengths != n_steps):
            found = sorted({int(lengths.min()), int(lengths.max())})
            raise ValueError(
                f"X has sequences of {' to '.join(map(str, found))} time steps, but "
                f"{type(self).__name__} was fitted on a 2-D array, whose "
                f"{self.n_features_in_} columns are the time steps (n_features_in_="
                f"{self.n_features_in_}), and is expecting sequences of {n_steps} time "
                "steps as input."
            )

    def _check_sequences(self, X):
        # Read in float64 and cast after the normalisation, which then centres each series
        # or feature first: a 0.01 signal on a 1e6 offset survives (float32 values near
        # 1e6 are 0.0625 apart), as it does in scikit-learn's StandardScaler. Not padded
        # here: _network_input pads into its float32 result, chunk by chunk.
        sequences, lengths = read_sequences(
            X, max_len=self.max_len, truncating=self.truncating, dtype=np.float64
        )
        return {"x": sequences, "lengths": lengths}

    def _network_input(self, sequences, lengths):
        """What the network reads of numeric sequences (from :meth:`_check_sequences`):
        padded straight into one float32 array, a chunk of rows at a time, so that one
        long sequence costs every other its length once, not in each float64 copy that
        normalising makes."""
        return pad_sequences(sequences, lengths, transform=self._network_chunk)

    def _network_chunk(self, padded, lengths):
        """``padded`` (float64) normalised, then with the time index appended when
        ``time_index`` asked for it at fit, in float32."""
        X = self._normalized(padded, lengths)
        # getattr: estimators pickled before time_index existed have no span.
        if getattr(self, "time_index_span_", None) is not None:
            X = with_time_index(X, lengths, self.time_index_span_)
        return to_float32(X, "X")

    def _normalized(self, padded, lengths):
        """``padded`` with ``normalize_`` applied (the fitted statistics for 'channel' and
        'series_stats')."""
        if self.normalize_ == "series":
            return normalize_series(padded, lengths)
        if self.normalize_ == "series_stats":
            statistics = series_statistics(
                padded, lengths, self.channel_mean_, self.channel_scale_
            )
            return with_series_statistics(
                normalize_series(padded, lengths),
                lengths,
                statistics[:, self.series_stats_kept_],
            )
        if self.normalize_ == "channel":
            return standardize_channels(padded, lengths, self.channel_mean_, self.channel_scale_)
        return padded

    def _check_y(self, y):
        check_y_given(self, y)
        return _check_y(y, multi_output=True, y_numeric=self._y_numeric, estimator=self)

    def _is_text(self, X):
        if self.input_kind != "auto":
            return self.input_kind == "text"
        text = looks_like_text(X)
        if text:
            _warn_if_numbers_as_text(X, type(self).__name__)
        return text

    def _dense_sizes(self):
        return positive_sizes(self.dense_sizes, "dense_sizes", allow_empty=True)

    def _fitted_preprocessing_params(self):
        # Text: the vocabulary and its reading of documents (max_len and truncating cut
        # the token ids). Numeric sequences: the normalisation, the time index and the
        # cut (max_len and truncating), all as the first fit read X, predict's included.
        if self.input_kind_ == "text":
            return (
                "input_kind",
                "time_index",
                "tokenizer",
                "lowercase",
                "max_vocab",
                "min_freq",
                "max_len",
                "truncating",
            )
        return ("input_kind", "normalize", "time_index", "max_len", "truncating")

    def _changed_preprocessing(self):
        changed = super()._changed_preprocessing()
        # 'auto', or the value that 'auto' resolved to, is what the first fit used.
        if "input_kind" in changed and self.input_kind in ("auto", self.input_kind_):
            changed.remove("input_kind")
        if (
            "normalize" in changed
            and self._resolved_normalize(self._n_step_features) == self.normalize_
        ):
            changed.remove("normalize")
        if "time_index" in changed and self._time_index_as_fitted():
            changed.remove("time_index")
        if self.input_kind_ == "text":
            _refuse_time_index_on_text(self.time_index)
        return changed

    def _time_index_as_fitted(self):
        """Whether ``time_index`` now asks for what the first fit did: the position given
        (``time_index_span_`` set) or not, with 'auto' resolved as at that fit."""
        given = getattr(self, "time_index_span_", None) is not None
        if not isinstance(self.time_index, str):
            return bool(self.time_index) == given
        if self.input_kind_ == "text":
            return not given
        return self._resolved_time_index() == given

    def _input_scale_advice(self):
        scale = getattr(self, "_raw_scale", None)
        if scale is None or scale <= RAW_SCALE_LIMIT:
            return ""
        return (
            f" X itself reaches the network as given (normalize=None), at a root mean "
            f"square of {scale:.4g}: pass normalize='channel' (scaling y does not scale X)."
        )

    def _resume_signature(self):
        # Text: the vocabulary, whose ids the embedding's rows stand for (one of the same
        # size but other tokens would load every row under another token).
        if self.input_kind_ == "text":
            return {"input_kind": "text", "vocabulary hash": self.vectorizer_._vocabulary_digest()}
        # Numeric: what the fit learned of X before the network (the statistics that
        # normalise it, the span of the time index), which the checkpoint's weights read.
        digest = hashlib.blake2b(digest_size=16)
        for value in (self.channel_mean_, self.channel_scale_, self.series_stats_kept_):
            digest.update(b"-" if value is None else np.ascontiguousarray(value).tobytes())
        return {
            "input_kind": "sequences",
            "normalize": self.normalize_,
            "statistics hash": digest.hexdigest(),
            "time_index_span": self.time_index_span_,
        }

    def _resolved_normalize(self, n_step_features):
        """``normalize`` with 'auto' resolved for numeric input read at fit: the class's
        choice for sequences of one feature per step and for several (whose levels often
        carry the answer: see ``normalize``). The 2-D form is univariate sequences, as
        their 3-D form ``X[:, :, None]`` is, and resolves as it does."""
        if self.normalize != "auto":
            return self.normalize
        return self._auto_normalize["univariate" if n_step_features == 1 else "multivariate"]

    def _resolved_time_index(self):
        """``time_index`` with 'auto' resolved for numeric input read at fit: on for the
        convolutional encoders on series all of one length (``_fit_steps``; None for
        ragged ones), at most the class's ``_auto_time_index_max_steps`` (see
        ``time_index``)."""
        if not isinstance(self.time_index, str):
            return bool(self.time_index)
        steps = getattr(self, "_fit_steps", None)
        return (
            self._resolved_cell() in CONV_CELLS
            and steps is not None
            and steps <= self._auto_time_index_max_steps
        )

    # -- the encoder ----------------------------------------------------------------------
    def _resolved_cell(self):
        """``cell`` with 'auto' resolved by the input kind of the fit (None before it)."""
        if self.cell != "auto":
            return self.cell
        input_kind = self.__dict__.get("input_kind_")
        return None if input_kind is None else self._auto_cells[input_kind]

    def _convolutional(self):
        return self._resolved_cell() in CONV_CELLS

    def _non_default(self, names):
        """``name=value`` for each of ``names`` set to other than its default."""
        defaults = inspect.signature(type(self)).parameters
        return [
            f"{name}={getattr(self, name)!r}"
            for name in names
            if not _same_value(getattr(self, name), defaults[name].default)
        ]

    def _warn_unused_params(self):
        """Say so when parameters were set that the fitted encoder or the input kind
        ignore, instead of ignoring them without a word."""
        if self.cell_ in CONV_CELLS:
            # No stacked layers nor directions: as set for the recurrent cells, which
            # cell='auto' trained on numeric sequences before the encoders existed.
            unused = self._non_default(("num_layers", "bidirectional"))
            how = f" (cell='auto' trains {self.cell_!r} here)" if self.cell == "auto" else ""
            _warn_unused(
                unused,
                "the recurrent cells only",
                f"by the convolutional encoder cell_={self.cell_!r}{how}",
                "Pass cell='lstm', 'gru' or 'rnn' for a recurrent network, or leave "
                "num_layers=1 and bidirectional=False.",
            )
        if self.validation_split == "random":
            _warn_unused(
                self._non_default(("validation_gap",)),
                "validation_split='last' only",
                "with validation_split='random', whose rows are drawn at random",
                "Pass validation_split='last' to hold out the last rows after a gap.",
            )
        if self.input_kind_ == "text":
            default = inspect.signature(type(self)).parameters["normalize"].default
            _warn_unused(
                self._non_default(("normalize",)),
                "numeric sequences only",
                "for text, whose tokens are embedded, never normalised",
                f"Leave normalize={default!r}.",
            )
        else:
            _warn_unused(
                self._non_default(TEXT_PARAMS),
                "text input only",
                "for numeric sequences (input_kind_='sequences')",
                "Leave the defaults, or pass input_kind='text' if X is text.",
            )

    def _resolved_pooling(self):
        if self.pooling != "auto":
            return self.pooling
        return AUTO_POOLING["convolutional" if self._convolutional() else "recurrent"]

    # -- hooks of the base --------------------------------------------------------------
    def _bf16_helps(self, device):
        if self._convolutional():
            return True  # convolutions run on bfloat16 tensor cores
        # cuDNN's recurrent kernels take bfloat16 from cuDNN 9.13 on; before, torch has no
        # bfloat16 recurrent kernel on CUDA and autocast would fail.
        version = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
        return version is not None and version >= CUDNN_BF16_RECURRENT

    def _graph_blocker(self):
        if self._convolutional():
            # Fixed-shape batches of the padded set, masks computed on the device.
            return None
        return "%s's recurrent batches vary in shape" % type(self).__name__

    def _batch_size(self, n_train):
        if self.batch_size == "auto" and self.solver != "lbfgs" and self._convolutional():
            return conv_auto_batch_size(n_train)
        return super()._batch_size(n_train)

    def _n_iter_no_change(self):
        if not (isinstance(self.n_iter_no_change, str) and self.n_iter_no_change == "auto"):
            return self.n_iter_no_change
        decaying = self.learning_rate in ("cosine", "linear")
        if self._convolutional() and decaying and not self.early_stopping:
            return np.inf
        return AUTO_PATIENCE

    def _max_iter(self, n_batches=None):
        if self.max_iter != "auto":
            return self.max_iter
        if n_batches is None or not self._convolutional():
            return AUTO_EPOCHS
        return auto_max_iter(n_batches)

    def _prediction_batches(self, X):
        if not self._convolutional():
            yield from super()._prediction_batches(X)
            return
        # Rows sorted by length, each batch cut after its longest sequence: ragged input
        # costs what its steps cost, not what the longest sequence of the set costs.
        lengths = X["lengths"]
        order = np.argsort(lengths, kind="stable")
        sorted_lengths = lengths[order]
        start, n = 0, len(order)
        while start < n:
            stop = start + 1
            # Sorted by length, so a batch's longest sequence is its last one.
            while stop < n and (stop + 1 - start) * sorted_lengths[stop] <= CONV_PREDICT_STEPS:
                stop += 1
            index = order[start:stop]
            longest = int(sorted_lengths[stop - 1])
            yield index, {"x": X["x"][index, :longest], "lengths": lengths[index]}
            start = stop

    def _build_module(self, X, n_outputs):
        text = self.input_kind_ == "text"
        dense_sizes = self._dense_sizes()
        cell = self._resolved_cell()
        # NumPy numbers (a grid over np.arange) become Python ones in the modules.
        if cell in CONV_CELLS:
            return ConvSequenceModule(
                input_size=None if text else X["x"].shape[2],
                n_outputs=n_outputs,
                architecture=cell,
                channels=CONV_CELLS[cell](self.hidden_size),
                kernel_sizes=KERNEL_SIZES,
                pooling=self._resolved_pooling(),
                dropout=self.dropout,
                dense_sizes=dense_sizes,
                activation=self.activation,
                n_vocab=self.vectorizer_.n_vocab_ if text else None,
                embedding_dim=self.embedding_dim,
                static_features=() if text else self._static_features(),
            )

        def build():
            return RecurrentModule(
                input_size=None if text else X["x"].shape[2],
                n_outputs=n_outputs,
                cell=cell,
                hidden_size=self.hidden_size,
                num_layers=self.num_layers,
                bidirectional=self.bidirectional,
                dropout=self.dropout,
                pooling=self._resolved_pooling(),
                dense_sizes=dense_sizes,
                activation=self.activation,
                n_vocab=self.vectorizer_.n_vocab_ if text else None,
                embedding_dim=self.embedding_dim,
            )

        return build()

    def _static_features(self):
        """The network input's columns that hold ``'series_stats'``'s statistics, which
        are constant along each sequence: the convolutional encoders give them to the
        head beside the pooled features instead of convolving them with the series."""
        if self.normalize_ != "series_stats" or not getattr(self, "_statistics_to_head", False):
            return ()
        start = self._n_step_features
        return tuple(range(start, start + int(np.count_nonzero(self.series_stats_kept_))))

    def _module_sizes(self):
        sizes = {
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "bidirectional": self.bidirectional,
            "dense_sizes": self._dense_sizes(),
        }
        if self.input_kind_ == "text":
            sizes["embedding_dim"] = self.embedding_dim
            sizes["vectorizer_.n_vocab_"] = self.vectorizer_.n_vocab_
        return sizes

    def _validation_split(self, y, y_train, seed):
        if self.validation_split == "random":
            return super()._validation_split(y, y_train, seed)
        # Rows are taken to be in time order: validating on the last ones, never on rows
        # older than some training row, is what a forecast is later asked to do.
        try:
            train_idx, valid_idx = last_fraction_split(
                len(y_train), self.validation_fraction, gap=self.validation_gap
            )
        except ValueError:
            raise ValueError(
                f"With {len(y_train)} rows, validation_fraction={self.validation_fraction} "
                f"and validation_gap={self.validation_gap}, early_stopping leaves no "
                "training row. Lower validation_gap or validation_fraction, or pass more "
                "rows."
            ) from None
        if not is_classifier(self):
            _warn_if_horizons_overlap(y_train, self.validation_gap)
        if len(valid_idx) < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        if is_classifier(self):
            _warn_if_classes_split_apart(y, train_idx, valid_idx)
        return train_idx, valid_idx

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.string = True
        return tags


def auto_max_iter(n_batches):
    """``max_iter='auto'`` of the convolutional encoders for ``n_batches`` batches per epoch.

    100 epochs, or enough for 2,000 optimizer steps where that takes more: the small
    training sets of time-series classification (tens of series, a few batches an epoch)
    get the training that the larger ones get from 100 epochs. Measured with the defaults
    otherwise, three seeds, against 100 epochs: on three sets that the sequence benchmark
    does not use (aeon's ArrowHead, JapaneseVowels, PickupGestureWiimoteZ) the accuracy
    rose by 0.14, 0.007 and 0.007 (JapaneseVowels then z-normalised per series); on the
    benchmark's, ACSF1 +0.03, GunPoint +0.011, OSULeaf +0.006, BasicMotions unchanged,
    ItalyPowerDemand -0.006 (see the user guide).
    A fit's cost stays bounded: at most 2,000 batches of at most 16 sequences beyond the
    100 epochs.

    Examples
    --------
    >>> from sknn.estimators.sequence import auto_max_iter
    >>> [auto_max_iter(n) for n in (1, 9, 10, 13, 20, 34)]
    [2000, 223, 200, 154, 100, 100]
    """
    return max(AUTO_EPOCHS, -(-AUTO_MIN_STEPS // n_batches))


def conv_auto_batch_size(n_train):
    """``batch_size='auto'`` of the convolutional encoders for ``n_train`` rows.

    A tenth of the rows, between 4 and 16 (and at most ``n_train``): the rule of Ismail
    Fawaz et al.'s runs of the FCN and ResNet, with a floor so that the batch-norm
    statistics are not those of one or two sequences.

    Examples
    --------
    >>> from sknn.estimators.sequence import conv_auto_batch_size
    >>> [conv_auto_batch_size(n) for n in (3, 20, 50, 67, 200, 10000)]
    [3, 4, 5, 6, 16, 16]
    """
    return min(n_train, max(CONV_MIN_BATCH, min(CONV_AUTO_BATCH, n_train // 10)))


def _warn_unused(unused, applies_to, ignored_by, advice):
    """A UserWarning that the parameters ``unused`` apply to ``applies_to`` and are
    ignored ``ignored_by`` (nothing when ``unused`` is empty)."""
    if not unused:
        return
    one = len(unused) == 1
    warnings.warn(
        f"{' and '.join(unused)} {'applies' if one else 'apply'} to {applies_to}, and "
        f"{'is' if one else 'are'} ignored {ignored_by}. {advice}",
        UserWarning,
        stacklevel=stacklevel_outside_sknn(),
    )


def _is_table(X):
    """True for the 2-D form: a DataFrame, or an array or list that NumPy reads as 2-D.

    1-D arrays count too, so that they fail as scikit-learn's 1-D input fails.
    """
    if isinstance(X, pd.DataFrame):
        return not is_nested_frame(X)  # a nested frame's cells are sequences
    if not isinstance(X, np.ndarray) or is_nested_array(X):
        return False
    return X.ndim == 2 or (X.ndim == 1 and X.dtype != object)


#: With ``normalize=None``, the root mean square of the inputs' values (per feature, over
#: the training steps) above which ``fit`` warns: recurrent cells saturate, and every
#: encoder trains slowly, on values far from unit scale.
RAW_SCALE_LIMIT = 10.0


def _warn_if_far_from_unit_scale(scale, owner):
    """Warn at fit when numeric sequences reach the network as given (``normalize=None``)
    at a scale far from 1."""
    if not scale > RAW_SCALE_LIMIT:
        return
    warnings.warn(
        f"X reaches the network as given (normalize=None), and its values are far from "
        f"unit scale (a root mean square of {scale:.4g} for its largest feature): recurrent "
        "cells saturate on such values, and the forecast can come out flat. Pass "
        "normalize='channel' (each feature standardised with the training set's mean and "
        "standard deviation, its level kept), or scale X first. Scaling y "
        "(TransformedTargetRegressor) does not scale X.",
        UserWarning,
        stacklevel=stacklevel_outside_sknn(),
    )


def _warn_if_one_sequence_split(lengths, fit_steps):
    """Warn at predict when every sequence has one step where the fit's all had
    ``fit_steps``: one sequence given as its 2-D array ``(n_steps, n_features)`` (such
    as ``X[-1]``, the latest window) is read as that many sequences of one step."""
    if fit_steps is None or fit_steps < 2 or len(lengths) < 2 or np.any(lengths != 1):
        return
    warnings.warn(
        f"X holds {len(lengths)} sequences of one step each, where the model was fitted on "
        f"sequences of {fit_steps} steps: a single sequence given as a 2-D array "
        "(n_steps, n_features), such as X[-1], is read as that many sequences of one "
        "step. Pass X[-1:] (a 3-D array of one sequence) or [sequence].",
        UserWarning,
        stacklevel=stacklevel_outside_sknn(),
    )


def _warn_if_numbers_as_text(X, owner):
    """Warn when an array of strings that ``input_kind='auto'`` reads as tokens holds
    numbers only ('0.57', '12'): each would be a word, its size lost, where scikit-learn's
    estimators read such an array as numbers."""
    if not isinstance(X, np.ndarray) or X.ndim != 2 or X.dtype.kind not in "UO" or not X.size:
        return
    cells = X[:100].ravel()
    if not all(isinstance(cell, str) for cell in cells):
        return
    try:
        cells.astype(np.float64)
    except ValueError:
        return
    warnings.warn(
        f"X is an array of strings that all read as numbers (such as {cells[0]!r}); "
        f"{owner} reads strings as tokens (input_kind='auto'), so each number is a word "
        "and its size is lost. Pass X.astype(float) to read numeric series, or "
        "input_kind='text' to read them as tokens without this warning.",
        UserWarning,
        stacklevel=stacklevel_outside_sknn(),
    )


def _warn_if_padded_ids(X, owner):
    """Warn at fit when an integer 2-D array looks like token ids padded with 0 at the end
    or the beginning of its rows (``TextVectorizer``'s output, Keras' ``pad_sequences``):
    ``input_kind='auto'`` reads an array of numbers as numeric series, not as tokens."""
    if not isinstance(X, np.ndarray) or X.ndim != 2 or X.dtype.kind not in "iu" or not X.size:
        return
    found = padding_of(X) if X.min() >= 0 else None
    if found is None or found[0] != 0:
        return
    _, side, n_rows, n_looked_at = found
    warnings.warn(
        f"X looks like token ids padded with 0, as TextVectorizer or Keras' pad_sequences "
        f"write them: {n_rows} of its first {n_looked_at} rows {side} with a run of 0, "
        f"which occurs nowhere else. {owner} reads an array of numbers as numeric series "
        "(input_kind='auto'), not as tokens. For text, pass the raw texts (the estimator "
        "builds its own vocabulary), or the ids without their padding with "
        "input_kind='text': [row[row != 0] for row in X].",
        UserWarning,
        stacklevel=stacklevel_outside_sknn(),
    )


def _warn_if_horizons_overlap(y, gap):
    """Warn when ``y`` holds forecast windows one step apart (each row's targets those of
    the row before, shifted by one step: ``make_windows(horizon=h)``'s y) and
    ``validation_gap`` is below ``h - 1``: the first validation rows would share targets
    with the last training rows."""
    y = np.asarray(y)
    if y.ndim != 2 or y.shape[1] < 2 or len(y) < 3:
        return
    # Each row's targets are the previous row's, shifted by `shift` columns (one step
    # of make_windows' stride, times its number of targets): ceil(columns / shift) - 1
    # rows share targets with each row.
    columns = y.shape[1]
    shift = next((d for d in range(1, columns) if np.array_equal(y[1:, :-d], y[:-1, d:])), None)
    if shift is None:
        return
    needed = -(-columns // shift) - 1
    if gap >= needed:
        return
    warnings.warn(
        f"y holds forecasts made one row apart whose targets overlap (each row's are the "
        f"previous row's, shifted by {shift} column(s)), and validation_gap={gap}: the "
        "first validation rows of early_stopping share targets with the last training "
        f"rows, so the validation score is optimistic. Pass validation_gap={needed}.",
        UserWarning,
        stacklevel=stacklevel_outside_sknn(),
    )


def _warn_if_classes_split_apart(y, train_idx, valid_idx):
    """Warn when the last rows that early stopping validates on hold a single class, or
    classes no training row holds: the rows are then sorted (by class, say), not in time
    order, and the validation score measures the wrong thing."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:  # multilabel and multi-output: per column, too fine for a warning
        return
    valid = np.unique(y[valid_idx])
    unseen = np.setdiff1d(valid, y[train_idx])
    if len(valid) > 1 and not len(unseen):
        return
    what = (
        f"a single class ({valid.tolist()[0]!r})"
        if len(valid) == 1
        else f"classes that no training row holds ({unseen[:5].tolist()})"
    )
    warnings.warn(
        f"early_stopping validates on the last {len(valid_idx)} rows "
        f"(validation_split='last'), and they hold {what}: the rows look sorted, by "
        "class for example, rather than in time order, and the validation score cannot "
        "tell when to stop. Pass validation_split='random' for a stratified random part.",
        UserWarning,
        stacklevel=stacklevel_outside_sknn(),
    )


def _feature_names_source(X):
    """What holds X's feature names: the first frame of a list of per-sequence
    DataFrames (whose columns every frame must share), else X itself."""
    first = frame_list_columns(X)
    return X if first is None else first


def _warn_if_channels_first(X):
    """Warn at fit when a 3-D array has fewer than half as many time steps as features
    per step: sktime and aeon's 3-D form ('numpy3D') is ``(n_samples, n_channels,
    n_timepoints)``, the transpose of what the sequence estimators read, and their series
    have many more time points than channels. Windows of a few steps over many series
    (``make_windows`` of 12 series, windows of 8 steps) are read as given."""
    if not isinstance(X, np.ndarray) or X.ndim != 3 or 2 * X.shape[1] > X.shape[2]:
        return
    n, steps, features = X.shape
    warnings.warn(
        f"X is a 3-D array of shape {X.shape}, read as (n_samples, n_timesteps, "
        f"n_features): {n} sequences of {steps} time steps with {features} features "
        "each. sktime and aeon lay out 3-D arrays ('numpy3D') as (n_samples, n_channels, "
        f"n_timepoints); if X holds {steps} channels over {features} time points, pass "
        f"X.transpose(0, 2, 1), of shape {(n, features, steps)}.",
        UserWarning,
        stacklevel=stacklevel_outside_sknn(),
    )


def _refuse_text_columns(X, owner):
    """A DataFrame of several columns is a table of time steps: refuse one whose columns
    hold text (documents in several columns), naming them, before NumPy's 'could not
    convert string to float'."""
    if not isinstance(X, pd.DataFrame):
        return
    text = [
        column
        for column in X.columns
        if pd.api.types.is_string_dtype(X[column].dtype)
        and pd.api.types.infer_dtype(X[column], skipna=True) in ("string", "mixed")
    ]
    if text:
        raise ValueError(
            f"{owner} reads a DataFrame of several columns as a table of numeric time "
            f"steps, but columns {text[:5]} hold text. For documents, pass one column "
            f"(X[{text[0]!r}]), or join the text columns into one."
        )


def _reiterable(X):
    """A one-shot iterator (a generator of documents or sequences) as a list: X is read
    more than once (its kind, then its documents), and each read must see all of it. A
    torch nested tensor is the list of its sequences, and a bfloat16 tensor float32."""
    return list(X) if isinstance(X, Iterator) else readable_tensor(X)


def _regular_array(X):
    """A list of equal-length numeric rows as the array NumPy makes of it, else X.

    A list (or another array-like) that NumPy reads as a regular numeric array is that
    array for every purpose (as in scikit-learn, ``X.tolist()`` is the same data as ``X``);
    only a ragged list is read as sequences of different lengths.
    """
    if isinstance(X, np.ndarray | pd.DataFrame):
        return X
    # Lists, and array-likes that are not arrays (a tensor, scikit-learn's _NotAnArray).
    if not isinstance(X, list | tuple) and not hasattr(X, "__array__"):
        return X
    try:
        array = np.asarray(X)
    except (ValueError, TypeError):  # ragged: NumPy refuses inhomogeneous shapes
        return X
    return array if array.dtype.kind in "biuf" and array.ndim in (2, 3) else X


_ENCODER_PARAMETERS = """
    cell : {'auto', 'fcn', 'resnet', 'lstm', 'gru', 'rnn'}, default='auto'
        The encoder. 'fcn' is the fully convolutional network (Wang et al., 2017: three
        convolutions of kernel sizes 8, 5 and 3, each with batch normalisation and ReLU)
        and 'resnet' its residual variant (three residual blocks of three such
        convolutions); both end in global average pooling by default. 'rnn' is the
        vanilla Elman network with tanh, whose gradients vanish over long sequences;
        'gru' and 'lstm' are gated and remember longer. 'auto' takes 'fcn' for numeric
        sequences and 'lstm' for text in :class:`SequenceClassifier`, and 'lstm' in
        :class:`SequenceRegressor` (see ``cell_`` and the user guide's measurements).
        The convolutional encoders use batch normalisation, so they need at least 2
        training rows.

    hidden_size : int, default=64
        Width of the encoder: the hidden units of each recurrent layer and direction; for
        'fcn' the channels of its three convolutions are ``(h // 2, h, h // 2)`` and for
        'resnet' those of its three blocks ``(h // 2, h, h)``, with ``h = hidden_size``
        (Wang et al.'s networks are ``h=256`` and ``h=128``).
"""

_SEQUENCE_PARAMETERS = """
    %(training_parameters)s

    num_layers : int, default=1
        Number of stacked recurrent layers (the recurrent cells only: the convolutional
        encoders ignore it, with a warning).

    bidirectional : bool, default=False
        Also read each sequence from its end to its start; the per-step outputs are then
        the two directions concatenated (``2 * hidden_size`` values). Recurrent cells only
        (the convolutional encoders ignore it, with a warning).

    dropout : float, default=0.0
        Dropout probability between stacked recurrent layers, on the pooled vector and
        after each hidden dense layer.

    pooling : {'auto', 'last', 'mean', 'max', 'attention'}, default='auto'
        How the per-step outputs become one vector per sequence: the state at each
        sequence's true last step, the mean or maximum over its steps, or a learned
        attention-weighted sum. Padding never enters. 'auto' is 'last' for the recurrent
        cells and 'mean' (global average pooling) for the convolutional encoders.

    dense_sizes : int or array-like of int, default=()
        Sizes of the hidden dense layers of the head, between the pooling and the output
        layer; an int is one layer of that size, and ``()`` gives a linear head.

    activation : {'relu', 'tanh', 'logistic', 'identity'}, default='relu'
        Activation of the hidden dense layers.

    input_kind : {'auto', 'sequences', 'text'}, default='auto'
        How X is read. 'auto' reads raw texts and lists of string tokens as text and
        everything numeric as sequences; 'text' also sends lists of integer token ids
        through the text front end (a vocabulary and an embedding) instead of reading
        them as numbers.

    max_len : int or None, default=None
        Cut sequences (or documents, in tokens) longer than ``max_len``. None never cuts.
        A model fitted on the 2-D form checks at predict that every sequence has its
        ``n_features_in_`` steps before cutting them.

    truncating : {'post', 'pre'}, default='post'
        Which steps ``max_len`` keeps: 'post' the first ones, 'pre' the last ones.

    embedding_dim : int, default=32
        Size of the token embedding for text input.

    max_vocab : int or None, default=20000
        Keep only the ``max_vocab`` most frequent tokens of text input (None keeps all).

    min_freq : int, default=1
        Tokens of text input seen fewer times at fit map to the unknown-token id.

    tokenizer : callable or None, default=None
        A function ``str -> list of str`` for raw texts; None uses
        :func:`sknn.text.word_tokenize`. Use a module-level function, not a lambda, if the
        model is to be pickled.

    lowercase : bool, default=True
        Lower-case raw texts before tokenizing them (whatever the tokenizer) and string
        tokens before looking them up, as :class:`sknn.text.TextVectorizer` does.

    validation_split : {'last', 'random'}, default='last'
        Which rows ``early_stopping`` holds out: 'last' takes the last
        ``validation_fraction`` of the rows, in the order given, so the model is never
        validated on rows older than the ones it trains on (right for time-ordered rows,
        such as those of :func:`sknn.timeseries.make_windows`); 'random' draws them at
        random (stratified for classification), as the other estimators do.

    validation_gap : int, default=0
        With ``validation_split='last'``, the number of rows dropped between the training
        and the validation rows; ``ceil(horizon / stride) - 1`` keeps forecast windows that
        share targets apart. Ignored, with a warning, by ``validation_split='random'``.

    normalize : {'auto', 'series', 'series_stats', 'channel'} or None, default='auto'
        'series' z-normalises each numeric sequence, feature by feature, over its own
        steps (mean 0, standard deviation 1; the UCR archive's convention), at fit and at
        predict alike: it removes each sequence's offset and amplitude, which helps when
        they are nuisance (a sensor's gain, series of very different scales) and hurts
        when they carry the answer (the level of a forecast window, the current an
        appliance draws). 'series_stats' z-normalises each sequence as 'series' does and
        gives the network what that removed: the sequence's mean relative to the
        training set's (``(m - channel_mean_) / channel_scale_``) and the log of its
        standard deviation relative to the training set's (``log(s / channel_scale_)``,
        floored at ``log(1e-6)``). The convolutional encoders take the two beside the
        pooled features, before the dense head, and convolve the shape alone; the
        recurrent cells read them as two more features at every step. On series that
        were z-normalised beforehand both are constant, and are left out (see
        ``series_stats_kept_``), so the network is that of 'series'. 'channel'
        standardises each feature with the mean and standard deviation of its values over
        all the training sequences' steps (learned at fit, as a StandardScaler would,
        ``channel_mean_`` and ``channel_scale_``): it keeps levels and puts features of
        different units on one scale. None leaves the values as given. 'auto' is, for
        :class:`SequenceClassifier`, 'series_stats' for one feature per step (univariate
        series, as the UCR archive's, in their 3-D, list or 2-D form alike: on PLAID, whose
        series were not z-normalised beforehand, it scored 0.874 against 0.859 for
        'series', three seeds, on aeon's PickupGestureWiimoteZ 0.820 against 0.673, and
        on PigCVP 0.721 against 0.119 for the values as given; on the archive's
        z-normalised sets it is 'series' exactly) and 'channel' for several (on
        JapaneseVowels, 12 cepstral coefficients per step, z-normalising each series cost
        0.19 of accuracy, 0.801 against 0.992 for 'channel' and for the values as given;
        with each feature's units changed at random, as given fell to 0.956 and 'channel'
        stayed at 0.992); None for the regressor. Text input is never normalised. See
        ``normalize_``.

    time_index : bool or 'auto', default='auto'
        Give the network each step's position in time as one more feature, after the
        normalisation: a ramp from -1 at each sequence's first step to 1 at the last step
        of the longest training sequence (``time_index_span_``), the same for every
        sequence, continued past 1 by longer ones at predict. The convolutional encoders
        with average pooling do not otherwise see where in a sequence a pattern lies.
        On long series it helps where they are aligned in time (the samples after a
        trigger) and hurts where a series' starting point is arbitrary: with the default
        FCN, three seeds, ACSF1 0.877 to 0.890, PLAID 0.877 to 0.888, aeon's
        PickupGestureWiimoteZ 0.813 to 0.887, GunPoint 0.993 to 0.991, BasicMotions
        unchanged, but OSULeaf 0.979 to 0.934 and ArrowHead 0.844 to 0.781 (outlines
        traced from any point) and PigCVP 0.731 to 0.345 (segments cut at arbitrary
        times). On short series of one length it gained, or cost at most one test series
        of a set: ItalyPowerDemand (24 hourly loads) 0.963 to 0.967 (ten seeds, where the
        random forest scores 0.969), UnitTest 0.909 to 0.924 on one thread and 0.894 to
        0.909 on two (22 test series: one is 0.045), and windows of 48 steps cut at random
        offsets from GunPoint, ArrowHead, OSULeaf and ACSF1 between -0.013 and +0.05.
        'auto' is therefore True for :class:`SequenceClassifier`'s convolutional encoders
        on numeric training sequences all of one length, at most 64 steps
        (``sknn.estimators.sequence.AUTO_TIME_INDEX_MAX_STEPS``; no set between 30 and 99
        steps was at hand to place that bound more finely), and False otherwise: for
        ragged sequences (aligned at their start, as JapaneseVowels' utterances, where it
        changed nothing, or at their end, as :class:`~sknn.timeseries.PastRows`' windows,
        where a ramp from each one's first step misplaces the current row), for the
        recurrent cells and for the regressor (not measured there). It is decided on the
        data of the first fit (a ``partial_fit`` loop's first call), so folds of one
        cross-validation can differ when their lengths straddle the bound. Sequences at
        predict longer than ``time_index_span_`` take the ramp past 1, where the network
        never trained: they warn. See the user guide.
        Numeric input only: ``time_index=True`` on text raises an error.
"""

_SEQUENCE_ATTRIBUTES = """
    %(training_attributes)s

    input_kind_ : {'sequences', 'text'}
        How X was read at fit.

    cell_ : str
        The encoder trained: ``cell``, with 'auto' resolved by ``input_kind_``.

    normalize_ : {'series', 'series_stats', 'channel'} or None
        The normalisation applied to numeric input: ``normalize``, 'auto' resolved.

    channel_mean_, channel_scale_ : ndarray of shape (n_step_features,) or None
        With ``normalize_`` 'channel' or 'series_stats', the mean and standard deviation
        (1 for a constant feature) of each feature over the training sequences' steps,
        weighted by ``fit``'s ``sample_weight`` (the convolutional encoders' batch norm
        cannot be: see the user guide); else None.

    series_stats_kept_ : ndarray of shape (2 * n_step_features,), dtype bool, or None
        With ``normalize_='series_stats'``, which statistics of each sequence (each
        feature's relative mean, then each one's log relative standard deviation) reach the
        network: those that vary across the training sequences (a standard deviation
        above 1e-3). On series z-normalised beforehand none does, and the network is
        exactly that of ``normalize='series'``. Else None.

    time_index_span_ : int or None
        When the time index was given (``time_index=True``, or 'auto' resolved so), the
        length of the longest training sequence: the time index reaches 1 at its last
        step. Else None.

    vectorizer_ : TextVectorizer or None
        The text front end fitted on text input, else None.
"""


def _fill_sequence_doc(cls):
    # The shared texts state the classifier's defaults; each class documents its own.
    parameters = _with_class_defaults(textwrap.dedent(_SEQUENCE_PARAMETERS), cls)
    cls.__doc__ = (
        cls.__doc__.replace(
            "    %(sequence_parameters)s\n", textwrap.indent(parameters.lstrip("\n"), "    ")
        )
        .replace("    %(sequence_attributes)s\n", _SEQUENCE_ATTRIBUTES.lstrip("\n"))
        .replace("    %(sequence_encoder_parameters)s\n", _ENCODER_PARAMETERS.lstrip("\n"))
    )
    return fill_doc(cls)


@_fill_sequence_doc
class SequenceClassifier(NeuralNetClassifierMixin, _BaseSequence):
    """Neural network classifier of sequences and texts (convolutional or recurrent).

    Each sample is a sequence of time steps: an encoder reads it (a fully convolutional or
    residual network, or a recurrent RNN, GRU or LSTM), a pooling step summarises it into
    one vector, and a dense head maps that vector to class scores.
    Sequences may have different lengths (they are padded and packed inside, never cut
    unless ``max_len`` says so), and raw texts or token lists go through
    :class:`sknn.text.TextVectorizer` and an embedding, so a recurrent sentiment classifier
    is one estimator. Trained with PyTorch on ``device``.

    X may be:

    - a 3-D array ``(n_samples, n_timesteps, n_features)``;
    - a 2-D array or DataFrame ``(n_samples, n_timesteps)``: univariate sequences. This form
      keeps scikit-learn's tabular contract: ``n_features_in_`` is ``n_timesteps`` and
      predict needs the same number of columns;
    - a list of arrays ``(T_i,)`` or ``(T_i, n_features)`` of different lengths;
    - a nested DataFrame (sktime's 'nested_univ' form): a column per feature, each cell
      that feature's values over the row's steps, read as the list of its rows;
    - a DataFrame in sktime's long 'pd-multiindex' form, a row index of two levels
      (instance, time point) and a row per time step, when ``y`` has one value per
      instance: read as one sequence per instance, in the order of their first rows;
    - raw texts, or lists of string tokens (see ``input_kind``).

    Parameters
    ----------
    %(sequence_encoder_parameters)s

    %(sequence_parameters)s

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes in the loss, as in scikit-learn's linear models; multiplied
        with ``sample_weight``. ``partial_fit`` refuses 'balanced', as ``SGDClassifier``
        does.

    label_smoothing : float, default=0.0
        Label smoothing of the classification loss: the target puts
        ``1 - label_smoothing`` on the true class and spreads the rest uniformly.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray of shape (n_classes,)
        Class labels, in the order of :meth:`predict_proba`'s columns.

    %(sequence_attributes)s

    See Also
    --------
    SequenceRegressor : The regressor counterpart, for values and forecasts.
    sknn.modules.convolutional_sequence.ConvSequenceModule : The convolutional network.
    sknn.modules.recurrent.RecurrentModule : The recurrent network.
    sknn.timeseries.make_windows : Rows of past windows and future values from a series.

    Notes
    -----
    ``n_features_in_`` is the number of features per time step for 3-D, list and nested
    DataFrame input, the number of columns (time steps) for the 2-D form, and 1 (one column
    of documents) for text.

    With ``early_stopping=True`` the validation rows are by default the *last* ones
    (``validation_split='last'``). When the rows are not in time order (for example sorted
    by class), pass ``validation_split='random'`` for a stratified random part.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn.estimators.sequence import SequenceClassifier
    >>> rng = np.random.RandomState(0)

    Series of one period or two of a noisy sine: the default, the fully convolutional
    network on each series z-normalised (its mean and spread beside), tells them apart.

    >>> y = rng.randint(2, size=60)
    >>> t = np.linspace(0, 1, 40)
    >>> X = np.sin(2 * np.pi * (1 + y[:, None]) * t) + 0.3 * rng.normal(size=(60, 40))
    >>> X = X[:, :, np.newaxis]  # (n_samples, n_timesteps, n_features)
    >>> clf = SequenceClassifier(hidden_size=16, max_iter=20, random_state=0,
    ...                          device="cpu").fit(X, y)
    >>> clf.cell_, clf.normalize_
    ('fcn', 'series_stats')
    >>> clf.predict_proba(X[:1]).shape
    (1, 2)
    >>> bool(clf.score(X, y) > 0.9)
    True

    A recurrent cell, on a task where each series' level is the answer (so not
    z-normalised):

    >>> X = rng.normal(size=(100, 15, 2)).astype("float32")
    >>> y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    >>> clf = SequenceClassifier("gru", hidden_size=16, normalize=None,
    ...                          learning_rate="constant", learning_rate_init=0.01,
    ...                          max_iter=30, random_state=0, device="cpu").fit(X, y)
    >>> bool(clf.score(X, y) > 0.9)
    True
    >>> texts = ["a good film", "a great film", "a bad film", "an awful film"] * 5
    >>> clf = SequenceClassifier(hidden_size=8, max_iter=30, learning_rate_init=0.05,
    ...                          random_state=0, device="cpu").fit(texts, [1, 1, 0, 0] * 5)
    >>> clf.predict(["good", "awful"])
    array([1, 0])
    """

    _y_numeric = False
    #: ``normalize='auto'``: by whether the series have one feature per step.
    _auto_normalize = {"univariate": "series_stats", "multivariate": "channel"}
    _auto_time_index_max_steps = AUTO_TIME_INDEX_MAX_STEPS
    _auto_cells = AUTO_CELLS["SequenceClassifier"]
    _parameter_docs = {
        **_BaseSequence._parameter_docs,
        "n_init": """
n_init : int or 'auto', default='auto'
    Number of networks fitted from different random initialisations (seeds drawn from
    ``random_state``); see ``ensemble``. 'auto' is 3 for the convolutional encoders on
    small training sets of short numeric series (at most 320 series, those whose default
    fit is at its floor of 2,000 optimizer steps, see ``max_iter``, of at most 64 steps
    each), and 1 otherwise and for a fit that continues or resumes a network
    (``partial_fit``, ``warm_start``, ``checkpoint``, ``resume_from``). One network's
    accuracy varies with its initialisation most on small sets, and averaging several is
    the published remedy (InceptionTime averages five); three cost three times the fit
    (ItalyPowerDemand: 9 s against 27 s on two CPU threads). See the sequence user guide
    for the measurements it was chosen on. ``partial_fit`` and ``warm_start`` continue
    each fitted network; an int above 1 cannot start with them, nor be combined with
    ``checkpoint`` or ``resume_from``.
""",
        "ensemble": """
ensemble : {'average', 'best'}, default='average'
    With several networks (``n_init > 1``, or 'auto' resolved so): average their
    predicted probabilities, the fitted attributes then being those of run
    ``best_init_`` (see ``runs_``), or keep the run with the best validation score
    (without ``early_stopping``, the lowest loss of the network it kept on the training
    rows).
""",
    }

    def __init__(
        self,
        cell="auto",
        hidden_size=64,
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="cosine",
        learning_rate_init=0.003,
        power_t=0.5,
        max_iter="auto",
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change="auto",
        max_fun=15000,
        weight_decay=0.0,
        device="auto",
        callbacks=None,
        warmup=0,
        min_lr=0.0,
        l1=0.0,
        grad_clip=None,
        n_init="auto",
        ensemble="average",
        precision="auto",
        compile=False,
        cuda_graph="auto",
        stream_data="auto",
        checkpoint=None,
        resume_from=None,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        pooling="auto",
        dense_sizes=(),
        activation="relu",
        input_kind="auto",
        max_len=None,
        truncating="post",
        embedding_dim=32,
        max_vocab=20000,
        min_freq=1,
        tokenizer=None,
        lowercase=True,
        validation_split="last",
        validation_gap=0,
        normalize="auto",
        time_index="auto",
        class_weight=None,
        label_smoothing=0.0,
    ):
        self.cell = cell
        self.hidden_size = hidden_size
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
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.pooling = pooling
        self.dense_sizes = dense_sizes
        self.activation = activation
        self.input_kind = input_kind
        self.max_len = max_len
        self.truncating = truncating
        self.embedding_dim = embedding_dim
        self.max_vocab = max_vocab
        self.min_freq = min_freq
        self.tokenizer = tokenizer
        self.lowercase = lowercase
        self.validation_split = validation_split
        self.validation_gap = validation_gap
        self.normalize = normalize
        self.time_index = time_index
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing

    _parameter_constraints: dict = {
        **_BaseSequence._parameter_constraints,
        "n_init": [Count(1, None, closed="left"), StrOptions({"auto"})],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    }

    def _resolved_n_init(self, X, y, sample_weight):
        """``n_init`` with 'auto' resolved for a fresh fit on ``X`` (see ``n_init``)."""
        if not isinstance(self.n_init, str):
            return self.n_init
        if (self.cell != "auto" and self.cell not in CONV_CELLS) or self.input_kind == "text":
            return 1
        try:
            n_rows = _num_samples(X)
        except Exception:  # noqa: BLE001 - a container the front door reads (a nested tensor)
            n_rows = 0
        if n_rows > AUTO_N_INIT_MAX_SERIES and not is_long_frame(X):
            return 1
        # Read by a copy through the fit's own front door (a small set: cheap), for the
        # encoder 'auto' resolves to, the number of series and the longest one. Its
        # warnings are the fit's, given by the fits of the networks.
        probe = clone(self)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            X_read, _ = probe._validate_X_y(X, y, reset=True, sample_weight=sample_weight)
        lengths = X_read["lengths"]
        small = (
            len(lengths) <= AUTO_N_INIT_MAX_SERIES
            and int(lengths.max(initial=0)) <= AUTO_N_INIT_MAX_STEPS
        )
        return AUTO_N_INIT if small and probe.cell_ in CONV_CELLS else 1


@_fill_sequence_doc
class SequenceRegressor(NeuralNetRegressorMixin, _BaseSequence):
    """Neural network regressor of sequences: one value or a horizon of values each.

    Each sample is a sequence of time steps: an encoder reads it (a fully convolutional or
    residual network, or a recurrent RNN, GRU or LSTM), a pooling step summarises it into
    one vector, and a dense head maps that vector to the outputs. With a
    2-D ``y`` of shape ``(n_samples, horizon)`` it forecasts several future steps at once,
    as :func:`sknn.timeseries.make_windows` lays them out. Sequences may have different
    lengths (padded and packed inside, never cut unless ``max_len`` says so); texts go
    through :class:`sknn.text.TextVectorizer`. Trained with PyTorch on ``device``.

    X takes the forms :class:`SequenceClassifier` takes: a 3-D array
    ``(n_samples, n_timesteps, n_features)``, a 2-D array or DataFrame
    ``(n_samples, n_timesteps)`` of univariate sequences (scikit-learn's tabular contract:
    ``n_features_in_`` is ``n_timesteps``), a list of arrays of different lengths, a nested
    DataFrame (sktime's 'nested_univ' form), or texts.

    Parameters
    ----------
    %(sequence_encoder_parameters)s

    %(sequence_parameters)s

    loss : {'squared_error', 'poisson'}, default='squared_error'
        'squared_error' is half the squared error with an identity output; 'poisson' is half
        the Poisson deviance with an exponential output (y must be non-negative).

    Attributes
    ----------
    %(sequence_attributes)s

    See Also
    --------
    SequenceClassifier : The classifier counterpart.
    sknn.timeseries.make_windows : Rows of past windows and future values from a series.
    sknn.timeseries.last_fraction_split : The split behind ``validation_split='last'``.

    Notes
    -----
    The network's output is linear and trains best on targets of order one: scale a series
    (for example with :class:`~sklearn.preprocessing.StandardScaler`, or by dividing it by
    its training standard deviation) before cutting windows, or wrap the estimator in
    :class:`~sklearn.compose.TransformedTargetRegressor`.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn.estimators.sequence import SequenceRegressor
    >>> from sknn.timeseries import make_windows
    >>> X, y = make_windows(np.sin(np.arange(300) / 5), window=10, horizon=2, flatten=False)
    >>> reg = SequenceRegressor("gru", hidden_size=16, learning_rate_init=0.01,
    ...                         max_iter=30, random_state=0, device="cpu").fit(X, y)
    >>> reg.predict(X[-1:]).shape
    (1, 2)
    >>> bool(reg.score(X, y) > 0.9)
    True
    """

    _y_numeric = True
    _auto_normalize = {"univariate": None, "multivariate": None}
    _auto_time_index_max_steps = 0  # not measured on regression: 'auto' is off
    _auto_cells = AUTO_CELLS["SequenceRegressor"]

    def __init__(
        self,
        cell="auto",
        hidden_size=64,
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="cosine",
        learning_rate_init=0.003,
        power_t=0.5,
        max_iter="auto",
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change="auto",
        max_fun=15000,
        weight_decay=0.0,
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
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        pooling="auto",
        dense_sizes=(),
        activation="relu",
        input_kind="auto",
        max_len=None,
        truncating="post",
        embedding_dim=32,
        max_vocab=20000,
        min_freq=1,
        tokenizer=None,
        lowercase=True,
        validation_split="last",
        validation_gap=0,
        normalize=None,
        time_index="auto",
        loss="squared_error",
    ):
        self.cell = cell
        self.hidden_size = hidden_size
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
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.pooling = pooling
        self.dense_sizes = dense_sizes
        self.activation = activation
        self.input_kind = input_kind
        self.max_len = max_len
        self.truncating = truncating
        self.embedding_dim = embedding_dim
        self.max_vocab = max_vocab
        self.min_freq = min_freq
        self.tokenizer = tokenizer
        self.lowercase = lowercase
        self.validation_split = validation_split
        self.validation_gap = validation_gap
        self.normalize = normalize
        self.time_index = time_index
        self.loss = loss

    _parameter_constraints: dict = {
        **_BaseSequence._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }


def _statistics_weight(sample_weight, n_samples):
    """The fit's sample weights for the normalisation's statistics, checked, or None (none
    given, or all zero: the fit refuses those right after, as there is nothing to train
    on). The statistics are weighted as the loss is, so that a row of weight 0 is as if
    it were absent (batch normalisation's statistics cannot be)."""
    if sample_weight is None:
        return None
    sample_weight = _check_sample_weight(
        sample_weight, np.empty((n_samples, 0)), ensure_non_negative=True
    )
    return sample_weight if np.any(sample_weight) else None
