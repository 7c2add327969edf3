"""ctc_kd.analysis.system_errors: the picture of every system's runs is drawn from what exists, and refuses nothing."""
import pytest

from ctc_kd.analysis import system_errors
from ctc_kd.analysis.system_errors import plot_system_errors

PNG = b"\x89PNG\r\n\x1a\n"


def test_draws_one_panel_per_scored_test_set_and_a_line_per_system_with_runs(tmp_path, monkeypatch):
    drawn = {}
    real_save = system_errors.save_png

    def spy(fig, path):
        axes = fig.get_axes()
        drawn["panels"] = [ax.get_title() for ax in axes]
        drawn["systems"] = {label.get_text(): y for label, y in zip(axes[0].get_yticklabels(), axes[0].get_yticks())}
        drawn["lines"] = {ax.get_title(): sorted(round(line.get_xdata()[0], 6) for line in ax.get_lines()
                                                 if line.get_linestyle() in ("--", ":", "-.")) for ax in axes}
        return real_save(fig, path)

    monkeypatch.setattr(system_errors, "save_png", spy)
    errors = {"teacher": {"dev": [10.0], "test": []}, "alone": {"dev": [20.0, 22.0], "test": []},
              "kd": {"dev": [15.0, 16.0, 17.0], "test": []}, "never_trained": {"dev": [], "test": []}}
    references = {"teacher (mean)": {"dev": 10.0, "test": None}, "alone (mean)": {"dev": 21.0, "test": None}}
    out = plot_system_errors(errors, references, tmp_path / "plots" / "errors_cer.png", "CER (%)", "Title",
                             {"teacher": "teacher (mean)", "alone": "alone (mean)", "kd": "alone (mean)"})
    assert out.read_bytes()[:8] == PNG
    assert drawn["panels"] == ["dev"]  # test has no scores: no empty panel
    assert drawn["systems"] == {"teacher": 2, "alone": 1, "kd": 0}  # the first on top; no line without runs
    assert drawn["lines"] == {"dev": [10.0, 21.0]}


def test_nothing_to_draw_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="no system has an error rate"):
        plot_system_errors({"a": {"dev": []}}, {}, tmp_path / "x.png", "CER (%)", "Title")
    assert not (tmp_path / "x.png").exists()
