"""ctc_kd.bin.decode on a tiny model and Cathy audio: both decoders, every output file, decode_info, input errors."""
import json
import logging

import numpy as np
import pytest
import soundfile
import tiny_models
import torch
import yaml

from ctc_kd.bin.decode import main
from ctc_kd.models.param_count import count_parameters
from ctc_kd.models.export import export_plain

FILES = ("arctic_a0207_1592712443", "arctic_a0001_1592748574", "arctic_a0005_1592748459", "arctic_b0032_1592700689")


def save_training(tmp_path, **config):
    """A random tiny model saved as a training writes it; its CTC head emits letters, never <sos/eos>."""
    torch.manual_seed(0)
    model, args = tiny_models.build(tiny_models.tiny_config(**config), tmp_path)
    with torch.no_grad():
        model.ctc.ctc_lo.weight.mul_(8.0)
        model.ctc.ctc_lo.bias.zero_()
        model.ctc.ctc_lo.bias[0] = 2.0
        model.ctc.ctc_lo.bias[-1] = -100.0
    (tmp_path / "exp").mkdir()
    config_path, model_path = tmp_path / "exp" / "config.yaml", tmp_path / "exp" / "valid.cer_ctc.best.pth"
    config_path.write_text(yaml.safe_dump(args))
    torch.save(model.state_dict(), model_path)
    return config_path, model_path


@pytest.fixture
def data_dir(corpora, tmp_path):
    out = tmp_path / "data" / "test"
    out.mkdir(parents=True)
    flacs = {f"cathy_{name}": corpora / "cathy" / f"{name}.flac" for name in FILES}
    (out / "wav.scp").write_text("".join(f"{utt} {path}\n" for utt, path in sorted(flacs.items())))
    (out / "text").write_text("".join(f"{utt} {path.with_suffix('.txt').read_text().strip().upper()}\n"
                                      for utt, path in sorted(flacs.items())))
    return out


def read_outputs(out):
    info = json.loads((out / "decode_info.json").read_text())
    files = {}
    for name in ("text", "token", "token_int"):
        lines = (out / name).read_text().splitlines()
        files[name] = {line.split(" ", 1)[0]: line.split(" ", 1)[1] if " " in line else "" for line in lines}
    return info, files


def check_info(info, data_dir, decoder, num_utts):
    seconds = sum(soundfile.info(line.split()[1]).duration for line in (data_dir / "wav.scp").read_text().splitlines())
    assert info["decoder"] == decoder and info["num_utts"] == num_utts
    assert info["audio_seconds"] == pytest.approx(seconds, abs=1e-3)
    assert info["decode_seconds"] > 0
    assert info["rtf"] == pytest.approx(info["decode_seconds"] / info["audio_seconds"])
    assert info["device"] == "cpu" and info["threads"] == torch.get_num_threads()


def stock_best_path_counts(model_dir, data_dir):
    """Frames and blank best-path frames of the exported model, one utterance at a time through stock ESPnet."""
    from ctc_kd.inference.greedy import load_plain_model

    model, _ = load_plain_model(model_dir / "config.yaml", model_dir / "model.pth")
    frames = blank = 0
    for line in (data_dir / "wav.scp").read_text().splitlines():
        speech = torch.from_numpy(soundfile.read(line.split()[1])[0].astype(np.float32))[None]
        with torch.no_grad():
            encoded, _ = model.encode(speech, torch.tensor([speech.shape[1]]))
        best_path = model.ctc.argmax(encoded)[0]
        frames, blank = frames + len(best_path), blank + int((best_path == 0).sum())
    return frames, blank


def test_greedy_from_an_export(data_dir, tmp_path):
    config_path, model_path = save_training(tmp_path)
    export_plain(config_path, model_path, tmp_path / "export")
    out = tmp_path / "decode_greedy"
    assert main(["--model_dir", str(tmp_path / "export"), "--data_dir", str(data_dir), "--output_dir", str(out),
                 "--batch_size", "3"]) == 0
    info, files = read_outputs(out)
    check_info(info, data_dir, "greedy", len(FILES))
    assert info["batch_size"] == 3 and info["beam_size"] is None
    stock_frames, stock_blank = stock_best_path_counts(tmp_path / "export", data_dir)
    assert (info["frames"], info["blank_frames"]) == (stock_frames, stock_blank)
    assert info["blank_ratio"] == pytest.approx(stock_blank / stock_frames) and 0 < info["blank_ratio"] < 1
    assert info["params"] == count_parameters(tmp_path / "export" / "model.pth") > 0  # kept with the results
    utts = sorted(f"cathy_{name}" for name in FILES)
    token_list = yaml.safe_load(config_path.read_text())["token_list"]
    for name in ("text", "token", "token_int"):
        assert list(files[name]) == utts  # every utterance, sorted
    for utt in utts:
        ids = [int(i) for i in files["token_int"][utt].split()]
        assert len(ids) > 5 and 0 not in ids
        assert files["token"][utt].split() == [token_list[i] for i in ids]
        assert files["text"][utt].split() == "".join(token_list[i] for i in ids).replace("<space>", " ").split()
    assert not list(out.glob(".*tmp"))


def test_beam_from_a_training_ctc_only(data_dir, tmp_path):
    config_path, model_path = save_training(tmp_path)
    out = tmp_path / "decode_beam"
    assert main(["--config", str(config_path), "--model_file", str(model_path), "--data_dir", str(data_dir),
                 "--output_dir", str(out), "--decoder", "beam", "--beam_size", "2", "--ctc_weight", "0.5"]) == 0
    info, files = read_outputs(out)
    check_info(info, data_dir, "beam", len(FILES))
    assert (info["beam_size"], info["batch_size"], info["ctc_weight"]) == (2, 1, 1.0)  # no decoder: CTC only
    assert "blank_ratio" not in info  # the beam search exposes no best path
    assert info["params"] == count_parameters(model_path)  # a plain CTC model: its export has the same weights
    assert len(files["token_int"]) == len(FILES)
    assert all(len(ids.split()) > 5 for ids in files["token_int"].values())


def test_beam_uses_a_hybrid_models_attention_decoder(data_dir, tmp_path):
    decoder_conf = {"attention_heads": 2, "linear_units": 32, "num_blocks": 1}
    config_path, model_path = save_training(tmp_path, decoder="transformer", decoder_conf=decoder_conf,
                                            model_conf={"ctc_weight": 0.5})
    outputs = {}
    for ctc_weight in ("0.5", "1.0"):
        out = tmp_path / f"decode_hybrid_{ctc_weight}"
        assert main(["--config", str(config_path), "--model_file", str(model_path), "--data_dir", str(data_dir),
                     "--output_dir", str(out), "--decoder", "beam", "--beam_size", "2", "--ctc_weight", ctc_weight,
                     "--maxlenratio", "0.3"]) == 0
        info, outputs[ctc_weight] = read_outputs(out)
        assert info["ctc_weight"] == float(ctc_weight) and len(outputs[ctc_weight]["text"]) == len(FILES)
    assert outputs["0.5"]["token_int"] != outputs["1.0"]["token_int"]  # the random decoder changed the search


def test_bad_audio_is_named(data_dir, tmp_path, caplog):
    config_path, model_path = save_training(tmp_path)
    model = ["--config", str(config_path), "--model_file", str(model_path)]
    slow = tmp_path / "slow.wav"
    soundfile.write(slow, np.zeros(8000, np.float32), 8000)
    (data_dir / "wav.scp").write_text(f"a {slow}\n")
    with caplog.at_level(logging.ERROR):
        assert main(model + ["--data_dir", str(data_dir), "--output_dir", str(tmp_path / "o")]) == 1
    assert f"{slow}" in caplog.text and "8000 Hz" in caplog.text and "16000" in caplog.text
    missing = tmp_path / "missing.flac"
    (data_dir / "wav.scp").write_text(f"b {missing}\n")
    caplog.clear()
    assert main(model + ["--data_dir", str(data_dir), "--output_dir", str(tmp_path / "o")]) == 1
    assert str(missing) in caplog.text and "'b'" in caplog.text
    assert not (tmp_path / "o").exists()
    caplog.clear()
    assert main(model + ["--model_dir", str(tmp_path), "--data_dir", str(data_dir), "--output_dir", "o"]) == 1
    assert "either --model_dir or --config" in caplog.text


def test_decode_config_sets_the_search_and_the_command_line_wins(data_dir, tmp_path, caplog):
    config_path, model_path = save_training(tmp_path)
    model = ["--config", str(config_path), "--model_file", str(model_path), "--data_dir", str(data_dir)]
    beam = tmp_path / "decode_beam.yaml"
    beam.write_text("decoder: beam\nbeam_size: 3\nctc_weight: 1.0\nmaxlenratio: 0.0\n")
    assert main(model + ["--output_dir", str(tmp_path / "a"), "--decode_config", str(beam)]) == 0
    info, _ = read_outputs(tmp_path / "a")
    assert (info["decoder"], info["beam_size"], info["batch_size"]) == ("beam", 3, 1)
    assert main(model + ["--output_dir", str(tmp_path / "b"), "--decode_config", str(beam), "--decoder", "beam",
                         "--beam_size", "2"]) == 0
    assert read_outputs(tmp_path / "b")[0]["beam_size"] == 2

    with caplog.at_level(logging.ERROR):
        assert main(model + ["--output_dir", str(tmp_path / "c"), "--decode_config", str(beam), "--decoder",
                             "greedy"]) == 1
    assert f"{beam} says decoder: beam but the command line says --decoder greedy" in caplog.text
    bad = tmp_path / "bad.yaml"
    bad.write_text("beam: 3\n")
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        assert main(model + ["--output_dir", str(tmp_path / "c"), "--decode_config", str(bad)]) == 1
    assert f"{bad}: unknown decode options ['beam']" in caplog.text and not (tmp_path / "c").exists()



def test_an_unwritable_output_folder_is_refused_before_decoding(data_dir, tmp_path, caplog):
    config_path, model_path = save_training(tmp_path)
    blocker = tmp_path / "decodings"
    blocker.write_text("a file where the decodings' folder should be")
    out = blocker / "student" / "decode_greedy" / "test"
    with caplog.at_level(logging.INFO):
        assert main(["--config", str(config_path), "--model_file", str(model_path), "--data_dir", str(data_dir),
                     "--output_dir", str(out)]) == 1
    assert f"cannot write the decoding into {out}: {blocker} is not a folder" in caplog.text
    assert "greedy CTC decoding of" not in caplog.text  # refused before any utterance was decoded


def test_a_decoding_is_kept_only_for_the_same_weights_data_and_search(data_dir, tmp_path, caplog):
    config_path, model_path = save_training(tmp_path)
    export_plain(config_path, model_path, tmp_path / "export")
    out = tmp_path / "decode_greedy"
    model = ["--model_dir", str(tmp_path / "export"), "--data_dir", str(data_dir), "--output_dir", str(out)]

    def decoded(*options):
        """Whether this run decoded the set again (rather than keeping it)."""
        before = (out / "decode_info.json").read_bytes() if out.exists() else None
        caplog.clear()
        with caplog.at_level(logging.INFO):
            assert main(model + ["--skip_decoded", *options]) == 0
        kept = f"skip {out}: decoded already" in caplog.text
        assert kept == ((out / "decode_info.json").read_bytes() == before)
        return not kept

    assert decoded()
    made_by = read_outputs(out)[0]["made_by"]
    assert made_by["search"] == {"decoder": "greedy", "beam_size": None, "ctc_weight": None, "penalty": None,
                                 "maxlenratio": None}
    assert not decoded()
    assert not decoded("--batch_size", "1")  # batching does not change greedy hypotheses
    export_plain(config_path, model_path, tmp_path / "export")  # the same weights exported again: a new file
    assert not decoded()
    assert decoded("--decoder", "beam", "--beam_size", "2")  # another search
    assert not decoded("--decoder", "beam", "--beam_size", "2")
    assert decoded("--decoder", "beam", "--beam_size", "3")
    (data_dir / "wav.scp").write_text("".join((data_dir / "wav.scp").read_text().splitlines(True)[:2]))
    assert decoded("--decoder", "beam", "--beam_size", "3")  # another data dir's content
    assert read_outputs(out)[0]["num_utts"] == 2
    state = torch.load(model_path)
    state["ctc.ctc_lo.bias"][1] += 1.0
    torch.save(state, model_path)
    export_plain(config_path, model_path, tmp_path / "export")
    assert decoded("--decoder", "beam", "--beam_size", "3")  # other weights
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert main(model + ["--decoder", "beam", "--beam_size", "3"]) == 0  # without --skip_decoded: always
    assert "skip" not in caplog.text
