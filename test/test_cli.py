"""The tools' plumbing: a recorded call pastes back into a shell, bad input ends in one message and exit status 1."""
import logging
import shlex

from ctc_kd.cli import command_line, run


def test_a_recorded_call_splits_back_into_its_arguments():
    argv = ["--systems", "teacher student", "--title", "It's 100% done", "--out", "a/R.md", ""]
    line = command_line("python -m ctc_kd.bin.results_table", argv)
    assert line.startswith("python -m ctc_kd.bin.results_table --systems 'teacher student' --title ")
    assert shlex.split(line)[3:] == argv


def test_an_input_error_is_logged_and_exits_1(caplog):
    def body():
        raise ValueError("data/x/text: line 3 has no transcript")

    with caplog.at_level(logging.ERROR):
        assert run(body) == 1
    assert "data/x/text: line 3 has no transcript" in caplog.text
    assert run(lambda: None) == 0
