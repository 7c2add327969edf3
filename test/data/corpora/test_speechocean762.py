"""speechocean762: the official halves through local/data.sh (dev = train speakers held out), the balanced dev rule,
and the errors on a damaged copy."""
import hashlib
import os
import shutil
from pathlib import Path

import pytest

from corpus_trees import build_speechocean762 as build
from ctc_kd.data.corpora import speechocean762


@pytest.fixture(scope="module")
def corpus(corpora, tmp_path_factory) -> Path:
    """The tiny tree as the tarball unpacks: <root>/speechocean762/..."""
    return build(tmp_path_factory.mktemp("so762"), corpora)


@pytest.fixture
def damaged(corpus, tmp_path) -> Path:
    """A copy of the tiny corpus folder that a test may break."""
    return Path(shutil.copytree(corpus, tmp_path / "speechocean762"))


def test_local_data_sh_writes_the_halves_and_holds_out_the_listed_speakers(corpus, tmp_path, run_data_sh,
                                                                         read_datadir):
    (tmp_path / "dev_list").write_text("# held out\n1027  # age 9, f\n")
    run = run_data_sh("speechocean762", tmp_path / "recipe", "--dev_speakers", str(tmp_path / "dev_list"),
                      env={"SPEECHOCEAN762": str(corpus.parent)})
    assert run.returncode == 0, run.stderr
    sets = {name: read_datadir(tmp_path / "recipe" / "data" / name) for name in ("train", "dev", "test")}
    assert [line.split()[0] for line in sets["dev"]["text"]] == ["1027_010270011", "1027_010270023"]
    assert sets["dev"]["text"][1] == "1027_010270023 AND YOU ALWAYS WANT TO SEE IT IN THE SUPERLATIVE DEGREE"
    assert sets["train"]["spk2utt"] == ["0001 0001_000010011 0001_000010023", "0006 0006_000060011 0006_000060023",
                                        "0024 0024_000240011"]
    assert sets["train"]["text"][2] == "0006_000060011 FOR THE TWENTIETH TIME THAT EVENING THE TWO MEN SHOOK HANDS"
    assert sets["test"]["utt2spk"] == ["0003_000030011 0003", "0003_000030023 0003", "0012_000120011 0012"]
    wav = os.path.abspath(corpus / "WAVE" / "SPEAKER0003" / "000030011.WAV")
    assert sets["test"]["wav.scp"][0] == f"0003_000030011 {wav}"
    assert "data/dev: 2 utterances, 1 speakers" in run.stderr
    assert "data/test: 3 utterances, 2 speakers" in run.stderr
    # prepared sets are kept: a second run does nothing
    again = run_data_sh("speechocean762", tmp_path / "recipe", "--dev_speakers", str(tmp_path / "dev_list"),
                        env={"SPEECHOCEAN762": str(corpus.parent)})
    assert again.returncode == 0 and "already prepared" in again.stdout


def test_the_corpus_folder_itself_is_accepted_and_without_a_list_the_rule_picks_dev(corpus, tmp_path, read_datadir):
    args = ["--corpus_dir", str(corpus), "--data_dir", str(tmp_path / "data"), "--num_dev_speakers", "1"]
    assert speechocean762.main(args) == 0
    # 4 speakers, one in each group: each group's share of one seat is 0.25, the tie goes to the first group by name
    assert read_datadir(tmp_path / "data" / "dev")["spk2utt"] == ["0006 0006_000060011 0006_000060023"]


def test_dev_rule_keeps_the_mix_and_orders_each_group_by_sha1():
    age = {f"{i:04d}": a for i, a in enumerate([6, 7, 8, 9, 10, 11, 20, 21, 22, 23, 30, 40])}
    gender = dict(zip(age, "fffmmmfffffm"))
    # groups: child-f 3, child-m 3, adult-f 5, adult-m 1 of 12; 4 seats: shares 1, 1, 1.67, 0.33 -> 1, 1, 2, 0
    chosen = speechocean762.choose_dev_speakers(age, gender, 4)
    by_sha = lambda ids: sorted(ids, key=lambda s: hashlib.sha1(s.encode()).hexdigest())  # noqa: E731
    expected = by_sha(["0000", "0001", "0002"])[:1] + by_sha(["0003", "0004", "0005"])[:1] + \
        by_sha(["0006", "0007", "0008", "0009", "0010"])[:2]
    assert chosen == sorted(expected) and len(chosen) == 4
    assert speechocean762.choose_dev_speakers(age, gender, 4) == chosen
    with pytest.raises(speechocean762.CorpusError, match="cannot hold out 12 of the 12 train speakers"):
        speechocean762.choose_dev_speakers(age, gender, 12)


def test_print_dev_speakers_writes_the_list_format(corpus, capsys):
    assert speechocean762.main(["--corpus_dir", str(corpus.parent), "--print_dev_speakers",
                                "--num_dev_speakers", "2"]) == 0
    # 2 seats of 4 groups of one: the two first group names by the tie rule, adult-f (0006) and adult-m (0024)
    assert capsys.readouterr().out == "0006  # age 25, f, adult-f\n0024  # age 21, m, adult-m\n"


def run_module(corpus_dir: Path, tmp_path: Path, *extra: str) -> int:
    return speechocean762.main(["--corpus_dir", str(corpus_dir), "--data_dir", str(tmp_path / "data"),
                                "--num_dev_speakers", "1", *extra])


def test_a_transcript_with_other_characters_is_an_error_naming_the_line(damaged, tmp_path, caplog):
    text = damaged / "train" / "text"
    text.write_text(text.read_text().replace("WILL WE EVER", "Will we ever, 2"))
    assert run_module(damaged, tmp_path) == 1
    assert f"{text}:5: the transcript of '000240011' has characters other than A-Z" in caplog.text
    assert "',' '2' 'e' 'i' 'l' 'r' 'v' 'w'" in caplog.text


def test_an_empty_transcript_is_an_error_naming_the_line(damaged, tmp_path, caplog):
    text = damaged / "test" / "text"
    text.write_text(text.read_text().replace("\tI'M PLAYING A SINGLE HAND IN WHAT LOOKS LIKE A LOSING GAME", "\t "))
    assert run_module(damaged, tmp_path) == 1
    assert f"{text}:3: '000120011' has no value" in caplog.text


def test_a_missing_recording_is_an_error_naming_the_wav_scp_line(damaged, tmp_path, caplog):
    (damaged / "WAVE" / "SPEAKER0024" / "000240011.WAV").unlink()
    assert run_module(damaged, tmp_path) == 1
    assert f"{damaged / 'train' / 'wav.scp'}:5: {damaged / 'WAVE/SPEAKER0024/000240011.WAV'} does not exist" \
        in caplog.text
    assert not (tmp_path / "data" / "train").exists()


def test_an_utterance_missing_from_utt2spk_is_an_error(damaged, tmp_path, caplog):
    utt2spk = damaged / "test" / "utt2spk"
    utt2spk.write_text("".join(line + "\n" for line in utt2spk.read_text().splitlines()[1:]))
    assert run_module(damaged, tmp_path) == 1
    assert f"{utt2spk}: no line for utterance '000030011'" in caplog.text


def test_a_speaker_without_age_and_a_speaker_in_both_halves_are_errors(damaged, tmp_path, caplog):
    spk2age = damaged / "train" / "spk2age"
    good = spk2age.read_text()
    spk2age.write_text(good.replace("0024\t21\n", ""))
    assert run_module(damaged, tmp_path) == 1
    assert f"{spk2age}: no line for speaker 0024" in caplog.text
    spk2age.write_text(good)
    for name in ("spk2age", "spk2gender"):
        (damaged / "test" / name).write_text((damaged / "test" / name).read_text() + (
            "0001\t8\n" if name == "spk2age" else "0001\tm\n"))
    with open(damaged / "test" / "utt2spk", "a") as handle:
        handle.write("000010099 0001\n")
    with open(damaged / "test" / "text", "a") as handle:
        handle.write("000010099\tWILL WE EVER FORGET IT\n")
    with open(damaged / "test" / "wav.scp", "a") as handle:
        handle.write("000010099\tWAVE/SPEAKER0001/000019999.WAV\n")
    assert run_module(damaged, tmp_path) == 1
    assert "speaker 0001 is in both train/ and test/ (1 such speakers)" in caplog.text


def test_an_age_that_is_not_a_number_is_an_error_naming_the_line(damaged, tmp_path, caplog):
    spk2age = damaged / "test" / "spk2age"
    spk2age.write_text(spk2age.read_text().replace("0012\t30", "0012\tthirty"))
    assert run_module(damaged, tmp_path) == 1
    assert f"{spk2age}:2: age 'thirty' of speaker 0012 is not a whole number of years" in caplog.text


def test_a_dev_list_naming_an_unknown_speaker_is_an_error_naming_the_line(corpus, tmp_path, caplog):
    listed = tmp_path / "dev_list"
    listed.write_text("0006\n0003\n")
    assert run_module(corpus, tmp_path, "--dev_speakers", str(listed)) == 1
    assert f"{listed}:2: speaker '0003' is not in the official train half" in caplog.text


def test_no_corpus_is_an_error_saying_where_to_point_db_sh(tmp_path, run_data_sh):
    run = run_data_sh("speechocean762", tmp_path, "--download", "false", env={"SPEECHOCEAN762": str(tmp_path)})
    assert run.returncode == 1
    assert f"no speechocean762 in '{tmp_path}'" in run.stderr and "Set SPEECHOCEAN762 in db.sh" in run.stderr
