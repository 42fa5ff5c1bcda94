"""Estimators and pipelines as data: the object half of the format.

An sknn estimator is written as its class name (one of a fixed list), its parameters, its
fitted attributes and, for the networks, its engine (the module's weights, the
:class:`~sknn.engine.state.TrainingState`, the history and, on request, the optimizer's
state). Loading looks the class up in that list, calls its ``__init__`` with the saved
parameters, sets the attributes and rebuilds the module from the fitted shapes before
loading the weights into it: no code is named by the file, nothing is unpickled.

Objects that are not sknn's own (a scikit-learn ``Pipeline`` or scaler, a skorch callback
passed as a parameter, a user's tokenizer function) are written with skops, the
scikit-learn ecosystem's safe format, inside the same file; sknn estimators inside them
(in containers and in objects' ``__dict__``) are swapped for references to the sknn part,
and so are sknn's other objects there (a :class:`~sknn.timeseries.TimeOrderedSplit` as a
search's ``cv``), written under ``values``. Such an object reached more than once is
written once under ``values`` and referred to as ``{"$value": index}`` (one reached once
is written in place, as files before this reference existed held them all).
A network's ``callbacks`` are written unfitted, rebuilt from their parameters: fit
initialises the user's callback objects in place, and load initialises them again.
skops loads only the types it trusts by default (scikit-learn's, NumPy's, SciPy's) and
those the caller lists in ``trusted``.

Saving refuses what loading would refuse: invalid parameters, and objects skops writes
but cannot build again (its part is loaded back in memory before the file is written).
"""

import copy
import functools
import re
import secrets
import sys
import types
import warnings

import numpy as np
import torch
from sklearn.utils._param_validation import InvalidParameterError

from sknn.persistence._tree import FormatError, TreeEncoder, decode_tree

#: Packages whose types never go to skops: an object of theirs that sknn does not know how
#: to write is refused instead (skops would write a torch module or an sknn engine as a
#: bag of attributes, not as weights).
_NEVER_FOREIGN = ("sknn", "torch", "skorch.net")


@functools.cache
def _estimator_classes():
    from sknn import (
        ConvNetClassifier,
        MLPClassifier,
        MLPRegressor,
        SequenceClassifier,
        SequenceRegressor,
        TransformerClassifier,
        Word2Vec,
    )
    from sknn.text import TextVectorizer
    from sknn.timeseries import LagWindows, PastRows

    classes = (
        ConvNetClassifier,
        MLPClassifier,
        MLPRegressor,
        SequenceClassifier,
        SequenceRegressor,
        TransformerClassifier,
        Word2Vec,
        TextVectorizer,
        LagWindows,
        PastRows,
    )
    return {cls.__name__: cls for cls in classes}


def _plain_classes():
    """Classes written as their ``__dict__`` and rebuilt without calling any of their code."""
    from sklearn.preprocessing import LabelBinarizer

    from sknn.timeseries import TimeOrderedSplit
    from sknn.word2vec import WordVectors

    return {
        "sklearn.preprocessing.LabelBinarizer": LabelBinarizer,
        "sknn.word2vec.WordVectors": WordVectors,
        "sknn.timeseries.TimeOrderedSplit": TimeOrderedSplit,
    }


def _known_functions():
    from sknn.text import word_tokenize

    return {"sknn.text.word_tokenize": word_tokenize}


def is_sknn_estimator(value):
    return type(value) in _estimator_types()


@functools.cache
def _estimator_types():
    return frozenset(_estimator_classes().values())


class Saver:
    """Encodes a value holding sknn estimators into (document, tensors, skops payload)."""

    def __init__(self, include_optimizer=False):
        self.include_optimizer = include_optimizer
        self.tensors = {}
        self.objects = []
        self.values = []
        self.foreign = []
        self.nonce = secrets.token_hex(8)
        self._foreign_paths = []
        self._object_index = {}
        self._engine_index = {}  # id of a network -> the estimator whose entry holds it
        self._value_index = {}
        self._inline = {}  # id of a plain object reached once: its node, written in place
        self._encoding = set()
        self._swapped = {}
        self._alive = []  # keeps every id() used as a memo key valid during the save
        self._tree = TreeEncoder(self.tensors, other=self._other)
        self._plain = {cls: name for name, cls in _plain_classes().items()}
        self._functions = {id(f): name for name, f in _known_functions().items()}

    def document(self, value):
        """The JSON document for ``value``; fills ``tensors`` and ``foreign``."""
        root = self._tree.encode(value, "root")
        document = {"root": root, "objects": self.objects}
        if self.values:
            document["values"] = self.values
        if self.foreign:
            document["foreign"] = {"count": len(self.foreign), "nonce": self.nonce}
        return document

    def skops_payload(self):
        """The skops bytes of the objects sknn does not write itself, or None.

        The bytes are loaded back in memory before they are returned, trusting every
        type, so that ``save`` refuses what skops writes but cannot build again (a
        lambda, ``str.split``) instead of writing a file that no ``trusted`` list loads.
        """
        if not self.foreign:
            return None
        skops_io = _skops()
        try:
            payload = skops_io.dumps(self.foreign)
        except Exception as error:  # noqa: BLE001 - skops raises many kinds
            raise TypeError(
                "These objects cannot be saved with skops: %s (%s: %s)"
                % (_describe(self.foreign), type(error).__name__, error)
            ) from error
        leaked = [
            name
            for name in skops_io.get_untrusted_types(data=payload)
            if _in_packages(name, _NEVER_FOREIGN) and not _names_a_function(name)
        ]
        if leaked:
            raise TypeError(
                "These objects cannot be saved where they are: %s. sknn writes its "
                "estimators itself (torch objects only as their networks) and finds them "
                "inside scikit-learn estimators, lists, tuples, dicts (and dict subclasses "
                "such as scikit-learn's Bunch) and the attributes (__dict__) of other "
                "objects, but not inside sets, __slots__ or state an object computes in "
                "__getstate__." % leaked
            )
        self._check_loadable(skops_io, payload)
        return payload

    def _check_loadable(self, skops_io, payload):
        if _loads_back(skops_io, payload) is None:
            return
        failures = []
        for value, path in zip(self.foreign, self._foreign_paths, strict=True):
            error = _loads_back(skops_io, skops_io.dumps([value]))
            if error is not None:
                failures.append(
                    f"{_where(path, self.objects)}, {_preview(value)} "
                    f"({type(error).__name__}: {error})"
                )
        if not failures:  # only together: name the whole payload's error
            error = _loads_back(skops_io, payload)
            failures.append(f"{_describe(self.foreign)} ({type(error).__name__}: {error})")
        raise TypeError(
            "Cannot save: skops writes these objects but cannot build them again, so the "
            "file could never be loaded: %s. skops saves a function or class by its name: "
            "it must be defined with `def` or `class` at the top level of a module that "
            "the loading program can import, not a lambda, a nested function or a method "
            "of a built-in type such as str.split (wrap it: `def tokenize(text): return "
            "text.split()`)." % "; ".join(failures)
        )

    # -- encoders ------------------------------------------------------------------------
    def _other(self, value, path):
        if is_sknn_estimator(value):
            return {"$sknn": self._add_estimator(value, path)}
        if type(value) in self._plain:
            return self._plain_object(value, path)
        if id(value) in self._functions:
            return {"$function": self._functions[id(value)]}
        if isinstance(value, np.random.RandomState):
            state = value.get_state(legacy=False)
            return {"$random_state": self._tree.encode(state, path)}
        if _in_packages(_qualname(value), _NEVER_FOREIGN):
            raise TypeError(f"{path}: objects of type {_qualname(value)} cannot be saved.")
        try:
            swapped = self._swap_out(value)
        except _MisnamedFunction as error:
            where = "" if path == "root" else " " + _where(path, self.objects)
            raise TypeError(f"Cannot save{where}: {error}") from None
        self.foreign.append(swapped)
        self._foreign_paths.append(path)
        return {"$foreign": len(self.foreign) - 1}

    def _add_estimator(self, est, path):
        if id(est) in self._object_index:
            return self._object_index[id(est)]
        try:
            est._validate_params()
        except InvalidParameterError as error:
            # load checks them (it rebuilds the network from them): a file written with
            # invalid parameters could never be loaded.
            raise InvalidParameterError(
                f"Cannot save this {type(est).__name__}: {error} Set a valid value with "
                "set_params before saving."
            ) from None
        index = len(self.objects)
        self._object_index[id(est)] = index
        self._alive.append(est)
        self.objects.append({"class": type(est).__name__})  # completed below
        prefix = f"objects.{index}"
        params = est.get_params(deep=False)
        attributes = {k: v for k, v in vars(est).items() if k not in params and k != "net_"}
        if params.get("callbacks"):
            # fit initialises the user's callbacks in place (an LRScheduler's optimizer
            # and scheduler); load initialises them again, so that state is not kept.
            params["callbacks"] = [_unfitted_callback(cb) for cb in params["callbacks"]]
        entry = {
            "class": type(est).__name__,
            "params": self._tree.encode(params, prefix + ".params"),
            "attributes": self._tree.encode(attributes, prefix + ".attributes"),
        }
        net = vars(est).get("net_")
        if net is not None and id(net) in self._engine_index:
            # One network held by two estimators (with n_init > 1 and
            # ensemble='average', the kept run's): written once, shared again on load.
            entry["engine"] = {"same_as": self._engine_index[id(net)]}
        elif net is not None:
            self._engine_index[id(net)] = index
            self._alive.append(net)
            entry["engine"] = self._encode_engine(net, prefix + ".engine")
        self.objects[index] = entry
        return index

    def _encode_engine(self, net, prefix):
        engine = {
            "device": str(net.device),
            "module": self._tree.encode(net.module_.state_dict(), prefix + ".module"),
            "state": net.training_state_.to_document(),
            "history": self._tree.encode([dict(row) for row in net.history], prefix + ".history"),
        }
        if self.include_optimizer:
            engine["optimizer"] = self._tree.encode(
                net.optimizer_.state_dict(), prefix + ".optimizer"
            )
        return engine

    def _swap_out(self, value):
        """A copy of ``value`` with each sknn estimator in it replaced by a reference.

        Looks inside lists, tuples, dicts (and their subclasses, such as scikit-learn's
        ``Bunch``) and the ``__dict__`` of other objects (meta-estimators, a search's
        ``scorer_``, ``CalibratedClassifierCV``'s calibrated classifiers); what holds no
        sknn estimator is kept as it is, and an object reached twice is copied once.
        """
        if is_sknn_estimator(value):
            return self._reference(self._add_estimator(value, "foreign"))
        if self._writes_itself(value):
            return self._reference(self._add_value(value))
        if isinstance(value, types.FunctionType):
            _check_found_by_name(value)
        if not _may_hold_estimators(value):
            return value
        if id(value) in self._swapped:
            return self._swapped[id(value)]
        self._alive.append(value)
        self._swapped[id(value)] = value  # a cycle back to it keeps the original
        swapped = self._swapped_copy(value)
        self._swapped[id(value)] = swapped
        return swapped

    def _swapped_copy(self, value):
        if isinstance(value, (list, tuple)):
            items = [self._swap_out(v) for v in value]
            if all(a is b for a, b in zip(items, value, strict=True)):
                return value
            if type(value) is tuple:
                return tuple(items)
            if isinstance(value, tuple):  # a namedtuple, or a tuple sknn cannot rebuild
                return type(value)._make(items) if hasattr(value, "_make") else value
            out = copy.copy(value) if type(value) is not list else []
            out[:] = items
            return out
        if isinstance(value, dict):
            items = {k: self._swap_out(v) for k, v in value.items()}
            changed = [k for k in value if items[k] is not value[k]]
            if not changed:
                return value
            out = copy.copy(value)
            for k in changed:
                out[k] = items[k]
            return out
        attributes = {k: self._swap_out(v) for k, v in vars(value).items()}
        if all(attributes[k] is v for k, v in vars(value).items()):
            return value
        out = type(value).__new__(type(value))
        out.__dict__.update(attributes)
        return out

    def _writes_itself(self, value):
        """Whether sknn writes ``value``, an object of its own other than an estimator
        (skops would refuse it), or one of its functions."""
        if id(value) in self._functions:
            return True
        return type(value) in self._plain and _in_packages(_qualname(value), _NEVER_FOREIGN)

    def _plain_object(self, value, path):
        """The node of one of sknn's plain objects: written in place where it is reached
        first; once reached again, moved to ``values`` and referred to from both places
        (``{"$value": index}``), so that it loads as one object."""
        key = id(value)
        if key in self._encoding:
            raise RecursionError  # it holds itself: save says so
        if key in self._inline:
            self._move_to_values(key)
        if key in self._value_index:
            return {"$value": self._value_index[key]}
        self._alive.append(value)
        self._encoding.add(key)
        state = self._tree.encode(dict(vars(value)), path)
        self._encoding.discard(key)
        node = {"$object": self._plain[type(value)], "state": state}
        self._inline[key] = node
        return node

    def _move_to_values(self, key):
        node = self._inline.pop(key)
        self._value_index[key] = len(self.values)
        self.values.append(dict(node))
        node.clear()
        node["$value"] = self._value_index[key]

    def _add_value(self, value):
        """The reference, in the skops part, to an object sknn writes under ``values``."""
        key = id(value)
        if key not in self._value_index:
            node = self._tree.encode(value, f"values.{len(self.values)}")
            if key in self._inline:  # a plain object, reached first here
                self._move_to_values(key)
            elif key not in self._value_index:  # a function
                self._alive.append(value)
                self._value_index[key] = len(self.values)
                self.values.append(node)
        return f"v{self._value_index[key]}"

    def _reference(self, index):
        return f"\0sknn:{self.nonce}:{index}"


class Loader:
    """Decodes what :class:`Saver` wrote."""

    def __init__(self, contents, *, trusted=None, device=None):
        self.path = contents.path
        document = contents.document
        if not isinstance(document, dict) or "root" not in document:
            raise FormatError("the document has no root")
        self.document = document
        self.tensors = contents.tensors
        self.device = device
        self._objects = document.get("objects", [])
        if not isinstance(self._objects, list):
            raise FormatError("'objects' is not a list")
        self._decoded = {}
        self._values = document.get("values", [])
        if not isinstance(self._values, list):
            raise FormatError("'values' is not a list")
        self._decoded_values = {}
        self._foreign = None
        self._foreign_decoded = {}
        foreign = document.get("foreign")
        if foreign is not None:
            if not isinstance(foreign, dict) or not isinstance(foreign.get("nonce"), str):
                raise FormatError("'foreign' is malformed")
            self._nonce = foreign["nonce"]
            payload = contents.tensors.get("skops")
            if payload is None:
                raise FormatError("the skops part is missing")
            self._foreign = load_skops(payload, trusted, self.path)
            if not isinstance(self._foreign, list) or len(self._foreign) != foreign.get("count"):
                raise FormatError("the skops part does not match the document")
        self._plain = _plain_classes()
        self._functions = _known_functions()

    def root(self):
        return decode_tree(self.document["root"], self.tensors, self._other)

    def _other(self, tag, node):
        body = node[tag]
        if tag == "$sknn":
            return self._estimator(body)
        if tag == "$object":
            cls = self._plain.get(body)
            if cls is None:
                raise FormatError(f"unknown object type {body!r}")
            state = decode_tree(node.get("state"), self.tensors, self._other)
            if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
                raise FormatError(f"the state of a {body} is not a mapping")
            obj = cls.__new__(cls)
            obj.__dict__.update(state)
            return obj
        if tag == "$value":
            return self._value(body)
        if tag == "$function":
            if body not in self._functions:
                raise FormatError(f"unknown function {body!r}")
            return self._functions[body]
        if tag == "$random_state":
            state = decode_tree(body, self.tensors, self._other)
            random_state = np.random.RandomState()
            try:
                random_state.set_state(state)
            except (TypeError, ValueError, KeyError) as error:
                raise FormatError(f"invalid random state: {error}") from None
            return random_state
        if tag == "$foreign":
            return self._foreign_object(body)
        raise FormatError(f"unknown tag {tag!r}")

    def _foreign_object(self, index):
        if self._foreign is None or not _is_index(index, len(self._foreign)):
            raise FormatError(f"refers to a missing skops object {index!r}")
        if index not in self._foreign_decoded:
            self._foreign_decoded[index] = self._swap_in(self._foreign[index], set())
        return self._foreign_decoded[index]

    def _swap_in(self, value, seen):
        """``value`` with the references :meth:`Saver._swap_out` left put back, in place
        (a tuple is rebuilt)."""
        if isinstance(value, str) and value.startswith(f"\0sknn:{self._nonce}:"):
            index = value.rsplit(":", 1)[1]
            if index.startswith("v") and index[1:].isdigit():
                return self._value(int(index[1:]))
            if not index.isdigit():
                raise FormatError(f"invalid reference {value!r}")
            return self._estimator(int(index))
        if is_sknn_estimator(value) or not _may_hold_estimators(value):
            return value
        if isinstance(value, tuple):  # rebuilt, not changed in place: no cycle runs through
            items = [self._swap_in(v, seen) for v in value]
            if all(a is b for a, b in zip(items, value, strict=True)):
                return value
            if type(value) is tuple:
                return tuple(items)
            return type(value)._make(items) if hasattr(value, "_make") else value
        if id(value) in seen:
            return value
        seen.add(id(value))
        if isinstance(value, list):
            value[:] = [self._swap_in(v, seen) for v in value]
        elif isinstance(value, dict):
            for k in list(value):
                item = self._swap_in(dict.__getitem__(value, k), seen)
                if item is not dict.__getitem__(value, k):
                    value[k] = item
        else:
            for k, v in list(vars(value).items()):
                item = self._swap_in(v, seen)
                if item is not v:
                    value.__dict__[k] = item
        return value

    def _value(self, index):
        if not _is_index(index, len(self._values)):
            raise FormatError(f"refers to a missing value {index!r}")
        if index not in self._decoded_values:
            self._decoded_values[index] = _DECODING
            node = self._values[index]
            self._decoded_values[index] = decode_tree(node, self.tensors, self._other)
        elif self._decoded_values[index] is _DECODING:
            raise FormatError("a value refers to itself")
        return self._decoded_values[index]

    def _estimator(self, index):
        if not _is_index(index, len(self._objects)):
            raise FormatError(f"refers to a missing estimator {index!r}")
        if index in self._decoded:
            if self._decoded[index] is None:
                raise FormatError("an estimator refers to itself")
            return self._decoded[index]
        self._decoded[index] = None
        entry = self._objects[index]
        if not isinstance(entry, dict):
            raise FormatError(f"estimator {index} is not an object")
        name = entry.get("class")
        cls = _estimator_classes().get(name) if isinstance(name, str) else None
        if cls is None:
            raise FormatError(
                f"estimator {index} is of class {name!r}, which this sknn does not have"
            )
        params = decode_tree(entry.get("params"), self.tensors, self._other)
        attributes = decode_tree(entry.get("attributes"), self.tensors, self._other)
        for what, value in (("parameters", params), ("attributes", attributes)):
            if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
                raise FormatError(f"the {what} of estimator {index} are not a mapping")
        try:
            est = cls(**params)
        except TypeError as error:
            raise FormatError(f"{name} does not take the saved parameters ({error})") from None
        try:
            est._validate_params()
        except InvalidParameterError as error:
            # save refuses invalid parameters: a file written by another sknn, or edited.
            raise FormatError(
                f"the saved parameters of its {name} are invalid ({error})"
            ) from None
        est.__dict__.update(attributes)
        engine = entry.get("engine")
        if engine is not None:
            self._restore_engine(est, engine, name)
        self._decoded[index] = est
        return est

    def _restore_engine(self, est, engine, name):
        if isinstance(engine, dict) and set(engine) == {"same_as"}:
            owner = self._engine_owner(engine["same_as"])
            est.net_, est.device_ = owner.net_, owner.device_
            return
        if not isinstance(engine, dict) or not isinstance(engine.get("device"), str):
            raise FormatError("the engine is malformed")
        try:
            torch.device(engine["device"])
        except (RuntimeError, ValueError):
            raise FormatError(
                f"the engine's device {engine['device']!r} is no torch device"
            ) from None
        history = decode_tree(engine.get("history", []), self.tensors, self._other)
        module_state = decode_tree(engine.get("module"), self.tensors, self._other)
        optimizer_state = None
        if "optimizer" in engine:
            optimizer_state = decode_tree(engine["optimizer"], self.tensors, self._other)
        if not isinstance(history, list) or not all(isinstance(r, dict) for r in history):
            raise FormatError("the history is not a list of rows")
        _check_weights(module_state)
        try:
            est._restore_engine(
                module_state=module_state,
                training_state=engine.get("state"),
                history=history,
                optimizer_state=optimizer_state,
                saved_device=engine["device"],
                device=self.device,
            )
        except AttributeError as error:
            raise FormatError(f"its {name} lacks a fitted attribute ({error})") from None
        except (KeyError, TypeError, IndexError, RuntimeError, ValueError) as error:
            raise FormatError(
                f"the network of its {name} cannot be rebuilt from the saved state "
                f"({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''})"
            ) from None

    def _engine_owner(self, index):
        """The estimator, decoded already, whose saved network another one shares."""
        owner = None
        if _is_index(index, len(self._objects)):
            owner = self._decoded[index] if index in self._decoded else self._estimator(index)
        if owner is None or not hasattr(owner, "net_"):
            raise FormatError(f"a network refers to estimator {index!r}, which holds none")
        return owner


def _unfitted_callback(callback):
    """``callback`` (or a ``(name, callback)`` pair) rebuilt from its parameters, as
    ``sklearn.base.clone`` would; one without ``get_params``, or a class, as it is."""
    if isinstance(callback, tuple) and len(callback) == 2 and isinstance(callback[0], str):
        return (callback[0], _unfitted_callback(callback[1]))
    if isinstance(callback, type) or not hasattr(callback, "get_params"):
        return callback
    try:
        return type(callback)(**callback.get_params(deep=False))
    except TypeError:  # get_params does not match __init__
        return callback


#: Marks a value whose decoding is under way: a reference back to it is a cycle.
_DECODING = object()


def _check_weights(state):
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise FormatError("the module's weights are not a mapping of names to tensors")
    for key, tensor in state.items():
        # sknn's networks hold float32 weights (lower precisions run under autocast); a
        # weight of another dtype would load and then fail in predict.
        if tensor.is_floating_point() and tensor.dtype != torch.float32:
            raise FormatError(f"the weight {key!r} is {tensor.dtype}, not torch.float32")


#: Types skops does not trust by default that sknn does: scikit-learn's scorer of a
#: search without ``scoring`` (``GridSearchCV.scorer_``), which holds nothing but calls
#: its estimator's ``score``.
TRUSTED_BY_DEFAULT = frozenset({"sklearn.metrics._scorer._PassthroughScorer"})


def load_skops(payload, trusted, path):
    """Load the skops part; untrusted types raise a ValueError that lists them."""
    skops_io = _skops()
    data = payload.numpy().tobytes()
    try:
        untrusted = set(skops_io.get_untrusted_types(data=data))
    except Exception as error:  # noqa: BLE001 - a damaged zip, JSON or schema
        raise FormatError(f"its skops part cannot be read ({error})") from None
    allowed = {
        t if isinstance(t, str) else f"{t.__module__}.{t.__qualname__}" for t in trusted or ()
    }
    missing = sorted(untrusted - allowed - TRUSTED_BY_DEFAULT)
    if missing:
        raise UntrustedTypesError(path, missing)
    try:
        return skops_io.loads(data, trusted=sorted(untrusted))
    except (ImportError, AttributeError) as error:
        # A name that does not resolve here: the file is whole (its checksum matched),
        # but this environment lacks what it names.
        raise ValueError(
            f"{path} names a function or class that cannot be found here "
            f"({type(error).__name__}: {error}). skops saves functions and classes by "
            "name: install the package that defines it, or import the module, in the "
            "program that loads the file (a function defined in a script or notebook must "
            "be defined again under the same module name)."
        ) from None
    except Exception as error:  # noqa: BLE001
        raise FormatError(
            f"its skops part cannot be loaded ({type(error).__name__}: {error})"
        ) from None


class UntrustedTypesError(ValueError):
    """The file holds objects of types that neither sknn nor skops trusts by default.

    Attributes
    ----------
    types : list of str
        Their fully qualified names, to review and, if the file's source is trusted, pass
        as ``sknn.load(path, trusted=types)``.
    """

    def __init__(self, path, types):
        self.types = types
        super().__init__(
            f"{path} holds objects of types that are not trusted by default: {types}. "
            "Loading them could run their code. If you trust the file's source, load it "
            "with sknn.load(path, trusted=[...]) naming these types; "
            "sknn.get_untrusted_types(path) lists them."
        )


def untrusted_types(contents):
    """The type names of the skops part that need the caller's trust."""
    payload = contents.tensors.get("skops")
    if payload is None:
        return []
    try:
        names = _skops().get_untrusted_types(data=payload.numpy().tobytes())
        return sorted(set(names) - TRUSTED_BY_DEFAULT)
    except ImportError:
        raise
    except Exception as error:  # noqa: BLE001
        raise FormatError(f"its skops part cannot be read ({error})") from None


def _skops():
    try:
        import skops.io
    except ImportError:
        raise ImportError(
            "This file, or this object, holds objects that are not sknn's own (a scikit-learn "
            "pipeline step, a callback, a function), which sknn writes with skops. Install "
            "it: pip install skops"
        ) from None
    return skops.io


def _in_packages(qualname, packages):
    return any(qualname == p or qualname.startswith(p + ".") for p in packages)


def _is_index(value, size):
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < size


def _qualname(value):
    return f"{type(value).__module__}.{type(value).__qualname__}"


def _describe(values):
    return ", ".join(sorted({_qualname(v) for v in values}))


#: Objects that are looked up by name (skops writes them so) or hold no estimators.
_LEAVES = (
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    functools.partial,
    np.ndarray,
    np.generic,
)


def _may_hold_estimators(value):
    """Whether :meth:`Saver._swap_out` looks inside ``value``."""
    if isinstance(value, (list, tuple, dict)):
        return True
    if isinstance(value, _LEAVES) or _in_packages(_qualname(value), _NEVER_FOREIGN):
        return False
    if callable(value) and hasattr(value, "__wrapped__"):
        # A decorated function (NumPy's np.nan_to_num, np.clip, functools.wraps):
        # skops writes it by name; its __dict__ holds the function it wraps.
        return False
    return type(getattr(value, "__dict__", None)) is dict


class _MisnamedFunction(TypeError):
    pass


def _check_found_by_name(function):
    """Refuse a function that skops would load as another one, or not at all: skops saves
    a function as its module and ``__name__``, not the nesting of its ``__qualname__``."""
    module = sys.modules.get(function.__module__)
    found = getattr(module, function.__name__, None)
    if found is function:
        return
    name = f"{function.__module__}.{function.__name__}"
    raise _MisnamedFunction(
        f"the function {function.__module__}.{function.__qualname__} would be saved by its "
        f"name {name}, which {'is another object' if found is not None else 'is not found'}"
        ". skops saves a function by its name: define it with `def` at the top level of a "
        "module, not as a lambda or inside another function."
    )


def _names_a_function(name):
    """Whether ``name`` (as skops lists it) is a function of an imported module: skops
    writes it by name, as it writes a user's function (``torch.nn.init.zeros_`` in a
    skorch ``Initializer``), not as a bag of attributes."""
    parts = name.split(".")
    for split in range(len(parts) - 1, 0, -1):
        found = sys.modules.get(".".join(parts[:split]))
        if found is None:
            continue
        for part in parts[split:]:
            found = getattr(found, part, None)
        return isinstance(found, (types.FunctionType, types.BuiltinFunctionType))
    return False


def _loads_back(skops_io, payload):
    """The error skops raises loading ``payload`` (trusting every type), or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            skops_io.loads(payload, trusted=skops_io.get_untrusted_types(data=payload))
    except Exception as error:  # noqa: BLE001 - any failure means: cannot be loaded
        return error
    return None


def _where(path, objects):
    """A reader's name for an encoding path: "the Word2Vec parameter tokenizer"."""
    if path == "root":
        return "the object saved"
    match = re.fullmatch(r"objects\.(\d+)\.(params|attributes)\.(.+)", path)
    if match is None:
        return path
    index, part, name = match.groups()
    owner = objects[int(index)]["class"]
    return f"the {owner} {'parameter' if part == 'params' else 'attribute'} {name}"


def _preview(value, limit=80):
    try:
        text = " ".join(repr(value).split())
    except Exception:  # noqa: BLE001 - a broken __repr__ must not hide the real error
        text = f"<{_qualname(value)}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."
