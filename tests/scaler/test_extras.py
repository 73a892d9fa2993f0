"""matplotlib and the PostgreSQL driver are extras (``plot``, ``postgres``): asking for a plot or a
PostgreSQL store without them ends in one line that names the extra, not in a traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from forescale.models.datasets import synthetic_traffic
from forescale.scaler.extras import MissingExtraError
from forescale.scaler.store.sql import engine_for
from tests.console import forescale


def _without(monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    """Make ``import module`` fail as it does where the extra is not installed."""
    for name in [m for m in sys.modules if m == module or m.startswith(f"{module}.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, module, None)


def _blocked(tmp_path: Path, module: str) -> dict[str, str]:
    """The environment of a ``forescale`` process in which ``import module`` fails."""
    blocker = tmp_path / "blocker" / module
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('not installed')\n")
    return {"PYTHONPATH": str(blocker.parent)}


def test_a_postgresql_store_without_the_driver_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _without(monkeypatch, "psycopg")
    with pytest.raises(MissingExtraError) as refused:
        engine_for("postgresql://forescale:secret@db:5432/forescale")
    assert str(refused.value) == (
        "a PostgreSQL store.url needs psycopg, which is not installed: "
        "pip install 'forescale[postgres]'"
    )


def test_a_plot_without_matplotlib_is_one_line_from_the_cli(tmp_path: Path) -> None:
    y = synthetic_traffic(days=2, freq="5min", seed=1)
    trace = tmp_path / "trace.csv"
    trace.write_text(
        "timestamp,value\n" + "".join(f"{t:%Y-%m-%dT%H:%M:%SZ},{v:.0f}\n" for t, v in y.items())
    )
    done = forescale(
        "simulate", str(trace), "--capacity", "20", "--model", "seasonal_naive", "--startup", "5m",
        "--plot", str(tmp_path / "replay.png"),
        env=_blocked(tmp_path, "matplotlib"), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "forescale simulate: error: a replay plot (--plot) needs matplotlib, which is not "
        "installed: pip install 'forescale[plot]'"
    )
    assert not (tmp_path / "replay.png").exists()


def test_a_tuning_plot_without_matplotlib_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from forescale.scaler.tuning.plot import plot_frontier

    _without(monkeypatch, "matplotlib")
    with pytest.raises(MissingExtraError, match=r"pip install 'forescale\[plot\]'"):
        plot_frontier(object(), path="unused.png")  # type: ignore[arg-type]


def test_training_on_dask_without_the_extra_names_it(tmp_path: Path) -> None:
    trace = tmp_path / "web.csv"
    trace.write_text("timestamp,value\n2026-01-01T00:00:00Z,1\n2026-01-01T00:05:00Z,2\n")

    done = forescale(
        "train", "--store", str(tmp_path / "models"), "--trace", f"web={trace}",
        "--executor", "dask://127.0.0.1:8786", env=_blocked(tmp_path, "distributed"), cwd=tmp_path,
    )  # fmt: skip

    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "forescale train: error: training on a Dask cluster needs distributed, which is not "
        "installed: pip install 'forescale[dask]'"
    )
