"""How long does ``forescale --help`` take, against importing what it used to import?

Every call of the console script used to import each subcommand's dependencies (scikit-learn,
statsmodels, pandas, FastAPI, the controller) before parsing a flag: 2-10 s on a shared
two-core machine for a help text. Subcommand modules now import only argparse and their
handlers import the rest when they run. Measured as a user runs them, each in a fresh process:
``forescale --help``, ``forescale simulate --help``, and the baseline, a process importing the
modules the eager CLI imported (`EAGER`), interleaved run by run so both see the same load.

    .venv/bin/python -m benchmarks.cli_startup           # full run, writes RESULTS.md
    .venv/bin/python -m benchmarks.cli_startup --quick   # smoke test, prints only
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks._common import command_line, machine_summary, markdown_table, write_section

SECTION = "cli_startup"
FORESCALE = str(Path(sys.executable).parent / "forescale")
EAGER = (
    "forescale.service.app", "forescale.scaler.demo", "forescale.scaler.wiring",
    "forescale.scaler.simulate.replay", "forescale.models.evaluation", "forescale.scaler.training",
)  # fmt: skip
"""What the console script imported for ``--help`` before its imports were made lazy."""
COMMANDS = {
    "forescale --help": [FORESCALE, "--help"],
    "forescale simulate --help": [FORESCALE, "simulate", "--help"],
    "baseline: import what the eager CLI imported": [
        sys.executable,
        "-c",
        "import " + ", ".join(EAGER),
    ],
}


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 runs each, no write")
    args = parser.parse_args(argv)
    runs = 2 if args.quick else 15
    for command in COMMANDS.values():
        wall(command)  # warm the file cache
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, command in COMMANDS.items():
            samples[name].append(wall(command))
    baseline = statistics.median(samples["baseline: import what the eager CLI imported"])
    rows = [
        [name, str(runs), f"{1e3 * statistics.median(s):.0f}", f"{1e3 * max(s):.0f}",
         f"{baseline / statistics.median(s):.1f}x"]
        for name, s in samples.items()
    ]  # fmt: skip
    text = "\n\n".join([
        "## CLI start-up (`benchmarks/cli_startup.py`)",
        f"Command: `{command_line()}`  \nMachine: {machine_summary()}.",
        "Wall time of a fresh process, runs interleaved; the baseline imports the modules the "
        f"console script imported before every subcommand's imports were made lazy "
        f"({', '.join(f'`{m}`' for m in EAGER)}).",
        markdown_table(["command", "runs", "median ms", "max ms", "baseline / this"], rows),
    ])  # fmt: skip
    print(text)
    if not args.quick:
        write_section(SECTION, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
