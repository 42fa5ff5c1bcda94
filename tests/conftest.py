"""Test-session settings."""

import torch

# The tests fit tiny networks; torch's intra-op thread pool only adds synchronisation
# overhead there, and on a loaded 2-core CI machine that overhead dominates.
torch.set_num_threads(1)
