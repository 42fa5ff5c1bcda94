"""Plain data as JSON with its arrays and tensors set apart: the data half of the format.

:class:`TreeEncoder` turns nested Python data (None, bools, numbers, strings, lists,
tuples, dicts, NumPy arrays and scalars, torch tensors and devices, paths) into a
JSON-able tree, moving every numeric array into a flat dict of tensors that is written as
safetensors; :func:`decode_tree` turns the tree back. Tagged nodes are one-key dicts
whose key starts with ``$``; every dict is tagged, so a user's dict can never be mistaken
for a tag. Values of any other type go to ``other``, a hook the object layer provides
(sknn estimators, scikit-learn objects); decoding never creates anything but the types
listed here and what that layer allows.
"""

import math
import pathlib

import numpy as np
import torch

#: NumPy kinds stored as safetensors tensors (through torch): bool, int, uint, float.
_TENSOR_KINDS = "biuf"

_FLOAT_TAGS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


#: The deepest nesting of lists and objects a document may have. Decoding recurses once
#: or more per level: a limit of its own, rather than the interpreter's recursion limit
#: (which a library may raise), decides which files load, and the same one at save.
MAX_DEPTH = 100


class FormatError(ValueError):
    """The document or its tensors do not have the shape the format prescribes."""


def depth_exceeds(node, limit=MAX_DEPTH):
    """Whether JSON value ``node`` nests lists and objects more than ``limit`` deep,
    found without recursion (so for any depth)."""
    stack = [(node, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class TreeEncoder:
    """Encodes values into a JSON-able tree and a dict of CPU tensors.

    Parameters
    ----------
    tensors : dict
        Receives the tensors, keyed by a path-like name made from ``path``.
    other : callable or None
        ``other(value, path)`` encodes a value of a type this layer does not know; it
        returns a JSON-able node. None raises TypeError for such values.
    """

    def __init__(self, tensors, other=None):
        self.tensors = tensors
        self.other = other

    def encode(self, value, path):
        if isinstance(value, np.generic):
            # Before the Python types: np.float64 is a float and np.str_ a str, and
            # they come back as the NumPy scalars they were.
            return self._encode_scalar(value, path)
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else {"$float": repr(value)}
        if isinstance(value, list):
            return [self.encode(v, f"{path}.{i}") for i, v in enumerate(value)]
        if isinstance(value, tuple) and not hasattr(value, "_fields"):
            return {"$tuple": [self.encode(v, f"{path}.{i}") for i, v in enumerate(value)]}
        if type(value) is dict or type(value).__name__ == "OrderedDict":
            if all(isinstance(k, str) for k in value):
                return {"$dict": {k: self.encode(v, f"{path}.{k}") for k, v in value.items()}}
            return {
                "$pairs": [
                    [self.encode(k, f"{path}.key{i}"), self.encode(v, f"{path}.{i}")]
                    for i, (k, v) in enumerate(value.items())
                ]
            }
        if isinstance(value, torch.Tensor):
            return {"$tensor": self._put(value, path)}
        if isinstance(value, np.ndarray):
            return self._encode_array(np.asarray(value), path)
        if isinstance(value, torch.device):
            return {"$device": str(value)}
        if isinstance(value, pathlib.PurePath):
            return {"$path": str(value)}
        if isinstance(value, torch.dtype):
            return {"$torch_dtype": str(value).removeprefix("torch.")}
        if self.other is not None:
            return self.other(value, path)
        raise TypeError(f"{path}: values of type {type(value).__name__} cannot be saved.")

    def _put(self, tensor, path):
        if tensor.is_sparse or tensor.layout != torch.strided:
            raise TypeError(f"{path}: sparse tensors cannot be saved.")
        key = path
        n = 1
        while key in self.tensors:
            n += 1
            key = f"{path}#{n}"
        self.tensors[key] = tensor.detach().to("cpu", copy=False).contiguous()
        return key

    def _encode_array(self, array, path):
        kind = array.dtype.kind
        if kind in _TENSOR_KINDS and array.dtype.itemsize <= 8:
            native = array.astype(array.dtype.newbyteorder("="), copy=False)
            key = self._put(torch.from_numpy(np.ascontiguousarray(native)), path)
            return {"$ndarray": key}
        if kind in "mM":
            key = self._put(torch.from_numpy(np.ascontiguousarray(array.view(np.int64))), path)
            return {"$ndarray": key, "dtype": array.dtype.str}
        if kind in "UO":
            items = [self.encode(v, f"{path}.{i}") for i, v in enumerate(array.ravel().tolist())]
            return {"$array": items, "dtype": array.dtype.str, "shape": list(array.shape)}
        raise TypeError(f"{path}: arrays of dtype {array.dtype} cannot be saved.")

    def _encode_scalar(self, scalar, path):
        # np.longdouble's item() is itself, not a Python float.
        if scalar.dtype.kind in "biufUmM" and not (
            scalar.dtype.kind == "f" and scalar.dtype.itemsize > 8
        ):
            value = scalar.item()
            if scalar.dtype.kind in "mM":
                value = int(scalar.view(np.int64))
            return {"$scalar": self.encode(value, path), "dtype": scalar.dtype.str}
        raise TypeError(f"{path}: NumPy scalars of dtype {scalar.dtype} cannot be saved.")


def decode_tree(node, tensors, other=None):
    """Rebuild the value :meth:`TreeEncoder.encode` encoded as ``node``.

    Parameters
    ----------
    node : JSON value
    tensors : dict of str to torch.Tensor
    other : callable or None
        ``other(tag, node)`` decodes a tagged node this layer does not know.

    Raises
    ------
    FormatError
        If ``node`` is not a valid encoded value.
    """
    if node is None or isinstance(node, (bool, str, int)):
        return node
    if isinstance(node, float):
        return node
    if isinstance(node, list):
        return [decode_tree(v, tensors, other) for v in node]
    if not isinstance(node, dict) or not node:
        raise FormatError(f"unexpected value {_preview(node)}")
    tag = next(iter(node))
    body = node[tag]
    try:
        decoder = _DECODERS.get(tag)
        if decoder is not None:
            return decoder(node, body, tensors, other)
    except FormatError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, OverflowError) as error:
        raise FormatError(f"invalid {tag} node {_preview(node)}: {error}") from None
    if other is not None:
        return other(tag, node)
    raise FormatError(f"unknown tag {tag!r}")


def _decode_float(node, body, tensors, other):
    if body not in _FLOAT_TAGS:
        raise FormatError(f"invalid float {body!r}")
    return _FLOAT_TAGS[body]


def _decode_tuple(node, body, tensors, other):
    return tuple(decode_tree(_list(body), tensors, other))


def _decode_dict(node, body, tensors, other):
    if not isinstance(body, dict):
        raise FormatError("$dict holds a JSON object")
    return {k: decode_tree(v, tensors, other) for k, v in body.items()}


def _decode_pairs(node, body, tensors, other):
    out = {}
    for pair in _list(body):
        if not isinstance(pair, list) or len(pair) != 2:
            raise FormatError("$pairs holds [key, value] pairs")
        key = decode_tree(pair[0], tensors, other)
        out[key] = decode_tree(pair[1], tensors, other)
    return out


def _tensor(body, tensors):
    if not isinstance(body, str) or body not in tensors:
        raise FormatError(f"refers to a tensor {body!r} that the file does not hold")
    return tensors[body]


def _decode_tensor(node, body, tensors, other):
    return _tensor(body, tensors)


def _decode_ndarray(node, body, tensors, other):
    array = _tensor(body, tensors).numpy()
    if "dtype" in node:
        dtype = np.dtype(node["dtype"])
        if dtype.kind not in "mM":
            raise FormatError(f"unexpected dtype {dtype} for a tensor-backed array")
        array = array.view(dtype)
    return array


def _decode_array(node, body, tensors, other):
    dtype = np.dtype(node["dtype"])
    if dtype.kind not in "UO":
        raise FormatError(f"unexpected dtype {dtype} for a JSON array")
    shape = tuple(_list(node["shape"]))
    items = decode_tree(_list(body), tensors, other)
    array = np.empty(len(items), dtype=dtype)
    array[:] = items
    return array.reshape(shape)


def _decode_scalar(node, body, tensors, other):
    dtype = np.dtype(node["dtype"])
    value = decode_tree(body, tensors, other)
    if dtype.kind in "mM":
        return np.array(value, dtype=np.int64).view(dtype)[()]
    if dtype.kind not in "biufU":
        raise FormatError(f"unexpected scalar dtype {dtype}")
    return np.array(value, dtype=dtype)[()]


def _decode_device(node, body, tensors, other):
    return torch.device(body)


def _decode_path(node, body, tensors, other):
    if not isinstance(body, str):
        raise FormatError("$path holds a string")
    return pathlib.Path(body)


def _decode_torch_dtype(node, body, tensors, other):
    dtype = getattr(torch, body, None)
    if not isinstance(dtype, torch.dtype):
        raise FormatError(f"unknown torch dtype {body!r}")
    return dtype


_DECODERS = {
    "$float": _decode_float,
    "$tuple": _decode_tuple,
    "$dict": _decode_dict,
    "$pairs": _decode_pairs,
    "$tensor": _decode_tensor,
    "$ndarray": _decode_ndarray,
    "$array": _decode_array,
    "$scalar": _decode_scalar,
    "$device": _decode_device,
    "$path": _decode_path,
    "$torch_dtype": _decode_torch_dtype,
}


def _list(value):
    if not isinstance(value, list):
        raise FormatError(f"expected a list, got {_preview(value)}")
    return value


def _preview(value, limit=80):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
