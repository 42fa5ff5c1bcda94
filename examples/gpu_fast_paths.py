"""
What ran where: the fast paths of a fit, and sknn doctor
========================================================

On a CUDA GPU a fit turns on fast paths by itself: the training step captured in a CUDA
graph (``cuda_graph='auto'``), bfloat16 autocast on GPUs that compute in it natively
(``precision='auto'``, the default of the convolutional, recurrent and transformer
networks) and streaming through pinned memory for data that do not fit
(``stream_data='auto'``). Each checks itself and falls back with a
:class:`~sknn.FallbackWarning`; the fitted attributes ``device_``, ``precision_`` and
``cuda_graph_`` say what a fit used. This script fits a small convolutional network with
the defaults and then with every fast path off, prints what each used, and runs the
self-test of ``sknn doctor`` on one model. On a machine without a GPU every fast path is
off anyway, and the doctor lists the GPU checks as skipped, saying why.

Set ``SKNN_EXAMPLE_SMALL=1`` for a run of a few seconds.
"""

import os
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

import sknn
from sknn import ConvNetClassifier
from sknn.doctor import doctor

SMALL = os.environ.get("SKNN_EXAMPLE_SMALL") == "1"
warnings.filterwarnings("ignore", category=ConvergenceWarning)

rng = np.random.RandomState(0)
n = 512 if SMALL else 4096
images = rng.standard_normal((n, 1, 12, 12)).astype(np.float32)
labels = rng.randint(0, 2, n)
images[labels == 1, :, :, :6] += 1.0  # class 1 is brighter on the left

settings = {
    "defaults (fast paths where the device has them)": {},
    "every fast path off": {"cuda_graph": False, "precision": "float32", "stream_data": False},
}
for name, params in settings.items():
    model = ConvNetClassifier(channels=(8, 16), learning_rate_init=0.01, random_state=0)
    model.set_params(max_iter=3 if SMALL else 10)
    model.set_params(**params).fit(images, labels)
    print(
        f"{name}: device_={model.device_}, precision_={model.precision_}, "
        f"cuda_graph_={model.cuda_graph_}, training accuracy {model.score(images, labels):.3f}"
    )

# %%
# ``sknn doctor`` on the command line checks all four kinds of network; here its
# self-test runs on the MLP alone. Attach the command's output to a bug report.
print()
results = doctor(models=["MLP"])
assert not any(result.status == "failed" for result in results)
print(f"\nsknn {sknn.__version__}: every path this machine offers passed.")
