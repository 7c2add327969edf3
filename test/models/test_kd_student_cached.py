"""teacher_mode: cached — the student reads the teacher's outputs from the cache and gets the online losses."""
import kaldiio
import pytest
import soundfile
import torch
from conftest import build, kd_config, save_model, tiny_config

from ctc_kd.cache import CacheMismatchError, read_meta
from ctc_kd.cache.meta import check_cache_matches
from ctc_kd.cache.writer import write_cache
from tiny_models import TOKENS, write_data_dir

TERMS = dict(kd_terms={"sfmx_kd": {"weight": 0.5}, "guide_ctc": {"weight": 0.3}, "binary_kd": {"weight": 0.2},
                       "repr_kd": {"weight": 0.1, "layer_pairs": [[-1, -1], [1, 2]]},
                       "fkl": {"weight": 0.4, "temperature": 2.0}})
LOSSES = ("loss_sfmx_kd", "loss_guide_ctc", "loss_binary_kd", "loss_repr_kd", "loss_fkl", "loss_kd", "loss")


@pytest.fixture
def data_dir(tmp_path):
    return write_data_dir(tmp_path / "data", lengths=(12000, 12000, 12000))  # equal: no padding in the online batch


def make_cache(teacher, data_dir, out, topk=len(TOKENS) - 1, layers=(-1, 2)):
    write_cache(teacher_config=str(teacher[0]), teacher_model_file=str(teacher[1]), data_dir=str(data_dir),
                out_dir=str(out), topk=topk, hidden_layers=list(layers))
    return out


def data_args(data_dir, cache_dir, layers=("out", "2")):
    args = []
    for phase in ("train", "valid"):
        args += [f"--{phase}_data_path_and_name_and_type", f"{data_dir}/wav.scp,speech,sound",
                 f"--{phase}_data_path_and_name_and_type", f"{data_dir}/text,text,text",
                 f"--{phase}_data_path_and_name_and_type",
                 f"{cache_dir}/teacher_posteriors.scp,teacher_posteriors,kaldi_ark"]
        for layer in layers:
            args += [f"--{phase}_data_path_and_name_and_type",
                     f"{cache_dir}/teacher_hidden_{layer}.scp,teacher_hidden_{layer},kaldi_ark"]
    return args


def batch_of(data_dir, cache_dir, layers=("out", "2")):
    """What ESPnet's loader hands the model for the whole data dir (equal lengths: no padding)."""
    keys = sorted(line.split()[0] for line in (data_dir / "wav.scp").read_text().splitlines())
    speech = torch.stack([torch.from_numpy(soundfile.read(data_dir / "wav" / f"{k}.wav", dtype="float32")[0])
                          for k in keys])
    batch = {"speech": speech, "speech_lengths": torch.full((len(keys),), speech.shape[1]),
             "text": torch.tensor([[3, 4, 5]] * len(keys)), "text_lengths": torch.full((len(keys),), 3)}
    for name in ["teacher_posteriors"] + [f"teacher_hidden_{layer}" for layer in layers]:
        table = kaldiio.load_scp(str(cache_dir / f"{name}.scp"))
        batch[name] = torch.stack([torch.from_numpy(table[k]).float() for k in keys])
        batch[f"{name}_lengths"] = torch.full((len(keys),), batch[name].shape[1])
    return batch


def online_and_cached(teacher, data_dir, cache_dir, tmp_path, **terms):
    online, _ = build(kd_config(teacher, **terms), tmp_path, "online")
    cached, _ = build(kd_config(teacher, teacher_mode="cached", **terms), tmp_path, "cached",
                      data_args(data_dir, cache_dir))
    cached.load_state_dict(online.state_dict(), strict=True)
    assert cached.teacher is None  # nothing of the teacher stays in memory
    return online.eval(), cached.eval()


def test_full_k_cache_gives_the_online_losses(saved_teacher, data_dir, tmp_path):
    cache_dir = make_cache(saved_teacher, data_dir, tmp_path / "cache")
    online, cached = online_and_cached(saved_teacher, data_dir, cache_dir, tmp_path, **TERMS)
    batch = batch_of(data_dir, cache_dir)
    with torch.no_grad():
        _, expected, _ = online(**{k: v for k, v in batch.items() if not k.startswith("teacher_")})
        _, got, _ = cached(**batch)
    for name in LOSSES:
        assert float(expected[name]) > 0, name
        assert float(got[name]) == pytest.approx(float(expected[name]), abs=1e-4, rel=1e-4), name
    assert float(got["teacher_blank_ratio"]) == float(expected["teacher_blank_ratio"])


def test_small_k_cache_keeps_the_blank_terms_exact(saved_teacher, data_dir, tmp_path):
    cache_dir = make_cache(saved_teacher, data_dir, tmp_path / "cache", topk=2, layers=())
    terms = dict(kd_terms={"binary_kd": {}, "guide_ctc": {}})
    online, cached = online_and_cached(saved_teacher, data_dir, cache_dir, tmp_path, **terms)
    batch = batch_of(data_dir, cache_dir, layers=())
    with torch.no_grad():
        _, expected, _ = online(**{k: v for k, v in batch.items() if not k.startswith("teacher_")})
        _, got, _ = cached(**batch)
    for name in ("loss_binary_kd", "loss_guide_ctc", "teacher_blank_ratio"):
        assert float(got[name]) == pytest.approx(float(expected[name]), abs=1e-5), name


def test_cached_training_step_has_gradients_and_no_teacher(saved_teacher, data_dir, tmp_path):
    cache_dir = make_cache(saved_teacher, data_dir, tmp_path / "cache")
    _, cached = online_and_cached(saved_teacher, data_dir, cache_dir, tmp_path, **TERMS)
    cached.train()
    loss, _, _ = cached(**batch_of(data_dir, cache_dir))
    loss.backward()
    assert all(p.grad is not None for p in cached.kd_projections.parameters())
    assert cached.encoder.embed.conv[0].weight.grad.abs().sum() > 0


def test_a_cache_of_another_teacher_is_refused(saved_teacher, data_dir, tmp_path):
    cache_dir = make_cache(saved_teacher, data_dir, tmp_path / "cache")
    other = save_model(tiny_config(width=24, blocks=3), tmp_path / "other", seed=1)
    with pytest.raises(CacheMismatchError, match="was made by the checkpoint .* not by this student's teacher"):
        build(kd_config(other, teacher_mode="cached", **TERMS), tmp_path, "s", data_args(data_dir, cache_dir))


def test_a_cache_without_the_distilled_layer_is_refused(saved_teacher, data_dir, tmp_path):
    cache_dir = make_cache(saved_teacher, data_dir, tmp_path / "cache", layers=(-1,))
    with pytest.raises(CacheMismatchError, match=r"distils teacher layers \[2\], which the cache"):
        build(kd_config(saved_teacher, teacher_mode="cached", **TERMS), tmp_path, "s",
              data_args(data_dir, cache_dir, layers=("out",)))


def test_a_cache_lacking_utterances_is_refused(saved_teacher, data_dir, tmp_path):
    cache_dir = make_cache(saved_teacher, data_dir, tmp_path / "cache")
    more = write_data_dir(tmp_path / "more", lengths=(12000, 12000, 12000, 8000))
    with pytest.raises(CacheMismatchError, match=r"lacks 1 utterances of .*more/wav.scp \(e.g. utt03\)"):
        build(kd_config(saved_teacher, teacher_mode="cached", **TERMS), tmp_path, "s", data_args(more, cache_dir))


def test_a_cache_of_another_token_list_is_refused(saved_teacher, data_dir, tmp_path):
    cache_dir = make_cache(saved_teacher, data_dir, tmp_path / "cache", layers=())
    with pytest.raises(CacheMismatchError, match="another token list"):
        check_cache_matches(read_meta(cache_dir), cache_dir, teacher_model_file=saved_teacher[1],
                            token_list=TOKENS[:-1] + ["<sos>"])


def test_cached_mode_without_cache_data_says_what_to_pass(saved_teacher, data_dir, tmp_path):
    with pytest.raises(CacheMismatchError, match="no train data is named 'teacher_posteriors'"):
        build(kd_config(saved_teacher, teacher_mode="cached", kd_terms={"binary_kd": {}}), tmp_path)
    with pytest.raises(ValueError, match="teacher_mode must be one of"):
        build(kd_config(saved_teacher, teacher_mode="offline", kd_terms={"binary_kd": {}}), tmp_path)


def test_a_padded_batch_distils_the_frames_both_sides_have(saved_teacher, tmp_path):
    """Batched, ESPnet's subsampling mask gives short utterances up to 2 frames the lone (cached) run lacks."""
    data_dir = write_data_dir(tmp_path / "mixed", lengths=(12000, 12000, 9100))
    cache_dir = make_cache(saved_teacher, data_dir, tmp_path / "cache")
    _, cached = online_and_cached(saved_teacher, data_dir, cache_dir, tmp_path, **TERMS)
    batch = batch_of_padded(data_dir, cache_dir)
    with torch.no_grad():
        encoder_lengths = cached.encode(batch["speech"], batch["speech_lengths"])[1]
        _, stats, _ = cached(**batch)
    slack = encoder_lengths - batch["teacher_posteriors_lengths"]
    assert slack.tolist() != [0, 0, 0] and int(slack.abs().max()) <= 2
    assert all(torch.isfinite(stats[name]) for name in LOSSES)
    batch["teacher_posteriors_lengths"] = batch["teacher_posteriors_lengths"] - 5
    with pytest.raises(RuntimeError, match="cache was made from other audio"):
        cached(**batch)


def batch_of_padded(data_dir, cache_dir):
    """Like ESPnet's collate: zero-padded speech and cache matrices with their lengths."""
    from espnet2.train.collate_fn import CommonCollateFn

    keys = sorted(line.split()[0] for line in (data_dir / "wav.scp").read_text().splitlines())
    tables = {name: kaldiio.load_scp(str(cache_dir / f"{name}.scp"))
              for name in ("teacher_posteriors", "teacher_hidden_out", "teacher_hidden_2")}
    items = []
    for k in keys:
        item = {"speech": soundfile.read(data_dir / "wav" / f"{k}.wav", dtype="float32")[0],
                "text": torch.tensor([3, 4, 5]).numpy()}
        item.update({name: table[k].astype("float32") for name, table in tables.items()})
        items.append((k, item))
    _, batch = CommonCollateFn(float_pad_value=0.0, int_pad_value=-1)(items)
    return batch
