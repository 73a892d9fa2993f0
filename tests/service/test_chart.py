"""Chart geometry: axes from zero to a round top, steps that hold, gaps that break lines."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from forescale.service.pages.chart import (
    LOAD_HEIGHT,
    LOAD_TOP,
    ChartData,
    _Scale,
    band_path,
    build_chart,
    line_path,
    nice_step,
)

T0 = datetime(2026, 11, 20, 6, tzinfo=UTC)
MIN = timedelta(minutes=1)


def coords(d: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", d)]


@pytest.mark.parametrize(
    ("span", "count", "step"), [(1240, 4, 500), (9, 4, 5), (0.3, 4, 0.1), (1e6, 5, 2e5), (4, 4, 1)]
)
def test_tick_steps_are_one_two_or_five_times_a_power_of_ten(
    span: float, count: int, step: float
) -> None:
    assert nice_step(span, count) == pytest.approx(step)


def test_a_step_line_holds_each_value_until_the_next_time() -> None:
    x, y = _Scale(0, 120, 0, 120), _Scale(0, 10, 100, 0)
    d = line_path([(T0, 2.0), (T0 + MIN, 5.0)], _shift(x), y, step=True)
    assert coords(d) == [(0.0, 80.0), (60.0, 80.0), (60.0, 50.0)]


def test_missing_values_and_time_gaps_split_a_line_into_runs() -> None:
    x, y = _shift(_Scale(0, 1800, 0, 1800)), _Scale(0, 10, 100, 0)
    line = [(T0 + k * MIN, v) for k, v in enumerate([1.0, 2.0, None, 3.0, 4.0])]
    line += [(T0 + 20 * MIN, 5.0), (T0 + 21 * MIN, 6.0)]  # the controller was down 16 minutes
    assert line_path(line, x, y).count("M") == 3


def test_irregular_records_a_few_minutes_apart_are_not_gaps() -> None:
    x, y = _shift(_Scale(0, 3600, 0, 3600)), _Scale(0, 10, 100, 0)
    minutes = [0, 1, 2, 7, 8, 13, 14, 15, 20]  # records every minute, or every 5 when steady
    line = [(T0 + m * MIN, 1.0) for m in minutes]
    assert line_path(line, x, y).count("M") == 1


def test_a_band_is_a_closed_polygon_from_the_top_forwards_and_the_bottom_back() -> None:
    x, y = _shift(_Scale(0, 120, 0, 120)), _Scale(0, 10, 100, 0)
    d = band_path([(T0, 1.0, 3.0), (T0 + MIN, 2.0, 4.0)], x, y)
    assert d.endswith("Z")
    assert coords(d) == [(0.0, 70.0), (60.0, 60.0), (60.0, 80.0), (0.0, 90.0)]


def test_the_load_axis_starts_at_zero_and_tops_above_the_highest_value() -> None:
    load = [(T0 + k * MIN, 100.0 + k) for k in range(60)]
    data = ChartData(
        start=T0, end=T0 + 60 * MIN, now=T0 + 60 * MIN, load=load, mean=[],
        band=[(T0 + 61 * MIN, 90.0, 1234.0)], floor=[], reactive=[(T0, 3.0)],
    )  # fmt: skip
    chart = build_chart(data)
    load_panel, replicas = chart.panels
    assert load_panel.y_ticks[0].label == "0" and load_panel.y_ticks[0].px == LOAD_TOP + LOAD_HEIGHT
    assert load_panel.y_ticks[-1].label == "1.5k" and load_panel.y_ticks[-1].px == LOAD_TOP
    assert [t.label for t in replicas.y_ticks] == ["0", "1", "2", "3"]
    assert [t.label for t in chart.x_ticks] == ["06:00", "06:10", "06:20", "06:30", "06:40",
                                               "06:50", "07:00"]  # fmt: skip


def _shift(x: _Scale) -> _Scale:
    """The same scale, counted in seconds since T0 (so expected pixels are readable)."""
    return _Scale(T0.timestamp() + x.lo, T0.timestamp() + x.hi, x.px_lo, x.px_hi)
