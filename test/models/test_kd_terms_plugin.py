"""A KD term defined here, outside ctc_kd, reaches a real training run through `kd_term_plugins` and trains on yesno.

This module is the plugin: the training process imports it by name (its directory on PYTHONPATH), which registers
`blank_mass_l1`; the config names it under model_conf.kd_terms like any built-in term.
"""
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from ctc_kd import losses
from ctc_kd.models.kd_terms import TermInputs, register_kd_term

pytestmark = pytest.mark.slow
HERE = Path(__file__).resolve().parent


@register_kd_term("blank_mass_l1", label=lambda o: f"blank-mass L{o['power']:g}", options={"power": 1.0})
def blank_mass_l1(inputs: TermInputs, options: dict) -> torch.Tensor:
    """|p^S_t(blank) - p^T_t(blank)|^power, averaged over the valid frames."""
    post = inputs.posteriors(1.0)
    gap = (post.student[..., inputs.blank].exp() - post.teacher[..., inputs.blank].exp()).abs()
    return losses.masked_mean(gap ** float(options["power"]), post.valid)


def test_the_registered_term_is_computed_as_defined():
    from ctc_kd.models.kd_terms import parse_kd_terms, term_inputs

    (term,) = parse_kd_terms({"blank_mass_l1": {"power": 2}})
    student = torch.log_softmax(torch.tensor([[[2.0, 0.0], [0.0, 0.0]]]), -1)
    teacher = torch.log_softmax(torch.tensor([[[0.0, 0.0], [0.0, 0.0]]]), -1)
    inputs = term_inputs(student, teacher, torch.tensor([2]), cached=False, blank_id=0)
    blank = math.exp(2) / (math.exp(2) + 1)
    assert term.term.function(inputs, term.options).item() == pytest.approx(((blank - 0.5) ** 2 + 0.0) / 2)


def test_a_term_from_outside_ctc_kd_trains_from_yaml_on_yesno(corpora, tmp_path):
    from tiny_models import TOKENS, save_model, tiny_config

    from ctc_kd.data import format_audio
    from ctc_kd.results.labels import method_name

    waves = sorted((corpora / "yesno" / "waves_yesno").glob("*.wav"))
    words = {"0": "NO", "1": "YES"}
    for part, chosen in (("train", waves[:8]), ("valid", waves[8:10])):
        raw = tmp_path / "data" / part
        raw.mkdir(parents=True)
        (raw / "wav.scp").write_text("".join(f"yesno_{w.stem} {w}\n" for w in chosen))
        (raw / "text").write_text("".join(f"yesno_{w.stem} {' '.join(words[c] for c in w.stem.split('_'))}\n"
                                          for w in chosen))
        (raw / "utt2spk").write_text("".join(f"yesno_{w.stem} yesno\n" for w in chosen))
        (raw / "spk2utt").write_text("yesno " + " ".join(f"yesno_{w.stem}" for w in chosen) + "\n")
        assert format_audio.main(["--fs", "16000", str(raw), str(tmp_path / "dump" / part)]) in (0, None)
    teacher_config, teacher_model = save_model(tiny_config(width=24, blocks=2), tmp_path / "teacher")

    config = tiny_config("kd_student", width=16, blocks=1)
    config["model_conf"].update(teacher_config=str(teacher_config), teacher_model_file=str(teacher_model),
                                kd_terms={"blank_mass_l1": {"power": 2}, "binary_kd": {"start_epoch": 2}})
    config.update(kd_term_plugins=[Path(__file__).stem], optim="adam", optim_conf={"lr": 0.005}, max_epoch=2,
                  batch_type="unsorted", batch_size=4, num_workers=0, seed=0, keep_nbest_models=1,
                  best_model_criterion=[["valid", "cer_ctc", "min"]])
    (tmp_path / "student.yaml").write_text(yaml.safe_dump(config))
    out = tmp_path / "exp" / "student"
    args = [sys.executable, "-m", "ctc_kd.bin.asr_kd_train", "--config", str(tmp_path / "student.yaml"),
            "--output_dir", str(out), "--ngpu", "0", "--token_type", "char"]
    for part in ("train", "valid"):
        dump = tmp_path / "dump" / part
        args += [f"--{part}_data_path_and_name_and_type", f"{dump}/wav.scp,speech,sound",
                 f"--{part}_data_path_and_name_and_type", f"{dump}/text,text,text", f"--{part}_shape_file",
                 f"{dump}/wav.scp"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), str(HERE.parent), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]

    log = done.stderr
    assert "epoch 1: KD terms active: blank_mass_l1" in log
    assert "epoch 2: KD terms active: binary_kd, blank_mass_l1 (entered: binary_kd)" in log
    results = [line for line in log.splitlines() if "epoch results:" in line]
    first, second = (float(r.split("loss_blank_mass_l1=")[1].split(",")[0]) for r in results)
    assert first > 0 and second > 0 and "loss_binary_kd=" in results[1] and "loss_binary_kd=" not in results[0]
    recorded = yaml.safe_load((out / "config.yaml").read_text())
    assert recorded["kd_term_plugins"] == [Path(__file__).stem]
    assert method_name(recorded, "student") == "blank-mass L2 → + binary KD (ep 2)"
    assert TOKENS == recorded["token_list"]
