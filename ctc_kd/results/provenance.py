"""The "How this was produced" section of RESULTS.md: the recipe calls, date, environment and configs of the runs."""
from typing import Dict, List, Sequence, Tuple

from ctc_kd.experiment.layout import CONFIG, RECIPE_COMMANDS
from ctc_kd.results.formatting import NA
from ctc_kd.results.rows import Row


def training_commands(rows: List[Row]) -> List[Tuple[str, List[str]]]:
    """The recipe calls that trained the runs, in order of first use, each with the runs it trained."""
    runs_of: Dict[str, List[str]] = {}
    for row in rows:
        for r in row.runs:
            path = r.dir / RECIPE_COMMANDS
            if not path.is_file():
                continue
            for command in dict.fromkeys(path.read_text(encoding="utf-8").splitlines()):
                if command.strip():
                    runs_of.setdefault(command.strip(), []).append(r.name)
    return list(runs_of.items())


def how_produced(commands: Sequence[str], table_command: str, date: str, env: dict, rows: List[Row]) -> List[str]:
    """The "How this was produced" section: commands, date, environment and the config of each run."""
    trained = training_commands(rows)
    lines = ["## How this was produced", ""]
    if trained:
        lines += [f"Training (each run's `{RECIPE_COMMANDS}`; a resumed run lists every call):", "", "```sh"]
        for command, names in trained:
            lines += [f"# {', '.join(names)}", command]
        lines += ["```", ""]
    lines += ["Command(s) of this table:" if trained else "Command(s):", "", "```sh"]
    lines += list(commands) if commands else ["# not recorded (give the recipe command with --command)"]
    lines += ["```", "", f"Table: `{table_command}`", "", f"Date: {date}", "", "Environment (of the table step):", ""]
    gpus = ", ".join(env["gpus"]) if env["gpus"] else "none"
    lines += [
        f"- Python {env['python']}, torch {env['torch']}, ESPnet {env['espnet'] or 'not installed'}"
        + (f", ctc_kd {env['ctc_kd']}" if env.get("ctc_kd") else ""),
        (f"- CPU: {env['cpu']} ({env['cpu_count']} logical CPUs, {env['usable_cpus']} usable); torch threads "
         f"{env['torch_threads']}, OMP_NUM_THREADS={env['omp_num_threads'] or 'unset'}"),
        f"- GPU: {gpus}" + (f" (CUDA {env['cuda']})" if env["gpus"] else ""),
        f"- {env['platform']}",
        "", "Configs (as written by ESPnet at training time):", "",
    ]
    for row in rows:
        for r in row.runs:
            if r.config is None:
                lines.append(f"- {r.name}: {NA} (`{r.dir / CONFIG}` is missing)")
                continue
            extra = []
            if r.config.get("config"):
                extra.append(f"from `{r.config['config']}`")
            if r.train is not None and r.train.torch_version:
                device = "GPU" if r.train.cuda_available and (r.config.get("ngpu") or 0) > 0 else "CPU"
                extra.append(f"trained with torch {r.train.torch_version} on {device}")
            if r.parent:
                extra.append(f"initialised from {r.parent}")
            lines.append(f"- {r.name}: `{r.dir / CONFIG}`" + (f" ({'; '.join(extra)})" if extra else ""))
    return lines
