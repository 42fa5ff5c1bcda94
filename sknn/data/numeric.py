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
