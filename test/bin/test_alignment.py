"""ctc_kd.bin.alignment end to end on two tiny random exports and Cathy audio: numbers, plots, mismatch errors."""
import json
import logging

import numpy as np
import pytest
import soundfile
import torch
import yaml
from tiny_models import TOKENS, build, encoder_conf, tiny_config

from ctc_kd.analysis.spike_timing import AlignmentTotals, spike_offsets
from ctc_kd.bin.alignment import main
from ctc_kd.inference.greedy import GreedyCTCDecoder
from ctc_kd.models.export import export_plain

FILES = ("arctic_a0207_1592712443", "arctic_a0001_1592748574", "arctic_a0005_1592748459", "arctic_b0032_1592700689")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def export(tmp_path, name, seed, **config):
    """A random tiny model whose CTC head emits letters (not all blank, never <sos/eos>), exported as a plain one."""
    torch.manual_seed(seed)
    model, args = build(tiny_config(**config), tmp_path, name)
    with torch.no_grad():
        model.ctc.ctc_lo.weight.mul_(8.0)
        model.ctc.ctc_lo.bias.zero_()
        model.ctc.ctc_lo.bias[0] = 2.0
        model.ctc.ctc_lo.bias[-1] = -100.0
    config_path, model_path = tmp_path / f"{name}.config.yaml", tmp_path / f"{name}.pth"
    config_path.write_text(yaml.safe_dump(args))
    torch.save(model.state_dict(), model_path)
    export_plain(config_path, model_path, tmp_path / name)
    return tmp_path / name


@pytest.fixture(scope="module")
def setup(corpora, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("alignment")
    data = tmp / "data"
    data.mkdir()
    flacs = {f"cathy_{name}": corpora / "cathy" / f"{name}.flac" for name in FILES}
    (data / "wav.scp").write_text("".join(f"{utt} {path}\n" for utt, path in sorted(flacs.items())))
    (data / "text").write_text("".join(f"{utt} {path.with_suffix('.txt').read_text().strip().upper()}\n"
                                       for utt, path in sorted(flacs.items())))
    return tmp, data, export(tmp, "teacher", 0), export(tmp, "student", 1)


def run(teacher, student, data, out, *extra):
    return main(["--teacher_dir", str(teacher), "--student_dir", str(student), "--data_dir", str(data),
                 "--out_dir", str(out), "--batch_size", "3", "--num_threads", "1", *extra])


def reference(teacher_dir, student_dir, data):
    """The same numbers, each utterance run alone (no batching) through the decoders and the pure functions."""
    decoders = [GreedyCTCDecoder.from_files(d / "config.yaml", d / "model.pth") for d in (teacher_dir, student_dir)]
    totals = AlignmentTotals()
    for line in (data / "wav.scp").read_text().splitlines():
        speech = soundfile.read(line.split()[1])[0].astype(np.float32)
        teacher, student = (d.decode_batch([speech], posteriors=True)[0].posteriors for d in decoders)
        totals.add(spike_offsets(teacher, student), len(teacher))
    return totals.summary()


def test_numbers_plots_and_progress(setup, caplog):
    tmp, data, teacher, student = setup
    out = tmp / "out"
    with caplog.at_level(logging.INFO):
        assert run(teacher, student, data, out, "--log_every", "2") == 0
    info = json.loads((out / "alignment.json").read_text())
    expected = reference(teacher, student, data)
    assert expected["teacher_spikes"] > 20 and 0 < expected["exact_share"] < 1  # a real, imperfect alignment
    for key, value in expected.items():
        assert info[key] == (pytest.approx(value) if isinstance(value, float) else value), key
    assert info["utterances"] == len(FILES) and info["teacher"] == str(teacher) and info["student"] == str(student)
    assert info["matched"] + info["missed"] == info["teacher_spikes"]
    assert sum(info["histogram"].values()) == info["matched"]
    lengths = {line.split()[0]: soundfile.info(line.split()[1]).frames
               for line in (data / "wav.scp").read_text().splitlines()}
    assert info["plot_utt"] == sorted(lengths, key=lengths.get)[2]  # the median-length one of four
    for name in ("posteriors.png", "offsets.png"):
        png = out / name
        assert png.read_bytes()[:8] == PNG_MAGIC
        import matplotlib.image

        assert matplotlib.image.imread(png).shape[0] > 200  # decodes as an image of real size
    progress = [r.getMessage() for r in caplog.records if r.getMessage().startswith("analysed ")]
    assert [p.split(" utterances")[0] for p in progress] == ["analysed 3/4", "analysed 4/4"]


def test_a_model_against_itself_is_exactly_aligned(setup):
    tmp, data, teacher, _ = setup
    out = tmp / "self"
    assert run(teacher, teacher, data, out, "--plot_utt", "cathy_arctic_a0001_1592748574", "--max_offset", "3") == 0
    info = json.loads((out / "alignment.json").read_text())
    assert info["exact_share"] == 1.0 and info["miss_rate"] == 0.0 and info["mean_abs_offset"] == 0.0
    assert info["near_share"] == 1.0
    assert info["histogram"] == {"0": info["teacher_spikes"]} and info["max_offset"] == 3
    assert info["plot_utt"] == "cathy_arctic_a0001_1592748574"


def test_mismatched_models_and_bad_options_are_named(setup, caplog):
    tmp, data, teacher, _ = setup
    tokens = TOKENS[:-1] + ["Q", "<sos/eos>"]
    other_tokens = export(tmp, "other_tokens", 2, token_list=tokens)
    caplog.clear()
    assert run(teacher, other_tokens, data, tmp / "o1") == 1
    assert "token lists differ" in caplog.text and str(other_tokens / "config.yaml") in caplog.text
    assert str(teacher / "config.yaml") in caplog.text and "first difference at id 8" in caplog.text

    other_rate = export(tmp, "other_rate", 2, encoder_conf=encoder_conf(16, 2, "conv2d6"))  # 6x, not 4x
    caplog.clear()
    assert run(teacher, other_rate, data, tmp / "o2") == 1
    assert "frame rates differ" in caplog.text and str(other_rate / "config.yaml") in caplog.text
    assert "conv2d vs conv2d6" in caplog.text

    caplog.clear()
    assert run(teacher, tmp / "nowhere", data, tmp / "o3") == 1
    assert str(tmp / "nowhere" / "config.yaml") in caplog.text and "export_student" in caplog.text
    caplog.clear()
    assert run(teacher, teacher, data, tmp / "o4", "--plot_utt", "nobody") == 1
    assert "--plot_utt nobody is not in" in caplog.text and str(data / "wav.scp") in caplog.text
    for failed in ("o1", "o2"):  # the student's own log says why; nothing else is written
        assert [p.name for p in (tmp / failed).iterdir()] == ["alignment.log"]
        assert "failed:" in (tmp / failed / "alignment.log").read_text()
    assert not (tmp / "o4").exists()  # refused before any student


def test_several_students_in_one_process_equal_one_each(setup, caplog):
    tmp, data, teacher, student = setup
    alone = [tmp / "alone_student", tmp / "alone_teacher"]
    assert run(teacher, student, data, alone[0]) == 0 and run(teacher, teacher, data, alone[1]) == 0
    together = [tmp / "together_student", tmp / "together_teacher"]
    with caplog.at_level(logging.INFO):
        assert main(["--teacher_dir", str(teacher), "--student_dir", str(student), str(teacher),
                     "--data_dir", str(data), "--out_dir", *map(str, together), "--batch_size", "3",
                     "--num_threads", "1"]) == 0
    for one, both, model in zip(alone, together, (student, teacher)):
        first, second = (json.loads((d / "alignment.json").read_text()) for d in (one, both))
        for key in ("seconds", "threads"):
            first.pop(key), second.pop(key)
        assert first == second and second["student"] == str(model)
        log = (both / "alignment.log").read_text()  # each student's own lines, not the other's
        other = ({*together} - {both}).pop()
        assert f"{both}: {second['teacher_spikes']} teacher spikes" in log and str(other) not in log


def test_students_and_out_dirs_must_pair(setup, caplog):
    tmp, data, teacher, student = setup
    assert main(["--teacher_dir", str(teacher), "--student_dir", str(student), str(teacher), "--data_dir", str(data),
                 "--out_dir", str(tmp / "unpaired")]) == 1
    assert "2 --student_dir but 1 --out_dir" in caplog.text and not (tmp / "unpaired").exists()


def test_an_analysis_is_kept_only_for_the_same_weights_data_and_options(setup, caplog):
    tmp, data, teacher, student = setup
    out = tmp / "kept"

    def analysed(*options, model=student):
        """Whether this run analysed the student again (rather than keeping alignment.json)."""
        before = (out / "alignment.json").read_bytes() if out.exists() else None
        caplog.clear()
        with caplog.at_level(logging.INFO):
            assert run(teacher, model, data, out, "--skip_analysed", *options) == 0
        kept = f"skip {out}: analysed already" in caplog.text
        assert kept == ((out / "alignment.json").read_bytes() == before)
        return not kept

    assert analysed()
    record = json.loads((out / "alignment.json").read_text())["made_by"]
    assert record["options"] == {"max_offset": None, "plot_utt": None, "hist_clip": 10}
    assert not analysed() and not analysed("--batch_size", "1")  # batching changes no number
    assert analysed("--max_offset", "3") and not analysed("--max_offset", "3")
    assert analysed("--max_offset", "3", "--hist_clip", "4")  # another histogram
    assert analysed("--max_offset", "3", "--hist_clip", "4", model=teacher)  # another student
    (out / "offsets.png").unlink()  # unfinished
    assert analysed("--max_offset", "3", "--hist_clip", "4", model=teacher)
