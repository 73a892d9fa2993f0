"""``forescale check-config``: validate settings and a targets file without touching anything.

    forescale check-config [--config settings.yaml] [--targets targets.yaml]

Prints what would run (targets, their objects and policies), or every problem with the field it
is in. Exit status 0 when valid, 1 otherwise: usable in CI before a deploy.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from forescale.scaler.config.settings import load_settings
from forescale.scaler.config.targets import load_targets_file
from forescale.scaler.units import format_duration

__all__ = ["register"]


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "check-config",
        help="validate settings and targets",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--config", help="settings YAML file (also FORESCALE_CONFIG)")
    p.add_argument("--targets", help="a targets YAML file (default: controller.targets_file)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config or os.environ.get("FORESCALE_CONFIG"))
    print("settings: ok")  # noqa: T201
    path = args.targets or settings.controller.targets_file
    if path is None:
        return 0
    for doc in load_targets_file(path):
        spec = doc.to_domain()
        p = spec.policy
        print(  # noqa: T201
            f"{spec.name}: {spec.ref}, capacity {p.capacity_per_replica:g}/replica at "
            f"{p.target_utilization:.0%}, replicas {p.min_replicas}-{p.max_replicas}, "
            f"lead {format_duration(p.lead_time)}, p{p.quantile * 100:g}, model {spec.model}"
            f"{', forecast only' if spec.forecast_only else ''}"
        )
    return 0
