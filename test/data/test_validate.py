"""ctc_kd.data.validate: every kind of broken data dir is caught and the message names the offending line."""
import logging

import pytest

from ctc_kd.data.datadir import DataDirError
from ctc_kd.data.validate import main, validate_data_dir

GOOD = {
    "wav.scp": ["s1-a /x/a.wav", "s1-b /x/b.wav", "s2-c /x/c.wav"],
    "text": ["s1-a hello world", "s1-b good bye", "s2-c yes"],
    "utt2spk": ["s1-a s1", "s1-b s1", "s2-c s2"],
    "spk2utt": ["s1 s1-a s1-b", "s2 s2-c"],
}


def _broken(write_dir, tmp_path, **changes):
    files = {**GOOD, **changes}
    return write_dir(tmp_path / "d", {k: v for k, v in files.items() if v is not None})


def test_valid_real_dir(yesno_dir):
    report = validate_data_dir(yesno_dir)
    assert (report.num_utts, report.num_spks, report.has_segments, report.warnings) == (4, 1, False, [])


def test_unsorted(write_dir, tmp_path):
    d = _broken(write_dir, tmp_path, text=["s1-b good bye", "s1-a hello world", "s2-c yes"])
    with pytest.raises(DataDirError) as e:
        validate_data_dir(d)
    msg = str(e.value)
    assert f"{d / 'text'}:2: id 's1-a' comes after 's1-b'" in msg
    assert "1 x lines not sorted" in msg and "ctc_kd.data.fix" in msg


def test_duplicate(write_dir, tmp_path):
    d = _broken(write_dir, tmp_path, utt2spk=["s1-a s1", "s1-a s1", "s1-b s1", "s2-c s2"])
    with pytest.raises(DataDirError, match=rf"{d / 'utt2spk'}:2: duplicate id 's1-a' \(first at line 1\)"):
        validate_data_dir(d)


def test_missing_audio_names_line_and_counts(write_dir, tmp_path):
    d = _broken(write_dir, tmp_path, **{"wav.scp": ["s1-a /x/a.wav"]})
    with pytest.raises(DataDirError) as e:
        validate_data_dir(d)
    msg = str(e.value)
    assert "2 x utterances not present in every file" in msg
    assert f"{d / 'text'}:2: 's1-b' has no line in wav.scp" in msg
    assert f"{d / 'text'}:3: 's2-c' has no line in wav.scp" in msg


def test_audio_without_text(write_dir, tmp_path):
    d = _broken(write_dir, tmp_path, text=["s1-a hello world", "s1-b good bye"])
    with pytest.raises(DataDirError, match=rf"{d / 'utt2spk'}:3: 's2-c' has no line in text"):
        validate_data_dir(d)


def test_empty_text_is_an_error_unless_allowed(write_dir, tmp_path):
    d = _broken(write_dir, tmp_path, text=["s1-a hello world", "s1-b", "s2-c   "])
    with pytest.raises(DataDirError) as e:
        validate_data_dir(d)
    msg = str(e.value)
    assert "2 x empty transcripts" in msg and "--allow_empty_text" in msg
    assert f"{d / 'text'}:2: 's1-b' has an empty transcript" in msg
    assert f"{d / 'text'}:3: 's2-c' has an empty transcript" in msg
    assert validate_data_dir(d, allow_empty_text=True).num_utts == 3


def test_first_few_lines_and_count(write_dir, tmp_path):
    n = 9
    d = write_dir(tmp_path / "d", {
        "wav.scp": [f"s-{i} /x/{i}.wav" for i in range(n)],
        "text": [f"s-{i}" for i in range(n)],
        "utt2spk": [f"s-{i} s" for i in range(n)],
        "spk2utt": ["s " + " ".join(f"s-{i}" for i in range(n))],
    })
    with pytest.raises(DataDirError) as e:
        validate_data_dir(d, max_show=3)
    msg = str(e.value)
    assert "9 x empty transcripts" in msg and "... and 6 more" in msg
    assert f"{d / 'text'}:3:" in msg and f"{d / 'text'}:4:" not in msg


def test_segments(write_dir, tmp_path):
    d = _broken(
        write_dir, tmp_path,
        **{"wav.scp": ["rec1 /x/r1.wav"],
           "segments": ["s1-a rec1 0.0 1.5", "s1-b rec1 2.0 2.0", "s2-c rec9 0 x"]},
    )
    with pytest.raises(DataDirError) as e:
        validate_data_dir(d)
    msg = str(e.value)
    assert f"{d / 'segments'}:2: 's1-b' needs 0 <= start < end, got 2.0 2.0" in msg
    assert f"{d / 'segments'}:3: start/end '0 x' are not numbers" in msg
    assert f"{d / 'segments'}:3: recording 'rec9' of 's2-c' is not in wav.scp" in msg
    d2 = _broken(write_dir, tmp_path / "ok", **{"wav.scp": ["rec1 /x/r1.wav"],
                                               "segments": ["s1-a rec1 0 1", "s1-b rec1 1 2", "s2-c rec1 2.5 3"]})
    assert validate_data_dir(d2).has_segments


def test_spk2utt_inconsistent(write_dir, tmp_path):
    d = _broken(write_dir, tmp_path, spk2utt=["s1 s1-a", "s2 s2-c", "s3 s3-x"])
    with pytest.raises(DataDirError) as e:
        validate_data_dir(d)
    msg = str(e.value)
    assert f"{d / 'spk2utt'}:1: utterances of 's1' differ from utt2spk" in msg
    assert f"{d / 'spk2utt'}:3: speaker 's3' has no utterance in utt2spk" in msg


def test_missing_and_empty_required_files(write_dir, tmp_path):
    d = _broken(write_dir, tmp_path, spk2utt=None, utt2spk=[])
    with pytest.raises(DataDirError) as e:
        validate_data_dir(d)
    assert f"{d / 'spk2utt'}: missing" in str(e.value) and f"{d / 'utt2spk'}: empty" in str(e.value)


def test_speaker_prefix_is_a_warning(write_dir, tmp_path):
    d = _broken(write_dir, tmp_path, utt2spk=["s1-a s1", "s1-b s1", "s2-c s9"], spk2utt=["s1 s1-a s1-b", "s9 s2-c"])
    report = validate_data_dir(d)
    assert len(report.warnings) == 1 and "1 utterance ids do not start with their speaker id" in report.warnings[0]


def test_cli(write_dir, tmp_path, caplog):
    d = _broken(write_dir, tmp_path, text=["s1-a hello world", "s1-b", "s2-c yes"])
    with caplog.at_level(logging.INFO):
        assert main([str(d)]) == 1
        assert f"{d / 'text'}:2: 's1-b' has an empty transcript" in caplog.text
        assert main(["--allow_empty_text", str(d)]) == 0
        assert "is valid: 3 utterances, 2 speakers" in caplog.text


def _refusal(d) -> str:
    with pytest.raises(DataDirError) as e:
        validate_data_dir(d)
    return str(e.value)


def test_invisible_and_decomposed_characters_are_named(write_dir, tmp_path):
    d = _broken(write_dir, tmp_path, text=["s1-a hello\u00a0world", "s1-b good\u200bbye caf\u0065\u0301",
                                           "s2-c yes\ufeff"])
    msg = _refusal(d)
    assert "3 x invisible or decomposed characters" in msg and "normalise the text to NFC" in msg
    assert f"{d / 'text'}:1: 's1-a': U+00A0 NO-BREAK SPACE at column 6" in msg
    assert f"{d / 'text'}:2: 's1-b': U+200B ZERO WIDTH SPACE at column 5" in msg
    assert f"{d / 'text'}:3: 's2-c': U+FEFF ZERO WIDTH NO-BREAK SPACE at column 4" in msg


def test_combining_marks_are_refused_only_when_not_nfc(write_dir, tmp_path):
    d = _broken(write_dir, tmp_path, text=["s1-a cafe\u0301", "s1-b good bye", "s2-c \u0915\u093f"])
    msg = _refusal(d)
    assert f"{d / 'text'}:1: 's1-a': not NFC: combining U+0301 COMBINING ACUTE ACCENT composes" in msg
    assert "s2-c" not in msg  # Devanagari KA + vowel sign I is NFC: the sign is a letter of its own in that script
    d2 = _broken(write_dir, tmp_path / "2", text=["s1-a caf\u00e9", "s1-b good bye", "s2-c \u0915\u093f"])
    assert validate_data_dir(d2).num_utts == 3


def test_a_byte_order_mark_before_the_first_id(write_dir, tmp_path):
    d = _broken(write_dir, tmp_path, utt2spk=["\ufeffs1-a s1", "s1-b s1", "s2-c s2"])
    with pytest.raises(DataDirError, match=rf"{d / 'utt2spk'}:1: '\ufeffs1-a': U\+FEFF ZERO WIDTH NO-BREAK SPACE "
                                           "at column 1"):
        validate_data_dir(d)


def test_an_audio_path_with_a_space_is_refused_with_the_fix(write_dir, tmp_path):
    d = _broken(write_dir, tmp_path, **{"wav.scp": ["s1-a /my corpus/a.wav", "s1-b /x/b.wav",
                                                    "s2-c sox /x/c.flac -t wav - |"]})
    msg = _refusal(d)
    assert "1 x audio paths with spaces" in msg and "db.sh" in msg
    assert f"{d / 'wav.scp'}:1: 's1-a': /my corpus/a.wav" in msg and "s2-c" not in msg
