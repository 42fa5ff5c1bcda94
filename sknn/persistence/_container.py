"""The file: one safetensors file whose metadata carries a JSON document.

Layout (a valid safetensors file, readable by any safetensors reader)::

    tensors   every array and weight, by path-like name
    metadata  format     "sknn"
              version    the format version, an integer as text
              kind       "model" or "checkpoint"
              versions   JSON: the sknn, torch, scikit-learn, ... versions that wrote it
              document   JSON: everything that is not a tensor
              checksum   "xxh3_64:<hex>" of the metadata above and of every tensor

Reading parses the header itself before anything else, so that a file that is not one of
ours, truncated, bit-flipped or edited raises :class:`ValueError` naming the file and what
is wrong, never a safetensors, torch or zip traceback; nothing in it is ever unpickled.
"""

import errno
import json
import os
import re
import secrets
import stat
import struct
import warnings
from pathlib import Path

import numpy as np
import torch
import xxhash
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from sklearn.exceptions import InconsistentVersionWarning as _SklearnVersionWarning

from sknn._stacklevel import stacklevel_outside_sknn
from sknn.persistence._tree import depth_exceeds

FORMAT = "sknn"

#: The format version this sknn writes, and the newest it reads.
FORMAT_VERSION = 1

KINDS = ("model", "checkpoint")

#: safetensors' limit on the header (JSON) size: 100 MB.
_MAX_HEADER = 100_000_000

#: The checksum: XXH3 (64 bits), a non-cryptographic hash made to detect damage (it
#: cannot detect a deliberate edit whose author recomputes it; nothing in the file can,
#: and nothing in it is executed either). At ~20 GB/s it adds ~2 ms to loading 40 MB of
#: weights, where SHA-256 would add ~40 ms.
_CHECKSUM = "xxh3_64"


class InconsistentVersionWarning(_SklearnVersionWarning):
    """A model file written under other versions of sknn, torch or scikit-learn.

    Subclasses scikit-learn's :class:`~sklearn.exceptions.InconsistentVersionWarning`, so a
    filter on scikit-learn's warning also covers sknn's files. The file may load and
    predict correctly, but only the versions that wrote it are known to.

    Attributes
    ----------
    package : str
    current_version : str
    original_version : str
    """

    def __init__(self, *, package, current_version, original_version, path):
        self.package = package
        self.current_version = current_version
        self.original_version = original_version
        self.path = path
        # scikit-learn's attribute names, for code that reads them.
        self.estimator_name = str(path)
        self.current_sklearn_version = current_version
        self.original_sklearn_version = original_version

    def __str__(self):
        return (
            f"{self.path} was written with {self.package} {self.original_version} and is "
            f"loaded with {self.package} {self.current_version}. It might predict "
            "differently or fail to load; re-fit and save it with the current versions, "
            "or install the versions that wrote it."
        )


class Contents:
    """What :func:`read` returns: the document, the tensors and the file's facts."""

    def __init__(self, path, kind, document, tensors, versions):
        self.path = path
        self.kind = kind
        self.document = document
        self.tensors = tensors
        self.versions = versions


def current_versions(extra=()):
    """The versions this process would record: sknn, torch, scikit-learn, ``extra``."""
    import sklearn

    import sknn

    versions = {
        "sknn": sknn.__version__,
        "torch": torch.__version__,
        "scikit-learn": sklearn.__version__,
    }
    for name in extra:
        versions[name] = _version_of(name)
    return versions


def write(path, kind, document, tensors, extra_versions=()):
    """Write ``document`` (JSON-able) and ``tensors`` (dict of CPU tensors) to ``path``.

    The file is written next to its destination and then moved into place, so a reader
    never sees a partly written file. It gets the permissions ``open(path, "wb")`` would
    give it: those of the file it replaces, or 0o666 less the umask; a file the user
    may not write is not replaced, and a symbolic link is written through.
    """
    path = Path(os.fspath(path))
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    if not path.parent.is_dir():
        raise FileNotFoundError(f"Cannot write {path}: the folder {path.parent} does not exist.")
    if path.is_dir():
        raise IsADirectoryError(
            f"Cannot write {path}: it is a folder. Name a file in it, such as "
            f"{path / ('model.sknn' if kind == 'model' else 'run.ckpt')}."
        )
    tensors = _unshared(tensors)
    metadata = {
        "format": FORMAT,
        "version": str(FORMAT_VERSION),
        "kind": kind,
        "versions": json.dumps(current_versions(extra_versions), sort_keys=True),
        "document": json.dumps(document, allow_nan=False, default=_numpy_scalar),
    }
    metadata["checksum"] = _CHECKSUM + ":" + _digest(metadata, tensors)
    mode = _mode_of_existing(path)
    try:
        temporary = _create_temporary(path)
    except OSError as error:
        raise _about_path(error, path) from None
    try:
        if mode is None:  # a new file: the mode the umask leaves of 0o666
            mode = stat.S_IMODE(os.stat(temporary).st_mode)
        save_file(tensors, temporary, metadata=metadata)
        # safetensors replaces the file it writes with one of mode 0o600.
        os.chmod(temporary, mode)
        _sort_metadata(temporary)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise _about_path(error, path) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _mode_of_existing(path):
    """The permission bits of the file at ``path``, or None if there is none.

    Raises PermissionError if the user may not write it, as ``open(path, "wb")`` would
    (``os.replace`` would replace it all the same: it needs only the folder's permission).
    """
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise _about_path(error, path) from None
    if not os.access(path, os.W_OK):
        raise PermissionError(errno.EACCES, f"Cannot write {path}: Permission denied", str(path))
    return mode


def _create_temporary(path):
    """A new empty file next to ``path``, created with mode 0o666 so that the umask
    applies (``tempfile.mkstemp`` creates its files 0o600)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temporary = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            os.close(os.open(temporary, flags, 0o666))
        except FileExistsError:
            continue
        return temporary
    raise FileExistsError(errno.EEXIST, "No usable temporary file name", str(path))


def _sort_metadata(file):
    """Rewrite the header of safetensors ``file`` with its metadata keys sorted.

    safetensors writes the metadata from a hash map, in an order that changes from run
    to run; sorted, saving the same model twice gives the same bytes. The header keeps
    its length (the same keys and values, as compact as safetensors writes them), so it
    is rewritten in place.
    """
    with open(file, "r+b") as stream:
        (size,) = struct.unpack("<Q", stream.read(8))
        header = json.loads(stream.read(size).decode("utf-8"))
        header["__metadata__"] = dict(sorted(header["__metadata__"].items()))
        text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        if len(text) > size:  # safetensors escaped differently: keep its header
            return
        stream.seek(8)
        stream.write(text.ljust(size, b" "))


def _about_path(error, path):
    """``error`` (an OSError about the temporary file) as one about ``path``."""
    if error.errno is None:
        return error
    return type(error)(error.errno, f"Cannot write {path}: {error.strerror}", str(path))


def read(path, kind):
    """Read and verify a file written by :func:`write`; see the module docstring.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file is not an sknn file of this ``kind``, comes from a newer format
        version, or is damaged (truncated, bit-flipped, edited).
    """
    path = Path(os.fspath(path))
    with open(path, "rb") as stream:
        head = stream.read(8)
        size = os.fstat(stream.fileno()).st_size
        if len(head) < 8:
            raise _damaged(path, f"it holds only {len(head)} bytes")
        (header_size,) = struct.unpack("<Q", head)
        if header_size > min(size - 8, _MAX_HEADER):
            stream.seek(-1, os.SEEK_END)
            _check_other_formats(path, head, last=stream.read(1))
            raise _damaged(path, "it is truncated or its header is corrupt")
        raw_header = stream.read(header_size)
    try:
        header = json.loads(raw_header.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _damaged(path, "its header is not valid JSON") from None
    except RecursionError:
        raise _damaged(path, "its header is nested too deeply") from None
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ValueError(
            f"{path} is not an sknn model file: it is a safetensors file without sknn's "
            "metadata. Save models with `estimator.save(path)` or `sknn.save(obj, path)`."
        )
    version = metadata.get("version", "")
    if not isinstance(version, str) or not re.fullmatch("[0-9]+", version):
        raise _damaged(path, f"its format version {version!r} is not a number")
    if int(version) > FORMAT_VERSION:
        raise ValueError(
            f"{path} was written in sknn file format version {version}, by a newer sknn; "
            f"this sknn ({current_versions()['sknn']}) reads format versions up to "
            f"{FORMAT_VERSION}. Upgrade sknn to load it."
        )
    if metadata.get("kind") != kind:
        raise ValueError(_wrong_kind(path, metadata.get("kind"), kind))
    try:
        with safe_open(path, framework="pt", device="cpu") as reader:
            # Copied out of the file's memory map: a tensor that still mapped the file
            # would crash the process (SIGBUS) once the file is overwritten in place.
            tensors = {name: reader.get_tensor(name).clone() for name in reader.keys()}
    except (SafetensorError, OSError, RuntimeError, ValueError) as error:
        raise _damaged(path, f"its tensors cannot be read ({error})") from None
    expected = metadata.get("checksum", "")
    body = {k: v for k, v in metadata.items() if k != "checksum"}
    if expected != _CHECKSUM + ":" + _digest(body, tensors):
        raise _damaged(path, "its checksum does not match its contents")
    try:
        versions = json.loads(metadata["versions"])
        document = json.loads(metadata["document"])
    except (KeyError, TypeError, json.JSONDecodeError):
        raise _damaged(path, "its metadata is incomplete") from None
    except RecursionError:
        raise _damaged(path, "its document is nested too deeply") from None
    if depth_exceeds(document):
        raise _damaged(path, "its document is nested too deeply")
    if not isinstance(versions, dict) or not all(
        isinstance(k, str) and isinstance(v, (str, type(None))) for k, v in versions.items()
    ):
        raise _damaged(path, "its version record is malformed")
    _warn_on_other_versions(path, versions)
    return Contents(path, kind, document, tensors, versions)


def _check_other_formats(path, head, last):
    # Only where the first 8 bytes are no valid safetensors header size: a safetensors
    # header size can begin with any byte.
    if head[:4] == b"PK\x03\x04":
        raise ValueError(
            f"{path} is not an sknn model file: it is a zip archive (the format of "
            "torch.save and skops). sknn never unpickles a file; load it with the library "
            "that wrote it if you trust its source."
        )
    if _looks_like_a_pickle(head, last):
        raise ValueError(
            f"{path} is not an sknn model file: it looks like a pickle. sknn never "
            "unpickles a file; load it with pickle or joblib only if you trust its source."
        )
    compression = _compression(head)
    if compression is not None:
        raise ValueError(
            f"{path} is not an sknn model file: it is {compression}-compressed, most "
            "likely a pickle that `joblib.dump(..., compress=...)` wrote. sknn never "
            "unpickles a file; load it with joblib only if you trust its source."
        )


#: Opcodes a pickle of protocol 0 or 1 begins with (protocol 2 and later begin with
#: PROTO, 0x80): MARK, EMPTY_LIST/DICT/TUPLE, GLOBAL, NONE and the scalars.
_PICKLE_0_1_STARTS = frozenset(b"(]})cNIJKLMFGSTUVX")


def _looks_like_a_pickle(head, last):
    # Every pickle ends with STOP ('.').
    if head[:1] == b"\x80":
        return 2 <= head[1] <= 5
    return head[0] in _PICKLE_0_1_STARTS and last == b"."


def _compression(head):
    """The compression whose magic bytes begin ``head`` (joblib's compressors), or None."""
    for name, magic in (
        ("gzip", b"\x1f\x8b"),
        ("bz2", b"BZh"),
        ("xz", b"\xfd7zXZ\x00"),
        ("lzma", b"]\x00\x00"),
        ("lz4", b"\x04\x22\x4d\x18"),
        ("zstd", b"\x28\xb5\x2f\xfd"),
    ):
        if head.startswith(magic):
            return name
    # zlib: a deflate method byte, and a header whose 16 bits are a multiple of 31.
    if head[0] & 0x0F == 8 and head[0] >> 4 <= 7 and int.from_bytes(head[:2], "big") % 31 == 0:
        return "zlib"
    return None


def _damaged(path, what):
    return ValueError(f"{path} is not a valid sknn model file: {what}.")


def _wrong_kind(path, found, wanted):
    if found == "checkpoint":
        return (
            f"{path} is a training checkpoint, not a model file: resume a fit from it with "
            "`resume_from`, or load the model the fit saves."
        )
    if found == "model":
        return (
            f"{path} is a model file, not a training checkpoint: load it with `sknn.load`. "
            "Checkpoints are written by the `checkpoint` parameter."
        )
    return f"{path} is not a valid sknn model file: unknown kind {found!r}."


def _warn_on_other_versions(path, versions):
    extra = [name for name in versions if name not in ("sknn", "torch", "scikit-learn")]
    current = current_versions(extra)
    for package, original in sorted(versions.items()):
        now = current.get(package)
        if _release(now) != _release(original):
            warnings.warn(
                InconsistentVersionWarning(
                    package=package,
                    current_version=now,
                    original_version=original,
                    path=path,
                ),
                stacklevel=stacklevel_outside_sknn(),
            )


def _release(version):
    # The local part (torch's '+cpu', '+cu121') says how it was built, not what it does: a
    # model trained on a GPU machine loads on a CPU one without a warning.
    return None if version is None else str(version).split("+")[0]


def _version_of(package):
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def _numpy_scalar(value):
    """JSON for a NumPy scalar that reached a document (a parameter given as
    ``np.float32``): the Python number it holds."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _digest(metadata, tensors):
    digest = xxhash.xxh3_64()
    digest.update(json.dumps(metadata, sort_keys=True).encode("utf-8"))
    for name in sorted(tensors):
        tensor = tensors[name]
        digest.update(f"\0{name}\0{tensor.dtype}\0{tuple(tensor.shape)}\0".encode())
        if tensor.numel():
            digest.update(tensor.contiguous().reshape(-1).view(torch.uint8).numpy())
    return digest.hexdigest()


def _unshared(tensors):
    # safetensors refuses tensors that share memory (tied weights, views of one buffer).
    seen = set()
    out = {}
    for name, tensor in tensors.items():
        tensor = tensor.detach().to("cpu").contiguous()
        if tensor.numel():
            pointer = (tensor.untyped_storage().data_ptr(), tensor.storage_offset())
            if pointer in seen or tensor.untyped_storage().nbytes() != tensor.nbytes:
                tensor = tensor.clone()
            seen.add((tensor.untyped_storage().data_ptr(), tensor.storage_offset()))
        out[name] = tensor
    return out
