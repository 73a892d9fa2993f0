"""Configuration at the process boundary: target specs (YAML file / CRD) and settings."""

from forescale.scaler.config.targets import (
    TargetDocument,
    load_targets_file,
    parse_target,
    parse_targets_yaml,
)

__all__ = ["TargetDocument", "load_targets_file", "parse_target", "parse_targets_yaml"]
