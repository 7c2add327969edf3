"""What stage 9 caches: every teacher layer a KD student distils, at any epoch."""
import yaml

from ctc_kd.cache.layers import cache_layers


def test_cache_layers_are_every_teacher_layer_distilled_at_any_epoch(tmp_path):
    configs = []
    for i, model_conf in enumerate([{"kd_terms": {"repr_kd": {"start_epoch": 4, "layer_pairs": [[1, 2], [-1, -1]]}}},
                                    {"repr_kd_weight": 1.0, "repr_layer_pairs": [[1, 3]]},  # round 1's keys
                                    {"kd_terms": {"fkl": {}}}]):
        configs.append(tmp_path / f"c{i}.yaml")
        configs[-1].write_text(yaml.safe_dump({"model": "kd_student", "model_conf": model_conf}))
    assert cache_layers(configs) == "-1 2 3"
    assert cache_layers(configs[2:]) == ""
