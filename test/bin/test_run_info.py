"""A training resumed through ESPnet's launcher (multi-process) leaves train.log renamed to train.<n>.log at every start;
its time and epochs are those of every part."""
from test_results_table import train_log_lines

from ctc_kd.bin.run_info import read_train_log, rotated_logs


def epochs_of(lines, first, last):
    """The lines of epochs first..last of train_log_lines' output (two head lines, then three lines per epoch)."""
    return lines[2 + 3 * (first - 1):2 + 3 * last]


def test_a_resumed_launcher_run_counts_the_rotated_logs(tmp_path):
    lines = train_log_lines([("1 minute", "2 seconds")] * 3 + [("2 minutes", "4 seconds")], finished=4)
    (tmp_path / "train.2.log").write_text("\n".join(lines[:2] + epochs_of(lines, 1, 2)) + "\n")  # first start
    (tmp_path / "train.1.log").write_text("\n".join(lines[:2] + epochs_of(lines, 2, 3)) + "\n")  # epoch 2 again
    (tmp_path / "train.log").write_text("\n".join(lines[:2] + epochs_of(lines, 4, 4) + lines[-1:]) + "\n")
    (tmp_path / "train.x.log").write_text("not a rotation")
    assert rotated_logs(tmp_path / "train.log") == [tmp_path / n for n in ("train.2.log", "train.1.log", "train.log")]
    parsed = read_train_log(tmp_path / "train.log")
    assert parsed.epoch_seconds == {1: 62.0, 2: 62.0, 3: 62.0, 4: 124.0} and parsed.seconds == 310.0
    assert (parsed.end, parsed.end_epoch, parsed.epochs) == ("finished", 4, 4)


def test_a_single_log_is_read_alone(tmp_path):
    (tmp_path / "train.log").write_text("\n".join(train_log_lines([("3 seconds", "1 second")])) + "\n")
    assert rotated_logs(tmp_path / "train.log") == [tmp_path / "train.log"]
    assert read_train_log(tmp_path / "train.log").seconds == 4.0
