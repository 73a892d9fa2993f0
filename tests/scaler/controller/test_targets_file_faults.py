"""A targets file that breaks while the controller runs: the last valid targets keep running.

Through the real loop (`Controller` over `FileTargets`): an empty, wrong-shaped, unreadable or
absurdly nested file used to read as "every target deleted" (every floor given back at once,
logged at INFO) or to raise out of the loop (RecursionError: the process died with its floors
raised). Now each keeps the last valid targets, says so at ERROR, and no exception leaves the
loop without the shutdown path that gives the floors back.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from forescale.scaler.controller.targets import FileTargets, StaticTargets, TargetsUpdate
from forescale.scaler.errors import ConfigError
from tests.scaler.controller.test_targets import document, write
from tests.scaler.controller.world import HPA_MIN, World, at, spec


def touch(path: Path) -> None:
    """A newer modification time, as any editor's save would give."""
    stamp = (path.stat().st_mtime_ns if path.exists() else 0) + 10**9
    os.utime(path, ns=(stamp, stamp))


def write_text(text: str | bytes) -> Callable[[Path], None]:
    def change(path: Path) -> None:
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        touch(path)

    return change


def removed(path: Path) -> None:
    path.unlink()


def a_directory(path: Path) -> None:
    path.unlink()
    path.mkdir()


BROKEN: dict[str, Callable[[Path], None]] = {
    "empty": write_text(""),
    "only a comment": write_text("# targets moved elsewhere\n"),
    "a list": write_text("- web\n- api\n"),
    "a scalar": write_text("42\n"),
    "a list of objects": write_text("- {metadata: {name: web}}\n"),
    "5,000 nested [": write_text("[" * 5000),
    "an impossible date": write_text("metadata: {name: web}\nwhen: 2026-13-01\n"),
    "not UTF-8": write_text(b"\xff\xfe\x00metadata"),
    "removed": removed,
    "a directory": a_directory,
}


def file_world(path: Path) -> World:
    return World([spec("web"), spec("api")], targets=FileTargets(path), start=at(12))


@pytest.mark.parametrize("breakage", sorted(BROKEN))
def test_a_broken_targets_file_keeps_the_last_valid_targets_and_says_so_at_error(
    tmp_path: Path, breakage: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path / "targets.yaml", document("web"), document("api"))
    world = file_world(path)
    world.run_until(at(13))
    raised = {name: world.floor(name) for name in ("web", "api")}
    assert min(raised.values()) > HPA_MIN + 5

    BROKEN[breakage](path)
    with caplog.at_level(logging.INFO, logger="forescale"):
        reports = world.run_until(at(13.5))

    assert all(set(r.outcomes) == {"shop/web", "shop/api"} for r in reports)
    assert all(world.floor(name) > HPA_MIN + 5 for name in raised)  # nothing given back
    assert not [w for w in world.actuator.writes if w.action == "restore"]
    assert set(reports[-1].invalid) == {"shop/web", "shop/api"}  # visible: Ready=False
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and all(str(path) in r.getMessage() for r in errors)
    assert "keeping the last valid targets" in errors[0].getMessage()


def test_a_document_whose_name_cannot_be_read_removes_no_target(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``namespace: 7`` names no target: it might be web's edit, so web is not deleted; api's
    valid edit still applies."""
    path = write(tmp_path / "targets.yaml", document("web"), document("api"))
    world = file_world(path)
    world.run_until(at(13))
    web = document("web")
    web["metadata"]["namespace"] = 7

    write(path, web, document("api", maxReplicas=10))
    with caplog.at_level(logging.ERROR, logger="forescale"):
        report = world.tick()

    assert set(report.outcomes) == {"shop/web", "shop/api"}
    assert world.floor("web") > HPA_MIN + 5
    assert world.floor("api") == 10  # the valid edit is applied
    assert "no readable metadata.name/namespace" in report.invalid["shop/web"]
    assert any("no target is removed" in r.getMessage() for r in caplog.records)

    write(path, document("api", maxReplicas=10))  # fixed by deleting web for real
    world.tick()
    assert world.floor("web") == HPA_MIN


def test_an_empty_or_wrong_shaped_file_fails_at_startup_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "targets.yaml"
    for text, reason in (("", "holds no PredictiveAutoscaler"), ("- a\n", "is a list, not a")):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=reason):
            FileTargets(path)


class Exploding(StaticTargets):
    """Targets whose ``poll`` raises ``error`` from the ``after``-th poll on."""

    def __init__(self, world_specs: list[object], *, error: BaseException, after: int) -> None:
        super().__init__(world_specs)  # type: ignore[arg-type]
        self.error, self.after, self.polls = error, after, 0

    def poll(self) -> TargetsUpdate:
        self.polls += 1
        if self.polls > self.after:
            raise self.error
        return super().poll()


@pytest.mark.parametrize("error", [KeyboardInterrupt(), SystemExit(3)], ids=type)
def test_whatever_ends_the_loop_the_floors_are_given_back_first(error: BaseException) -> None:
    specs = [spec("web"), spec("api")]
    targets = Exploding(specs, error=error, after=12)
    world = World(specs, targets=targets, start=at(12))

    with pytest.raises(type(error)):
        world.controller.run_forever(threading.Event())

    assert targets.polls == 13
    assert world.floor("web") == HPA_MIN and world.floor("api") == HPA_MIN
    restored = [w.target for w in world.actuator.writes if w.action == "restore"]
    assert sorted(restored) == ["hpa/shop/api", "hpa/shop/web"]


def test_an_exception_in_a_cycle_is_logged_and_the_loop_goes_on_keeping_the_targets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    specs = [spec("web")]
    targets = Exploding(specs, error=RecursionError("deep"), after=12)
    world = World(specs, targets=targets, start=at(12))
    stop = threading.Event()
    decided: list[object] = []
    world.controller.reporter.on_decision = lambda *_: (
        decided.append(1),
        stop.set() if len(decided) == 20 else None,
    )

    with caplog.at_level(logging.ERROR, logger="forescale"):
        world.controller.run_forever(stop)

    assert len(decided) == 20  # the target kept being decided after the polls began to fail
    assert any("listing targets failed" in r.getMessage() for r in caplog.records)
    assert world.floor("web") == HPA_MIN  # and stopping gave its floor back


def test_a_file_restored_after_a_broken_write_is_read_again(tmp_path: Path) -> None:
    path = write(tmp_path / "targets.yaml", document("web"), document("api"))
    world = file_world(path)
    world.run_until(at(13))
    a_directory(path)
    world.tick()
    shutil.rmtree(path)

    write(path, document("web"))
    report = world.tick()

    assert report.invalid == {} and set(report.outcomes) == {"shop/web"}
    assert world.floor("api") == HPA_MIN  # deleted for real now, its floor given back
