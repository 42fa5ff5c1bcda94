"""Pure :class:`torch.nn.Module` building blocks.

Modules here know nothing about scikit-learn or the training loop: they take tensors and
return tensors, and are documented with their shapes.
"""
