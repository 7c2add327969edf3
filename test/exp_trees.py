"""Synthetic exp/ folders in the formats ESPnet and the stage script leave them, for the tests of what reads them."""
import json

import torch
import yaml


def make_exp(tmp_path, files=(), criterion=(("valid", "cer_ctc", "min"),), model_conf=None):
    exp = tmp_path / "exp" / "student"
    exp.mkdir(parents=True)
    config = {"model": "kd_student", "best_model_criterion": [list(c) for c in criterion],
              "model_conf": model_conf or {}}
    (exp / "config.yaml").write_text(yaml.safe_dump(config))
    for name in files:
        (exp / name).write_bytes(b"")
    return exp


LOG_HEAD = "[vm] 2026-11-22 05:19:{:02d},332 (trainer:{}) INFO: "


def train_log_lines(epochs, finished=None):
    """ESPnet train.log lines: per epoch (train time, valid time) as humanfriendly strings; the end line if given."""
    lines = ["/venv/bin/python ctc_kd/bin/asr_kd_train.py --config conf/x.yaml --output_dir exp/x --ngpu 0",
             LOG_HEAD.format(0, 1455).replace("trainer", "abs_task") + "pytorch.version=2.9.1+cu128, "
             "cuda.available=False, cudnn.version=91002, cudnn.benchmark=False, cudnn.deterministic=True"]
    for i, (train, valid) in enumerate(epochs, 1):
        lines.append(LOG_HEAD.format(i, 336) + f"{i}/25epoch started")
        lines.append(LOG_HEAD.format(i, 811) + f"{i}epoch:train:1-20batch: iter_time=0.003, forward_time=0.010, "
                     "loss_ctc=0.106, loss=0.106, backward_time=0.007, grad_norm=1.001, clip=5.000, loss_scale=1.000, "
                     "optim_step_time=0.002, optim0_lr0=0.001, train_time=0.025")
        lines.append(LOG_HEAD.format(i, 394) + f"{i}epoch results: [train] iter_time=0.003, forward_time=0.012, "
                     "loss_ctc=82.024, loss=82.024, backward_time=0.008, grad_norm=285.761, clip=100.000, "
                     f"loss_scale=1.000, optim_step_time=0.002, optim0_lr0=0.002, train_time=0.028, time={train}, "
                     "total_count=20, [valid] loss_ctc=50.715, cer_ctc=0.123, loss_att=nan, acc=nan, cer=nan, "
                     f"wer=nan, loss=50.715, time={valid}, total_count=3")
    if finished is not None:
        lines.append(LOG_HEAD.format(59, 534) + f"The training was finished at {finished} epochs ")
    return lines


def state_dict(width):
    """A model.pth-like state dict: trained weights plus buffers that must not be counted."""
    return {
        "frontend.logmel.melmat": torch.zeros(257, 80),
        "normalize.mean": torch.zeros(80),
        "normalize.std": torch.ones(80),
        "encoder.embed.out.0.weight": torch.zeros(width, 100),
        "encoder.embed.out.0.bias": torch.zeros(width),
        "encoder.encoders.0.conv_module.norm.weight": torch.zeros(width),
        "encoder.encoders.0.conv_module.norm.running_mean": torch.zeros(width),
        "encoder.encoders.0.conv_module.norm.running_var": torch.zeros(width),
        "encoder.encoders.0.conv_module.norm.num_batches_tracked": torch.tensor(5),
        "ctc.ctc_lo.weight": torch.zeros(30, width),
        "ctc.ctc_lo.bias": torch.zeros(30),
    }


def params_of(width):
    return width * 100 + width + width + 30 * width + 30


def make_run(exp, name, *, model="espnet", model_conf=None, blocks=4, width=96, scores=None, epochs=None,
             finished=25, init_param=None, done=True, seed=0):
    """exp/<name> as the recipe leaves it: config.yaml, train.log, export/model.pth, decode_greedy/<set>/...

    scores: {test set: (cer, wer)}; a value None leaves that score.json out."""
    d = exp / name
    d.mkdir(parents=True)
    config = {
        "config": f"conf/train_{name.split('_seed')[0]}.yaml", "output_dir": str(d), "ngpu": 0, "seed": seed,
        "max_epoch": 25, "init_param": [init_param] if init_param else [], "token_type": "char",
        "model": model, "model_conf": {"ctc_weight": 1.0, **(model_conf or {})},
        "frontend": "default", "normalize": "global_mvn", "encoder": "conformer",
        "encoder_conf": {"output_size": width, "num_blocks": blocks, "input_layer": "conv2d"},
        "best_model_criterion": [["valid", "cer_ctc", "min"]],
    }
    (d / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    epochs = epochs if epochs is not None else [("1 minute", "10 seconds")]
    (d / "train.log").write_text("\n".join(train_log_lines(epochs, finished)) + "\n")
    if done:
        (d / ".done").touch()
    (d / "export").mkdir()
    torch.save(state_dict(width), d / "export" / "model.pth")
    for test_set, values in (scores or {}).items():
        out = d / "decode_greedy" / test_set
        out.mkdir(parents=True)
        (out / "decode_info.json").write_text(json.dumps({"decoder": "greedy", "beam_size": 1, "rtf": 0.01}))
        for metric, err in zip(("cer", "wer"), values):
            if err is None:
                continue
            (out / f"score_{metric}").mkdir()
            (out / f"score_{metric}" / "score.json").write_text(json.dumps(
                {"err": err, "corr": 100 - err, "sub": err, "del": 0.0, "ins": 0.0, "serr": 50.0, "snt": 10,
                 "wrd": 200}))
    return d
