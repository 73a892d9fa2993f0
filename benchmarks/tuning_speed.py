"""How fast is self-tuning, and how close is its fast replay to the exact one?

One target, seven days at one minute (the bundled NASA trace; its forecasts come from a replay of
the days before, as the controller would have recorded them). The tuner (`scaler.tuning.tune`)
replays every candidate with its vectorised arithmetic; the baseline, in the same run, replays
every one of the same candidates through the exact policy code (`TargetPolicy` and the HPA port
synced every 15 s), as a tuner built on the replay itself would. Reported: the median seconds of
each, their ratio, and for every candidate the fast and the exact replica-hours and unserved %.

    .venv/bin/python -m benchmarks.tuning_speed            # full run, writes RESULTS.md
    .venv/bin/python -m benchmarks.tuning_speed --quick    # smoke test, prints only
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pandas as pd

from benchmarks._common import command_line, machine_summary, markdown_table, write_section
from forescale.models.base import Forecast
from forescale.models.datasets import load_example
from forescale.scaler.domain import HpaRef, ScalingPolicy, TargetName, TargetSpec
from forescale.scaler.planning.policy import TargetPolicy
from forescale.scaler.simulate.hpa_steps import HpaRunner
from forescale.scaler.simulate.replay import ReplayConfig, replay, scaling_policy
from forescale.scaler.simulate.workload import score, startup_steps
from forescale.scaler.tuning.config import TuningConfig
from forescale.scaler.tuning.fastsim import Window
from forescale.scaler.tuning.tuner import Outcome, Setting, tune

SECTION = "tuning_speed"
STEP = timedelta(minutes=1)


def setup(days: int) -> tuple[Window, pd.DatetimeIndex, ScalingPolicy, int]:
    """The last ``days`` of the bundled trace with the forecasts its replay gave the policy."""
    y = load_example("nasa")
    y = y.iloc[: int(timedelta(days=days + 3) / STEP)] if days < 7 else y
    values = y.to_numpy(dtype=float)
    config = ReplayConfig(
        capacity=float(np.nanpercentile(values, 99) / 20), startup=timedelta(minutes=5),
        tuning=TuningConfig(mode=None), model="auto",
    )  # fmt: skip
    result = replay(y, config, policies=("predictive",))
    assert result.forecasts is not None
    n = int(timedelta(days=days) / result.step)
    base = scaling_policy(config, result.step)
    startup = startup_steps(config.startup, result.step)
    window = Window(
        load=result.load[-n:], mean=result.forecasts[-n:], step_seconds=STEP.total_seconds(),
        capacity=config.capacity, min_replicas=1, max_replicas=base.max_replicas,
        startup=startup, calibration=int(timedelta(days=1) / STEP),
    )  # fmt: skip
    return window, pd.DatetimeIndex(result.index[-n:]), base, startup


def exact(
    window: Window, index: pd.DatetimeIndex, base: ScalingPolicy, setting: Setting
) -> Outcome:
    """One candidate through the exact policy code over the window's recorded forecasts."""
    policy = replace(
        base, quantile=setting.quantile if setting.predictive else base.quantile,
        lead_time=base.lead_time + setting.lead_offset * STEP,
        target_utilization=setting.target_utilization,
    )  # fmt: skip
    spec = TargetSpec(
        name=TargetName("bench"), ref=HpaRef(namespace="b", name="b"), query="q",
        policy=policy, step=STEP,
    )  # fmt: skip
    decide = TargetPolicy(spec, explain=False)
    hpa = HpaRunner(policy, index)
    horizon = window.mean.shape[1]
    future = pd.date_range(index[0], periods=len(index) + horizon + 1, freq=STEP)
    times = index.to_pydatetime()
    out = np.empty(len(index), dtype=np.int64)
    for t, load in enumerate(window.load.tolist()):
        finite = math.isfinite(load)
        decide.observe(times[t], load if finite else None)
        floor = None
        if setting.predictive:
            row = window.mean[t]
            forecast = None
            if finite and np.isfinite(row).all():
                forecast = Forecast(index=future[t + 1 : t + 1 + horizon], mean=row, model="m")
            plan = decide.decide(
                now=times[t], reactive=hpa.last_proposal or hpa.current, forecast=forecast,
                origin=times[t],
            ).plan  # fmt: skip
            floor = plan.floor
        out[t] = hpa.step(t, load, floor=floor)
    figures = score(load=window.load, requested=out, capacity=window.capacity,
                    startup=window.startup, step=STEP)  # fmt: skip
    return Outcome(setting, figures.replica_hours, figures.unserved_load_pct)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one day, one run, no write")
    args = parser.parse_args(argv)
    days, runs = (1, 1) if args.quick else (7, 5)  # quick: 4 days replayed, the last one tuned
    print(f"[tuning_speed] replaying the bundled trace for {days} day(s) of forecasts ...")
    window, index, base, _ = setup(days)
    rows, summary = [], []
    for mode in ("fixed", "tuned"):
        fast, fast_cpu = [], []
        for _ in range(runs):
            started, cpu = time.perf_counter(), time.process_time()
            result = tune(window, quantile=base.quantile, target_utilization=base.
                          target_utilization, lead_steps=5, mode=mode)  # fmt: skip
            fast.append(time.perf_counter() - started)
            fast_cpu.append(time.process_time() - cpu)
        every = [*result.frontier, *result.candidates]
        if args.quick:  # the smoke test checks the path, not the figures
            every = [result.frontier[0], result.candidates[0]]
        started, cpu = time.perf_counter(), time.process_time()
        exacts = [exact(window, index, base, o.setting) for o in every]
        baseline, baseline_cpu = time.perf_counter() - started, time.process_time() - cpu
        fast_s = statistics.median(fast)
        summary.append((mode, len(every), fast_s, statistics.median(fast_cpu), baseline,
                        baseline_cpu, result.setting.describe()))  # fmt: skip
        print(f"[tuning_speed] {mode}: {len(every)} candidates, fast {fast_s:.3f} s, "
              f"exact {baseline:.1f} s ({baseline / fast_s:.0f}x)")  # fmt: skip
        if mode == "fixed":
            for o, e in zip(every, exacts, strict=True):
                rows.append([
                    o.setting.describe(), f"{o.replica_hours:,.0f}", f"{e.replica_hours:,.0f}",
                    f"{o.unserved_pct:.3f}", f"{e.unserved_pct:.3f}",
                ])  # fmt: skip
    gaps = [abs(float(r[1].replace(",", "")) / float(r[2].replace(",", "")) - 1) for r in rows]
    body = "\n".join([
        "## Self-tuning speed and fidelity (`benchmarks/tuning_speed.py`)",
        "",
        f"Command: `{command_line()}`  ",
        machine_summary(),
        "",
        f"One target, {days} days at 1 minute (the bundled NASA trace, capacity p99/20, startup "
        "5 min, target 0.8), forecasts as the replay gave them to the policy. 'Fast' is the "
        f"tuner (median of {runs} runs; CPU seconds beside wall seconds, since the machine may "
        "be shared); 'exact' replays the same candidates through "
        "`TargetPolicy` and the HPA port synced every 15 s, in the same process.",
        "",
        markdown_table(
            ["mode", "candidates", "fast s (CPU s)", "exact s (CPU s)", "exact / fast",
             "chosen"],
            [[m, str(k), f"{f:.3f} ({fc:.3f})", f"{b:.1f} ({bc:.1f})", f"{b / f:.0f}x", c]
             for m, k, f, fc, b, bc, c in summary],
        ),  # fmt: skip
        "",
        f"Fidelity, fixed mode's candidates: replica-hours fast vs exact differ by "
        f"{statistics.median(gaps):.1%} (median), {max(gaps):.1%} (worst).",
        "",
        markdown_table(
            ["candidate", "rh fast", "rh exact", "unserved % fast", "unserved % exact"], rows
        ),
    ])  # fmt: skip
    if args.quick:
        print(body)
    else:
        write_section(SECTION, body)
        print(f"[tuning_speed] wrote section {SECTION}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
