"""The chart of one target as SVG geometry: numbers in, path strings and ticks out (pure).

Two panels share the time axis: **load** (observed load, the forecast band and mean: in the past
the newest forecast issued before each moment, ahead of now the latest forecast)
and **replicas** (the floor Forescale set, and what the HPA formula alone recommends). Load and
replicas have different units, hence two panels rather than two y axes. Gaps (no data, floor
released) break the lines instead of being bridged. Replica lines are steps drawn with crisp
edges: replica counts change in jumps, and their colours stay exact in screenshots.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["BAND", "FLOOR", "LOAD", "MEAN", "REACTIVE", "Chart", "ChartData", "build_chart"]

BAND, MEAN, LOAD = "#bfdbfe", "#2563eb", "#111827"
FLOOR, REACTIVE, NOW = "#ea580c", "#16a34a", "#6b7280"

WIDTH, LEFT, RIGHT = 960, 56, 12
LOAD_TOP, LOAD_HEIGHT = 12, 240
REPLICAS_TOP, REPLICAS_HEIGHT = 292, 150
HEIGHT = REPLICAS_TOP + REPLICAS_HEIGHT + 28
MIN_GAP = timedelta(minutes=15)
_TIME_STEPS = [timedelta(minutes=m) for m in (1, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440)]

Line = Sequence[tuple[datetime, float | None]]
Band = Sequence[tuple[datetime, float | None, float | None]]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChartData:
    start: datetime
    end: datetime
    now: datetime
    load: Line
    mean: Line
    band: Band
    """(time, low, high): the forecast's 10th percentile (or mean) up to the sized quantile."""
    floor: Line
    reactive: Line


@dataclass(frozen=True, slots=True)
class Shape:
    d: str
    colour: str
    kind: str
    """``line``, ``dashed``, ``step`` or ``band``."""


@dataclass(frozen=True, slots=True)
class Tick:
    px: float
    label: str


@dataclass(frozen=True, slots=True)
class Panel:
    title: str
    top: int
    bottom: int
    shapes: list[Shape]
    y_ticks: list[Tick]


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    left: int
    right: int
    panels: list[Panel]
    x_ticks: list[Tick]
    now_px: float


class _Scale:
    def __init__(self, lo: float, hi: float, px_lo: float, px_hi: float) -> None:
        self.lo, self.hi = lo, (hi if hi > lo else lo + 1.0)
        self.px_lo, self.px_hi = px_lo, px_hi

    def __call__(self, value: float) -> float:
        return self.px_lo + (value - self.lo) / (self.hi - self.lo) * (self.px_hi - self.px_lo)


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def nice_step(span: float, count: int) -> float:
    """A 1-2-5 step giving about ``count`` intervals over ``span`` (> 0)."""
    raw = span / max(count, 1)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw * (1 - 1e-9))


def value_label(value: float) -> str:
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def _y_axis(
    values: list[float], top: int, bottom: int, *, integer: bool
) -> tuple[_Scale, list[Tick]]:
    """From zero to a round number above the largest value (replicas: whole numbers only)."""
    high = max([*values, 1.0])
    step = nice_step(high, 4)
    if integer:
        step = max(1.0, math.ceil(step))
    count = math.ceil(high / step - 1e-9)
    scale = _Scale(0.0, count * step, bottom, top)
    return scale, [Tick(scale(i * step), value_label(i * step)) for i in range(count + 1)]


def _x_ticks(start: datetime, end: datetime, x: _Scale) -> list[Tick]:
    step = next((s for s in _TIME_STEPS if (end - start) / s <= 8), _TIME_STEPS[-1])
    seconds = step.total_seconds()
    first = math.ceil(start.timestamp() / seconds) * seconds
    ticks = []
    for k in range(int((end.timestamp() - first) // seconds) + 1):
        at = datetime.fromtimestamp(first + k * seconds, start.tzinfo)
        midnight = at.hour == 0 and at.minute == 0
        ticks.append(Tick(x(at.timestamp()), at.strftime("%d %b" if midnight else "%H:%M")))
    return ticks


def _runs(
    times: Sequence[datetime], valid: Sequence[bool], *, gap: timedelta | None = None
) -> list[range]:
    """Index ranges of consecutive valid points. A time gap longer than ``gap`` (by default 3
    typical steps, and at least `MIN_GAP`: records come at irregular times) also splits: the
    controller was not running."""
    if gap is None:
        steps = sorted(b - a for a, b in zip(times, times[1:], strict=False))
        gap = max(steps[len(steps) // 2] * 3 if steps else timedelta(0), MIN_GAP)
    runs, begin = [], None
    for i, ok in enumerate([*valid, False]):
        if begin is not None and (not ok or times[i] - times[i - 1] > gap):
            runs.append(range(begin, i))
            begin = None
        if ok and begin is None:
            begin = i
    return runs


def _pt(x: float, y: float) -> str:
    return f"{x:.1f},{y:.1f}"


def load_gap(times: Sequence[datetime]) -> timedelta:
    """Records further apart than this leave the load unknown between them: half as much again
    as the closest two records (one cycle, where the target was recorded every cycle)."""
    steps = [b - a for a, b in zip(times, times[1:], strict=False) if b > a]
    return min(steps) * 1.5 if steps else MIN_GAP


def line_path(
    line: Line, x: _Scale, y: _Scale, *, step: bool = False, gap: timedelta | None = None
) -> str:
    """``M``/``L`` commands per run of values; ``step`` holds each value until the next time.
    A lone value is a short tick (``step``) or a zero-length segment, drawn as a dot by the
    line's round caps."""
    xs = [x(t.timestamp()) for t, _ in line]
    ys = [y(v) if v is not None and _finite(v) else math.nan for _, v in line]
    parts = []
    for run in _runs([t for t, _ in line], [not math.isnan(v) for v in ys], gap=gap):
        pts: list[str] = []
        for i in run:
            if step and pts:
                pts.append(_pt(xs[i], ys[i - 1]))
            pts.append(_pt(xs[i], ys[i]))
        if len(run) == 1:  # a lone value still shows
            pts.append(_pt(xs[run[0]] + (4 if step else 0), ys[run[0]]))
        parts.append("M" + " L".join(pts))
    return " ".join(parts)


def band_path(band: Band, x: _Scale, y: _Scale) -> str:
    """A closed polygon from the highs forwards and the lows backwards, per run."""
    parts = []
    valid = [_finite(lo) and _finite(hi) for _, lo, hi in band]
    for run in _runs([t for t, _, _ in band], valid):
        upper = [_pt(x(band[i][0].timestamp()), y(band[i][2] or 0.0)) for i in run]
        lower = [_pt(x(band[i][0].timestamp()), y(band[i][1] or 0.0)) for i in reversed(run)]
        parts.append("M" + " L".join(upper + lower) + " Z")
    return " ".join(parts)


def build_chart(data: ChartData) -> Chart:
    x = _Scale(data.start.timestamp(), data.end.timestamp(), LEFT, WIDTH - RIGHT)
    loads = [v for _, v in [*data.load, *data.mean] if v is not None and _finite(v)]
    loads += [hi for _, _, hi in data.band if hi is not None and _finite(hi)]
    y_load, load_ticks = _y_axis(loads, LOAD_TOP, LOAD_TOP + LOAD_HEIGHT, integer=False)
    replicas = [v for _, v in [*data.floor, *data.reactive] if v is not None and _finite(v)]
    bottom = REPLICAS_TOP + REPLICAS_HEIGHT
    y_rep, rep_ticks = _y_axis(replicas, REPLICAS_TOP, bottom, integer=True)
    load_panel = Panel(
        "load",
        LOAD_TOP,
        LOAD_TOP + LOAD_HEIGHT,
        [
            Shape(band_path(data.band, x, y_load), BAND, "band"),
            Shape(line_path(data.mean, x, y_load), MEAN, "dashed"),
            Shape(
                line_path(data.load, x, y_load, gap=load_gap([t for t, _ in data.load])),
                LOAD,
                "line",
            ),
        ],
        load_ticks,
    )
    replica_panel = Panel(
        "replicas",
        REPLICAS_TOP,
        bottom,
        [
            Shape(line_path(data.reactive, x, y_rep, step=True), REACTIVE, "step"),
            Shape(line_path(data.floor, x, y_rep, step=True), FLOOR, "step"),
        ],
        rep_ticks,
    )
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        panels=[load_panel, replica_panel],
        x_ticks=_x_ticks(data.start, data.end, x),
        now_px=x(data.now.timestamp()),
    )
