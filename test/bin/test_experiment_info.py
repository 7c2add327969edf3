"""The stage script's questions on the command line: the answer on stdout, a damaged file named with exit 1."""
from exp_trees import make_exp

from ctc_kd.bin.experiment_info import main


def test_the_command_line_prints_the_answer(tmp_path, capsys):
    exp = make_exp(tmp_path, ["valid.cer_ctc.best.pth"])
    assert main(["best-checkpoint", str(exp)]) == 0
    assert capsys.readouterr().out.strip() == str(exp / "valid.cer_ctc.best.pth")


def test_check_whole_names_a_file_cut_short(tmp_path, capsys):
    import torch

    path = tmp_path / "model.pth"
    torch.save({"w": torch.zeros(5000)}, path)
    assert main(["check-whole", str(path)]) == 0 and capsys.readouterr().out == ""
    path.write_bytes(path.read_bytes()[:4096])
    assert main(["check-whole", str(path)]) == 1
    assert capsys.readouterr().out.strip() == (f"{path} is cut short or is not a zip/torch file (4096 bytes, "
                                               "no complete zip directory)")
