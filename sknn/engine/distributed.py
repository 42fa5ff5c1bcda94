"""Data-parallel training over the processes of a ``torch.distributed`` group.

When an estimator is fitted inside an initialised process group of more than one process
(the script launched with ``torchrun``, which calls ``init_process_group``), every process
runs the same ``fit`` on the same data: the same seed (broadcast from rank 0), so the same
initial weights, shuffling order and validation split. Each global batch of
``batch_size`` rows is split between the processes (rank ``r`` takes rows ``r``,
``r + world_size``, ...); each computes the gradient of its rows, and one all-reduce per
step turns them into the gradient of the whole batch, weighted by rows (or sample
weights). Every process then takes the same optimizer step, so all ranks hold the same
network at every step and end with the same fitted estimator: a fit over N processes is
the one-process fit with the same seed and ``batch_size``, up to the order of float
additions. gloo works on the CPU, nccl on CUDA (one GPU per process: ``device='auto'``
picks ``cuda:LOCAL_RANK``).
"""

import torch
import torch.distributed as dist
from torch._utils import _flatten_dense_tensors, _unflatten_dense_tensors


class DataParallel:
    """The process group a fit runs data-parallel over.

    Parameters
    ----------
    rank : int
    world_size : int
    """

    def __init__(self, rank, world_size):
        self.rank = rank
        self.world_size = world_size

    @classmethod
    def current(cls):
        """The initialised default process group if it has several processes, else None."""
        if not (dist.is_available() and dist.is_initialized()):
            return None
        world_size = dist.get_world_size()
        return cls(dist.get_rank(), world_size) if world_size > 1 else None

    def __repr__(self):
        return f"DataParallel(rank={self.rank}, world_size={self.world_size})"

    def shard(self, index):
        """This process's rows of a global batch (a 1-D index tensor)."""
        return index[self.rank :: self.world_size]

    def broadcast_seed(self, seed):
        """Rank 0's seed, on every rank (``random_state=None`` draws differ per process)."""
        box = [int(seed)]
        dist.broadcast_object_list(box, src=0)
        return int(box[0])

    def broadcast_module(self, module):
        """Rank 0's weights and buffers, on every rank."""
        with torch.no_grad():
            for tensor in list(module.parameters()) + list(module.buffers()):
                dist.broadcast(tensor.data, src=0)

    def average_gradients(self, parameters, weight, rows):
        """Turn each rank's gradient of its rows' mean loss into the whole batch's.

        ``weight`` is the total sample weight of this rank's rows (their number when
        unweighted) and ``rows`` their number; the result ``sum_r w_r g_r / sum_r w_r`` is
        written into every parameter's ``grad``. Returns the batch's total weight and
        rows, as 0-d tensors. One all-reduce.
        """
        params = [p for p in parameters if p.requires_grad]
        for p in params:
            if p.grad is None:  # a parameter this rank's rows did not reach
                p.grad = torch.zeros_like(p)
        grads = [p.grad for p in params]
        like = dict(dtype=grads[0].dtype, device=grads[0].device)
        weight = torch.as_tensor(weight, **like)
        counts = torch.stack([weight.reshape(()), torch.as_tensor(float(rows), **like)])
        flat = _flatten_dense_tensors([g * weight for g in grads] + [counts])
        dist.all_reduce(flat, op=dist.ReduceOp.SUM)
        total_weight, total_rows = flat[-2], flat[-1]
        for grad, reduced in zip(grads, _unflatten_dense_tensors(flat[:-2], grads), strict=True):
            grad.copy_(reduced / total_weight)
        return total_weight, total_rows

    def sum(self, tensor):
        """The sum of ``tensor`` over the ranks, on every rank."""
        tensor = tensor.clone()
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return tensor
