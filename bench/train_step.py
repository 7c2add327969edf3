"""Training-step time and peak memory of KD: student alone, KD with the teacher online or cached, SKD vs full model.

    python -m bench.train_step [--device cuda] [--utterances 16] [--repeats 10]

Same batch (real Cathy speech) and same student for every system; the Cathy recipe's model sizes (teacher 8 x 144,
student 4 x 96, SKD 8 x 96 with l = 4); one step = forward, backward and an Adam update. Memory is measured in a
fresh process per system (CPU: peak resident set size of the step above what the process held before it).
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Dict

import torch
import yaml

from bench import common

KD_CONFIG = "train_student_fpkd_stage3"  # binary KD + hidden-state KD + FKL: every FPKD term at once
SYSTEMS = ("student_alone", "kd_online", "kd_cached", "full_alone", "skd")


def make_cache(work: Path, teacher, paths) -> Path:
    from ctc_kd.cache.writer import write_cache

    data = common.write_data_dir(paths, work / "data")
    out = work / "cache"
    if not (out / "meta.json").exists():
        write_cache(teacher_config=teacher[0], teacher_model_file=teacher[1], data_dir=str(data), out_dir=str(out),
                    topk=8, hidden_layers=[-1])
    return out


def cache_args(work: Path, cache: Path):
    data = work / "data"
    args = []
    for phase in ("train", "valid"):
        args += [f"--{phase}_data_path_and_name_and_type", f"{data}/wav.scp,speech,sound",
                 f"--{phase}_data_path_and_name_and_type",
                 f"{cache}/teacher_posteriors.scp,teacher_posteriors,kaldi_ark",
                 f"--{phase}_data_path_and_name_and_type",
                 f"{cache}/teacher_hidden_out.scp,teacher_hidden_out,kaldi_ark"]
    return args


def cached_batch(batch: Dict[str, torch.Tensor], cache: Path, keys, device: str) -> Dict[str, torch.Tensor]:
    """The batch plus the cache tensors, padded as ESPnet's collate pads them."""
    import kaldiio
    from torch.nn.utils.rnn import pad_sequence

    out = dict(batch)
    for name in ("teacher_posteriors", "teacher_hidden_out"):
        table = kaldiio.load_scp(str(cache / f"{name}.scp"))
        mats = [torch.from_numpy(table[k]).float() for k in keys]
        out[name] = pad_sequence(mats, batch_first=True).to(device)
        out[f"{name}_lengths"] = torch.tensor([m.shape[0] for m in mats], device=device)
    return out


def build_system(name: str, work: Path, teacher, cache):
    kd = {"teacher_config": teacher[0], "teacher_model_file": teacher[1]}
    if name == "student_alone":
        return common.build("train_student_alone", work)[0]
    if name == "kd_online":
        return common.build(KD_CONFIG, work, kd)[0]
    if name == "kd_cached":
        return common.build(KD_CONFIG, work, dict(kd, teacher_mode="cached"), cache_args(work, cache))[0]
    if name == "skd":
        model = common.build("train_student_skd", work)[0]
        model.set_epoch(10)  # mid-ramp: the weight's value does not change the cost
        return model
    if name == "full_alone":  # the SKD model's full 8 blocks trained as a plain CTC model
        skd_encoder = common.build("train_student_skd", work)[0].encoder
        alone = yaml.safe_load((common.CONF / "train_student_alone.yaml").read_text())
        overrides = {"encoder_conf": dict(alone["encoder_conf"], num_blocks=len(skd_encoder.encoders))}
        return common.build("train_student_alone", work, overrides=overrides)[0]
    raise ValueError(name)


def stepper(model, batch):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    model.train()

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss, _, _ = model(**batch)
        loss.backward()
        optimizer.step()

    return step


def prepare(args):
    work = common.setup(args)
    paths = common.utterances(args.utterances)
    audio = common.read_audio(paths)
    teacher = common.saved_teacher(work, args.teacher_dir)
    cache = make_cache(work, teacher, paths)
    batch = common.speech_batch(audio, args.device)
    return work, audio, teacher, cache, batch


def batch_for(name, batch, cache, audio, device):
    return cached_batch(batch, cache, sorted(audio), device) if name == "kd_cached" else batch


def measure_memory(args) -> dict:
    """Peak memory of one training step of `args.memory_of`, in this (fresh) process."""
    work, audio, teacher, cache, batch = prepare(args)
    model = build_system(args.memory_of, work, teacher, cache).to(args.device)
    step = stepper(model, batch_for(args.memory_of, batch, cache, audio, args.device))
    step()  # the first step allocates Adam's state: part of what training holds
    if args.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        step()
        return {"step_peak_mb": (torch.cuda.max_memory_allocated() - before) / 2**20,
                "total_peak_mb": torch.cuda.max_memory_allocated() / 2**20}
    before = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # resets the peak-RSS mark (VmHWM) to the current RSS
    step()
    peak = _status("VmHWM")
    return {"step_peak_mb": (peak - before) / 1024, "total_peak_mb": peak / 1024}


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])  # kB
    raise RuntimeError(f"/proc/self/status has no {field}")


def memory_in_subprocesses(args) -> Dict[str, dict]:
    out = {}
    for name in ("student_alone", "kd_online", "kd_cached", "skd"):
        argv = [sys.executable, "-m", "bench.train_step", "--memory_of", name, "--device", args.device,
                "--threads", str(args.threads), "--utterances", str(args.utterances), "--workdir", args.workdir]
        if args.teacher_dir:
            argv += ["--teacher_dir", args.teacher_dir]
        run = subprocess.run(argv, capture_output=True, text=True, cwd=common.REPO)
        if run.returncode != 0:
            raise RuntimeError(f"memory of {name} failed:\n{run.stderr[-3000:]}")
        out[name] = json.loads(run.stdout.strip().splitlines()[-1])
    return out


def main(argv=None) -> int:
    parser = common.base_parser(__doc__)
    parser.add_argument("--utterances", type=int, default=16, help="recordings in the batch")
    parser.add_argument("--teacher_dir", default=None, help="a trained teacher's exp dir (default: random weights)")
    parser.add_argument("--memory_of", default=None, choices=SYSTEMS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_of:
        print(json.dumps(measure_memory(args)))
        return 0
    work, audio, teacher, cache, batch = prepare(args)
    models = {name: build_system(name, work, teacher, cache).to(args.device) for name in SYSTEMS}
    steps = {name: stepper(model, batch_for(name, batch, cache, audio, args.device)) for name, model in models.items()}
    online = models["kd_online"]

    def teacher_forward():
        with torch.no_grad():
            feats, lengths = online._extract_feats(batch["speech"], batch["speech_lengths"])
            online.teacher_outputs(feats, lengths)

    steps["teacher_forward"] = teacher_forward
    times = common.interleaved_times(steps, args.repeats, args.device)
    t = {name: v["median_s"] for name, v in times.items()}
    figures = {
        "batch": {"utterances": len(audio), "audio_seconds": round(common.audio_seconds(audio), 2)},
        "parameters": {name: common.parameters(m) for name, m in models.items()}
        | {"teacher": common.parameters(online.teacher)},
        "seconds": times,
        "ratios": {
            "kd_cached / student_alone": t["kd_cached"] / t["student_alone"],
            "kd_online / student_alone": t["kd_online"] / t["student_alone"],
            "kd_online / (student_alone + teacher_forward)":
                t["kd_online"] / (t["student_alone"] + t["teacher_forward"]),
            "teacher_forward / student_alone": t["teacher_forward"] / t["student_alone"],
            "skd / full_alone": t["skd"] / t["full_alone"],
        },
        "memory": memory_in_subprocesses(args),
    }
    common.write_result("train_step", args, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
