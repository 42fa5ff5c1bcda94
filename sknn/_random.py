"""Randomness: turning ``random_state`` into torch seeds without touching global state.

An estimator draws one integer seed from its ``random_state`` at the start of ``fit`` and
does all its torch-side random work (weight initialisation, dropout, shuffling) inside
:func:`torch_seed_scope`, which forks the global torch generators and restores them on exit.
The user's global RNG state is therefore the same after ``fit`` as before, and an integer
``random_state`` makes every ``fit`` bitwise reproducible on the CPU, also when fits run in
threads: the seeded scopes of one process take turns (see :func:`torch_seed_scope`).
"""

import contextlib
import threading

import numpy as np
import torch
from sklearn.utils import check_random_state

_MAX_SEED = np.iinfo(np.int32).max

# torch's global generators belong to the process, not to a thread: two seeded scopes
# running at once would draw from each other's streams, and each one's restore would
# overwrite the other's (or the caller's) state. Re-entrant, because a scope may open
# inside another in the same thread (a fit started by a callback of a fit).
_SEED_SCOPE_LOCK = threading.RLock()


def draw_seed(random_state):
    """Draw an integer seed from a scikit-learn style ``random_state``.

    ``None`` draws from NumPy's global generator, as scikit-learn does; an int or a
    ``RandomState`` gives the same seed for the same state.
    """
    return int(check_random_state(random_state).randint(_MAX_SEED))


def make_generator(seed, device):
    """A :class:`torch.Generator` on ``device`` seeded with ``seed``."""
    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    return generator


@contextlib.contextmanager
def torch_seed_scope(seed, device):
    """Seed torch's global generators for the block and restore them afterwards.

    Only the CPU generator and, when ``device`` is a CUDA device, that device's generator
    are forked and seeded; other devices are left alone.

    The block holds a process-wide re-entrant lock: torch's global generators are shared
    by all the threads of a process, so seeded blocks in different threads (fits under
    joblib's threading backend or a ``ThreadPoolExecutor``) run one after another, and
    each gets exactly the draws of its seed. Fits in threads of one process therefore
    train one at a time and gain no speed from threads; run fits in parallel in processes
    (joblib's default ``loky`` backend, ``n_jobs``). Nested blocks in one thread (a fit
    inside a fit, a callback's) do not wait; a block that waits for a fit in another
    thread (a callback that starts one and joins it) never ends. Code that draws from
    torch's global generator in another thread while a fit trains, outside any seeded
    block, still shares it.

    Parameters
    ----------
    seed : int
        The seed of the generators inside the block.
    device : str or torch.device
        The device the block's work runs on.
    """
    device = torch.device(device)
    cuda_devices = [device.index or 0] if device.type == "cuda" else []
    with _SEED_SCOPE_LOCK, torch.random.fork_rng(devices=cuda_devices):
        torch.random.default_generator.manual_seed(seed)
        if cuda_devices:
            with torch.cuda.device(cuda_devices[0]):
                torch.cuda.manual_seed(seed)
        yield


def rng_state(device):
    """The state of torch's global generators that a fit on ``device`` draws from (the
    CPU's and, for a CUDA device, that device's), for :func:`set_rng_state`."""
    device = torch.device(device)
    cuda = torch.cuda.get_rng_state(device) if device.type == "cuda" else None
    return torch.get_rng_state(), cuda, device


def set_rng_state(state):
    """Put back the generators' state saved by :func:`rng_state`."""
    cpu, cuda, device = state
    torch.set_rng_state(cpu)
    if cuda is not None:
        torch.cuda.set_rng_state(cuda, device)
