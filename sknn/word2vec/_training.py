"""The engine that trains word2vec: batched negative-sampling SGD in torch.

Knows torch, not scikit-learn. The corpus lives on the device as one flat tensor of word
indices with a parallel tensor of sentence ids; every epoch subsamples it, cuts it into
chunks of whole sentences, turns each chunk into (input, output) index pairs at once and
applies the same sparse SGD update as the reference C code and gensim, one mini-batch of
pairs at a time, with ``index_add_`` on the two embedding matrices.

Within a mini-batch the updates of a word that occurs several times are summed rather than
applied one after the other; this is the only departure from the sequential algorithm, and
the mini-batch size bounds it.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F

# Large enough that on a real vocabulary only the few most frequent words reach it in a
# step of a few thousand pairs, small enough that a step can never move a row by more
# than a few dozen plain SGD updates.
_MAX_SUMMED_UPDATES = 32


def flatten_corpus(encoded_documents, device):
    """One flat index tensor and the sentence id of each of its tokens.

    Parameters
    ----------
    encoded_documents : list of list of int
        Word indices of each document, unknown words already dropped.
    device : torch.device

    Returns
    -------
    tokens, sentence_ids : LongTensor of shape (n_tokens,)
    """
    lengths = np.fromiter((len(doc) for doc in encoded_documents), dtype=np.int64)
    flat = np.fromiter(
        (index for doc in encoded_documents for index in doc), dtype=np.int64, count=lengths.sum()
    )
    sentence_ids = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    return torch.from_numpy(flat).to(device), torch.from_numpy(sentence_ids).to(device)


class NegativeSamplingTrainer:
    """Owns the two embedding matrices and the update rule.

    Parameters
    ----------
    n_words : int
        Vocabulary size.
    vector_size : int
        Embedding dimension ``D``.
    keep_probabilities : ndarray of shape (n_words,)
        Probability of keeping each occurrence of a word (frequent-word subsampling).
    noise_distribution : ndarray of shape (n_words,)
        Distribution the negatives are drawn from.
    sg : bool
        Skip-gram when true, CBOW (mean of the context vectors) otherwise.
    window, negative : int
        Maximum window radius and number of negatives per positive example.
    alpha, min_alpha : float
        Learning rate at the start and the end of training, linearly decayed in between.
    batch_words : int
        Tokens turned into training examples at once (memory versus speed).
    batch_size : int
        Positive examples per SGD step.
    device : torch.device
    generator : torch.Generator
        The only source of randomness, on ``device``.
    """

    def __init__(
        self,
        n_words,
        vector_size,
        keep_probabilities,
        noise_distribution,
        *,
        sg,
        window,
        negative,
        alpha,
        min_alpha,
        batch_words,
        batch_size,
        device,
        generator,
    ):
        self.n_words = n_words
        self.sg = sg
        self.window = window
        #: Mean loss and number of positive examples of each finished epoch; kept up to date
        #: while training so that an interrupted fit still has them.
        self.loss_curve = []
        self.examples_per_epoch = []
        self.negative = negative
        self.alpha = alpha
        self.min_alpha = min_alpha
        self.batch_words = batch_words
        self.batch_size = batch_size
        self.device = device
        self.generator = generator
        self.keep_probabilities = torch.as_tensor(
            keep_probabilities, dtype=torch.float32, device=device
        )
        noise = torch.as_tensor(noise_distribution, dtype=torch.float64, device=device)
        self.noise_cdf = torch.cumsum(noise, 0).float()
        self.noise_cdf[-1] = 1.0
        # gensim 4's initialisation: input vectors uniform in [-1, 1) / D (twice the range
        # of the original C code, which measurably helps on a small corpus: the output
        # vectors, zero at first, grow from the input vectors), output vectors zero, so
        # that every score starts at 0.
        self.input_vectors = (
            2.0 * torch.rand(n_words, vector_size, generator=generator, device=device) - 1.0
        ) / vector_size
        self.output_vectors = torch.zeros(n_words, vector_size, device=device)
        self._longest_sentence = None  # set by train(); see _windows
        self._offsets = None

    def _rand(self, *shape):
        return torch.rand(*shape, generator=self.generator, device=self.device)

    def _draw_negatives(self, n):
        # Inverse-CDF sampling: one searchsorted over the cumulative noise table, which is
        # faster than torch.multinomial for millions of draws and gives the same distribution.
        draws = torch.searchsorted(self.noise_cdf, self._rand(n, self.negative))
        return draws.clamp_(max=len(self.noise_cdf) - 1)

    def _subsample(self, tokens, sentence_ids):
        keep = self._rand(len(tokens)) < self.keep_probabilities[tokens]
        return tokens[keep], sentence_ids[keep]

    def _chunk_bounds(self, sentence_ids):
        """Chunk boundaries about ``batch_words`` tokens apart, on sentence starts.

        A boundary moves forward to the next sentence start, unless that is more than
        ``batch_words`` tokens away (a very long document): it then cuts the sentence, losing
        only the few pairs that straddle the cut, to keep memory bounded.
        """
        n = len(sentence_ids)
        if n <= self.batch_words:
            return [0, n] if n else []
        starts = torch.nonzero(sentence_ids[1:] != sentence_ids[:-1]).flatten() + 1
        starts = torch.cat([starts, torch.tensor([n], device=self.device)])
        targets = torch.arange(self.batch_words, n, self.batch_words, device=self.device)
        aligned = starts[torch.searchsorted(starts, targets)]
        cuts = torch.where(aligned - targets > self.batch_words, targets, aligned)
        bounds = torch.unique(torch.cat([cuts, torch.tensor([0, n], device=self.device)]))
        return bounds.tolist()

    def _windows(self, tokens, sentence_ids):
        """Group the positions of a chunk by window radius, with their context words.

        Each position gets its own radius, drawn uniformly in ``[1, window]`` as in the
        reference code, which weights near words more than far ones. Offsets are ordered
        ``-1, +1, -2, +2, ...`` so that the contexts of a radius-``r`` position are exactly
        the first ``2r`` offsets: grouping positions by radius leaves no padding except at
        sentence edges.

        Yields
        ------
        centres : LongTensor of shape (n,)
        contexts : LongTensor of shape (n, 2 * r)
        valid : BoolTensor of shape (n, 2 * r)
        """
        n = len(tokens)
        radius = self.window - torch.floor(self._rand(n) * self.window).long()
        largest = self.window
        longest = self._longest_sentence or n
        if self.window > max(longest - 1, n - 1):
            # Every radius from min(longest - 1, n - 1) on reaches past both ends of every
            # sentence of the chunk, so all give the same contexts: clamping them there
            # makes a huge ``window`` cost nothing. Only then, so that a window shorter than
            # the longest sentence or than the chunk gives exactly the same steps as ever.
            largest = max(1, min(longest - 1, n - 1))
            radius.clamp_(max=largest)
        if self._offsets is None or len(self._offsets) < 2 * largest:
            distances = torch.arange(1, largest + 1, device=self.device)
            self._offsets = torch.stack([-distances, distances], 1).flatten()
        for r in range(1, largest + 1):
            where = torch.nonzero(radius == r).flatten()
            if len(where) == 0:
                continue
            positions = where[:, None] + self._offsets[: 2 * r]
            valid = (positions >= 0) & (positions < n)
            positions.clamp_(0, n - 1)
            valid &= sentence_ids[positions] == sentence_ids[where][:, None]
            has_context = valid.any(1)
            yield tokens[where][has_context], tokens[positions][has_context], valid[has_context]

    def _damping(self, rows):
        """Per-occurrence factor that caps the summed update of a row in one step.

        Sequential SGD applies the many updates of a frequent word one after the other,
        each seeing the effect of the last; summed in one step they overshoot, and on a
        small vocabulary (where every word occurs hundreds of times per step) training
        diverges. A row that occurs more than ``_MAX_SUMMED_UPDATES`` times in a step gets
        that many updates' worth of its mean update instead.
        """
        counts = torch.bincount(rows.flatten(), minlength=self.n_words)
        factor = _MAX_SUMMED_UPDATES / counts.clamp(min=_MAX_SUMMED_UPDATES).float()
        return factor[rows]

    def _step(self, centres, contexts, valid, lr):
        """One negative-sampling SGD step on a block of windows.

        The ``negative`` noise words are drawn once per window and shared by its context
        words, as in Ji et al. (2016): the output rows are then gathered once per window
        instead of once per (centre, context) pair, which turns the update into small
        matrix products and makes it several times faster on the CPU, for the same
        expected gradient.

        Parameters
        ----------
        centres : LongTensor of shape (n,)
            The word to predict (output side).
        contexts : LongTensor of shape (n, C)
            Context words (input side).
        valid : BoolTensor of shape (n, C)
            Which context slots are real.
        lr : float

        Returns
        -------
        loss : Tensor
            Summed loss, a 0-d tensor (no device sync).
        n_examples : int
        """
        n = len(centres)
        negatives = self._draw_negatives(n)
        words = torch.cat([centres[:, None], negatives], 1)
        labels = torch.zeros(1, self.negative + 1, device=self.device)
        labels[0, 0] = 1.0
        # A negative that happens to be the target is skipped, as in the reference code.
        counted = torch.cat([valid.new_ones(n, 1), negatives != centres[:, None]], 1).float()
        outputs = self.output_vectors[words]
        inputs = self.input_vectors[contexts]
        output_damping = self._damping(words)
        if self.sg:
            scores = torch.bmm(inputs, outputs.transpose(1, 2))
            weight = valid.float()[:, :, None] * counted[:, None, :]
            loss = -(F.logsigmoid((2.0 * labels - 1.0) * scores) * weight).sum()
            gradient = (labels - torch.sigmoid(scores)) * weight * lr
            input_gradient = torch.bmm(gradient * self._damping(contexts)[:, :, None], outputs)
            output_gradient = torch.bmm(
                (gradient * output_damping[:, None, :]).transpose(1, 2), inputs
            )
            n_examples = int(valid.sum())
        else:
            weights = valid.float()
            hidden = torch.bmm(weights[:, None, :], inputs).squeeze(1) / weights.sum(1)[:, None]
            scores = torch.bmm(outputs, hidden[:, :, None]).squeeze(2)
            loss = -(F.logsigmoid((2.0 * labels - 1.0) * scores) * counted).sum()
            gradient = (labels - torch.sigmoid(scores)) * counted * lr
            # As in gensim with cbow_mean=1, each context word receives the whole error of
            # the mean, not its share.
            input_gradient = (
                torch.bmm(gradient[:, None, :], outputs)
                * (weights * self._damping(contexts))[:, :, None]
            )
            output_gradient = (gradient * output_damping)[:, :, None] * hidden[:, None, :]
            n_examples = n
        self.output_vectors.index_add_(0, words.flatten(), output_gradient.flatten(0, 1))
        # Padding slots carry a zero gradient, so they need no masking here.
        self.input_vectors.index_add_(0, contexts.flatten(), input_gradient.flatten(0, 1))
        return loss, n_examples

    def _train_chunk(self, tokens, sentence_ids, lr):
        loss = torch.zeros((), device=self.device)
        n_examples = 0
        for centres, contexts, valid in self._windows(tokens, sentence_ids):
            step = max(1, self.batch_size // contexts.shape[1])
            for start in range(0, len(centres), step):
                block = slice(start, start + step)
                step_loss, step_examples = self._step(
                    centres[block], contexts[block], valid[block], lr
                )
                loss += step_loss
                n_examples += step_examples
        return loss, n_examples

    def train(self, tokens, sentence_ids, epochs, callback=None):
        """Run ``epochs`` passes over the corpus.

        ``loss_curve`` and ``examples_per_epoch`` grow by one entry per finished epoch, so
        that they are up to date if the caller interrupts training.

        Returns
        -------
        loss_curve : list of float
            Mean loss per positive example, one entry per epoch; NaN for an epoch that
            had no positive example (subsampling left no two words in one window).
        """
        total = epochs * max(len(tokens), 1)
        done = 0
        if len(sentence_ids):
            self._longest_sentence = int(torch.bincount(sentence_ids).max())
        for epoch in range(epochs):
            kept_tokens, kept_ids = self._subsample(tokens, sentence_ids)
            bounds = self._chunk_bounds(kept_ids)
            scale = len(tokens) / max(len(kept_tokens), 1)
            epoch_loss = torch.zeros((), device=self.device)
            epoch_examples = 0
            for start, end in zip(bounds[:-1], bounds[1:], strict=True):
                progress = (done + start * scale) / total
                lr = max(self.min_alpha, self.alpha - (self.alpha - self.min_alpha) * progress)
                loss, n_examples = self._train_chunk(
                    kept_tokens[start:end], kept_ids[start:end], lr
                )
                epoch_loss += loss
                epoch_examples += n_examples
            done += len(tokens)
            mean_loss = epoch_loss.item() / epoch_examples if epoch_examples else math.nan
            if (epoch_examples and not math.isfinite(mean_loss)) or not torch.isfinite(
                self.input_vectors
            ).all():
                raise ValueError(
                    f"Word2Vec training diverged at epoch {epoch + 1} (non-finite loss or "
                    "weights). Try a smaller 'alpha'."
                )
            self.loss_curve.append(mean_loss)
            self.examples_per_epoch.append(epoch_examples)
            if callback is not None:
                callback(epoch, mean_loss)
        return self.loss_curve
