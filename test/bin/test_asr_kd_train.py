"""Teacher, KD student (every term) and SKD trained through ESPnet's real trainer on real yesno audio."""
import logging
import math
from pathlib import Path

import pytest
import torch
import yaml

from ctc_kd.data import format_audio, token_list
from ctc_kd.tasks import ASRKDTask

pytestmark = pytest.mark.slow

ENCODER = {"attention_heads": 2, "input_layer": "conv2d", "rel_pos_type": "latest", "pos_enc_layer_type": "rel_pos",
           "selfattention_layer_type": "rel_selfattn", "cnn_module_kernel": 5}
COMMON = {
    "frontend_conf": {"n_fft": 512, "hop_length": 160, "n_mels": 40},
    "normalize": "global_mvn",
    "encoder": "conformer",
    "optim": "adam",
    "optim_conf": {"lr": 0.005},
    "batch_type": "folded",
    "batch_size": 4,
    "fold_length": [80000, 150],
    "max_epoch": 2,
    "num_workers": 0,
    "best_model_criterion": [["valid", "cer_ctc", "min"]],
    "keep_nbest_models": 1,
    "seed": 0,
}


def write_data_dir(out: Path, waves):
    out.mkdir(parents=True)
    words = {"0": "NO", "1": "YES"}
    with open(out / "wav.scp", "w") as scp, open(out / "text", "w") as text, open(out / "utt2spk", "w") as u2s:
        for wav in sorted(waves):
            utt = f"yesno_{wav.stem}"
            scp.write(f"{utt} {wav}\n")
            text.write(f"{utt} {' '.join(words[c] for c in wav.stem.split('_'))}\n")
            u2s.write(f"{utt} yesno\n")
    (out / "spk2utt").write_text("yesno " + " ".join(f"yesno_{w.stem}" for w in sorted(waves)) + "\n")


@pytest.fixture(scope="module")
def recipe(tmp_path_factory, corpora):
    """dump/ at 16 kHz, a character token list and ESPnet's feature statistics: what stages 1-6 produce."""
    root = tmp_path_factory.mktemp("yesno")
    waves = sorted((corpora / "yesno" / "waves_yesno").glob("*.wav"))
    write_data_dir(root / "data" / "train", waves[:16])
    write_data_dir(root / "data" / "valid", waves[16:20])
    for part in ("train", "valid"):
        assert format_audio.main(["--fs", "16000", str(root / "data" / part), str(root / "dump" / part)]) in (0, None)
    token_list.main(["--unit", "char", "--text", str(root / "dump" / "train" / "text"), "--out_dir", str(root / "tokens")])
    run(root, "stats", {"model_conf": {"ctc_weight": 1.0}, "encoder_conf": dict(ENCODER, output_size=16, num_blocks=1)},
        ["--collect_stats", "true", "--normalize", "none"])
    return root


def data_args(root: Path, stats: bool):
    args = []
    for part in ("train", "valid"):
        args += [f"--{part}_data_path_and_name_and_type", f"{root}/dump/{part}/wav.scp,speech,sound",
                 f"--{part}_data_path_and_name_and_type", f"{root}/dump/{part}/text,text,text"]
        if stats:
            args += [f"--{part}_shape_file", f"{root}/exp/stats/{part}/speech_shape",
                     f"--{part}_shape_file", f"{root}/exp/stats/{part}/text_shape"]
        else:
            args += [f"--{part}_shape_file", f"{root}/dump/{part}/wav.scp"]
    return args


def run(root: Path, name: str, config: dict, extra=()):
    """One `python -m ctc_kd.bin.asr_kd_train` run, in-process; returns the model ESPnet built."""
    config_path = root / f"{name}.yaml"
    config_path.write_text(yaml.safe_dump({**COMMON, **config}))
    collect_stats = "--collect_stats" in extra
    args = ["--config", str(config_path), "--output_dir", str(root / "exp" / name), "--ngpu", "0",
            "--token_type", "char", "--token_list", str(root / "tokens" / "tokens.txt"), "--resume", "true"]
    args += data_args(root, stats=not collect_stats)
    if not collect_stats:
        args += ["--normalize_conf", f"stats_file={root}/exp/stats/train/feats_stats.npz"]
    built = []
    original = ASRKDTask.build_model.__func__

    def keep(cls, args):
        built.append(original(cls, args))
        return built[-1]

    (root / "exp" / name).mkdir(parents=True, exist_ok=True)
    log = logging.FileHandler(root / "exp" / name / "train.log")  # the recipe redirects stderr there
    logging.getLogger().addHandler(log)
    logging.getLogger().setLevel(logging.INFO)
    ASRKDTask.build_model = classmethod(keep)
    try:
        ASRKDTask.main(cmd=args + list(extra))
    finally:
        ASRKDTask.build_model = classmethod(original)
        logging.getLogger().removeHandler(log)
        log.close()
    return built[-1]


def logged_results(exp: Path):
    """The last epoch's `[train] ... [valid] ...` results line of ESPnet's log."""
    lines = [line for line in (exp / "train.log").read_text().splitlines() if "epoch results:" in line]
    return lines[-1]


def test_teacher_kd_student_and_skd_through_the_trainer(recipe):
    teacher_encoder = dict(ENCODER, output_size=32, linear_units=64, num_blocks=2)
    run(recipe, "teacher", {"model_conf": {"ctc_weight": 1.0}, "encoder_conf": teacher_encoder})
    teacher_dir = recipe / "exp" / "teacher"
    teacher_file = teacher_dir / "valid.cer_ctc.best.pth"
    assert teacher_file.exists()
    teacher_state = torch.load(teacher_file)

    kd_conf = {
        "ctc_weight": 1.0, "teacher_config": str(teacher_dir / "config.yaml"), "teacher_model_file": str(teacher_file),
        "kd_terms": {"sfmx_kd": {"weight": 0.5}, "guide_ctc": {"weight": 0.2}, "binary_kd": {"weight": 0.5},
                     "repr_kd": {"weight": 0.1, "layer_pairs": [[-1, -1], [1, 1]]},
                     "fkl": {"weight": 0.5, "temperature": 2.0}},
    }
    student = run(recipe, "student", {"model": "kd_student", "model_conf": kd_conf,
                                      "encoder_conf": dict(ENCODER, output_size=16, linear_units=32, num_blocks=1)})
    for key, value in student.teacher.state_dict().items():
        assert torch.equal(value, teacher_state[key]), f"teacher parameter {key} changed"
    results = logged_results(recipe / "exp" / "student")
    for term in ("loss_sfmx_kd", "loss_guide_ctc", "loss_binary_kd", "loss_repr_kd", "loss_fkl", "teacher_blank_ratio"):
        value = float(results.split(f"{term}=")[1].split(",")[0])
        assert math.isfinite(value), term
    student_state = torch.load(recipe / "exp" / "student" / "valid.cer_ctc.best.pth")
    assert not any(k.startswith("teacher") for k in student_state)

    skd_conf = {"ctc_weight": 1.0, "skd_layer": 1, "alpha_ramp_start": 1, "alpha_ramp_end": 2}
    skd = run(recipe, "skd", {"model": "self_kd", "model_conf": skd_conf,
                              "best_model_criterion": [["valid", "cer_ctc_sub", "min"]],
                              "encoder_conf": dict(ENCODER, output_size=16, linear_units=32, num_blocks=2)})
    assert skd.epoch == 2 and "alpha=0.7" in logged_results(recipe / "exp" / "skd")

    from espnet2.bin.asr_inference import Speech2Text

    from ctc_kd.models.export import export_plain

    wav = (recipe / "dump" / "valid" / "wav.scp").read_text().split()[1]
    import soundfile

    speech, _ = soundfile.read(wav, dtype="float32")
    for name, checkpoint in (("student", "valid.cer_ctc.best.pth"), ("skd", "valid.cer_ctc_sub.best.pth")):
        exp = recipe / "exp" / name
        config, model = export_plain(exp / "config.yaml", exp / checkpoint, exp / "export")
        hyp = Speech2Text(asr_train_config=str(config), asr_model_file=str(model), beam_size=1, ctc_weight=1.0)(speech)
        assert isinstance(hyp[0][0], str)
