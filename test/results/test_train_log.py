"""train.log as ESPnet writes it, with the train.<n>.log its launcher leaves at each start of a resumed run."""
import pytest
from exp_trees import train_log_lines

from ctc_kd.results.train_log import parse_timespan, read_train_log, rotated_logs


def test_timespans_and_the_end_of_a_training(tmp_path):
    assert parse_timespan("0.56 seconds") == 0.56
    assert parse_timespan("1 minute and 5.33 seconds") == pytest.approx(65.33)
    assert parse_timespan("1 hour, 2 minutes and 5.5 seconds") == 3725.5
    assert parse_timespan("1 day, 1 hour and 1 minute") == 90060.0
    with pytest.raises(ValueError, match="fortnight"):
        parse_timespan("2 fortnights")
    log_file = tmp_path / "train.log"
    log_file.write_text("\n".join(train_log_lines([("2 hours", "1 minute")] * 2, finished=2)) + "\n")
    parsed = read_train_log(log_file)
    assert parsed.epoch_seconds == {1: 7260.0, 2: 7260.0} and parsed.seconds == 14520.0
    assert (parsed.end, parsed.end_epoch, parsed.torch_version, parsed.cuda_available) == (
        "finished", 2, "2.9.1+cu128", False)


def test_valid_numbers_of_the_train_log(tmp_path):
    log_file = tmp_path / "train.log"
    log_file.write_text("\n".join(train_log_lines([("1 minute", "2.5 seconds")] * 2)) + "\n")
    parsed = read_train_log(log_file)
    # nan (loss_att, acc, ...) and the valid time are not numbers of the model
    assert parsed.valid == {e: {"loss_ctc": 50.715, "cer_ctc": 0.123, "loss": 50.715} for e in (1, 2)}


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
