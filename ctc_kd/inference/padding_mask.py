"""Make batched ESPnet encoding padding-invariant at inference, so a batch decodes as each utterance alone does.

Where padding leaks into valid frames of a stock ESPnet ASR model in eval mode (each one measured in
test/inference/test_padding_mask.py):
- the subsampling mask: Conv2dSubsampling & co. subsample the mask by slicing (`x_mask[:, :, :-2:2][:, :, :-2:2]`),
  which for a padded utterance keeps 1-2 frames more than its convolution gives it alone. Those extra frames (computed
  partly from padding) count as valid: self-attention of every valid frame attends to them, and the encoder output
  lengths grow, so greedy CTC may even emit tokens from them. Fixed by a forward hook on `encoder.embed` replacing
  the mask by the lengths the convolution arithmetic gives a lone utterance (checked against the unpadded ones).
- every temporal convolution inside the encoder blocks (kernel > 1 along time): the conformer ConvolutionModule's
  depthwise conv, the (e_)branchformer cgMLP's depthwise conv and the e_branchformer merge conv. Their "same" zero
  padding covers only the batch's end, and the padded frames they see carry values computed from valid frames.
  Fixed by zeroing frames beyond each utterance's length right before each such conv (forward pre-hooks), using
  the mask each block receives (forward pre-hooks on the blocks): what a lone utterance's zero padding gives.
- the frontend: the STFT (center=True) reflect-pads a lone utterance at its true end, but in a batch the frames near
  that end see the zeros of the padding instead. Fixed by extracting features one utterance at a time (the STFT and
  fbank are cheap; an SSL frontend would run per utterance too) and padding the features with zeros.
Not leaks: self-attention (padded keys are masked), position-wise layers, BatchNorm/LayerNorm in eval mode, the
subsampling convolutions themselves (a valid frame's receptive field ends inside the utterance), utterance/global
MVN (they use the lengths). No weight is changed; everything is undone when the context exits.
"""
import contextlib
from typing import Iterator, List

import torch
from torch.nn.utils.rnn import pad_sequence


def conv_output_length(convs: List[torch.nn.Module], lengths: torch.Tensor) -> torch.Tensor:
    """Frames a chain of convolutions leaves of `lengths` frames (time is the first kernel dimension), as alone."""
    for conv in convs:
        k, s, p, d = conv.kernel_size[0], conv.stride[0], conv.padding[0], conv.dilation[0]
        lengths = (torch.div(lengths + 2 * p - d * (k - 1) - 1, s, rounding_mode="floor") + 1).clamp(min=0)
    return lengths


def temporal_convs(block: torch.nn.Module) -> List[torch.nn.Conv1d]:
    """The Conv1d modules of an encoder block that mix neighbouring frames (kernel > 1 along time)."""
    return [m for m in block.modules() if isinstance(m, torch.nn.Conv1d) and m.kernel_size[0] > 1]


def encoder_blocks(encoder: torch.nn.Module) -> List[torch.nn.Module]:
    """The encoder's blocks, each called as block(x, mask, ...), in ESPnet's conformer/transformer/branchformers."""
    blocks = getattr(encoder, "encoders", None)
    if blocks is None:
        raise TypeError(
            f"{type(encoder).__name__} has no `encoders` block list; padding_masked supports ESPnet's conformer, "
            "e_branchformer, branchformer and transformer encoders"
        )
    return list(blocks)


@contextlib.contextmanager
def padding_masked(encoder: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """Inside the block, the encoder zeroes padded frames before every temporal convolution of its blocks."""
    if encoder.training:
        raise RuntimeError("padding_masked is for inference: call model.eval() first (dropout/BatchNorm differ)")
    handles = []
    state = {}

    def remember_mask(block, args):
        if len(args) < 2 or not torch.is_tensor(args[1]) or args[1].dim() != 3 or args[1].size(1) != 1:
            raise RuntimeError(
                f"{type(block).__name__} was not called as block(x, mask (batch, 1, time)); padding_masked "
                "does not support this encoder configuration"
            )
        state["valid"] = args[1].bool()  # (batch, 1, time), True on valid frames

    def zero_padding(conv, args):
        x = args[0]  # (batch, channels, time)
        valid = state["valid"]
        if valid.size(-1) != x.size(-1) or valid.size(0) != x.size(0):
            raise RuntimeError(f"mask {tuple(valid.shape)} does not fit the conv input {tuple(x.shape)}")
        return (x.masked_fill(~valid, 0.0),) + tuple(args[1:])

    def fix_subsampled_mask(embed, args, output):
        if not (isinstance(output, tuple) and len(output) == 2 and torch.is_tensor(output[1])):
            return output  # no subsampling (linear/none input layer): the mask passes through unchanged
        x, mask = output
        lengths = args[1].sum(dim=-1).squeeze(1)
        alone = conv_output_length(subsampling, lengths)
        stock = mask.sum(dim=-1).squeeze(1)
        full = lengths == args[1].size(-1)  # unpadded utterances: the stock mask is already right
        if torch.any(alone[full] != stock[full]) or torch.any(alone > stock):
            raise RuntimeError(
                f"cannot infer the subsampled lengths of {type(embed).__name__}: conv arithmetic gives "
                f"{alone.tolist()}, its mask {stock.tolist()}"
            )
        valid = torch.arange(mask.size(-1), device=mask.device)[None, None, :] < alone[:, None, None]
        return x, valid

    subsampling = [m for m in getattr(encoder, "embed", torch.nn.Identity()).modules()
                   if isinstance(m, (torch.nn.Conv1d, torch.nn.Conv2d))]
    try:
        if subsampling:
            handles.append(encoder.embed.register_forward_hook(fix_subsampled_mask))
        for block in encoder_blocks(encoder):
            handles.append(block.register_forward_pre_hook(remember_mask))
            for conv in temporal_convs(block):
                handles.append(conv.register_forward_pre_hook(zero_padding))
        yield encoder
    finally:
        for handle in handles:
            handle.remove()


@contextlib.contextmanager
def per_utterance_frontend(frontend: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """Inside the block, the frontend computes each utterance's features alone, then pads them with zeros."""
    if frontend is None:
        yield frontend
        return
    batched = frontend.forward

    def forward(speech: torch.Tensor, lengths: torch.Tensor):
        feats, feats_lengths = [], []
        for i in range(speech.size(0)):
            n = int(lengths[i])
            f, f_len = batched(speech[i : i + 1, :n], lengths[i : i + 1])
            feats.append(f[0, : int(f_len[0])])
            feats_lengths.append(f_len[0])
        return pad_sequence(feats, batch_first=True), torch.stack(feats_lengths)

    frontend.forward = forward  # an instance attribute shadows the class's forward until deleted
    try:
        yield frontend
    finally:
        del frontend.forward


@contextlib.contextmanager
def padding_invariant(model: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """Inside the block, `model.encode` of a batch gives each utterance's valid frames exactly as encoding it alone."""
    with per_utterance_frontend(getattr(model, "frontend", None)), padding_masked(model.encoder):
        yield model
