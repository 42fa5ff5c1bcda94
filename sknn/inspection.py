"""Pictures of a fitted network's training."""

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted


class LossCurveDisplay:
    """Training and validation loss per epoch, with the best epoch marked.

    In the style of scikit-learn's ``*Display`` classes: build it with
    :meth:`from_estimator` (which also plots) and redraw with :meth:`plot`. Needs
    matplotlib, an optional dependency of sknn.

    Parameters
    ----------
    train_loss : ndarray of shape (n_epochs,)
        Training loss per epoch.
    valid_loss : ndarray of shape (n_epochs,) or None
        Validation loss per epoch (fits with ``early_stopping=True``).
    best_epoch : int or None
        The epoch (1-based) whose weights the model kept or that reached the lowest loss.
    estimator_name : str or None
        Legend label prefix.

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    lines_ : list of matplotlib Line2D

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sknn import MLPClassifier
    >>> from sknn.inspection import LossCurveDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(max_iter=20, early_stopping=True, device="cpu").fit(X, y)
    >>> display = LossCurveDisplay.from_estimator(clf)
    >>> len(display.lines_)
    2
    """

    def __init__(self, *, train_loss, valid_loss=None, best_epoch=None, estimator_name=None):
        self.train_loss = train_loss
        self.valid_loss = valid_loss
        self.best_epoch = best_epoch
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None):
        """Read the curves from a fitted sknn estimator's ``history_`` and plot them.

        Parameters
        ----------
        estimator : fitted sknn estimator or Pipeline
            The network, or a fitted :class:`~sklearn.pipeline.Pipeline` ending in it
            (its last step is read).
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure when None.
        name : str, default=None
            Legend label prefix; the network's class name when None.

        Returns
        -------
        display : LossCurveDisplay

        Raises
        ------
        TypeError
            If the estimator (a Pipeline's last step) records no training in
            ``history_``: not one of sknn's networks.
        """
        while isinstance(estimator, Pipeline):
            estimator = estimator[-1]
        check_is_fitted(estimator)
        if not hasattr(estimator, "history_"):
            raise TypeError(
                "LossCurveDisplay.from_estimator needs a fitted sknn estimator, whose "
                "history_ holds its losses per epoch (or a Pipeline ending in one), got "
                f"{type(estimator).__name__}. For one inside another meta-estimator, pass "
                "the fitted network itself (search.best_estimator_, for instance)."
            )
        history = estimator.history_
        train = _column(history, "train_loss")
        # NaN where an epoch has no validation (the first fit of a warm start that then
        # turned early stopping on), so that the epochs still line up.
        valid = _column(history, "valid_loss")
        scores = _column(history, "valid_score")
        if scores is not None:
            # The weights kept: the best validation score (a diverged epoch's NaN is never
            # the best, as in the fit).
            finite = np.isfinite(scores)
            best = (
                int(np.nanargmax(np.where(finite, scores, np.nan))) + 1 if finite.any() else None
            )
        else:
            # NaN epochs (a Word2Vec epoch with no pair to train on) are never the best.
            finite = np.isfinite(train)
            best = int(np.nanargmin(np.where(finite, train, np.nan))) + 1 if finite.any() else None
        display = cls(
            train_loss=train,
            valid_loss=valid,
            best_epoch=best,
            estimator_name=type(estimator).__name__ if name is None else name,
        )
        return display.plot(ax=ax)

    def plot(self, ax=None):
        """Draw the curves on ``ax`` (a new figure when None); returns self."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        epochs = np.arange(1, len(self.train_loss) + 1)
        prefix = f"{self.estimator_name} " if self.estimator_name else ""
        self.lines_ = ax.plot(epochs, self.train_loss, label=prefix + "training loss")
        if self.valid_loss is not None:
            self.lines_ += ax.plot(epochs, self.valid_loss, label=prefix + "validation loss")
        if self.best_epoch is not None:
            ax.axvline(self.best_epoch, color="grey", linestyle="--", linewidth=1)
            ax.annotate(
                "best epoch",
                (self.best_epoch, ax.get_ylim()[1]),
                textcoords="offset points",
                xytext=(4, -12),
                color="grey",
            )
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.legend()
        self.ax_ = ax
        self.figure_ = ax.figure
        return self


def _column(history, key):
    """``history``'s ``key`` per epoch as floats, NaN where an epoch lacks it (or holds
    None); None when no epoch has it."""
    values = [row.get(key) for row in history]
    if all(value is None for value in values):
        return None
    return np.array([np.nan if value is None else value for value in values], dtype=float)
