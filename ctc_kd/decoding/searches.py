"""The two searches of a decoding, over every utterance of a data dir: batched greedy CTC, or ESPnet's beam search."""
import logging
import time
from typing import Tuple

import torch

from ctc_kd.inference.audio import read_audio

log = logging.getLogger(__name__)
PROGRESS_SECONDS = 30.0


class Progress:
    """Logs how far decoding got, at most every PROGRESS_SECONDS and at the end."""

    def __init__(self, total: int):
        self.total, self.done, self.start, self.last = total, 0, time.perf_counter(), time.perf_counter()

    def add(self, count: int) -> None:
        self.done += count
        now = time.perf_counter()
        if now - self.last >= PROGRESS_SECONDS or self.done == self.total:
            self.last = now
            log.info(f"decoded {self.done}/{self.total} utterances in {now - self.start:.1f} s")


def greedy_decoder(config_path, model_path, args, device):
    """The batched greedy CTC decoder of a plain model."""
    from ctc_kd.inference.greedy import GreedyCTCDecoder

    return GreedyCTCDecoder.from_files(config_path, model_path, device)


def decode_greedy(decoder, wav_scp, lengths, args, device, volume) -> Tuple[dict, float, float, dict]:
    """Hypotheses {utt: (text, tokens, ids)}, decode and read seconds of batched greedy decoding, and the frame
    counts (frames, blank_frames, blank_ratio: the share of frames whose best-path label is blank)."""
    from ctc_kd.inference.greedy import make_batches

    hyps, decode_seconds, read_seconds = {}, 0.0, 0.0
    frames = {"frames": 0, "blank_frames": 0}
    batches = make_batches(lengths, args.batch_size, args.batch_bins)
    log.info(f"greedy CTC decoding of {len(lengths)} utterances in {len(batches)} batches on {device}")
    progress = Progress(len(lengths))
    for batch in batches:
        start = time.perf_counter()
        speech = [read_audio(wav_scp[utt], volume) for utt in batch]
        read_seconds += time.perf_counter() - start
        start = time.perf_counter()
        results = decoder.decode_batch(speech, names=batch)
        decode_seconds += time.perf_counter() - start
        hyps.update((utt, (h.text, h.token, h.token_int)) for utt, h in zip(batch, results))
        frames["frames"] += sum(h.frames for h in results)
        frames["blank_frames"] += sum(h.blank_frames for h in results)
        progress.add(len(batch))
    frames["blank_ratio"] = frames["blank_frames"] / frames["frames"] if frames["frames"] else None
    return hyps, decode_seconds, read_seconds, frames


def beam_decoder(config_path, model_path, args, device):
    """ESPnet's Speech2Text with --decoder beam's settings (no language model)."""
    from espnet2.bin.asr_inference import Speech2Text

    return Speech2Text(
        asr_train_config=str(config_path), asr_model_file=str(model_path), device=device, beam_size=args.beam_size,
        ctc_weight=args.ctc_weight, lm_weight=0.0, penalty=args.penalty, maxlenratio=args.maxlenratio, nbest=1,
    )


def decode_beam(speech2text, wav_scp, lengths, args, device, volume) -> Tuple[dict, float, float, dict]:
    """Hypotheses, decode seconds and read seconds of ESPnet's Speech2Text, one utterance at a time (no frame
    counts: the search does not expose its best path)."""
    from ctc_kd.inference.greedy import too_short

    log.info(f"Speech2Text beam search (beam {args.beam_size}, ctc_weight {args.ctc_weight}) of {len(lengths)} "
             f"utterances on {device}")
    hyps, decode_seconds, read_seconds = {}, 0.0, 0.0
    progress = Progress(len(lengths))
    for utt in wav_scp:
        start = time.perf_counter()
        speech = read_audio(wav_scp[utt], volume)
        read_seconds += time.perf_counter() - start
        start = time.perf_counter()
        try:
            with torch.no_grad():
                text, token, token_int, _ = speech2text(speech)[0]
        except Exception as e:  # noqa: BLE001 - only an utterance too short for the model is let through
            if not too_short(e):
                raise
            log.warning(f"'{utt}' ({len(speech)} samples): too short for the model ({e}); empty output")
            text, token, token_int = "", [], []
        decode_seconds += time.perf_counter() - start
        hyps[utt] = (text if text is not None else " ".join(token), token, token_int)
        progress.add(1)
    return hyps, decode_seconds, read_seconds, {}
