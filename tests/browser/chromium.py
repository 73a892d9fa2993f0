"""Headless Debian Chromium: screenshot a URL into a PNG and read its pixels back.

No JavaScript driver: the ``--screenshot`` mode renders the page once the load event fired,
which is all a server-rendered page with inline SVG needs. Each run gets its own throwaway
profile and no background networking, so nothing leaves loopback.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["binary", "colour_count", "dump_dom", "read_png", "run_for", "screenshot"]

_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
)  # fmt: skip


def binary() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def screenshot(chromium: str, url: str, out: Path, *, width: int, height: int) -> Path:
    with tempfile.TemporaryDirectory(prefix="forescale-chromium-") as profile:
        result = subprocess.run(
            [
                chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--hide-scrollbars",
                "--force-device-scale-factor=1", "--force-color-profile=srgb",
                f"--user-data-dir={profile}", f"--screenshot={out}",
                f"--window-size={width},{height}", url,
            ],
            capture_output=True, timeout=90, check=False,
        )  # fmt: skip
    if result.returncode != 0 or not out.exists():
        raise RuntimeError(
            f"chromium failed ({result.returncode}):\n{result.stderr.decode()[-2000:]}"
        )
    return out


def dump_dom(chromium: str, url: str, *, settle_ms: int | None = None) -> str:
    """The page's DOM as Chromium serialises it once loaded (scripts run). ``settle_ms`` of
    virtual time lets a script finish what it started after the load event (fetches)."""
    budget = [f"--virtual-time-budget={settle_ms}"] if settle_ms else []
    with tempfile.TemporaryDirectory(prefix="forescale-chromium-") as profile:
        result = subprocess.run(
            [chromium, *_FLAGS, f"--user-data-dir={profile}", *budget, "--dump-dom", url],
            capture_output=True, text=True, timeout=90, check=False,
        )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"chromium failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return result.stdout


def run_for(chromium: str, url: str, *, seconds: float) -> None:
    """Keep ``url`` open for ``seconds`` of real time with virtual time running ahead: timers
    (a ``<meta>`` refresh) fire as fast as the page can be served. Then stop Chromium.

    Chromium runs in its own process group, stopped whole: its helper processes (renderer,
    crashpad) outlived a terminated browser and kept writing to the profile while it was being
    removed ("Directory not empty: 'Default'"). Removing the throwaway profile is best effort."""
    with tempfile.TemporaryDirectory(
        prefix="forescale-chromium-", ignore_cleanup_errors=True
    ) as profile:
        process = subprocess.Popen(
            [chromium, *_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=3600000",
             "--dump-dom", url],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        _signal_group(process.pid, signal.SIGKILL)  # helpers still running, if any


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass  # the whole group has exited


def read_png(path: Path) -> np.ndarray:
    """Height x width x 3 array of 0-255 RGB."""
    from matplotlib import image  # imported here: slow, and only the browser tests need it

    pixels = image.imread(path)
    rgb = pixels[..., :3]
    return np.asarray(np.rint(rgb * 255) if rgb.dtype.kind == "f" else rgb, dtype=np.int16)


def colour_count(pixels: np.ndarray, hex_colour: str, *, tolerance: int = 6) -> int:
    """Pixels within ``tolerance`` (per channel) of ``#rrggbb``."""
    target = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)
    close = np.all(np.abs(pixels - target) <= tolerance, axis=-1)
    return int(close.sum())
