"""Reading and writing the word2vec text and binary formats.

Both formats start with a ``"<n_words> <vector_size>\\n"`` header. In the text format
each following line is the word and its values separated by single spaces; in the binary
format each entry is the UTF-8 word, one space and ``vector_size`` little-endian float32
values, followed by a newline as the reference C tool writes it. Readers accept entries
with or without that newline, as gensim does, so files from either tool load in the other.
"""

import numpy as np

_FLOAT32_LE = np.dtype("<f4")


def save_word2vec_format(path, keys, vectors, binary=False):
    """Write ``vectors`` (one row per key) to ``path``.

    Parameters
    ----------
    path : str or path-like
    keys : list of str
        Words; they must not contain whitespace, which the formats use as separator.
    vectors : ndarray of shape (n_words, vector_size)
    binary : bool, default=False
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    for key in keys:
        if not key or any(char.isspace() for char in key):
            raise ValueError(
                f"Cannot write the word {key!r} in word2vec format: words must be non-empty "
                "and contain no whitespace."
            )
    with open(path, "wb") as stream:
        stream.write(f"{len(keys)} {vectors.shape[1]}\n".encode())
        if binary:
            for key, row in zip(keys, vectors, strict=True):
                entry = key.encode("utf-8") + b" " + row.astype(_FLOAT32_LE).tobytes()
                stream.write(entry + b"\n")
        else:
            for key, row in zip(keys, vectors, strict=True):
                # Nine significant digits round-trip every float32 exactly.
                values = " ".join(f"{value:.9g}" for value in row)
                stream.write(f"{key} {values}\n".encode())


def load_word2vec_format(path, binary=False):
    """Read a word2vec file.

    Returns
    -------
    keys : list of str
    vectors : ndarray of shape (n_words, vector_size), dtype float32
    """
    with open(path, "rb") as stream:
        header = stream.readline().split()
        if len(header) != 2:
            raise ValueError(
                f"{path!s} is not in word2vec format: the first line must be "
                "'<n_words> <vector_size>'."
            )
        n_words, vector_size = int(header[0]), int(header[1])
        if binary:
            keys, vectors = _read_binary(stream, n_words, vector_size)
        else:
            keys, vectors = _read_text(stream, n_words, vector_size)
    if len(keys) != n_words:
        raise ValueError(f"{path!s} announces {n_words} words but holds {len(keys)}.")
    return keys, vectors


def _read_text(stream, n_words, vector_size):
    keys = []
    vectors = np.empty((n_words, vector_size), dtype=np.float32)
    for line in stream:
        parts = line.decode("utf-8").rstrip().split(" ")
        if parts == [""]:
            continue
        if len(parts) != vector_size + 1 or len(keys) >= n_words:
            raise ValueError(
                f"Malformed word2vec text line {len(keys) + 2}: expected a word and "
                f"{vector_size} values."
            )
        vectors[len(keys)] = np.asarray(parts[1:], dtype=np.float32)
        keys.append(parts[0])
    return keys, vectors[: len(keys)]


def _read_binary(stream, n_words, vector_size):
    data = stream.read()
    n_bytes = vector_size * _FLOAT32_LE.itemsize
    keys = []
    vectors = np.empty((n_words, vector_size), dtype=np.float32)
    position = 0
    for i in range(n_words):
        while position < len(data) and data[position : position + 1] in (b"\n", b"\r"):
            position += 1
        space = data.find(b" ", position)
        if space < 0 or space + 1 + n_bytes > len(data):
            raise ValueError(f"Truncated word2vec binary file: entry {i + 1} of {n_words}.")
        keys.append(data[position:space].decode("utf-8"))
        start = space + 1
        vectors[i] = np.frombuffer(data, dtype=_FLOAT32_LE, count=vector_size, offset=start)
        position = start + n_bytes
    return keys, vectors
