"""Greedy CTC decoding: hand-checked best-path collapse, length-sorted batches, and batching never changing a result."""
import itertools

import numpy as np
import pytest
import soundfile
import tiny_models
import torch

from ctc_kd.inference.greedy import GreedyCTCDecoder, collapse, make_batches

# every 160th recording of the full Cathy corpus in name order: a spread of lengths and prompts
SPREAD = ("arctic_a0001_1592748574", "arctic_a0095_1592746305", "arctic_a0202_1592712686", "arctic_a0301_1592710165",
          "arctic_a0411_1592706235", "arctic_a0517_1592703470", "arctic_b0032_1592700689", "arctic_b0160_1592537566",
          "arctic_b0286_1592532467", "arctic_b0406_1592529970")


@pytest.mark.parametrize("frames,expected", [
    ([0, 3, 3, 0, 3, 5, 5, 0], [3, 3, 5]),
    ([0, 0, 0], []),
    ([7], [7]),
    ([2, 2, 2, 4, 4, 2], [2, 4, 2]),
    ([0, 1, 0, 1, 1, 0, 0, 1], [1, 1, 1]),
])
def test_collapse_hand_examples(frames, expected):
    assert collapse(torch.tensor([frames]), torch.tensor([len(frames)])) == [expected]


def test_collapse_batch_ignores_frames_beyond_length_and_honours_blank_id():
    ids = torch.tensor([[1, 1, 2, 2, 0, 1], [4, 4, 4, 0, 5, 5], [9, 9, 9, 9, 9, 9]])
    assert collapse(ids, torch.tensor([6, 3, 0])) == [[1, 2, 1], [4], []]
    assert collapse(torch.tensor([[3, 0, 3, 3, 5]]), torch.tensor([5]), blank=3) == [[0, 5]]


def test_batches_are_longest_first_and_capped():
    lengths = {"a": 10, "b": 50, "c": 30, "d": 40, "e": 20, "f": 45}
    assert make_batches(lengths, batch_size=2) == [["b", "f"], ["d", "c"], ["e", "a"]]
    assert make_batches(lengths, batch_size=10, batch_bins=100) == [["b", "f"], ["d", "c"], ["e", "a"]]
    assert make_batches(lengths, batch_size=10, batch_bins=120) == [["b", "f"], ["d", "c", "e"], ["a"]]
    assert make_batches(lengths, batch_size=10, batch_bins=1) == [[u] for u in "bfdcea"]
    assert sorted(sum(make_batches(lengths, 4), [])) == sorted(lengths)


@pytest.fixture(scope="module")
def audio(corpora):
    """Ten Cathy utterances of 1.5 to 4 s."""
    return {stem: soundfile.read(corpora / "cathy" / f"{stem}.flac")[0].astype(np.float32) for stem in SPREAD}


def talkative_model(tmp_path):
    """A random tiny conformer whose CTC head emits letters (not all blank, never <sos/eos>)."""
    torch.manual_seed(0)
    model, config = tiny_models.build(tiny_models.tiny_config(), tmp_path)
    with torch.no_grad():
        model.ctc.ctc_lo.weight.mul_(8.0)
        model.ctc.ctc_lo.bias.zero_()
        model.ctc.ctc_lo.bias[0] = 2.0
        model.ctc.ctc_lo.bias[-1] = -100.0
    return model.eval(), config


def test_batched_greedy_equals_one_at_a_time(audio, tmp_path):
    model, config = talkative_model(tmp_path)
    decoder = GreedyCTCDecoder(model, config)
    batched = decoder.decode(audio, batch_size=4, posteriors=True)
    alone = decoder.decode(audio, batch_size=1)
    assert len({len(a) for a in audio.values()}) == len(audio)
    for utt, speech in audio.items():
        # reference: stock ESPnet encoding of the lone utterance, argmax, itertools.groupby
        with torch.no_grad():
            encoded, _ = model.encode(torch.from_numpy(speech)[None], torch.tensor([len(speech)]))
        frames = model.ctc.argmax(encoded)[0].tolist()
        stock = [k for k, _ in itertools.groupby(frames) if k != 0]
        assert batched[utt].token_int == alone[utt].token_int == stock
        assert batched[utt].frames == alone[utt].frames == len(frames)
        assert batched[utt].blank_frames == alone[utt].blank_frames == frames.count(0)
        assert len(stock) > 5
        assert batched[utt].token == [config["token_list"][i] for i in stock]
        assert batched[utt].text == "".join(batched[utt].token).replace("<space>", " ")
        posteriors = batched[utt].posteriors
        assert posteriors.shape == (len(frames), len(config["token_list"]))
        np.testing.assert_allclose(np.exp(posteriors).sum(axis=1), 1.0, rtol=1e-5)
        assert posteriors.argmax(axis=1).tolist() == frames
    assert any("<space>" in h.token for h in batched.values())
    assert 0 < sum(h.blank_frames for h in batched.values()) < sum(h.frames for h in batched.values())


def test_too_short_batch_gives_empty_hypotheses(tmp_path):
    model, config = talkative_model(tmp_path)
    hyps = GreedyCTCDecoder(model, config).decode_batch([np.zeros(300, np.float32)] * 2, posteriors=True)
    assert [h.token_int for h in hyps] == [[], []] and hyps[0].posteriors.shape == (0, len(config["token_list"]))


def test_a_batch_shorter_than_the_stft_window_is_named_and_empty(tmp_path, caplog):
    """100 samples are fewer than the frontend's reflect padding (n_fft // 2): torch's "Padding size" error."""
    model, config = talkative_model(tmp_path)
    hyps = GreedyCTCDecoder(model, config).decode_batch([np.zeros(100, np.float32), np.zeros(60, np.float32)],
                                                        names=["spk1-short", "spk1-header-only"])
    assert [h.text for h in hyps] == ["", ""]
    assert "'spk1-short', 'spk1-header-only' of at most 100 samples: too short for the model" in caplog.text
