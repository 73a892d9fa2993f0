"""`EventCalendar`: known events (holidays, sales, launches) applied to any model's forecast.

No registered model takes exogenous features, so every model is corrected the same way, around
the model rather than inside it:

- before fitting, load inside a past event's window is divided by the event's multiplier, so the
  model learns the usual pattern instead of repeating last week's sale next week;
- the cheap update's context is normalised the same way (a sale in progress does not read as a
  level shift);
- the forecast (mean and every quantile) is multiplied inside a coming event's window, so the
  floor is sized for the event before its load arrives.

A timestamp ``t`` labels the bucket ``[t, t + step)``; it is inside an event when
``start <= t < end``. Overlapping events multiply. Floors from events are not handled here: they
are one-off scheduled floors in the target's policy (see `scaler.config.targets.EventModel`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
import pandas as pd

from forescale.models.base import Forecast
from forescale.scaler.domain import KnownEvent

__all__ = ["EventCalendar"]


class EventCalendar:
    """The multiplier events of one target; empty calendars cost one attribute check."""

    def __init__(self, events: Sequence[KnownEvent] = ()) -> None:
        self.events = tuple(e for e in events if e.multiplier is not None and e.multiplier != 1)
        self._bounds = np.array(
            [(_ns(e.start), _ns(e.end)) for e in self.events], dtype=np.int64
        ).reshape(-1, 2)

    def __bool__(self) -> bool:
        return bool(self.events)

    def factors(self, index: pd.DatetimeIndex) -> np.ndarray | None:
        """Per timestamp, the product of the multipliers of the events covering it; None when no
        event touches ``index`` (the common case, so callers can skip all work)."""
        if not self.events or len(index) == 0:
            return None
        stamps = index.as_unit("ns").asi8
        touching = (self._bounds[:, 0] <= stamps[-1]) & (self._bounds[:, 1] > stamps[0])
        if not touching.any():
            return None
        out = np.ones(len(stamps))
        for event, (lo, hi) in zip(self.events, self._bounds, strict=True):
            if lo <= stamps[-1] and hi > stamps[0]:
                out[(stamps >= lo) & (stamps < hi)] *= cast(float, event.multiplier)
        return out

    def normalise(self, y: pd.Series) -> pd.Series:
        """``y`` with each event's effect divided out: what the load would have been without it."""
        factors = self.factors(cast(pd.DatetimeIndex, y.index))
        if factors is None:
            return y
        normal: pd.Series = y / factors
        return normal

    def apply(self, forecast: Forecast) -> Forecast:
        """``forecast`` with each coming event's multiplier applied to the mean and quantiles."""
        factors = self.factors(forecast.index)
        if factors is None:
            return forecast
        start, end = forecast.index[0], forecast.index[-1]
        names = [
            f"event '{e.name}' x{e.multiplier:g}"
            for e in self.events
            if pd.Timestamp(e.start) <= end and pd.Timestamp(e.end) > start
        ]
        return Forecast(
            index=forecast.index,
            mean=forecast.mean * factors,
            quantiles={q: v * factors for q, v in forecast.quantiles.items()},
            model=forecast.model,
            notes=(*forecast.notes, f"scaled by {', '.join(names)}"),
        )


def _ns(moment: object) -> int:
    return int(pd.Timestamp(moment).as_unit("ns").value)  # type: ignore[arg-type]
