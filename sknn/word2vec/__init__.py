"""Word2vec word embeddings as a scikit-learn transformer."""

from ._estimator import Word2Vec
from ._keyed_vectors import WordVectors

__all__ = ["Word2Vec", "WordVectors"]
