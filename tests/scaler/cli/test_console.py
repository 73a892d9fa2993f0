"""The ``forescale`` console script itself: ``--version``, a fast ``--help``, and the demo as a
user runs it (the banner, a busy port, its API tokens, ``| head``)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from forescale import __version__
from tests.console import FORESCALE, clean_env, forescale

HEAVY = ("pandas", "numpy", "sklearn", "scipy", "statsmodels", "fastapi", "uvicorn", "pydantic")


def test_version() -> None:
    done = forescale("--version")
    assert (done.returncode, done.stdout) == (0, f"forescale {__version__}\n")


def test_help_loads_no_heavy_library(tmp_path: Path) -> None:
    """``forescale --help`` (and a subcommand's) parses with argparse alone: each handler imports
    what it runs. It took 2-10 s when every call imported scikit-learn and FastAPI."""
    probe = (
        "import sys\n"
        "from forescale.scaler.cli import build_parser\n"
        "import forescale.service.main\n"
        "build_parser().format_help()\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=clean_env(), cwd=tmp_path, check=False)  # fmt: skip
    assert done.stdout.strip() == "[]", done.stderr
    assert forescale("simulate", "--help").returncode == 0


def demo(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(FORESCALE), "demo", "--days", "0.02", "--speed", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env(env),
    )  # fmt: skip


def test_the_demo_piped_into_head_ends_quietly() -> None:
    process = demo("--no-api")
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()  # what `| head -1` does once it has its line
    code = process.wait(timeout=300)
    err = process.stderr.read()
    assert first.startswith("Forescale demo: 2 targets")
    assert first.rstrip().endswith("UTC, as fast as possible")  # --speed 0, not "x0"
    assert code == 141 and "Traceback" not in err and "BrokenPipeError" not in err, err


def test_a_busy_port_is_said_and_api_tokens_from_the_environment_are_required() -> None:
    token = "demo-viewer-token-0123456789"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        process = demo("--port", str(port), "--hold", env={"FORESCALE_API__VIEWER_TOKENS": token})
        assert process.stdout is not None and process.stderr is not None
        try:
            lines = [process.stdout.readline() for _ in range(2)]
            url = lines[1].split()[3].rstrip("/")
            for line in process.stdout:
                if line.startswith("serving "):
                    break
            assert url != f"http://127.0.0.1:{port}"
            assert "send a viewer or operator token" in lines[1]
            assert httpx.get(f"{url}/v1/targets").status_code == 401
            reply = httpx.get(f"{url}/v1/targets", headers={"Authorization": f"Bearer {token}"})
            assert reply.status_code == 200 and len(reply.json()) == 2
        finally:
            process.send_signal(2)  # Ctrl-C
            code = process.wait(timeout=60)
        err = process.stderr.read()
    assert f"port {port} is busy" in err and "choose one with --port" in err
    assert code == 130


@pytest.mark.parametrize("speed", ["-1"])
def test_a_negative_speed_is_refused(speed: str) -> None:
    done = forescale("demo", "--speed", speed, "--no-api")
    assert done.returncode == 1 and "--speed must be >= 0" in done.stderr
