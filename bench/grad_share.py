"""Each KD term's gradient on the student's encoder as a share of CTC's, at the student's initialisation, per kd_scale.

    python -m bench.grad_share [--teacher_dir egs2/cathy/asr1/exp/round1/teacher] [--batches 4] [--batch_size 8]

For each registered KD term at weight 1 (and the blank-eliminated and FKL-B variants):
||d(scale x term)/d(encoder)|| / ||d(CTC)/d(encoder)||, the L2 norms over all the student encoder's parameters,
averaged over batches of real speech with their real transcripts (Cathy recordings). kd_scale frame: scale 1 (the
bare per-frame mean, round 1); utterance (the default): scale = valid frames / utterances of the batch, CTC's scale
(SPEC-kd-methods.md). Student: the Cathy recipe's 4 x 64 conformer as training starts (random weights); teacher:
the Cathy recipe's trained 6 x 144 teacher. Dropout and SpecAugment are off, so every term and CTC see one forward
pass. The global-MVN statistics are recomputed from --stats_utterances recordings (the recipe's are not committed);
teacher and student read the same ones.
"""
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import yaml

from bench import common

SCALES = ("frame", "utterance")


def transcript(path: Path, tokens: list) -> list:
    """Token ids of a Cathy recording's transcript, normalised as the recipe does (characters, <space>)."""
    from ctc_kd.data.corpora.cathy import normalize_text

    ids = {t: i for i, t in enumerate(tokens)}
    text = normalize_text(path.with_suffix(".txt").read_text(encoding="utf-8"))
    return [ids.get("<space>" if c == " " else c, ids["<unk>"]) for c in text]


def feature_stats(frontend, paths, out: Path) -> Path:
    """Global-MVN statistics (count, sum, sum_square) of the frontend's features over the recordings."""
    count, total, squares = 0, 0.0, 0.0
    with torch.no_grad():
        for audio in common.read_audio(paths).values():
            feats, _ = frontend(torch.from_numpy(audio)[None], torch.tensor([len(audio)]))
            feats = feats[0].double()
            count, total, squares = count + feats.shape[0], total + feats.sum(0), squares + (feats ** 2).sum(0)
    np.savez(out, count=np.array(count), sum=total.numpy(), sum_square=squares.numpy())
    return out


def models(args, work: Path):
    """The trained teacher and the freshly initialised student, on the teacher's tokens and one set of statistics."""
    from ctc_kd.experiment.layout import CONFIG, best_checkpoint
    from ctc_kd.teacher import load_teacher
    from espnet2.asr.frontend.default import DefaultFrontend

    teacher_dir = Path(args.teacher_dir)
    config = yaml.safe_load((teacher_dir / CONFIG).read_text())
    frontend = DefaultFrontend(**(config.get("frontend_conf") or {}))
    stats = feature_stats(frontend, common.utterances(args.stats_utterances, offset=3), work / "grad_share_stats.npz")
    config["normalize_conf"] = {"stats_file": str(stats)}
    teacher_config = work / "grad_share_teacher.yaml"
    teacher_config.write_text(yaml.safe_dump(config))
    teacher, _ = load_teacher(teacher_config, best_checkpoint(teacher_dir))
    files = {"token_list": str(work / "grad_share_tokens.txt"), "stats": str(stats)}
    Path(files["token_list"]).write_text("".join(f"{t}\n" for t in config["token_list"]))
    torch.manual_seed(args.seed)
    student, _ = common.build("train_student_alone", work, files=files)
    return teacher.eval(), student.eval(), config["token_list"]


def term_list():
    """(row, configured term) for every registered term at weight 1, plus the variants the papers compare."""
    from ctc_kd.models import kd_terms

    rows = [(name, {name: {}}) for name in kd_terms.term_names()]
    rows += [("sfmx_kd, frames: nonblank (blank-eliminated KD)", {"sfmx_kd": {"frames": "nonblank"}}),
             ("fkl, variant B", {"fkl": {"variant": "B"}})]
    return [(row, kd_terms.parse_kd_terms(mapping)[0]) for row, mapping in rows]


def batch(paths, tokens):
    audio = common.read_audio(paths)
    keys = sorted(audio)
    speech = common.speech_batch(audio, "cpu")
    texts = [transcript(next(p for p in paths if p.stem == k), tokens) for k in keys]
    text = torch.full((len(keys), max(map(len, texts))), -1, dtype=torch.long)
    for i, ids in enumerate(texts):
        text[i, : len(ids)] = torch.tensor(ids)
    return speech["speech"], speech["speech_lengths"], text, torch.tensor([len(t) for t in texts])


def gradient_norm(value: torch.Tensor, parameters) -> float:
    grads = torch.autograd.grad(value, parameters, retain_graph=True, allow_unused=True)
    return float(torch.sqrt(sum((g.double() ** 2).sum() for g in grads if g is not None)))


def shares(teacher, student, terms, speech, speech_lengths, text, text_lengths) -> dict:
    """Per term and scale, the term's encoder-gradient norm over CTC's, on one batch."""
    from ctc_kd.models import kd_terms

    encoder = [p for p in student.encoder.parameters() if p.requires_grad]
    out, lengths = student.encode(speech, speech_lengths)
    with torch.no_grad():
        teacher_out, teacher_lengths = teacher.encode(speech, speech_lengths)
        teacher_logits = teacher.ctc.ctc_lo(teacher_out)
    if not torch.equal(lengths, teacher_lengths):
        raise SystemExit(f"student and teacher frame counts differ ({lengths} vs {teacher_lengths})")
    ctc = gradient_norm(student.ctc(out, lengths, text, text_lengths), encoder)
    inputs = kd_terms.term_inputs(student.ctc.ctc_lo(out), teacher_logits, lengths, cached=False,
                                  blank_id=student.blank_id)
    torch.manual_seed(0)
    projection = torch.nn.Linear(out.shape[-1], teacher_out.shape[-1])  # hidden KD's learned projection, fresh
    hidden = replace(inputs, hidden_pairs=[(projection(out), teacher_out)])
    result = {"frames_per_utterance": float(lengths.sum()) / len(lengths), "ctc_gradient_norm": ctc}
    for row, term in terms:
        value = term.term.function(hidden if term.term.needs == kd_terms.HIDDEN else inputs, term.options)
        for scale in SCALES:
            factor = kd_terms.kd_scale_factor(scale, lengths)
            result.setdefault(scale, {})[row] = gradient_norm(factor * value, encoder) / ctc
    return result


def shown(path) -> str:
    """A path relative to the repository when it is inside it (as BENCHMARKS.md shows it)."""
    path = Path(path).resolve()
    return str(path.relative_to(common.REPO)) if path.is_relative_to(common.REPO) else str(path)


def main(argv=None) -> int:
    parser = common.base_parser(__doc__)
    parser.add_argument("--teacher_dir",
                        default=str(common.REPO / "egs2" / "cathy" / "asr1" / "exp" / "round1" / "teacher"))
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("--batch_size", type=int, default=8)
    parser.add_argument("--stats_utterances", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1, help="the student's initialisation")
    args = parser.parse_args(argv)
    if args.device != "cpu":
        raise SystemExit("bench.grad_share measures gradient norms, not time: it runs on the CPU only")
    work = common.setup(args)
    teacher, student, tokens = models(args, work)
    terms = term_list()
    recordings = common.utterances(args.batches * args.batch_size, offset=5)
    per_batch = [shares(teacher, student, terms, *batch(recordings[i::args.batches], tokens))
                 for i in range(args.batches)]
    figures = {"student": f"egs2/cathy/asr1/conf/train_student_alone.yaml, random init (seed {args.seed}), "
                          f"{common.parameters(student) / 1e6:.2f} M parameters",
               "teacher": f"{shown(args.teacher_dir)} ({common.parameters(teacher) / 1e6:.2f} M parameters, trained)",
               "feature_stats": f"global MVN statistics of {args.stats_utterances} Cathy recordings",
               "batches": args.batches, "batch_size": args.batch_size,
               "frames_per_utterance": [round(b["frames_per_utterance"], 1) for b in per_batch]}
    for scale in SCALES:
        figures[scale] = {row: {"mean": float(np.mean([b[scale][row] for b in per_batch])),
                                "min": min(b[scale][row] for b in per_batch),
                                "max": max(b[scale][row] for b in per_batch)} for row, _ in terms}
    common.write_result("grad_share", args, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
