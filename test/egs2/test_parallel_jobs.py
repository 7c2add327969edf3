"""utils/parallel_jobs.sh: the stage script's jobs run at most N at a time, and a failed one stops the stage after
the others have finished."""
import subprocess

from conftest import REPO

LIB = REPO / "egs2" / "TEMPLATE" / "asr1" / "utils" / "parallel_jobs.sh"

# Each job appends "start <id>" and "end <id>" to a file; a marker file per running job counts the overlap.
SCRIPT = """
set -euo pipefail
die() { echo "ERROR: $*"; exit 1; }
. "$LIB"
job() {
    echo "start $1" >> "$OUT/events"
    touch "$OUT/running.$1"
    ls "$OUT" | grep -c '^running' >> "$OUT/overlap"
    sleep 1
    rm "$OUT/running.$1"
    echo "end $1" >> "$OUT/events"
    [ "$1" != "$FAIL" ]
}
for id in 1 2 3 4 5; do start_job "$LIMIT" job "$id"; done
wait_jobs
echo "all done"
"""


def run(tmp_path, limit, fail=""):
    env = {"LIB": str(LIB), "OUT": str(tmp_path), "LIMIT": str(limit), "FAIL": fail, "PATH": "/usr/bin:/bin"}
    return subprocess.run(["bash", "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60)


def test_jobs_run_at_most_the_limit_at_once(tmp_path):
    result = run(tmp_path, 2)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "all done"
    events = (tmp_path / "events").read_text().split("\n")[:-1]
    assert sorted(events) == sorted([f"{kind} {i}" for i in range(1, 6) for kind in ("start", "end")])
    overlap = [int(n) for n in (tmp_path / "overlap").read_text().split()]
    assert max(overlap) == 2  # two side by side, never three
    # with the limit 1 they run one after the other
    (tmp_path / "one").mkdir()
    result = run(tmp_path / "one", 1)
    events = (tmp_path / "one" / "events").read_text().split("\n")[:-1]
    assert events == [f"{kind} {i}" for i in range(1, 6) for kind in ("start", "end")]


def test_a_failed_job_stops_the_stage_after_the_others_end(tmp_path):
    result = run(tmp_path, 2, fail="2")
    assert result.returncode == 1
    assert "ERROR: 1 job(s) of this stage failed: see their messages above" in result.stdout
    assert "all done" not in result.stdout
    events = (tmp_path / "events").read_text().split("\n")[:-1]
    assert {f"end {i}" for i in range(1, 6)} <= set(events)  # every job ran to its end


# Many jobs that end at once: bash's `wait -n` misses a job that ended before it was called (CI saw a phantom failure).
QUICK_JOBS = """
set -euo pipefail
die() { echo "ERROR: $*"; exit 1; }
. "$LIB"
quick() { [ $(( $1 % 20 )) -ne 0 ] || [ -z "$FAIL" ]; }
for id in $(seq 1 60); do start_job 2 quick "$id"; done
wait_jobs
echo "all done"
"""


def test_jobs_that_end_at_once_are_each_counted_once():
    env = {"LIB": str(LIB), "FAIL": "", "PATH": "/usr/bin:/bin"}
    for _ in range(2):
        result = subprocess.run(["bash", "-c", QUICK_JOBS], env=env, capture_output=True, text=True, timeout=120)
        assert result.stdout.strip() == "all done"
    result = subprocess.run(["bash", "-c", QUICK_JOBS], env={**env, "FAIL": "1"}, capture_output=True, text=True,
                            timeout=120)
    assert "ERROR: 3 job(s) of this stage failed" in result.stdout  # ids 20, 40 and 60
