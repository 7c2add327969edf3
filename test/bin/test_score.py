"""ctc_kd.bin.score: hand-worked alignments, the sclite-like result.txt layout and score.json."""
import json
import logging
import random

import editdistance
import pytest
import sentencepiece as spm

from ctc_kd.bin.score import align, main, score_texts
from ctc_kd.data.datadir import DataDirError


def test_hand_worked_word_example():
    r = score_texts({"s1-u1": "a b c d"}, {"s1-u1": "a x c d e"}, "word")
    t = r.total
    assert (t.corr, t.sub, t.dele, t.ins, t.wrd, t.snt, t.serr) == (3, 1, 0, 1, 4, 1, 1)
    assert r.err == 50.0
    assert r.utts["s1-u1"].ops == [("C", "a", "a"), ("S", "b", "x"), ("C", "c", "c"), ("C", "d", "d"),
                                    ("I", None, "e")]


@pytest.mark.parametrize("ref,hyp,counts", [
    ("a b", "b c", (1, 0, 1, 1)),  # del + ins preferred to two substitutions (sclite's choice)
    ("a b c", "", (0, 0, 3, 0)),
    ("a b c", "a b c", (3, 0, 0, 0)),
    ("x y z", "p q r", (0, 3, 0, 0)),
    ("a b c d e", "b c d e f", (4, 0, 1, 1)),
])
def test_counts(ref, hyp, counts):
    c = score_texts({"u": ref}, {"u": hyp}, "word").utts["u"].counts
    assert (c.corr, c.sub, c.dele, c.ins) == counts


def test_empty_sides():
    assert align([], ["x", "y"]) == [("I", None, "x"), ("I", None, "y")]
    assert align(["x"], []) == [("D", "x", None)]


def test_errors_equal_edit_distance():
    rng = random.Random(0)
    for _ in range(500):
        a = [rng.choice("abcde") for _ in range(rng.randint(0, 15))]
        b = [rng.choice("abcde") for _ in range(rng.randint(0, 15))]
        ops = align(a, b)
        assert sum(o != "C" for o, _, _ in ops) == editdistance.eval(a, b)
        assert [r for _, r, _ in ops if r is not None] == a and [h for _, _, h in ops if h is not None] == b


def test_char_units_and_options():
    r = score_texts({"u": "ab c"}, {"u": "ab  d"}, "char")
    assert r.utts["u"].ops[2] == ("C", "<space>", "<space>") and (r.total.wrd, r.total.sub) == (4, 1)
    r = score_texts({"u": "ab c"}, {"u": "abc"}, "char", remove_space=True)
    assert r.err == 0.0 and r.total.wrd == 3
    assert score_texts({"u": "Hello World"}, {"u": "hello world"}, "word").err == 100.0
    assert score_texts({"u": "Hello World"}, {"u": "hello world"}, "word", ignore_case=True).err == 0.0


def test_token_unit_with_bpe_model(tmp_path):
    (tmp_path / "t.txt").write_text("hello world\nthe cat sat on the mat\nfoo bar baz\n")
    spm.SentencePieceTrainer.train(input=str(tmp_path / "t.txt"), model_prefix=str(tmp_path / "m"), vocab_size=23,
                                   minloglevel=2)
    model = str(tmp_path / "m.model")
    sp = spm.SentencePieceProcessor(model_file=model)
    r = score_texts({"u": "the cat"}, {"u": "the mat"}, "token", bpe_model=model)
    assert r.total.wrd == len(sp.encode("the cat", out_type=str)) and r.total.err >= 1
    r = score_texts({"u": "a b zz"}, {"u": "a b c"}, "token", token_list=["<blank>", "<unk>", "a", "b"])
    assert [o[1:] for o in r.utts["u"].ops] == [("a", "a"), ("b", "b"), ("<unk>", "<unk>")]


def test_missing_and_unknown_hypotheses(caplog):
    r = score_texts({"a": "x y", "b": "z"}, {"b": "z"}, "word")
    assert (r.total.dele, r.total.wrd, r.missing) == (2, 3, ["a"])
    assert "1 of 2 utterances have no hypothesis" in caplog.text
    with pytest.raises(DataDirError, match="1 hypotheses have no reference"):
        score_texts({"a": "x"}, {"a": "x", "zz": "y"}, "word")


def test_result_txt_layout_and_json(tmp_path, caplog):
    (tmp_path / "ref").write_text("s1-u1 a b c d\ns1-u2 x y\ns2-u3 hello\n")
    (tmp_path / "hyp").write_text("s1-u1 a x c d e\ns1-u2 x y\ns2-u3\n")
    (tmp_path / "utt2spk").write_text("s1-u1 s1\ns1-u2 s1\ns2-u3 s2\n")
    with caplog.at_level(logging.INFO):
        assert main(["--ref", str(tmp_path / "ref"), "--hyp", str(tmp_path / "hyp"), "--unit", "word",
                     "--out-dir", str(tmp_path / "score")]) == 0
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
    assert main(["--ref", str(tmp_path / "ref"), "--hyp", str(tmp_path / "hyp"), "--out-dir", str(tmp_path / "o")]) == 1
    assert f"{tmp_path / 'hyp'}: 1 utterances are not in {tmp_path / 'ref'} (e.g. u9)" in caplog.text
    assert not (tmp_path / "o").exists()
