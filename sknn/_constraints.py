"""Parameter checks that scikit-learn's declarative constraints do not make.

:class:`Count` is scikit-learn's integer :class:`~sklearn.utils._param_validation.Interval`
without booleans: ``True`` is an ``int`` to Python, so ``batch_size=True`` would train with
batches of one row. :func:`positive_sizes` checks a list of layer sizes
(``hidden_layer_sizes``, ``channels``, ``dense_sizes``) entry by entry, where a 2.5 would
otherwise be truncated to 2 and a string fail deep inside torch.
"""

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval


class Count(Interval):
    """An interval of integers that refuses booleans.

    Parameters
    ----------
    left, right : int or None
        The bounds (None for unbounded), as in scikit-learn's ``Interval``.
    closed : {'left', 'right', 'both', 'neither'}
    """

    def __init__(self, left, right, *, closed):
        super().__init__(Integral, left, right, closed=closed)

    def is_satisfied_by(self, val):
        return not isinstance(val, (bool, np.bool_)) and super().is_satisfied_by(val)


def positive_sizes(value, name, *, allow_empty=False):
    """``value`` (an int or a sequence of ints) as a tuple of positive ints.

    Raises
    ------
    ValueError
        If an entry is not an integer (booleans and floats such as 2.5 included), is not
        positive, or (unless ``allow_empty``) there is no entry. For non-positive entries
        the message is scikit-learn's ("hidden_layer_sizes must be > 0, got ...").
    """
    sizes = list(value) if hasattr(value, "__iter__") and not isinstance(value, str) else [value]
    if not sizes and not allow_empty:
        raise ValueError(f"{name} must have at least one entry, got {value!r}.")
    if any(not isinstance(s, Integral) or isinstance(s, (bool, np.bool_)) for s in sizes):
        raise ValueError(f"{name} must hold positive integers, got {value!r}.")
    if any(s <= 0 for s in sizes):
        raise ValueError(f"{name} must be > 0, got {value}.")
    return tuple(int(s) for s in sizes)
