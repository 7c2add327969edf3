"""ctc_kd.bin.score: the sclite-like result.txt layout and score.json, and a hypothesis without reference refused."""
import json
import logging

import pytest

from ctc_kd.bin.score import main


def test_result_txt_layout_and_json(tmp_path, caplog):
    (tmp_path / "ref").write_text("s1-u1 a b c d\ns1-u2 x y\ns2-u3 hello\n")
    (tmp_path / "hyp").write_text("s1-u1 a x c d e\ns1-u2 x y\ns2-u3\n")
    (tmp_path / "utt2spk").write_text("s1-u1 s1\ns1-u2 s1\ns2-u3 s2\n")
    with caplog.at_level(logging.INFO):
        assert main(["--ref", str(tmp_path / "ref"), "--hyp", str(tmp_path / "hyp"), "--unit", "word",
                     "--out_dir", str(tmp_path / "score")]) == 0
    assert "WER 42.86% [3 / 7: 1 sub, 1 del, 1 ins]" in caplog.text
    lines = (tmp_path / "score" / "result.txt").read_text().split("\n")
    table = [ln for ln in lines if ln.startswith("| ") and "WER (word)" not in ln]
    assert table == [
        "| SPKR    | # Snt # Wrd |   Corr    Sub    Del    Ins    Err  S.Err |",
        "| s1      |     2     6 |   83.3   16.7    0.0   16.7   33.3   50.0 |",
        "| s2      |     1     1 |    0.0    0.0  100.0    0.0  100.0  100.0 |",
        "| Sum/Avg |     3     7 |   71.4   14.3   14.3   14.3   42.9   66.7 |",
    ]
    assert lines[0] == f"WER of {tmp_path / 'hyp'} against {tmp_path / 'ref'}" and lines[1] == ""
    box = lines[2:lines.index("", 2)]
    assert len(box) == 10 and len({len(ln) for ln in box}) == 1 and "WER (word)" in box[1]  # a closed box
    block = lines[lines.index("id: (s1-u1)"):lines.index("id: (s1-u1)") + 5]
    assert block == [
        "id: (s1-u1)",
        "Scores: (#C #S #D #I) 3 1 0 1",
        "REF:  a B c d ***",
        "HYP:  a X c d E",
        "Eval:   S     I",
    ]
    assert "REF:  HELLO" in lines and "HYP:  *****" in lines
    score = json.loads((tmp_path / "score" / "score.json").read_text())
    assert score["err"] == pytest.approx(300 / 7, abs=1e-4)
    assert {k: score[k] for k in ("snt", "wrd", "num_corr", "num_sub", "num_del", "num_ins", "num_err",
                                  "num_serr")} == {"snt": 3, "wrd": 7, "num_corr": 5, "num_sub": 1, "num_del": 1,
                                                   "num_ins": 1, "num_err": 3, "num_serr": 2}
    assert score["serr"] == pytest.approx(200 / 3, abs=1e-4)


def test_cli_unknown_hypothesis_is_an_error(tmp_path, caplog):
    (tmp_path / "ref").write_text("u1 a\n")
    (tmp_path / "hyp").write_text("u1 a\nu9 b\n")
    assert main(["--ref", str(tmp_path / "ref"), "--hyp", str(tmp_path / "hyp"), "--out_dir", str(tmp_path / "o")]) == 1
    assert f"{tmp_path / 'hyp'}: 1 utterances are not in {tmp_path / 'ref'} (e.g. u9)" in caplog.text
    assert not (tmp_path / "o").exists()
