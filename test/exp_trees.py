"""Synthetic exp/ folders in the formats ESPnet and the stage script leave them, for the tests of what reads them."""
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
