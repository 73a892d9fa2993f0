"""Forescale: predictive autoscaling for Kubernetes HPAs and EC2 Auto Scaling groups.

Three layers under one import namespace, so that nothing Forescale installs can shadow (or be
shadowed by) a user's own ``models.py``: ``forescale.service`` (the HTTP API and the command
line) -> ``forescale.scaler`` (metric sources, planning, actuators, the controller) ->
``forescale.models`` (pure forecasting). The folders live at the top of the repository
(``models/``, ``scaler/``, ``service/``); ``forescale/`` holds symbolic links to them, so every
tool (setuptools, mypy, import-linter, pytest) sees the same dotted names without an import hook.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("forescale")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
