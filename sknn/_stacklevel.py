"""Where a warning raised inside sknn points: at the code that called into the libraries."""

import os
import sys
import warnings


def _folder(module):
    return os.path.dirname(os.path.abspath(module.__file__)) + os.sep


def _library_folders():
    import joblib
    import sklearn
    import skorch
    import torch

    import sknn

    return tuple(_folder(m) for m in (sknn, sklearn, skorch, torch, joblib))


def _library_files():
    import copy
    import pickle

    # Unpickling and copying call an object's __setstate__ (a model loaded on another
    # device warns there).
    return frozenset(os.path.abspath(m.__file__) for m in (pickle, copy))


def stacklevel_outside_sknn():
    """The ``stacklevel`` that points a warning raised inside sknn at the user's code.

    For the function calling this one, which passes it to ``warnings.warn``. A warning
    is reached by paths of many depths (fit, partial_fit, predict, a run of ``n_init``,
    a callback of the training loop, scikit-learn's wrappers of ``fit`` and
    ``transform``, a Pipeline, a search's parallel fits): it goes to the first frame
    outside sknn, scikit-learn, skorch, torch and joblib (and the standard library's pickle
    and copy), the line that called them.
    A fixed depth points at sknn's own frames from some of those paths.
    """
    folders, files = _library_folders(), _library_files()
    frame = sys._getframe(1)
    level = 1
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(folders) and filename not in files:
            return level
        frame = frame.f_back
        level += 1
    return level - 1


def replay_warnings(caught):
    """Give again the warnings ``caught`` (``warnings.catch_warnings(record=True)``), each
    distinct one (category and message) once, where it pointed, under the filters in force
    now."""
    given = set()
    for warning in caught:
        key = (warning.category, str(warning.message))
        if key not in given:
            given.add(key)
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
