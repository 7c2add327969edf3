"""ctc_kd.data.token_list: ESPnet's token-list convention, checked against espnet2's own tokenizers."""
import logging
import re

import pytest
import sentencepiece as spm

from ctc_kd.data.datadir import read_kv
from ctc_kd.data.token_list import build_token_list, char_tokenize, main


@pytest.fixture(scope="module")
def cathy_text(corpora, tmp_path_factory):
    """A Kaldi text of the first 300 CMU ARCTIC prompts (mixed case, punctuation), from Cathy's cmuarctic.data."""
    lines = (corpora / "cathy" / "cmuarctic.data").read_text(encoding="utf-8").splitlines()[:300]
    prompts = [re.fullmatch(r'\( (arctic_\w+) "(.*)" \)', line).groups() for line in lines]
    path = tmp_path_factory.mktemp("text") / "text"
    path.write_text("".join(f"cathy_{prompt} {words}\n" for prompt, words in prompts), encoding="utf-8")
    return path


def _tokens(path):
    return path.read_text(encoding="utf-8").split("\n")[:-1]


def test_char_order_hand_worked(tmp_path):
    (tmp_path / "text").write_text("u1 ab a\nu2 b b\nu3\nu4 <unk>c\n", encoding="utf-8")
    assert main(["--unit", "char", "--text", str(tmp_path / "text"), "--out_dir", str(tmp_path / "tok")]) == 0
    # counts: b 3, a 2, <space> 2 (tie: '<' < 'a' in byte order), <, >, c, k, n, u 1 each
    assert _tokens(tmp_path / "tok" / "tokens.txt") == [
        "<blank>", "<unk>", "b", "<space>", "a", "<", ">", "c", "k", "n", "u", "<sos/eos>"]


def test_word_and_nlsyms(tmp_path):
    (tmp_path / "text").write_text("u1 the cat <noise> the\nu2 a cat the\n", encoding="utf-8")
    (tmp_path / "nlsyms").write_text("<noise>\n", encoding="utf-8")
    words = build_token_list("word", tmp_path / "text", tmp_path / "w")
    assert words == ["<blank>", "<unk>", "the", "cat", "<noise>", "a", "<sos/eos>"]
    assert build_token_list("word", tmp_path / "text", tmp_path / "w3", vocab_size=5)[2:4] == ["the", "cat"]
    chars = build_token_list("char", tmp_path / "text", tmp_path / "c", non_linguistic_symbols=tmp_path / "nlsyms")
    assert "<noise>" in chars and "o" not in chars[:4]
    assert char_tokenize("a <noise>b", ["<noise>"]) == ["a", "<space>", "<noise>", "b"]


def test_char_matches_espnet_tokenizer(cathy_text, tmp_path):
    from espnet2.text.build_tokenizer import build_tokenizer

    tokens = build_token_list("char", cathy_text, tmp_path)
    assert tokens[:2] == ["<blank>", "<unk>"] and tokens[-1] == "<sos/eos>" and len(set(tokens)) == len(tokens)
    assert tokens[2] == "<space>"  # the most frequent character of English text
    tokenizer = build_tokenizer("char")
    seen = set()
    for line in read_kv(cathy_text).values():
        espnet = tokenizer.text2tokens(line)
        assert espnet == char_tokenize(line)
        seen.update(espnet)
    assert seen == set(tokens[2:-1])


def test_bpe_matches_espnet_tokenizer(cathy_text, tmp_path, caplog):
    from espnet2.text.build_tokenizer import build_tokenizer

    tokens = build_token_list("bpe", cathy_text, tmp_path / "a", vocab_size=150)
    model = tmp_path / "a" / "bpe.model"
    sp = spm.SentencePieceProcessor(model_file=str(model))
    assert sp.get_piece_size() == 150
    assert tokens == ["<blank>", "<unk>"] + [sp.id_to_piece(i) for i in range(3, 150)] + ["<sos/eos>"]
    assert "<s>" not in tokens and "</s>" not in tokens
    tokenizer = build_tokenizer("bpe", bpemodel=str(model))
    known = set(tokens)
    for line in read_kv(cathy_text).values():
        pieces = tokenizer.text2tokens(line)
        assert pieces and all(p in known for p in pieces)
        assert tokenizer.tokens2text(pieces) == " ".join(line.split())
    # Deterministic: the same text gives the same pieces with the same scores (the model also records its paths).
    assert build_token_list("bpe", cathy_text, tmp_path / "b", vocab_size=150) == tokens
    assert (tmp_path / "b" / "bpe.vocab").read_bytes() == (tmp_path / "a" / "bpe.vocab").read_bytes()


def test_bpe_vocab_too_large_is_lowered(tmp_path, caplog):
    (tmp_path / "text").write_text("u1 hello world\nu2 the cat sat on the mat\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        tokens = build_token_list("bpe", tmp_path / "text", tmp_path / "o", vocab_size=5000)
    assert "--vocab_size 5000 is too large for this text; using" in caplog.text
    size = spm.SentencePieceProcessor(model_file=str(tmp_path / "o" / "bpe.model")).get_piece_size()
    assert size < 5000 and len(tokens) == size - 3 + 3
    assert main(["--unit", "bpe", "--vocab_size", "5", "--text", str(tmp_path / "text"),
                 "--out_dir", str(tmp_path / "p")]) == 1
    assert "use --vocab_size" in caplog.text and not (tmp_path / "p" / "tokens.txt").exists()
