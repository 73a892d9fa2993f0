"""``forescale check-config``: validate settings and a targets file without touching anything.

    forescale check-config [--config settings.yaml] [--targets targets.yaml]

Refuses what ``forescale run`` would refuse here: invalid values (each with its field), what
running needs (``prometheus.url``, somewhere to read targets from, readable files), a targets
file with no target or an invalid one, HPA targets that could not be driven (no
``kubernetes.enabled`` and neither ``controller.dry_run`` nor ``mode: ForecastOnly``), and
``FORESCALE_*`` environment variables that set nothing (a misspelt group is otherwise ignored).
Prints what would run, one line per target. Exit status 0 when valid, 1 otherwise, with every
problem on stderr: usable in CI before a deploy.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forescale.scaler.config.settings import ForescaleSettings
    from forescale.scaler.domain import TargetSpec

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
    from forescale.scaler.config.environment import check_runnable, unknown_variables
    from forescale.scaler.config.settings import load_settings
    from forescale.scaler.errors import ConfigError

    problems = list(unknown_variables())
    given = {"controller": {"targets_file": args.targets}} if args.targets else {}
    settings = load_settings(args.config, **given)
    try:
        check_runnable(settings)
    except ConfigError as exc:
        problems.append(str(exc))
    else:
        print("settings: ok")  # noqa: T201
    path = settings.controller.targets_file
    if path is None:
        if settings.kubernetes.enabled:
            print("targets: the cluster's PredictiveAutoscaler objects (not read here)")  # noqa: T201
    else:
        problems += _check_targets(str(path), settings)
    for problem in problems:
        print(f"forescale check-config: error: {problem}", file=sys.stderr)  # noqa: T201
    return 1 if problems else 0


def _check_targets(path: str, settings: ForescaleSettings) -> list[str]:
    from forescale.scaler.config.targets import load_targets_file

    documents = load_targets_file(path)
    if not documents:
        return [f"{path} holds no PredictiveAutoscaler document (empty, or only comments)"]
    problems = []
    for doc in documents:
        spec = doc.to_domain()
        print(_describe(spec))  # noqa: T201
        cannot_write = not (settings.kubernetes.enabled or settings.controller.dry_run)
        if spec.ref.kind == "hpa" and cannot_write and not spec.forecast_only:
            problems.append(
                f"{spec.name}: {spec.ref} can only be planned without kubernetes.enabled "
                "(FORESCALE_KUBERNETES__ENABLED=true): enable it, run with --dry-run "
                "(controller.dry_run), or give the target mode: ForecastOnly"
            )
    return problems


def _describe(spec: TargetSpec) -> str:
    from forescale.scaler.units import format_duration

    p = spec.policy
    lead = format_duration(p.lead_time)
    if spec.ref.kind == "asg" and spec.default_lead_time:
        lead = "the group's instance warm-up"
    return (
        f"{spec.name}: {spec.ref}, capacity {p.capacity_per_replica:g}/replica at "
        f"{p.target_utilization:.0%}, replicas {p.min_replicas}-{p.max_replicas}, "
        f"lead {lead}, p{p.quantile * 100:g}, model {spec.model}"
        f"{', forecast only' if spec.forecast_only else ''}"
    )
