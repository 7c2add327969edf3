"""Decoding trained models: padding-invariant batched encoding and a batched greedy CTC decoder."""
