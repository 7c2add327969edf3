"""Starting a training from another's trained weights: whether the architectures fit, and layer pruning."""
