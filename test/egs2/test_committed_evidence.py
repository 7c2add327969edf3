"""The evidence recipes' committed runs: a clone rebuilds each results table with stage 14 alone, every committed
final run counted in its row, and no sweep run sitting among the final ones (it would be averaged into a row)."""
import json
import re
import shutil

import pytest
from conftest import REPO, run_recipe

EVIDENCE = ("cathy", "speechocean762")


def exp_of(recipe):
    return REPO / "egs2" / recipe / "asr1" / "exp"


def final_seeds(recipe):
    """The seeds of the final runs: run.sh's --seeds."""
    found = re.search(r'--seeds "([^"]*)"', (REPO / "egs2" / recipe / "asr1" / "run.sh").read_text())
    assert found, f"egs2/{recipe}/asr1/run.sh does not set --seeds"
    return {int(seed) for seed in found.group(1).split()}


@pytest.mark.parametrize("recipe", EVIDENCE)
def test_no_run_of_another_seed_sits_among_the_final_runs(recipe):
    seeds = final_seeds(recipe)
    stray = sorted(p.name for p in exp_of(recipe).iterdir()
                   if (m := re.fullmatch(r".+_seed(\d+)", p.name)) and int(m.group(1)) not in seeds)
    assert not stray, (f"egs2/{recipe}/asr1/exp holds runs of seeds that run.sh's --seeds {sorted(seeds)} does not "
                       f"train: {stray}; move the KD-weight sweep's runs to exp/sweep/")


@pytest.mark.parametrize("recipe", EVIDENCE)
def test_stage_14_rebuilds_the_results_table_from_the_committed_runs(recipe, sandbox_factory):
    exp = exp_of(recipe)
    sandbox = sandbox_factory(recipe)
    shutil.copytree(exp, sandbox / "exp", symlinks=True)
    run_recipe(sandbox, "--stage", "14", "--stop_stage", "14", timeout=300)
    results = (sandbox / "RESULTS.md").read_text()
    data = json.loads((sandbox / "exp" / "results.json").read_text())
    assert results.startswith(f"# {data['title']}\n")
    rows = {system["name"]: system["n"] for system in data["systems"]}
    assert rows["teacher"] == 1
    seeds = final_seeds(recipe)
    for name, n in rows.items():
        if name == "teacher":
            continue
        committed = [p for p in exp.iterdir()
                     if (m := re.fullmatch(re.escape(name) + r"_seed(\d+)", p.name)) and int(m.group(1)) in seeds]
        assert n == len(committed), f"{name}: {n} runs in the table, {len(committed)} committed"
    # every system's row that has runs has its dev error rate, read from the committed score.json files
    main = data["main_metric"]
    for system in data["systems"]:
        if system["n"]:
            assert system["metrics"][main]["dev"]["n"] == system["n"], system["name"]
