"""
Training one network over several processes with torch.distributed
===================================================================

Launched with ``torchrun``, every process runs the same script: it joins the process
group, and ``fit`` then trains data-parallel: each process computes the gradient of its
share of every batch, one all-reduce per step averages them, and every process ends with
the same fitted estimator, which rank 0 saves. With the same ``random_state`` and
``batch_size`` it is the model a one-process fit gives, up to float rounding. gloo runs
on the CPU; on GPUs use ``init_process_group("nccl")`` and ``device='auto'`` (one GPU per
process, ``cuda:LOCAL_RANK``).

Run as ``torchrun --nproc_per_node 2 train_data_parallel.py``; run plainly, the script
launches itself that way and then compares the result with a one-process fit.

Set ``SKNN_EXAMPLE_SMALL=1`` for a run of a few seconds.
"""

import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import torch
import torch.distributed as dist
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

import sknn
from sknn import MLPClassifier

SMALL = os.environ.get("SKNN_EXAMPLE_SMALL") == "1"


def fit():
    X, y = load_digits(return_X_y=True)
    model = MLPClassifier(
        hidden_layer_sizes=(64,), batch_size=64, max_iter=5 if SMALL else 40, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X / 16.0, y), X / 16.0, y


def worker(path):
    dist.init_process_group("gloo")  # torchrun sets RANK, WORLD_SIZE and the address
    model, X, y = fit()
    print(
        f"rank {dist.get_rank()} of {dist.get_world_size()}: training accuracy "
        f"{model.score(X, y):.4f}"
    )
    if dist.get_rank() == 0:
        model.save(path)
    dist.destroy_process_group()


def launch():
    path = os.path.join(tempfile.mkdtemp(), "parallel.sknn")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    # This very file (sphinx-gallery, which renders the examples, sets no __file__).
    script = fit.__code__.co_filename
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_port",
        str(29500 + os.getpid() % 500),
        script,
        path,
    ]
    subprocess.run(command, check=True, env=env)
    parallel = sknn.load(path)
    torch.set_num_threads(1)
    single, X, _ = fit()
    gap = np.abs(parallel.predict_proba(X) - single.predict_proba(X)).max()
    print(f"two processes against one: largest probability difference {gap:.2e}")


if __name__ == "__main__":
    if "RANK" in os.environ:
        worker(sys.argv[1])
    else:
        launch()
