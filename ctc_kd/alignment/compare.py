"""Both models run over a data dir batch by batch, each utterance's teacher spikes matched to the student's."""
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional

import numpy as np

from ctc_kd.alignment.pair import Model
from ctc_kd.analysis.spike_timing import AlignmentTotals, SpikeOffsets, spike_offsets
from ctc_kd.inference.audio import read_audio

log = logging.getLogger(__name__)


def pick_plot_utt(lengths: Dict[str, int], wanted: Optional[str], wav_scp_path: Path) -> str:
    """The requested utterance, or the median-length one (ties by id)."""
    if wanted is not None:
        if wanted not in lengths:
            raise ValueError(f"--plot_utt {wanted} is not in {wav_scp_path}; give one of its utterance ids")
        return wanted
    order = sorted(lengths, key=lambda utt: (lengths[utt], utt))
    return order[len(order) // 2]


@dataclass
class PlotData:
    """The plotted utterance: both models' posteriors and its spike matching."""

    teacher: np.ndarray
    student: np.ndarray
    result: SpikeOffsets


def compare(teacher: Model, student: Model, wav_scp, lengths, args, plot_utt: str):
    """Run both models batch by batch; (totals, the plot utterance's posteriors and spikes)."""
    from ctc_kd.inference.greedy import make_batches

    totals, plot, start, done = AlignmentTotals(), None, time.perf_counter(), 0
    batches = make_batches(lengths, args.batch_size, args.batch_bins)
    log.info(f"comparing {len(lengths)} utterances in {len(batches)} batches")
    for batch in batches:
        t_speech = [read_audio(wav_scp[utt], teacher.volume) for utt in batch]
        s_speech = t_speech if student.volume == teacher.volume else [read_audio(wav_scp[u], student.volume)
                                                                      for u in batch]
        t_hyps = teacher.decoder.decode_batch(t_speech, posteriors=True)
        s_hyps = student.decoder.decode_batch(s_speech, posteriors=True)
        for utt, t_hyp, s_hyp in zip(batch, t_hyps, s_hyps):
            if t_hyp.posteriors.shape != s_hyp.posteriors.shape:
                raise ValueError(f"'{utt}' ({wav_scp[utt]}): the teacher gives {t_hyp.posteriors.shape[0]} frames, "
                                 f"the student {s_hyp.posteriors.shape[0]}: the models' frame rates differ "
                                 f"({teacher.config_file}, {student.config_file})")
            result = spike_offsets(t_hyp.posteriors, s_hyp.posteriors, teacher.decoder.blank, args.max_offset)
            totals.add(result, len(t_hyp.posteriors))
            if utt == plot_utt:
                plot = PlotData(t_hyp.posteriors, s_hyp.posteriors, result)
        before, done = done, done + len(batch)
        if done // args.log_every > before // args.log_every or done == len(lengths):
            share = totals.summary()["exact_share"]
            log.info(f"analysed {done}/{len(lengths)} utterances in {time.perf_counter() - start:.1f} s: "
                     f"{totals.teacher_spikes} teacher spikes, exact so far "
                     f"{'n/a' if share is None else f'{share * 100:.1f}%'}")
    return totals, plot, time.perf_counter() - start
