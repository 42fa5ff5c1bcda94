"""
==========================================================
Classifying Fashion-MNIST clothes with ConvNetClassifier
==========================================================

A small convolutional network learns to tell ten kinds of clothes apart from 28x28 grey
images. The estimator takes the ``uint8`` images as they are stored (it scales them to
[0, 1] itself), flips and shifts training images at random on the device, and is scored on
images it never saw. The figure shows where it errs: a confusion matrix, and a grid of
misclassified test images with their true and predicted labels.

The images come from Debian's ``dataset-fashion-mnist`` package; without it the example
falls back to scikit-learn's 8x8 digits (and says so). Set ``SKNN_EXAMPLE_SMALL=1`` for a
run of a few seconds on a small subset.
"""

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # the figure goes to a file; no display needed

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import train_test_split

from sknn import ConvNetClassifier
from sknn.datasets import FASHION_MNIST_DIR, FASHION_MNIST_LABELS, load_fashion_mnist

SMALL = os.environ.get("SKNN_EXAMPLE_SMALL") == "1"
# %%
# The data
# --------
# Fashion-MNIST's official split: 60,000 training and 10,000 test images.
try:
    X_train, y_train, X_test, y_test = load_fashion_mnist()
    labels = FASHION_MNIST_LABELS
    dataset = "Fashion-MNIST"
except FileNotFoundError:
    print(
        f"Notice: Fashion-MNIST not found in {FASHION_MNIST_DIR} (apt-get install -y "
        "dataset-fashion-mnist); using scikit-learn's 8x8 digits instead."
    )
    X, y = load_digits(return_X_y=True)
    images = (X * 255 / 16).astype(np.uint8).reshape(-1, 8, 8)
    X_train, X_test, y_train, y_test = train_test_split(
        images, y, test_size=0.25, random_state=0, stratify=y
    )
    labels = [str(digit) for digit in range(10)]
    dataset = "digits"

if SMALL:
    X_train, y_train = X_train[:2000], y_train[:2000]
    X_test, y_test = X_test[:1000], y_test[:1000]
print(f"{dataset}: {len(X_train)} training and {len(X_test)} test images of {X_train.shape[1:]}")

# %%
# The model
# ---------
# Two convolution blocks with batch norm and max pooling, then one hidden dense layer.
# Horizontal flips keep a shirt a shirt (they would not keep a digit a digit), so they
# are only used on clothes.
clf = ConvNetClassifier(
    channels=(8, 16) if SMALL else (32, 64),
    batch_norm=True,
    dense_sizes=(32,) if SMALL else (128,),
    dropout=0.0 if SMALL else 0.2,
    augment_shift=1 if SMALL else 2,
    augment_flip=dataset == "Fashion-MNIST",
    batch_size=128,
    learning_rate_init=0.003,
    max_iter=4 if SMALL else 15,
    random_state=0,
)
clf.fit(X_train, y_train)
y_pred = clf.predict(X_test)
accuracy = np.mean(y_pred == y_test)
print(f"Test accuracy after {clf.n_iter_} epochs on {clf.device_}: {accuracy:.4f}")

# %%
# Where it errs
# -------------
# Rows of the confusion matrix are true classes, columns predictions. Then the first
# misclassified test images, titled "true -> predicted".
wrong = np.flatnonzero(y_pred != y_test)[:18]
fig = plt.figure(figsize=(15, 6.5), layout="constrained")
left, right = fig.subfigures(1, 2, width_ratios=[1.1, 1])
ax = left.subplots()
ConfusionMatrixDisplay.from_predictions(
    y_test, y_pred, display_labels=labels, ax=ax, colorbar=False, xticks_rotation=45
)
ax.set_title(f"{dataset}: test accuracy {accuracy:.3f}")
axes = right.subplots(3, 6)
for ax in axes.ravel():
    ax.set_axis_off()
for ax, index in zip(axes.ravel(), wrong, strict=False):
    ax.imshow(X_test[index], cmap="gray_r")
    ax.set_title(f"{labels[y_test[index]]}\n-> {labels[y_pred[index]]}", fontsize=9)
right.suptitle("Misclassified test images (true -> predicted)")

path = Path("convnet_fashion_mnist.png").resolve()
fig.savefig(path, dpi=80)
print(f"Figure saved to {path}")
