"""
Saving a pipeline as a file that holds no code
==============================================

pickle and joblib files run code when they are loaded, so a model file from someone else
is a risk. ``sknn.save`` writes a fitted pipeline (here a scaler and sknn's
MLPClassifier) as one safetensors file: the network's weights as tensors, everything else
as JSON, the scaler through skops, with the versions that wrote it and a checksum.
``sknn.load`` reads it back without unpickling anything and predicts exactly as before.
The script then damages a copy of the file to show the error a damaged file gives.

Set ``SKNN_EXAMPLE_SMALL=1`` for a run of a few seconds.
"""

import json
import os
import struct
import tempfile
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sknn

SMALL = os.environ.get("SKNN_EXAMPLE_SMALL") == "1"

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
model = make_pipeline(
    StandardScaler(),
    sknn.MLPClassifier(hidden_layer_sizes=(64,), max_iter=20 if SMALL else 200, random_state=0),
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    model.fit(X_train, y_train)

folder = Path(tempfile.mkdtemp())
path = folder / "digits.sknn"
sknn.save(model, path)
loaded = sknn.load(path)
same = np.array_equal(loaded.predict_proba(X_test), model.predict_proba(X_test))
print(f"{path.name}: {path.stat().st_size / 1e3:.1f} kB, identical probabilities: {same}")
print(f"test accuracy of the loaded pipeline: {loaded.score(X_test, y_test):.3f}")

# What is inside: a safetensors header whose metadata holds the JSON.
data = path.read_bytes()
header = json.loads(data[8 : 8 + struct.unpack("<Q", data[:8])[0]])
metadata = header.pop("__metadata__")
print("tensors:", ", ".join(sorted(header)))
print("written by:", metadata["versions"])

# One flipped bit in the weights: loading says so instead of predicting nonsense.
damaged = bytearray(data)
damaged[-10] ^= 0x04
broken = folder / "damaged.sknn"
broken.write_bytes(bytes(damaged))
try:
    sknn.load(broken)
except ValueError as error:
    print("damaged copy:", error)
