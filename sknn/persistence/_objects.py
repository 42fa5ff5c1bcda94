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
are swapped for references to the sknn part. skops loads only the types it trusts by
default (scikit-learn's, NumPy's, SciPy's) and those the caller lists in ``trusted``.
"""

import secrets

import numpy as np
from sklearn.base import BaseEstimator

from sknn.persistence._tree import FormatError, TreeEncoder, decode_tree

#: Packages whose types never go to skops: an object of theirs that sknn does not know how
#: to write is refused instead (skops would write a torch module or an sknn engine as a
#: bag of attributes, not as weights).
_NEVER_FOREIGN = ("sknn", "torch", "skorch.net")


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

    classes = (
        ConvNetClassifier,
        MLPClassifier,
        MLPRegressor,
        SequenceClassifier,
        SequenceRegressor,
        TransformerClassifier,
        Word2Vec,
        TextVectorizer,
    )
    return {cls.__name__: cls for cls in classes}


def _plain_classes():
    """Classes written as their ``__dict__`` and rebuilt without calling any of their code."""
    from sklearn.preprocessing import LabelBinarizer

    from sknn.word2vec import WordVectors

    return {
        "sklearn.preprocessing.LabelBinarizer": LabelBinarizer,
        "sknn.word2vec.WordVectors": WordVectors,
    }


def _known_functions():
    from sknn.text import word_tokenize

    return {"sknn.text.word_tokenize": word_tokenize}


def is_sknn_estimator(value):
    return type(value) in _estimator_classes().values()


class Saver:
    """Encodes a value holding sknn estimators into (document, tensors, skops payload)."""

    def __init__(self, include_optimizer=False):
        self.include_optimizer = include_optimizer
        self.tensors = {}
        self.objects = []
        self.foreign = []
        self.nonce = secrets.token_hex(8)
        self._object_index = {}
        self._alive = []  # keeps every id() used as a memo key valid during the save
        self._tree = TreeEncoder(self.tensors, other=self._other)
        self._plain = {cls: name for name, cls in _plain_classes().items()}
        self._functions = {id(f): name for name, f in _known_functions().items()}

    def document(self, value):
        """The JSON document for ``value``; fills ``tensors`` and ``foreign``."""
        root = self._tree.encode(value, "root")
        document = {"root": root, "objects": self.objects}
        if self.foreign:
            document["foreign"] = {"count": len(self.foreign), "nonce": self.nonce}
        return document

    def skops_payload(self):
        """The skops bytes of the objects sknn does not write itself, or None."""
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
            if _in_packages(name, _NEVER_FOREIGN)
        ]
        if leaked:
            raise TypeError(
                "sknn estimators can be saved inside scikit-learn's Pipeline, "
                "ColumnTransformer, FeatureUnion and other meta-estimators, lists, tuples "
                "and dicts, but not inside objects of other types; found %s." % leaked
            )
        return payload

    # -- encoders ------------------------------------------------------------------------
    def _other(self, value, path):
        if is_sknn_estimator(value):
            return {"$sknn": self._add_estimator(value, path)}
        if type(value) in self._plain:
            state = self._tree.encode(dict(vars(value)), path)
            return {"$object": self._plain[type(value)], "state": state}
        if id(value) in self._functions:
            return {"$function": self._functions[id(value)]}
        if isinstance(value, np.random.RandomState):
            state = value.get_state(legacy=False)
            return {"$random_state": self._tree.encode(state, path)}
        if _in_packages(_qualname(value), _NEVER_FOREIGN):
            raise TypeError(f"{path}: objects of type {_qualname(value)} cannot be saved.")
        self.foreign.append(self._swap_out(value))
        return {"$foreign": len(self.foreign) - 1}

    def _add_estimator(self, est, path):
        if id(est) in self._object_index:
            return self._object_index[id(est)]
        index = len(self.objects)
        self._object_index[id(est)] = index
        self._alive.append(est)
        self.objects.append(None)
        prefix = f"objects.{index}"
        params = est.get_params(deep=False)
        attributes = {k: v for k, v in vars(est).items() if k not in params and k != "net_"}
        entry = {
            "class": type(est).__name__,
            "params": self._tree.encode(params, prefix + ".params"),
            "attributes": self._tree.encode(attributes, prefix + ".attributes"),
        }
        net = vars(est).get("net_")
        if net is not None:
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
        """A copy of ``value`` with each sknn estimator in it replaced by a reference."""
        if is_sknn_estimator(value):
            return self._reference(self._add_estimator(value, "foreign"))
        if isinstance(value, list):
            items = [self._swap_out(v) for v in value]
            return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
        if isinstance(value, tuple) and not hasattr(value, "_fields"):
            items = tuple(self._swap_out(v) for v in value)
            return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
        if type(value) is dict:
            items = {k: self._swap_out(v) for k, v in value.items()}
            return items if any(items[k] is not value[k] for k in value) else value
        if isinstance(value, BaseEstimator):
            attributes = {k: self._swap_out(v) for k, v in vars(value).items()}
            if all(attributes[k] is v for k, v in vars(value).items()):
                return value
            copy = type(value).__new__(type(value))
            copy.__dict__.update(attributes)
            return copy
        return value

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
            self._foreign_decoded[index] = self._swap_in(self._foreign[index])
        return self._foreign_decoded[index]

    def _swap_in(self, value):
        if isinstance(value, str) and value.startswith(f"\0sknn:{self._nonce}:"):
            index = value.rsplit(":", 1)[1]
            if not index.isdigit():
                raise FormatError(f"invalid reference {value!r}")
            return self._estimator(int(index))
        if isinstance(value, list):
            value[:] = [self._swap_in(v) for v in value]
        elif isinstance(value, tuple) and not hasattr(value, "_fields"):
            return tuple(self._swap_in(v) for v in value)
        elif type(value) is dict:
            for k in value:
                value[k] = self._swap_in(value[k])
        elif isinstance(value, BaseEstimator):
            for k, v in list(vars(value).items()):
                value.__dict__[k] = self._swap_in(v)
        return value

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
        cls = _estimator_classes().get(name)
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
        est._validate_params()
        est.__dict__.update(attributes)
        engine = entry.get("engine")
        if engine is not None:
            self._restore_engine(est, engine, f"objects.{index}.engine")
        self._decoded[index] = est
        return est

    def _restore_engine(self, est, engine, prefix):
        if not isinstance(engine, dict) or not isinstance(engine.get("device"), str):
            raise FormatError("the engine is malformed")
        history = decode_tree(engine.get("history", []), self.tensors, self._other)
        module_state = decode_tree(engine.get("module"), self.tensors, self._other)
        optimizer_state = None
        if "optimizer" in engine:
            optimizer_state = decode_tree(engine["optimizer"], self.tensors, self._other)
        if not isinstance(history, list) or not all(isinstance(r, dict) for r in history):
            raise FormatError("the history is not a list of rows")
        if not isinstance(module_state, dict):
            raise FormatError("the module's weights are not a mapping")
        est._restore_engine(
            module_state=module_state,
            training_state=engine.get("state"),
            history=history,
            optimizer_state=optimizer_state,
            saved_device=engine["device"],
            device=self.device,
        )


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
    missing = sorted(untrusted - allowed)
    if missing:
        raise UntrustedTypesError(path, missing)
    try:
        return skops_io.loads(data, trusted=sorted(untrusted))
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
        return sorted(_skops().get_untrusted_types(data=payload.numpy().tobytes()))
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
