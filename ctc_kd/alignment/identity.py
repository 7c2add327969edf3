"""What made a spike-timing analysis: both models' weights, the data's wav.scp and the options that change its
numbers or plots; a student is analysed again when any of them differs from what its alignment.json records."""
from pathlib import Path
from typing import Optional

from ctc_kd.cache.meta import file_sha256
from ctc_kd.experiment.layout import ALIGNMENT, OFFSETS_PNG, POSTERIORS_PNG
from ctc_kd.experiment.output_record import recorded
from ctc_kd.inference.plain_model import export_files
from ctc_kd.models.weights_digest import weights_digest

OPTION_KEYS = ("max_offset", "plot_utt", "hist_clip")  # batching and threads change nothing (padding-invariant)


def export_digest(export_dir) -> str:
    """The digest of an export's weights (its model.pth)."""
    return weights_digest(export_files(export_dir)[1])


def made_by(teacher_weights: str, student_weights: str, data_dir, args) -> dict:
    """The record of one student's analysis on data_dir: both exports' digests, wav.scp's sha256, the options."""
    return {"teacher": teacher_weights, "student": student_weights, "wav_scp": file_sha256(Path(data_dir) / "wav.scp"),
            "options": {key: getattr(args, key) for key in OPTION_KEYS}}


def analysed_by(out_dir) -> Optional[dict]:
    """What made the finished analysis in out_dir (None: unfinished, or older than these records)."""
    out = Path(out_dir)
    return recorded(out / ALIGNMENT, out / POSTERIORS_PNG, out / OFFSETS_PNG)
