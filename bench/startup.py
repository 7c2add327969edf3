"""Start-up cost of each command the stage script runs: a fresh Python process importing what the tool imports
before its work begins (its module, and ESPnet's ASR task for the tools that build or load a model).

    python -m bench.startup [--repeats 3]

Recipes run tens of these processes on a few seconds of work each, so their start-up is most of a tiny recipe's
time. Also timed: the floor (an empty interpreter), torch alone, and ESPnet's ASR task with and without deferring the
text front-ends it imports for tokenizers no recipe here uses (ctc_kd.espnet_import.DEFERRED).
"""
import subprocess
import sys
from typing import Callable, Dict

from bench import common

ESPNET = "from ctc_kd.espnet_import import import_espnet_quietly; import_espnet_quietly()"
UNDEFERRED = "import ctc_kd.espnet_import as e; e.DEFERRED.clear(); e.import_espnet_quietly()"
# tool (python -m ctc_kd.<tool>) -> whether it imports ESPnet's ASR task before working
TOOLS = {
    "bin.experiment_info": False, "bin.score": False, "bin.results_table": False, "data.format_audio": False,
    "bin.asr_kd_train": True, "bin.decode": True, "bin.alignment": True, "bin.export_student": True,
    "bin.teacher_cache": True, "bin.collect_stats": True, "bin.pack_model": True,
}


def process(code: str) -> Callable[[], None]:
    """A fresh interpreter running `code` (one repetition of one system)."""
    def run():
        subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL)
    return run


def systems() -> Dict[str, Callable[[], None]]:
    out = {"empty interpreter": process("pass"), "import torch": process("import torch"),
           "ESPnet ASR task, text front-ends deferred": process(ESPNET),
           "ESPnet ASR task, nothing deferred": process(UNDEFERRED)}
    for tool, uses_espnet in TOOLS.items():
        out[f"ctc_kd.{tool}"] = process(f"import ctc_kd.{tool}" + (f"; {ESPNET}" if uses_espnet else ""))
    return out


def main(argv=None) -> int:
    parser = common.base_parser(__doc__)
    parser.set_defaults(repeats=3)  # each repetition of all 15 processes takes minutes
    args = parser.parse_args(argv)
    # no warm-up: any earlier run has the files cached
    times = common.interleaved_times(systems(), args.repeats, "cpu", warmup=0)
    deferred = times["ESPnet ASR task, text front-ends deferred"]["median_s"]
    undeferred = times["ESPnet ASR task, nothing deferred"]["median_s"]
    figures = {"seconds": times, "uses_espnet": {f"ctc_kd.{t}": u for t, u in TOOLS.items()},
               "deferred_over_undeferred": deferred / undeferred,
               "torch_share_of_espnet_startup": times["import torch"]["median_s"] / deferred}
    common.write_result("startup", args, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
