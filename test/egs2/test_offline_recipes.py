"""The offline recipes run every stage end to end on real audio, and their outputs are usable: yesno with every
method (its tutorial), mini_an4 (the AN4 data path) with FPKD in one training."""
import re

import pytest
import soundfile
from conftest import run_recipe

pytestmark = pytest.mark.slow

FPKD = "FPKD: binary KD → + factorized hidden KD (ep 7) → + FKL (ep 10)"
METHODS = {"yesno": ["teacher", "student alone", "Sfmx-KD", "Guide-CTC", "blank-eliminated KD", "FPKD stage 1",
                     "FPKD stage 2", "FPKD stage 3", FPKD, "SKD (block 1 of 2)", "SKD (block 1 of 2, blank-masked)"],
           "mini_an4": ["teacher", FPKD]}
# run.sh as a user calls it (yesno), or with one student (mini_an4: the data path is what it adds to yesno's test)
OPTIONS = {"yesno": [], "mini_an4": ["--student_configs", "conf/train_student_fpkd.yaml"]}
PACKED = {"yesno": ("student_fpkd_stage3", "student_skd"), "mini_an4": ("student_fpkd",)}
ENV = {"yesno": lambda d: {"YESNO": str(d / "yesno")},
       "mini_an4": lambda d: {"MINI_AN4_ARCHIVE": str(d / "mini_an4" / "downloads.tar.gz")}}


@pytest.mark.parametrize("recipe", ["yesno", "mini_an4"])
def test_every_stage_and_every_method(recipe, sandbox_factory, corpora):
    from espnet2.bin.asr_inference import Speech2Text
    from espnet2.main_funcs.pack_funcs import unpack

    sandbox = sandbox_factory(recipe)
    out = run_recipe(sandbox, *OPTIONS[recipe], env=ENV[recipe](corpora)).stdout
    for stage in range(1, 16):
        assert f"==== stage {stage}:" in out
    table = (sandbox / "RESULTS.md").read_text()
    main_table = table.split("\n## ")[1]
    rows = [line for line in main_table.splitlines() if line.startswith("| ") and not line.startswith("| System")]
    assert len(rows) == len(METHODS[recipe])
    for method, row in zip(METHODS[recipe], rows):
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[1].startswith(method), row
        assert re.fullmatch(r"\d+\.\d\d", cells[4]), f"no error rate in {row}"
    timing = table.split("\n## Spike timing vs teacher (dev)")[1].split("\n## ")[0]
    rows = [line for line in timing.splitlines() if line.startswith("| ") and not line.startswith("| System")]
    assert len(rows) == len(METHODS[recipe]) - 1  # every student, not the teacher
    na = r"|n/a\[\^\d+\]"  # a student that never fires has no offsets; mini_an4's teacher may never fire at all
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert re.fullmatch(r"\d+", cells[3]) and re.fullmatch(r"\d+\.\d\d" + na, cells[4]), f"no timing in {row}"
        rates = r"\d+\.\d" + (na if recipe != "yesno" else "")  # yesno's teacher fires: exact and miss rates exist
        assert re.fullmatch(rates, cells[5]) and re.fullmatch(rates, cells[6]), row
    last = PACKED[recipe][-1]
    for png in ("posteriors.png", "offsets.png"):
        assert (sandbox / "exp" / last / "alignment" / "dev" / png).read_bytes()[:4] == b"\x89PNG"
        assert (sandbox / "plots" / f"{last}.dev.{png}").read_bytes()[:4] == b"\x89PNG"  # linked from the table
    assert (sandbox / "plots" / "valid_curves.png").read_bytes()[:4] == b"\x89PNG"  # every run's dev error by epoch
    assert "![validation error by epoch](plots/valid_curves.png)" in table
    main = {"yesno": "wer", "mini_an4": "cer"}[recipe]  # run.sh's --main_metric: its table as a picture
    assert (sandbox / "plots" / f"errors_{main}.png").read_bytes()[:4] == b"\x89PNG"
    assert f"![{main.upper()} by system, every run](plots/errors_{main}.png)" in table
    # the call that trained each run, quoted so that it pastes back into a shell
    training = table.split("## How this was produced")[1].split("Command(s) of this table")[0]
    trained_by = training.split("```sh\n# ", 1)[1].split("\n", 1)[0].split(", ")  # one run.sh call trained all
    assert trained_by[0] == "teacher" and PACKED[recipe][0] in trained_by, training
    fpkd_log = (sandbox / "exp" / "student_fpkd" / "train.log").read_text()  # one training, each term at its epoch
    for line in ("epoch 1: KD terms active: binary_kd", "epoch 7: KD terms active: binary_kd, repr_kd (entered: repr_kd)",
                 "epoch 10: KD terms active: binary_kd, repr_kd, fkl (entered: fkl)"):
        assert line in fpkd_log, line
    assert "\n./asr_kd.sh --" in training and " --fs 16000 " in training and "--results_title " in training
    if recipe == "yesno":  # enough data to learn: the teacher must actually recognise yes and no
        teacher_cer = float(table.split("## CER")[1].split("| teacher |")[1].split("|")[4])
        assert teacher_cer < 10.0

    wav = (sandbox / "dump" / "raw" / "test" / "wav.scp").read_text().split()[1]
    speech, _ = soundfile.read(wav, dtype="float32")
    for system in PACKED[recipe]:
        unpacked = unpack(sandbox / "exp" / system / "packed" / f"{system}.zip", sandbox / "unpacked" / system)
        text, *_ = Speech2Text(**unpacked, beam_size=1, ctc_weight=1.0)(speech)[0]
        assert isinstance(text, str)

    again = run_recipe(sandbox, "--stage", "7", *OPTIONS[recipe], env=ENV[recipe](corpora)).stdout
    assert "skip exp/teacher: trained already" in again and f"skip exp/{last}: trained already" in again
    assert f"kept exp/{last}/alignment/dev: " in again
    assert f"kept exp/{last}/decode_greedy/test: decoded already" in again
