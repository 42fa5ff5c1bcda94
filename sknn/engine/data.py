"""Device-resident datasets batched by index.

The whole training set is moved to the device once; each batch is a gather (or a slice when
not shuffling) of rows that are already there. This replaces a per-sample ``DataLoader``,
whose Python overhead per row dominates the cost of small networks.
"""

import torch


class DeviceData:
    """The tensors of one dataset, already on the training device.

    Parameters
    ----------
    X : torch.Tensor or dict of str to torch.Tensor
        Inputs, first dimension ``n_samples``; a dict is passed to the module as keyword
        arguments (for example ids and lengths of padded sequences).
    y : torch.Tensor
        Targets, first dimension ``n_samples``.
    sample_weight : torch.Tensor of shape (n_samples,) or None
        Per-sample weights of the loss.
    """

    def __init__(self, X, y, sample_weight=None):
        self.X = X
        self.y = y
        self.sample_weight = sample_weight

    def __len__(self):
        return len(self.y)

    def take(self, index):
        """The batch at ``index`` (a slice or an index tensor) as ``(X, (y, weight))``."""
        if isinstance(self.X, dict):
            X = {key: value[index] for key, value in self.X.items()}
        else:
            X = self.X[index]
        weight = None if self.sample_weight is None else self.sample_weight[index]
        return X, (self.y[index], weight)


class IndexBatches:
    """Iterate over a :class:`DeviceData` in batches of ``batch_size`` rows.

    A new permutation is drawn on the data's device from ``generator`` at every pass when
    ``shuffle`` is true, so shuffling costs no host-device transfer and is reproducible.
    """

    def __init__(self, data, batch_size, shuffle=False, generator=None):
        self.data = data
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator

    def __len__(self):
        return -(-len(self.data) // self.batch_size)

    def __iter__(self):
        n_samples = len(self.data)
        if self.shuffle:
            order = torch.randperm(n_samples, generator=self.generator, device=self.data.y.device)
            for start in range(0, n_samples, self.batch_size):
                yield self.data.take(order[start : start + self.batch_size])
        else:
            for start in range(0, n_samples, self.batch_size):
                yield self.data.take(slice(start, start + self.batch_size))
