"""asr_kd.sh and local/data.sh take --a-b for --a_b, as ESPnet's parse_options does; no stage runs: seconds."""
import subprocess
from pathlib import Path

from conftest import run_recipe

UTILS = Path(__file__).resolve().parents[2] / "egs2" / "TEMPLATE" / "asr1" / "utils"


def test_a_dashed_option_sets_the_underscored_one(sandbox_factory):
    sandbox = sandbox_factory("yesno")
    out = run_recipe(sandbox, "--stage", "9", "--stop-stage", "8").stdout  # stop_stage, not its default 15
    assert "finished stages 9-8" in out
    bad = run_recipe(sandbox, "--stage", "9", "--stop_stage", "8", "--skd-init", "nonsense", check=False)
    assert bad.returncode != 0 and "--skd_init must be scratch or teacher, not 'nonsense'" in bad.stdout
    unknown = run_recipe(sandbox, "--no-such-option", "1", check=False)
    assert unknown.returncode == 2 and "unknown option --no-such-option" in unknown.stderr
    assert "--option-name is taken for --option_name" in run_recipe(sandbox, "--help").stdout


def parse_data_options(*args: str) -> subprocess.CompletedProcess:
    """local/data.sh's option parsing alone: the variables it sets, printed."""
    script = (f'usage=usage; download=true; force=false; test_minutes=10; . "{UTILS}/data_prep_lib.sh"; '
              'parse_data_options "--download --force --test_minutes" "$@"; echo "$download $force $test_minutes"')
    return subprocess.run(["bash", "-c", script, "data.sh", *args], capture_output=True, text=True, timeout=30)


def test_local_data_options_take_both_spellings():
    assert parse_data_options("--test-minutes", "3", "--force", "true").stdout == "true true 3\n"
    assert parse_data_options("--test_minutes", "4").stdout == "true false 4\n"
    unknown = parse_data_options("--test-hours", "1")
    assert unknown.returncode == 2 and "unknown option '--test-hours'" in unknown.stderr


def test_decoding_a_set_without_audio_names_the_stages_to_run(sandbox_factory):
    sandbox = sandbox_factory("yesno")
    out = run_recipe(sandbox, "--stage", "11", "--stop_stage", "11", "--test_sets", "nowhere", check=False)
    assert out.returncode != 0
    assert "dump/raw/nowhere/wav.scp does not exist: run stages 3-4 with --test_sets \"nowhere\" first" in out.stdout
    assert "integer expression expected" not in out.stdout + out.stderr
