"""Unit rates: encoder frame counts, CTC's minimum frames, and the table measured on a small data dir."""
import numpy as np
import pytest
import soundfile

from ctc_kd.data import unit_rate


@pytest.mark.parametrize("samples, subsampling, frames", [
    (16000, 4, 24),   # 101 STFT frames -> 50 -> 24
    (32000, 4, 49),   # 201 -> 100 -> 49
    (16000, 8, 11),   # 101 -> 50 -> 24 -> 11
    (16000, 1, 101),
    (800, 4, 0),      # 6 STFT frames -> 2 -> 0
])
def test_encoder_frames_follow_stft_centring_and_conv2d_subsampling(samples, subsampling, frames):
    assert unit_rate.encoder_frames(samples, 160, subsampling) == frames


def test_min_ctc_frames_adds_a_blank_between_equal_neighbours():
    assert unit_rate.min_ctc_frames(["A", "A", "B", "B", "B", "A"]) == 6 + 3
    assert unit_rate.min_ctc_frames([]) == 0


def write_dir(tmp_path, utterances):
    """A data dir of silent 16 kHz WAVs: utterance id -> (seconds, text)."""
    d = tmp_path / "set"
    d.mkdir()
    wav, text = [], []
    for utt, (seconds, words) in sorted(utterances.items()):
        path = tmp_path / f"{utt}.wav"
        soundfile.write(str(path), np.zeros(int(seconds * 16000), dtype=np.int16), 16000)
        wav.append(f"{utt} {path}\n")
        text.append(f"{utt} {words}\n")
    (d / "wav.scp").write_text("".join(wav))
    (d / "text").write_text("".join(text))
    return d


def test_char_row_counts_tokens_seconds_and_frames(tmp_path):
    d = write_dir(tmp_path, {"a": (1.0, "AB"), "b": (2.0, "A A"), "c": (1.0, "X" * 30)})
    row = unit_rate.unit_rates(d, [])[0]
    # tokens 2 + 3 (A <space> A) + 30 = 35 over 4 s; frames 24 + 49 + 24 = 97; 30 X need 30 + 29 blanks > 24 frames
    assert row.units == "char" and row.vocabulary == 4  # A B <space> X
    assert row.tokens_per_utt == pytest.approx(35 / 3)
    assert row.tokens_per_second == pytest.approx(35 / 4)
    assert row.nonblank_share == pytest.approx(35 / 97)
    assert row.max_nonblank_share == pytest.approx(30 / 24)
    assert row.infeasible == 1


def test_bpe_rows_are_sparser_than_characters_and_the_table_prints_them(tmp_path, capsys):
    words = ["WE CALL IT BEAR", "ZERO THREE FIVE ONE", "THREE TWO TWO SEVEN", "MARK IS GOING TO SEE ELEPHANT",
             "IT IS A NICE DAY", "WE SEE THE BEAR"] * 3
    d = write_dir(tmp_path, {f"u{i:02d}": (2.0, w) for i, w in enumerate(words)})
    assert unit_rate.main([str(d), "--sizes", "30"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| units | vocabulary | tokens / utterance | tokens / s | non-blank share of 40 ms")
    char, bpe = lines[2].split("|")[1:-1], lines[3].split("|")[1:-1]
    assert char[0].strip() == "char" and bpe[0].strip() == "bpe 30" and bpe[1].strip() == "27"
    assert float(bpe[3]) < float(char[3])  # word pieces: fewer tokens per second than characters
