"""Human durations (``90s``, ``5m``, ``6h``, ``14d``) for the CLI and the configuration.

The parser is `forescale.models.durations` (one parser for model hyperparameters, flags and
target specs, in the lower layer); this module keeps the names the scaler imports.
"""

from __future__ import annotations

from forescale.models.durations import format_duration, parse_duration

__all__ = ["format_duration", "parse_duration"]
