"""Scoring texts: hand-worked alignments and counts, the units and their options, missing and unknown hypotheses."""
import pytest
import sentencepiece as spm

from ctc_kd.data.datadir import DataDirError
from ctc_kd.scoring.scorer import score_texts


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
