"""
Training on data larger than memory, and the CUDA-graph training step
=====================================================================

A NumPy memory map (``np.load(path, mmap_mode="r")``) is read from disk as it is used.
Passed to ``fit``, it is streamed: each batch's rows are read while the previous batch
trains, so the file never has to fit in memory (``stream_data='auto'``; ``True`` streams
any array, ``False`` never streams). This script saves a table to a ``.npy`` file, trains
on it through a memory map and from memory, and prints the time and accuracy of each.

On a CUDA GPU, the training step of both is also recorded once in a CUDA graph and
replayed batch after batch (``cuda_graph='auto'``), except that streamed data keeps the
eager step; ``cuda_graph_`` says whether a fit was captured.

Set ``SKNN_EXAMPLE_SMALL=1`` for a run of a few seconds.
"""

import os
import tempfile
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sknn import MLPClassifier

SMALL = os.environ.get("SKNN_EXAMPLE_SMALL") == "1"
N_SAMPLES = 20_000 if SMALL else 500_000
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = make_classification(
    n_samples=N_SAMPLES, n_features=40, n_informative=20, n_classes=3, random_state=0
)
X = X.astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)

# A first small fit pays the one-off start-up costs, so the timings below compare like
# with like.
MLPClassifier(max_iter=1).fit(X_train[:1000], y_train[:1000])

with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "X_train.npy")
    np.save(path, X_train)
    X_on_disk = np.load(path, mmap_mode="r")  # nothing is read yet

    for name, data in [("memory map (streamed)", X_on_disk), ("in memory", X_train)]:
        model = MLPClassifier((128, 128), batch_size=512, max_iter=5, random_state=0)
        start = time.perf_counter()
        model.fit(data, y_train)
        seconds = time.perf_counter() - start
        print(
            f"{name:>22}: {seconds:5.1f} s, test accuracy {model.score(X_test, y_test):.3f}, "
            f"device {model.device_}, CUDA graph: {model.cuda_graph_}"
        )
    del X_on_disk, model  # release the file before its folder is removed
