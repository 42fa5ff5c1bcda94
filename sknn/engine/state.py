"""The training engine's resumable state: one object, owned by the engine.

:class:`TrainingState` holds what a fit carries from epoch to epoch besides the weights and
the optimizer: scikit-learn's counters and curves (``n_iter_``, ``t_``, ``loss_curve_``,
...), the stopping rule's counter, the schedule's position and, under early stopping, the
weights of the best epoch. :class:`~sknn.engine.callbacks.EpochRule` updates it; the
estimators expose its fields as their fitted attributes; a checkpoint and a model file
serialise it with :meth:`TrainingState.to_document` and restore it with
:meth:`TrainingState.from_document`.
"""

import math
from dataclasses import dataclass, field, fields


class _Missing:
    """Marks a fitted attribute that this fit does not define (scikit-learn's 'lbfgs'
    records no loss curve): the estimator's attribute then does not exist."""

    def __repr__(self):
        return "MISSING"

    def __reduce__(self):
        return "MISSING"  # pickles as the module-level singleton


MISSING = _Missing()


@dataclass
class TrainingState:
    """Where a fit stands; what a resumed fit needs to continue where it was.

    Attributes
    ----------
    n_iter : int
        Epochs (iterations for 'lbfgs') run by the current call to ``fit``.
    t : int
        Training samples seen by the solver, over all calls.
    loss : float or None
        The loss at the end of the last epoch.
    loss_curve : list of float or MISSING
        The loss at the end of each epoch.
    best_loss : float, None or MISSING
        The lowest loss so far (None under early stopping).
    validation_scores : list of float, None or MISSING
        The validation score of each epoch under early stopping, else None.
    best_validation_score : float, None or MISSING
        The best validation score under early stopping, else None.
    no_improvement_count : int or MISSING
        Consecutive epochs without improvement by more than ``tol``.
    plateau_count : int
        Consecutive epochs without improvement since ``learning_rate='plateau'`` last
        halved the rate (or since the fit began).
    optimizer_steps : int
        Optimizer steps taken, the position of per-batch schedules.
    base_lr : float
        The learning rate that epoch-level schedules have moved to.
    best_module : dict or None
        Under early stopping, a copy of the module's state dict at the best epoch so far,
        restored when the fit ends; None otherwise and between fits.
    """

    n_iter: int = 0
    t: int = 0
    loss: object = None
    loss_curve: object = field(default_factory=list)
    best_loss: object = math.inf
    validation_scores: object = None
    best_validation_score: object = None
    no_improvement_count: object = 0
    plateau_count: int = 0
    optimizer_steps: int = 0
    base_lr: float = 0.001
    best_module: object = None

    @classmethod
    def fresh(cls, *, early_stopping, learning_rate_init):
        """The state before the first epoch of a fit from scratch."""
        if early_stopping:
            return cls(
                validation_scores=[],
                best_validation_score=-math.inf,
                best_loss=None,
                base_lr=float(learning_rate_init),
            )
        return cls(base_lr=float(learning_rate_init))

    def continue_as(self, *, early_stopping, full_batch):
        """Ready the record for a continued fit (warm_start, partial_fit) that trains
        with or without early stopping, by epochs or by L-BFGS: a switch starts the
        record of the new kind, as a fit from scratch would, and keeps the counters."""
        if full_batch:
            return  # finish_full_batch sets what L-BFGS records
        if self.loss_curve is MISSING:  # continuing an L-BFGS fit by epochs
            self.loss_curve = []
            self.best_loss = math.inf
            self.validation_scores = self.best_validation_score = None
            self.no_improvement_count = self.plateau_count = 0
        if early_stopping and not isinstance(self.validation_scores, list):
            self.validation_scores = []
            self.best_validation_score = -math.inf
            self.best_loss = None
            self.no_improvement_count = self.plateau_count = 0
        elif not early_stopping and isinstance(self.validation_scores, list):
            self.validation_scores = self.best_validation_score = None
            self.best_loss = min(self.loss_curve, default=math.inf)
            self.no_improvement_count = self.plateau_count = 0

    def finish_full_batch(self, n_iter, loss):
        """Record an L-BFGS run, which keeps scikit-learn's lbfgs attributes only."""
        self.n_iter = n_iter
        self.loss = loss
        for name in ("loss_curve", "best_loss", "validation_scores", "best_validation_score"):
            setattr(self, name, MISSING)
        self.no_improvement_count = MISSING

    # -- serialisation ------------------------------------------------------------------
    def to_document(self):
        """Every field but ``best_module`` as JSON-able values (MISSING fields left out).

        A NaN or infinite loss or score (a fit that diverged, a best validation score
        still at -inf) is written as ``{"$float": "nan"}``: JSON has no such numbers."""
        return {
            f.name: _tagged(getattr(self, f.name))
            for f in fields(self)
            if f.name != "best_module" and getattr(self, f.name) is not MISSING
        }

    @classmethod
    def from_document(cls, document, best_module=None):
        """Rebuild from :meth:`to_document`'s output.

        Raises
        ------
        ValueError
            If ``document`` is not a mapping of this class's fields.
        """
        names = {f.name for f in fields(cls)} - {"best_module"}
        if not isinstance(document, dict) or not set(document) <= names:
            unknown = sorted(set(document) - names) if isinstance(document, dict) else document
            raise ValueError("unknown training-state fields %r" % (unknown,))
        document = {name: _untagged(value) for name, value in document.items()}
        for name, value in document.items():
            if not _FIELD_CHECKS[name](value):
                raise ValueError("training-state field %r has an invalid value %r" % (name, value))
        state = cls(best_module=best_module, **document)
        for name in names - set(document) - set(_ADDED_FIELDS):
            setattr(state, name, MISSING)
        return state


#: Fields that files written before them lack, read as their default (not as MISSING).
_ADDED_FIELDS = ("plateau_count",)


def _tagged(value):
    if isinstance(value, float) and not math.isfinite(value):
        return {"$float": repr(value)}
    if isinstance(value, list):
        return [_tagged(v) for v in value]
    return value


def _untagged(value):
    if isinstance(value, dict) and set(value) == {"$float"}:
        if value["$float"] not in ("nan", "inf", "-inf"):
            raise ValueError("training-state value %r is not a number" % (value,))
        return float(value["$float"])
    if isinstance(value, list):
        return [_untagged(v) for v in value]
    return value


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_optional_number(value):
    return value is None or _is_number(value)


def _is_numbers(value):
    return isinstance(value, list) and all(_is_number(v) for v in value)


_FIELD_CHECKS = {
    "n_iter": _is_int,
    "t": _is_int,
    "loss": _is_optional_number,
    "loss_curve": _is_numbers,
    "best_loss": _is_optional_number,
    "validation_scores": lambda v: v is None or _is_numbers(v),
    "best_validation_score": _is_optional_number,
    "no_improvement_count": _is_int,
    "plateau_count": _is_int,
    "optimizer_steps": _is_int,
    "base_lr": _is_number,
}
