"""Test-session settings."""

import pytest
import torch

# The tests fit tiny networks; torch's intra-op thread pool only adds synchronisation
# overhead there, and on a loaded 2-core CI machine that overhead dominates.
torch.set_num_threads(1)


def pytest_collection_modifyitems(config, items):
    # Tests marked gpu are the GPU subset (`pytest -m gpu`, run by benchmarks/gpu/run.sh
    # quick); without a CUDA device they skip, saying so.
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
