"""The default tokenizer shared by every text-aware sknn estimator."""

import re

_TOKEN_PATTERN = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]", re.UNICODE)


def word_tokenize(text, lowercase=True):
    """Split a text into words and punctuation marks.

    Parameters
    ----------
    text : str
        The text to split.
    lowercase : bool, default=True
        Lower-case the text first.

    Returns
    -------
    list of str

    Examples
    --------
    >>> from sknn.text import word_tokenize
    >>> word_tokenize("It's a GREAT film, isn't it?")
    ["it's", 'a', 'great', 'film', ',', "isn't", 'it', '?']
    """
    if lowercase:
        text = text.lower()
    return _TOKEN_PATTERN.findall(text)
