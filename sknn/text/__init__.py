"""Text front end shared by the text-aware estimators."""

from sknn.text._input import check_sequence_input
from sknn.text._tokenize import word_tokenize
from sknn.text._vectorizer import CLS_ID, OOV_ID, PAD_ID, TextVectorizer

__all__ = [
    "CLS_ID",
    "OOV_ID",
    "PAD_ID",
    "TextVectorizer",
    "check_sequence_input",
    "word_tokenize",
]
