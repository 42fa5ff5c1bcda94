"""Reading and writing the word2vec text and binary formats.

Both formats start with a ``"<n_words> <vector_size>\\n"`` header. In the text format
each following line is the word and its values separated by single spaces; in the binary
format each entry is the UTF-8 word, one space and ``vector_size`` little-endian float32
values, followed by a newline as the reference C tool writes it. Readers accept entries
with or without that newline, as gensim does, so files from either tool load in the other.
"""

import os

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
    """Read a word2vec file, refusing a corrupted one with a ``ValueError`` that says why.

    The header is checked against the file's size before anything is allocated, and every
    entry is checked: a word that is empty or seen twice, a value that is not a number or
    not finite, an entry of the wrong length, fewer or more entries than announced.

    Returns
    -------
    keys : list of str
    vectors : ndarray of shape (n_words, vector_size), dtype float32

    Raises
    ------
    OSError
        If ``path`` cannot be read (``FileNotFoundError`` when it does not exist).
    ValueError
        If the file is not a well-formed word2vec file.
    """
    name = os.fspath(path)
    file_size = os.path.getsize(path)
    with open(path, "rb") as stream:
        header_line = stream.readline()
        n_words, vector_size = _parse_header(header_line, name)
        _check_capacity(n_words, vector_size, file_size - len(header_line), binary, name)
        if binary:
            keys, vectors = _read_binary(stream, n_words, vector_size, name)
        else:
            keys, vectors = _read_text(stream, n_words, vector_size, name)
    if len(keys) != n_words:
        raise ValueError(
            f"{name} announces {n_words} words in its header but holds {len(keys)}: the file "
            "is truncated or its header is wrong."
        )
    return keys, vectors


def _parse_header(line, name):
    header = line.split()
    if len(header) != 2:
        raise ValueError(
            f"{name} is not in word2vec format: the first line must be "
            f"'<n_words> <vector_size>'; got {line[:60]!r}."
        )
    try:
        n_words, vector_size = int(header[0]), int(header[1])
    except ValueError:
        raise ValueError(
            f"{name} is not in word2vec format: the first line must be two integers "
            f"'<n_words> <vector_size>'; got {line[:60]!r}."
        ) from None
    if n_words < 0 or vector_size < 1:
        raise ValueError(
            f"{name} has an invalid header: {n_words} words of {vector_size} values; the "
            "number of words must be at least 0 and the vector size at least 1."
        )
    return n_words, vector_size


def _check_capacity(n_words, vector_size, n_bytes, binary, name):
    """Refuse a header announcing more entries than the rest of the file could hold."""
    if binary:
        # A word of one byte, a space and the values; the newline is optional.
        entry = 2 + _FLOAT32_LE.itemsize * vector_size
        capacity = n_bytes // entry
    else:
        # A word of one character and one space and one digit per value; a newline between
        # entries.
        entry = 2 + 2 * vector_size
        capacity = (n_bytes + 1) // entry
    if n_words > capacity:
        raise ValueError(
            f"{name} announces {n_words} words of {vector_size} values in its header, but "
            f"the {n_bytes} bytes that follow can hold at most {capacity}: the header is "
            "wrong or the file is truncated."
        )


def _read_text(stream, n_words, vector_size, name):
    keys = []
    lines = {}
    vectors = np.empty((n_words, vector_size), dtype=np.float32)
    for line_number, line in enumerate(stream, start=2):
        where = f"{name}, line {line_number}"
        try:
            parts = line.decode("utf-8").rstrip().split(" ")
        except UnicodeDecodeError as error:
            raise ValueError(f"{where}: not valid UTF-8 ({error.reason}).") from None
        if parts == [""]:
            continue
        if len(keys) >= n_words:
            raise ValueError(
                f"{where}: more entries than the {n_words} that the header announces."
            )
        if len(parts) != vector_size + 1:
            raise ValueError(
                f"{where}: expected a word and {vector_size} values separated by single "
                f"spaces; found {len(parts)} fields."
            )
        try:
            vectors[len(keys)] = np.asarray(parts[1:], dtype=np.float32)
        except ValueError:
            raise ValueError(f"{where}: the values of {parts[0]!r} are not all numbers.") from None
        _add_key(keys, lines, parts[0], where, vectors[len(keys)])
    return keys, vectors[: len(keys)]


def _read_binary(stream, n_words, vector_size, name):
    data = stream.read()
    n_bytes = vector_size * _FLOAT32_LE.itemsize
    keys = []
    lines = {}
    vectors = np.empty((n_words, vector_size), dtype=np.float32)
    position = 0
    for i in range(n_words):
        where = f"{name}, entry {i + 1}"
        while position < len(data) and data[position : position + 1] in (b"\n", b"\r"):
            position += 1
        space = data.find(b" ", position)
        if space < 0 or space + 1 + n_bytes > len(data):
            raise ValueError(
                f"{where} of {n_words}: the file ends before it does (truncated file)."
            )
        try:
            key = data[position:space].decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"{where}: the word is not valid UTF-8 ({error.reason}).") from None
        start = space + 1
        vectors[i] = np.frombuffer(data, dtype=_FLOAT32_LE, count=vector_size, offset=start)
        _add_key(keys, lines, key, where, vectors[i])
        position = start + n_bytes
    if data[position:].strip():
        # As the text reader does: an entry past the announced count means a wrong header.
        raise ValueError(
            f"{name}, after entry {n_words}: more entries than the {n_words} that the header "
            "announces."
        )
    return keys, vectors


def _add_key(keys, seen, key, where, vector):
    if not key:
        raise ValueError(f"{where}: the word is empty.")
    if key in seen:
        raise ValueError(
            f"{where}: the word {key!r} appears a second time (first at {seen[key]}); a "
            "word2vec file holds one vector per word."
        )
    if not np.isfinite(vector).all():
        raise ValueError(f"{where}: the vector of {key!r} holds NaN or infinite values.")
    seen[key] = where.rsplit(", ", 1)[-1]
    keys.append(key)
