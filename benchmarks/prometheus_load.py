"""How fast does history come out of a real Prometheus?

1. Warm start of one target: 14 days at 1 minute (20,160 points, two requests under the
   11,000-point limit) through `PrometheusSource.range_query`; median and p99 over N runs. For
   context, the same load through prometheus-api-client's own ``custom_query_range`` in the same
   chunks, converted to a Series the obvious way (dicts of timestamps).
2. One control cycle for 1,000 targets: one ``sum by (service)`` batch query for the last hour,
   against the naive loop of 1,000 single-target queries, in the same run (ratio).

It starts its own Prometheus (Debian package) on a free loopback port, backfilled with the NASA
trace and 1,000 synthetic targets, and stops it by PID at the end.

    .venv/bin/python -m benchmarks.prometheus_load            # full run, writes RESULTS.md
    .venv/bin/python -m benchmarks.prometheus_load --quick    # smoke test, prints only
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from prometheus_api_client import PrometheusConnect

from forescale.scaler.metrics.prometheus import PrometheusSource
from tests.integration.prometheus.process import start_prometheus
from tests.integration.prometheus.server import (
    NASA_QUERY,
    minute_floor,
    nasa_family,
    synthetic_family,
)

RESULTS = Path(__file__).with_name("RESULTS.md")
SECTION = "prometheus_load"
MINUTE = timedelta(minutes=1)
BATCH_QUERY = "sum by (service) (synthetic_load)"


def progress(message: str) -> None:
    print(f"[prometheus_load] {message}", file=sys.stderr, flush=True)


def timed(fn: Callable[[], object], runs: int, label: str, *, warm_up: bool = True) -> list[float]:
    """Wall-clock seconds of ``runs`` calls (after one untimed warm-up call by default)."""
    if warm_up:
        fn()
    out = []
    for i in range(runs):
        began = time.perf_counter()
        fn()
        out.append(time.perf_counter() - began)
        if runs >= 10 and (i + 1) % max(1, runs // 5) == 0:
            progress(f"{label}: {i + 1}/{runs}")
    return out


def client_library_load(
    client: PrometheusConnect, *, start: datetime, end: datetime, chunk: int
) -> pd.Series:
    """The obvious implementation with the client library: chunked custom_query_range + dicts."""
    parts: dict[pd.Timestamp, float] = {}
    lo = start
    while lo <= end:
        hi = min(end, lo + (chunk - 1) * MINUTE)
        result = client.custom_query_range(NASA_QUERY, start_time=lo, end_time=hi, step="60")
        for ts, value in result[0]["values"]:
            parts[pd.Timestamp(ts, unit="s", tz="UTC")] = float(value)
        lo = hi + MINUTE
    return pd.Series(parts)


def run(*, targets: int, runs: int, loop_runs: int) -> dict[str, float]:
    end = minute_floor(datetime.now(UTC)) - MINUTE
    nasa, nasa_expected = nasa_family(end=end)
    batch, batch_expected = synthetic_family(end=end, targets=targets, minutes=60)
    with tempfile.TemporaryDirectory(prefix="prom-bench-") as workdir:
        progress(f"backfilling 14 d x 1 target + 1 h x {targets} targets; starting Prometheus")
        server = start_prometheus(Path(workdir), families=[nasa, batch], retention="30d")
        try:
            figures = measure_load(server.url, end=end, nasa=nasa_expected, runs=runs)
            batch_figures = measure_batch(
                server.url, end=end, batch=batch_expected, runs=runs, loop_runs=loop_runs
            )
            return figures | batch_figures
        finally:
            server.stop()


def measure_load(url: str, *, end: datetime, nasa: pd.Series, runs: int) -> dict[str, float]:
    """14 days for one target: ours, peak memory, and the client-library baseline."""
    source = PrometheusSource.from_url(url, timeout=30, retries=0)
    start = nasa.index[0].to_pydatetime()

    def ours() -> pd.Series:
        return source.range_query(NASA_QUERY, start=start, end=end, step=MINUTE)

    got = ours()
    assert np.array_equal(got.to_numpy(), nasa.to_numpy()), "14-day load differs from the trace"
    load = timed(ours, runs, "14 d")
    tracemalloc.start()
    ours()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    client = PrometheusConnect(url=url, timeout=30)
    naive = client_library_load(client, start=start, end=end, chunk=11_000)
    assert np.array_equal(naive.to_numpy(), nasa.to_numpy())
    library = timed(
        lambda: client_library_load(client, start=start, end=end, chunk=11_000), runs, "library"
    )
    return {
        "load_median": statistics.median(load),
        "load_p99": float(np.percentile(load, 99)),
        "library_median": statistics.median(library),
        "peak_mb": peak / 1e6,
        "result_mb": got.memory_usage(deep=True) / 1e6,
    }


def measure_batch(
    url: str, *, end: datetime, batch: dict[str, pd.Series], runs: int, loop_runs: int
) -> dict[str, float]:
    """One cycle's read for every target: one grouped query against one query per target."""
    source = PrometheusSource.from_url(url, timeout=30, retries=0)
    hour_ago = end - 59 * MINUTE
    services = sorted(batch)

    def batch_query() -> dict[str, pd.Series]:
        return source.range_query_by(
            BATCH_QUERY, label="service", start=hour_ago, end=end, step=MINUTE
        )

    def naive_loop() -> None:
        for service in services:
            query = f'synthetic_load{{service="{service}"}}'
            source.range_query(query, start=hour_ago, end=end, step=MINUTE)

    one = batch_query()
    assert sorted(one) == services and all(
        np.array_equal(one[k].to_numpy(), v.to_numpy()) for k, v in batch.items()
    )
    # Interleaved rounds: on a shared machine both sides then see the same load.
    batched: list[float] = []
    looped: list[float] = []
    for round_ in range(loop_runs):
        batched += timed(batch_query, max(1, runs // loop_runs), "batch")
        looped += timed(naive_loop, 1, "loop", warm_up=False)
        progress(f"round {round_ + 1}/{loop_runs}: {len(services)}-query loop done")
    return {
        "batch_median": statistics.median(batched),
        "batch_p99": float(np.percentile(batched, 99)),
        "loop_median": statistics.median(looped),
        "targets": float(len(services)),
    }


def report(figures: dict[str, float], *, runs: int, loop_runs: int, command: str) -> str:
    ms = {k: v * 1000 for k, v in figures.items()}
    version = subprocess.run(
        ["prometheus", "--version"], capture_output=True, text=True, check=False
    ).stdout.splitlines()[:1]
    targets = int(figures["targets"])
    ratio_lib = figures["library_median"] / figures["load_median"]
    ratio = figures["loop_median"] / figures["batch_median"]
    return "\n".join(
        [
            "## Prometheus history load (`benchmarks/prometheus_load.py`)",
            "",
            f"Command: `{command}`  ",
            f"Machine: {platform.machine()}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, {version[0] if version else 'prometheus ?'}; "
            f"{os.cpu_count()} CPUs, 1-min load average {os.getloadavg()[0]:.1f} at the end "
            "(the machine is shared: batch and loop runs are interleaved so both see the same "
            f"load); date {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. "
            "Real Prometheus on loopback.",
            "",
            "| measurement | runs | median | p99 |",
            "|---|---|---|---|",
            f"| 14 d x 1 min, 1 target (20,160 points, 2 requests) | {runs} "
            f"| {ms['load_median']:.1f} ms | {ms['load_p99']:.1f} ms |",
            f"| same via prometheus-api-client `custom_query_range` + dicts (baseline) | {runs} "
            f"| {ms['library_median']:.1f} ms | - |",
            f"| 1 h x 1 min, {targets:,} targets, one `sum by (service)` query | {runs} "
            f"| {ms['batch_median']:.1f} ms | {ms['batch_p99']:.1f} ms |",
            f"| same, naive loop of {targets:,} single-target queries | {loop_runs} "
            f"| {ms['loop_median']:.0f} ms | - |",
            "",
            f"Batch is **{ratio:.1f}x** faster than the loop (and 1 request instead of "
            f"{targets:,}); the 14-day load is {ratio_lib:.1f}x faster than the client-library "
            "baseline. All results were checked equal to the backfilled data before timing. "
            f"Peak Python allocation during one 14-day load: {figures['peak_mb']:.1f} MB "
            f"(the result itself: {figures['result_mb']:.2f} MB; one 11,000-point reply is "
            "parsed at a time).",
        ]
    )


def write_section(path: Path, name: str, body: str) -> None:
    """Replace ``<!-- section:NAME -->`` .. ``<!-- /section:NAME -->`` (append when absent).

    Local stand-in for the shared helper planned in benchmarks/_common.py.
    """
    begin, end = f"<!-- section:{name} -->", f"<!-- /section:{name} -->"
    block = f"{begin}\n{body}\n{end}"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke test: few runs, no write")
    parser.add_argument("--runs", type=int, default=50, help="timed runs per measurement")
    parser.add_argument("--targets", type=int, default=1000, help="targets in the batch test")
    args = parser.parse_args(argv)
    runs, loop_runs, targets = (3, 1, 50) if args.quick else (args.runs, 5, args.targets)
    figures = run(targets=targets, runs=runs, loop_runs=loop_runs)
    command = ".venv/bin/python -m benchmarks.prometheus_load" + " ".join(
        [""] + (argv if argv is not None else sys.argv[1:])
    )
    text = report(figures, runs=runs, loop_runs=loop_runs, command=command)
    print(text)
    if not args.quick:
        write_section(RESULTS, SECTION, text)
        progress(f"wrote section {SECTION!r} of {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
