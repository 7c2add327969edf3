"""Write BENCHMARKS.md from bench/results/*.json: every figure with the command, machine and date that produced it.

    python -m bench.report
"""
import argparse
import json
import sys
from pathlib import Path

from bench.common import REPO, RESULTS

ORDER = ("train_step", "decoding", "cache", "losses", "grad_share", "startup")


def fmt(x, digits=3) -> str:
    return f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def header(record: dict) -> list:
    m = record["machine"]
    where = f"{m['cpu']}, {m['cores']} cores" + (f", {m['gpu']}" if record["device"] == "cuda" else "")
    return [f"Command: `{record['command']}`  ", f"Run on {record['date']}: {where}, device {record['device']}, "
            f"{record['threads']} threads, torch {m['torch']}, Python {m['python']}.", ""]


def train_step(r: dict) -> list:
    f = r["figures"]
    lines = header(r) + [f"Batch: {f['batch']['utterances']} Cathy recordings, {f['batch']['audio_seconds']} s of "
                         "speech. Median of the interleaved repetitions (min-max in brackets).", "",
                         "| system | parameters | seconds per step |", "|---|---|---|"]
    params = f["parameters"]
    for name, t in f["seconds"].items():
        lines.append(f"| {name} | {params.get(name, params.get('teacher') if name == 'teacher_forward' else '')} | "
                     f"{t['median_s']:.3f} [{t['min_s']:.3f}-{t['max_s']:.3f}] |")
    lines += ["", "| ratio | value | target |", "|---|---|---|"]
    targets = {"kd_cached / student_alone": "<= 1.05", "kd_online / (student_alone + teacher_forward)": "<= 1.05"}
    for name, value in f["ratios"].items():
        lines.append(f"| {name} | {value:.3f} | {targets.get(name, '')} |")
    lines += ["", "Peak memory of one training step (after the first, so Adam's state is allocated):", "",
              "| system | step peak above what the process held (MB) | process peak (MB) |", "|---|---|---|"]
    for name, mem in f["memory"].items():
        lines.append(f"| {name} | {mem['step_peak_mb']:.1f} | {mem['total_peak_mb']:.1f} |")
    return lines


def decoding(r: dict) -> list:
    f = r["figures"]
    g, s = f["greedy_vs_speech2text"], f["skd_submodel_vs_full"]
    return header(r) + [
        f"Data: {f['data']['utterances']} Cathy recordings ({f['data']['audio_seconds']} s). Model: {f['model']}.", "",
        "| decoder | seconds | real-time factor |", "|---|---|---|",
        f"| ctc_kd batched greedy CTC | {g['greedy_batched_seconds']:.2f} | {g['rtf_greedy']:.4f} |",
        f"| ESPnet Speech2Text, beam 1, batch 1 | {g['speech2text_beam1_seconds']:.2f} | {g['rtf_speech2text']:.4f} |",
        "", f"Throughput ratio (Speech2Text time / greedy time): **{g['throughput_ratio']:.1f}x**; identical "
        f"hypotheses: {g['identical_hypotheses']}, differing in {g['character_difference_percent']:.2f}% of the "
        "characters (beam-1 prefix search sums over alignments, best-path greedy does not, so they differ where two "
        "paths compete).", "",
        f"SKD: the exported {s['sub_blocks']}-block student takes {s['sub_seconds']:.2f} s, the full "
        f"{s['full_blocks']}-block model {s['full_seconds']:.2f} s: ratio **{s['time_ratio']:.2f}** against the "
        f"l/L ideal {s['ideal_ratio_l_over_L']:.2f} (frontend and subsampling are not in the blocks and are shared)."]


def cache(r: dict) -> list:
    f = r["figures"]
    lines = header(r) + [f"Teacher: {f['teacher']}; top-{f['topk']} + blank + rest per frame.", "",
                         "| jobs | hidden states | wall s | x real time | MB per hour of audio |",
                         "|---|---|---|---|---|"]
    for w in f["writes"]:
        sizes = ", ".join(f"{k}: {v:.1f}" for k, v in sorted(w["mb_per_hour"].items()))
        lines.append(f"| {w['nj']} | {'yes' if 'teacher_hidden_out' in w['mb_per_hour'] else 'no'} | "
                     f"{w['wall_seconds']:.1f} | {w['x_real_time']:.1f} | {sizes} |")
    d = f["online_vs_cached"]
    lines += ["", f"Online teacher outputs in length-sorted batches of {d['batch_size']} vs the cache (each utterance "
              f"alone), over {d['frames']} frames: max |log p difference| {d['max_abs_logprob_diff']:.4f}, mean "
              f"{d['mean_abs_logprob_diff']:.5f}; argmax token changed on {100 * d['argmax_changed_share']:.2f}% of "
              f"frames, blank/non-blank decision on {100 * d['blank_decision_changed_share']:.2f}%; "
              f"{d['utterances_with_other_frame_count']} utterances get other frame counts batched (ESPnet's "
              "subsampling mask; those extra frames get no KD term in cached mode)."]
    return lines


def loss_table(r: dict) -> list:
    f = r["figures"]
    vocabs = [k for k in f if k.startswith("vocab_")]
    names = list(f[vocabs[0]]["ratio_to_ctc"])
    lines = header(r) + [f"Batch: {f['batch']}. Forward + backward, as a multiple of the CTC loss's time.", "",
                         "| term | " + " | ".join(f"V = {v[6:]}" for v in vocabs) + " |",
                         "|---|" + "---|" * len(vocabs),
                         "| CTC loss (ms) | " + " | ".join(f"{f[v]['ctc_ms']:.1f}" for v in vocabs) + " |"]
    for name in names:
        lines.append(f"| {name} | " + " | ".join(f"{f[v]['ratio_to_ctc'][name]:.2f}" for v in vocabs) + " |")
    return lines


def grad_share(r: dict) -> list:
    f = r["figures"]
    lines = header(r) + [
        f"Student: {f['student']}; teacher: {f['teacher']}; {f['feature_stats']}. {f['batches']} batches of {f['batch_size']} Cathy "
        f"recordings with their transcripts ({', '.join(map(str, f['frames_per_utterance']))} frames per utterance "
        "after subsampling). Each cell: ||d(scale x term)/d(encoder)|| / ||d(CTC)/d(encoder)|| in %, term at weight "
        "1, mean over the batches [min-max]; `frame` is the bare per-frame mean (round 1), `utterance` the term on "
        "CTC's scale (x valid frames per utterance, the default).", "",
        "| term | kd_scale: frame (% of CTC) | kd_scale: utterance (% of CTC) |", "|---|---|---|"]
    for term in f["frame"]:
        cells = [f"{100 * c['mean']:.1f} [{100 * c['min']:.1f}-{100 * c['max']:.1f}]"
                 for c in (f["frame"][term], f["utterance"][term])]
        lines.append(f"| {term} | {cells[0]} | {cells[1]} |")
    return lines


def startup(r: dict) -> list:
    f = r["figures"]
    lines = header(r) + ["A fresh process importing what the tool imports before its work (its module, plus ESPnet's ASR "
                         "task where marked); median of the interleaved repetitions (min-max in brackets).", "",
                         "| process | imports ESPnet's ASR task | seconds |", "|---|---|---|"]
    for name, t in f["seconds"].items():
        uses = {True: "yes", False: "no"}.get(f["uses_espnet"].get(name), "")
        lines.append(f"| {name} | {uses} | {t['median_s']:.2f} [{t['min_s']:.2f}-{t['max_s']:.2f}] |")
    lines += ["", f"Deferring the unused text front-ends (g2p_en, tacotron_cleaner: nltk, inflect) takes ESPnet's ASR "
              f"task to **{f['deferred_over_undeferred']:.2f}** of its import time; torch alone is "
              f"{f['torch_share_of_espnet_startup']:.2f} of what remains."]
    return lines


SECTIONS = {"train_step": ("Training step: KD online, KD from the cache, SKD", train_step),
            "decoding": ("Decoding: batched greedy CTC vs Speech2Text; SKD sub-model vs full", decoding),
            "cache": ("Teacher-output cache: write speed, disk, online drift", cache),
            "losses": ("The loss functions against the CTC loss", loss_table),
            "grad_share": ("Gradient share of each KD term against CTC at the student's initialisation", grad_share),
            "startup": ("Start-up of each tool the stage script runs", startup)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", default=str(RESULTS), help="folder of the result JSONs")
    parser.add_argument("--out", default=str(REPO / "BENCHMARKS.md"))
    args = parser.parse_args(argv)
    intro = (REPO / "bench" / "INTRO.md").read_text(encoding="utf-8")
    out = [intro.rstrip(), ""]
    for name in ORDER:
        for path in sorted(Path(args.results).glob(f"{name}*.json")):
            record = json.loads(path.read_text())
            title, render = SECTIONS[name]
            out += [f"## {title}{' (GPU)' if record['device'] == 'cuda' else ''}", ""] + render(record) + [""]
    reading = REPO / "bench" / "READING.md"
    if reading.exists():
        out += [reading.read_text(encoding="utf-8").rstrip(), ""]
    Path(args.out).write_text("\n".join(out), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
