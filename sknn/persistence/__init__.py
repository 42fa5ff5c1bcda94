"""Model files that are data, not code: ``save`` / ``load`` and training checkpoints.

A file is one safetensors file: the weights and every numeric array as tensors, and
everything else (the class, the parameters, ``classes_``, vocabularies, fitted attributes,
the training history) as a JSON document in its metadata, with the versions that wrote it
and a checksum. Loading never unpickles; it builds only the classes sknn knows, and for
objects that are not sknn's own (the scikit-learn steps of a pipeline) uses skops, which
builds only the types it trusts by default or the caller names in ``trusted``.
See the user guide's "Saving and sharing models".
"""

import os

import torch

from sknn._device import resolve_device
from sknn.persistence import _container
from sknn.persistence._container import FORMAT_VERSION, InconsistentVersionWarning
from sknn.persistence._objects import Loader, Saver, UntrustedTypesError, untrusted_types
from sknn.persistence._tree import MAX_DEPTH, FormatError, TreeEncoder, decode_tree, depth_exceeds

__all__ = [
    "FORMAT_VERSION",
    "InconsistentVersionWarning",
    "SaveMixin",
    "UntrustedTypesError",
    "get_untrusted_types",
    "load",
    "read_checkpoint",
    "save",
    "write_checkpoint",
]


def save(obj, path, *, include_optimizer=False):
    """Save a fitted (or unfitted) estimator or pipeline to ``path``.

    Parameters
    ----------
    obj : estimator, pipeline or container of them
        Any sknn estimator; a scikit-learn ``Pipeline``, ``ColumnTransformer``,
        ``FeatureUnion`` or other meta-estimator (``GridSearchCV``, ``VotingClassifier``,
        ``StackingClassifier``, ``CalibratedClassifierCV``, ...) holding sknn estimators
        and scikit-learn steps; or a list, tuple, dict or other object holding these in
        its attributes. Objects that are not sknn's own are written with skops
        (``pip install skops``); the user guide lists which need ``trusted`` to load.
    path : str or path-like
        The file to write (by convention ending in ``.sknn``); replaced if it exists.
    include_optimizer : bool, default=False
        Also save each network's optimizer state (for Adam, twice the weights' size), so
        that ``partial_fit`` after loading continues with the same moments. Without it,
        a loaded model's next ``partial_fit`` starts a new optimizer, as a warm-started
        ``fit`` does.

    Raises
    ------
    TypeError
        If ``obj`` holds an object that neither sknn nor skops can write, or that skops
        writes but cannot load back (a lambda, ``str.split``: functions are saved by
        name). Nothing is written then.
    sklearn.utils._param_validation.InvalidParameterError
        A ``ValueError``: if an sknn estimator in ``obj`` has an invalid parameter (``load``
        could not rebuild it). Nothing is written then.
    ValueError
        If ``obj`` is nested too deeply.
    FileNotFoundError
        If the folder of ``path`` does not exist.
    IsADirectoryError
        If ``path`` is a folder.

    See Also
    --------
    load : Load what ``save`` wrote.

    Notes
    -----
    An estimator's ``callbacks`` are saved unfitted, rebuilt from their parameters: the
    state a fit left in them is not kept, and a loaded model's callbacks start fresh.
    """
    saver = Saver(include_optimizer=include_optimizer)
    try:
        document = saver.document(obj)
        if depth_exceeds(document):  # load would refuse it
            raise RecursionError
    except RecursionError:
        raise ValueError(
            f"Cannot save {type(obj).__name__} to {os.fspath(path)}: it is nested too "
            f"deeply (more than {MAX_DEPTH} levels of nesting in the file) or holds a container "
            "that contains itself."
        ) from None
    payload = saver.skops_payload()
    tensors = saver.tensors
    extra = ()
    if payload is not None:
        tensors["skops"] = torch.frombuffer(bytearray(payload), dtype=torch.uint8)
        extra = ("skops",)
    _container.write(path, "model", document, tensors, extra_versions=extra)


def load(path, *, device=None, trusted=None):
    """Load an estimator or pipeline written by :func:`save` (or ``estimator.save``).

    Nothing in the file is unpickled or executed: it builds only sknn's own classes and,
    through skops, the types skops trusts by default (scikit-learn's, NumPy's, SciPy's)
    and those listed in ``trusted``.

    Parameters
    ----------
    path : str or path-like
        The file.
    device : str, torch.device or None, default=None
        Where the networks' weights go. None: the device each network was fitted on when
        this machine has it, else the CPU (with a warning); a model fitted on a GPU loads
        on a machine without one.
    trusted : list of str or None, default=None
        Further types to build from the skops part, by fully qualified name (from
        :func:`get_untrusted_types`). Name only types from sources you trust.

    Returns
    -------
    obj : the saved object

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If ``device`` names no device, or a CUDA device this machine does not have.
        If the file is not an sknn model file (a pickle, a joblib or ``torch.save`` file
        is named as such), is damaged (truncated, bit-flipped, edited), was written by a
        newer sknn file format, holds untrusted types (:class:`UntrustedTypesError`), or
        names a function or class that this Python cannot import.

    Warns
    -----
    InconsistentVersionWarning
        When the file was written under other versions of sknn, torch or scikit-learn.
    """
    if device is not None:
        # The argument, checked before the file: a device this machine lacks is no
        # fault of the file.
        resolve_device(device)
    contents = _container.read(path, "model")
    try:
        return Loader(contents, trusted=trusted, device=device).root()
    except FormatError as error:
        raise ValueError(f"{contents.path} is not a valid sknn model file: {error}.") from None
    except RecursionError:
        raise _container._damaged(contents.path, "its document is nested too deeply") from None


class SaveMixin:
    """Gives an estimator ``save(path)``, the method form of :func:`save`."""

    def save(self, path, *, include_optimizer=False):
        """Save this estimator to ``path``: weights as safetensors, the rest as JSON.

        The file holds no code: :func:`sknn.load` reads it back without unpickling
        anything, on any device. pickle and joblib keep working as well.

        Parameters
        ----------
        path : str or path-like
            The file to write (by convention ending in ``.sknn``).
        include_optimizer : bool, default=False
            Also save the optimizer's state, so that ``partial_fit`` after loading
            continues with it (networks only).

        Returns
        -------
        self : object
            The estimator, unchanged.
        """
        save(self, path, include_optimizer=include_optimizer)
        return self


def get_untrusted_types(path):
    """The types in a model file that :func:`load` builds only when named in ``trusted``.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    types : list of str
        Fully qualified type names, empty when the file holds only trusted types.
    """
    contents = _container.read(path, "model")
    try:
        return untrusted_types(contents)
    except FormatError as error:
        raise ValueError(f"{contents.path} is not a valid sknn model file: {error}.") from None


# -- checkpoints -------------------------------------------------------------------------
def write_checkpoint(path, *, owner, module, optimizer, best_module, state, history, rng=None):
    """Write a training checkpoint (the format of model files, kind 'checkpoint').

    Parameters
    ----------
    path : str or path-like
    owner : dict
        JSON-able facts about the estimator that wrote it (its class), checked on resume.
    module, optimizer, best_module : state dicts
    state : TrainingState
    history : list of dict
    rng : dict of tensors or None
        The states of the random generators the fit draws from, to resume its draws.
    """
    tensors = {}
    encoder = TreeEncoder(tensors, other=_no_objects)
    document = {
        "owner": owner,
        "state": state.to_document(),
        "module": encoder.encode(module, "module"),
        "optimizer": encoder.encode(optimizer, "optimizer"),
        "best_module": encoder.encode(best_module, "best_module"),
        "history": encoder.encode([dict(row) for row in history], "history"),
    }
    if rng is not None:
        document["rng"] = encoder.encode(rng, "rng")
    _container.write(path, "checkpoint", document, tensors)


def read_checkpoint(path):
    """Read a checkpoint written by :func:`write_checkpoint`.

    Returns
    -------
    checkpoint : dict
        With keys 'owner', 'state' (a :class:`~sknn.engine.state.TrainingState`),
        'module', 'optimizer', 'best_module' (state dicts), 'history' (list of dict) and
        'rng' (a dict of generator states, or None for a checkpoint written without).

    Raises
    ------
    ValueError
        If the file is not a checkpoint or is damaged.
    """
    from sknn.engine.state import TrainingState

    contents = _container.read(path, "checkpoint")
    document = contents.document
    try:
        if not isinstance(document, dict):
            raise FormatError("the document is not an object")
        out = {
            name: decode_tree(document[name], contents.tensors)
            for name in ("module", "optimizer", "best_module", "history")
        }
        out["owner"] = document["owner"]
        out["rng"] = decode_tree(document["rng"], contents.tensors) if "rng" in document else None
        out["state"] = TrainingState.from_document(document["state"])
        for name in ("module", "optimizer"):
            if not isinstance(out[name], dict):
                raise FormatError(f"its {name} state is not a mapping")
        if not isinstance(out["history"], list):
            raise FormatError("its history is not a list")
    except (FormatError, KeyError, ValueError) as error:
        raise ValueError(f"{contents.path} is not a valid sknn checkpoint: {error}.") from None
    except RecursionError:
        raise ValueError(
            f"{contents.path} is not a valid sknn checkpoint: its document is nested too deeply."
        ) from None
    return out


def _no_objects(value, path):
    raise TypeError(
        f"A checkpoint holds tensors and plain data only; {path} is a {type(value).__name__}."
    )
