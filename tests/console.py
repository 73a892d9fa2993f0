"""Run the installed ``forescale`` console script as a user would, in a clean environment.

Every ``FORESCALE_*``, ``KUBECONFIG`` and AWS variable of the test process is dropped (tests set
some with monkeypatch), no kubeconfig or AWS profile is reachable, and the instance metadata
service is off: what a command needs must come from ``env``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

__all__ = ["FORESCALE", "clean_env", "forescale"]

FORESCALE = Path(sys.executable).parent / "forescale"
_DROPPED = ("FORESCALE_", "AWS_", "KUBE")


def clean_env(env: dict[str, str] | None = None, *, home: Path | None = None) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED)}
    out.update(
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE="/nonexistent/forescale-tests",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent/forescale-tests",
        KUBECONFIG="/nonexistent/forescale-tests",
    )
    if home is not None:
        out["HOME"] = str(home)
    out.update(env or {})
    return out


def forescale(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """``forescale ARGS...``: exit status, stdout and stderr as text."""
    return subprocess.run(
        [str(FORESCALE), *args],
        capture_output=True,
        text=True,
        env=clean_env(env, home=cwd),
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
