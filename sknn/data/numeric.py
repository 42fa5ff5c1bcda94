"""float32, the precision every network computes in: one checked conversion for all.

Values beyond float32's range (1e39, 1e308) become infinite on the cast. scikit-learn's
``check_array(dtype=np.float32)`` refuses them with "Input X contains infinity or a value
too large for dtype('float32')."; :func:`to_float32` does the same after the cast, for the
MLPs' tables (dense or sparse), the ConvNet's images, the sequence estimators' series and
the regressors' targets, at fit and at predict alike.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.utils import assert_all_finite


def to_float32(X, input_name="X", *, validated=False):
    """``X`` (a numeric array or a scipy sparse matrix) in float32, checked finite.

    A sparse matrix keeps its index arrays and only its stored values are cast.

    Parameters
    ----------
    X : ndarray or scipy sparse matrix
    input_name : str, default="X"
        The name in the error message.
    validated : bool, default=False
        ``X`` already passed scikit-learn's finiteness check (``validate_data``): a
        float32 ``X`` then comes back as it is, unchecked again; other dtypes are still
        checked after the cast, which is what can overflow.

    Raises
    ------
    ValueError
        If a value is NaN, infinite, or beyond float32's range, in scikit-learn's words.
    """
    if sp.issparse(X):
        values = to_float32(X.data, input_name, validated=validated)
        return X if values is X.data else type(X)((values, X.indices, X.indptr), shape=X.shape)
    if X.dtype == np.float32 and validated:
        return X
    with np.errstate(over="ignore"):  # reported just below
        X = X.astype(np.float32, copy=False)
    assert_all_finite(X, input_name=input_name)
    return X


#: Values per slice of :func:`check_float32_range`.
RANGE_CHECK_VALUES = 2**20


def check_float32_range(X, input_name="X"):
    """Refuse, as :func:`to_float32` does, values that float32 cannot hold, without
    casting or copying ``X``: for a memory map that streams to the network batch by
    batch, read in slices of about :data:`RANGE_CHECK_VALUES` values.

    ``X`` must already be finite (scikit-learn's ``validate_data`` checked it).

    Raises
    ------
    ValueError
        If a value is beyond float32's range, in scikit-learn's words.

    Examples
    --------
    >>> import numpy as np
    >>> check_float32_range(np.array([[1.0, 3e38]]))
    >>> check_float32_range(np.array([[1.0, 1e39]]))
    Traceback (most recent call last):
    ...
    ValueError: Input X contains infinity or a value too large for dtype('float32').
    """
    if X.dtype.itemsize <= 4:
        return  # float32 or narrower: within range by construction
    limit = np.finfo(np.float32).max
    rows = max(1, RANGE_CHECK_VALUES // max(1, X[:1].size))
    for start in range(0, len(X), rows):
        part = X[start : start + rows]  # a view: min and max make no copy
        if part.size and (part.max() > limit or part.min() < -limit):
            # The cast's own check (a value just past the limit may round to it).
            to_float32(np.array(part), input_name)


def check_float32_weights(sample_weight):
    """Refuse sample weights (checked finite and non-negative) that float32 cannot hold:
    beyond its range, so small that they become 0 in it, or with a total beyond it.

    Examples
    --------
    >>> import numpy as np
    >>> check_float32_weights(np.array([1e-30, 2.0]))
    >>> check_float32_weights(np.array([1e-50, 2.0]))
    Traceback (most recent call last):
    ...
    ValueError: sample_weight holds positive values below about 1e-45, which are 0 in float32 ...
    >>> check_float32_weights(np.full(40, 1e37))
    Traceback (most recent call last):
    ...
    ValueError: sample_weight sums to more than float32 ...
    """
    weights = to_float32(sample_weight, "sample_weight")
    if ((sample_weight > 0) & (weights == 0)).any():
        raise ValueError(
            "sample_weight holds positive values below about 1e-45, which are 0 in float32 "
            "(the precision the network trains in): those samples would be left out. "
            "Multiply the weights by a constant to bring them into range."
        )
    # The loss divides by a batch's total weight, summed in float32: a total beyond its
    # range is inf, the loss 0, and the network would silently never train.
    if float(np.sum(sample_weight, dtype=np.float64)) > _FLOAT32_TOTAL_MAX:
        raise ValueError(
            "sample_weight sums to more than float32 (the precision the network trains in) "
            "can hold (above about 3e35): the loss would become 0 and nothing would be "
            "learned. Divide the weights by a constant, such as their mean (with alpha=0 "
            "the fit is the same; alpha's penalty is divided by the total weight, so scale "
            "alpha by the same constant)."
        )


#: The largest total sample weight accepted: float32's maximum, with room for the sums of
#: weighted losses that are of the weights' order.
_FLOAT32_TOTAL_MAX = float(np.finfo(np.float32).max) / 1e3
