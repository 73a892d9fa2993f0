"""Drives the catalogue through one `FaultWorld` and returns what it observed, one `Row` a fault.

Phases, sharing the two replicas (one start-up of about ten seconds for everything):

1. every `TargetFault` at once, each on its own target, beside a healthy ``steady`` target;
2. meanwhile, each targets-file fault in turn (the file's target must keep its floor);
3. a pause sent to the follower, then resumed;
4. the leader SIGKILLed (the follower takes over; the killed one restarts), then the new leader
   SIGTERMed (floors given back at once, the restarted replica takes over);
5. SIGTERM to both while every Prometheus read hangs: no floor is left raised after exit.

Throughout, no write may come from a replica that did not hold the Lease at that moment.
Observed text is what goes into the table, so it holds only what does not vary between runs
(modes passed through, floors, reasons): timings are checked, not printed.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.integration.aws.proxy import Fault as AwsFault
from tests.integration.aws.world import AwsWorld
from tests.integration.harness.catalogue import FILE_FAULTS, TARGET_FAULTS, TargetFault
from tests.integration.harness.process import wait_for
from tests.integration.harness.world import (
    BASELINE,
    FAILURE_THRESHOLD,
    FLOOR,
    INTERVAL,
    LEASE_SECONDS,
    NS,
    RECOVERY,
    FaultWorld,
    Replica,
    query,
)
from tests.integration.kube.faults import Fault
from tests.integration.prometheus.standin import Reply

__all__ = ["Row", "drive", "target_names"]

SLACK = 4.0
"""Seconds of scheduling noise allowed on a 2-core machine running other tests."""
WATCH_CYCLES = 2 * FAILURE_THRESHOLD + 1 + RECOVERY + 10
"""Leader cycles the target faults are watched for at least: the fallback (within twice the
threshold), the outage lifted, the floor given back and the recovery, with room to spare."""
WATCH_SECONDS = 300.0
"""A bound on the watch however slow the cycles: a target never settled is a row's problem."""
_LEVEL = re.compile(r" (WARNING|ERROR|CRITICAL) ")
_IN_A_ROW = re.compile(r"\((\d+) cycles in a row\)")


@dataclass
class Row:
    area: str
    fault: str
    observed: str
    problems: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return "safe" if not self.problems else "UNSAFE: " + "; ".join(self.problems)


def target_names() -> dict[str, TargetFault]:
    return {f"t{i:02d}": fault for i, fault in enumerate(TARGET_FAULTS)}


def world_for(workdir: Path, aws: AwsWorld) -> FaultWorld:
    """The world the catalogue needs: a target a fault, ``steady`` (never broken), ``paused``
    (for the pause) in the cluster; ``filed`` (an HPA) and the groups in the targets file."""
    faults = target_names()
    hpas = [name for name, fault in faults.items() if fault.kind == "hpa"]
    groups = [name for name, fault in faults.items() if fault.kind == "asg"]
    return FaultWorld(workdir, [*hpas, "steady", "paused"], filed=["filed"], groups=groups,
                      aws=aws)  # fmt: skip


def drive(world: FaultWorld) -> list[Row]:
    for identity in ("forescale-a", "forescale-b"):
        world.start(identity)
    world.wait_leader(timeout=60)
    everything = [*world.targets, *world.filed, *world.groups]
    wait_for("every floor raised", lambda: all(world.floor(n) == FLOOR for n in everything),
             timeout=60)  # fmt: skip
    with ThreadPoolExecutor(1) as pool:  # the file's target is not one phase 1 breaks
        filed = pool.submit(file_faults, world)
        rows = target_faults(world)
        rows += filed.result()
    rows += [pause_on_follower(world), leader_killed(world), leader_terminated(world)]
    rows.append(shutdown_while_hanging(world))
    wrong = world.writes_by_non_leader()
    if wrong:
        rows.append(Row("Lease", "writes by a replica without the Lease", "", wrong[:3]))
    return rows


# -- phase 1 ---------------------------------------------------------------------------------
def target_faults(world: FaultWorld) -> list[Row]:
    faults = target_names()
    leader = world.wait_leader()
    began = time.monotonic()
    outages = {name: fault.inject(world, name) for name, fault in faults.items()}
    seen: dict[str, list[str]] = {name: ["predictive"] for name in faults}
    first_trouble: dict[str, int] = {}
    settled: dict[str, int] = {}
    fell_back: dict[str, str] = {}
    start = leader.cycles()
    # Watched for a number of the leader's cycles, not of seconds: on a loaded machine cycles
    # overrun their deadline and a target's recovery took longer than a fixed 45 s window.
    for snapshot in world.modes([*faults, "steady"], seconds=WATCH_SECONDS):
        now = leader.cycles()
        for name, (mode, floor) in snapshot.items():
            if name == "steady":
                continue
            if mode and seen[name][-1] != mode:
                seen[name].append(mode)
            if mode not in ("", "predictive"):
                first_trouble.setdefault(name, now)
            if mode == "reactive":
                fell_back.setdefault(name, str(world.status(name).get("modeReason") or ""))
            if mode == "reactive" and (outage := outages.pop(name, None)) is not None:
                _lift(world, outage)
            if name not in settled and _settled(faults[name], mode, floor):
                settled[name] = now
        if len(settled) == len(faults) and time.monotonic() - began > 10:
            break
        if now - start > WATCH_CYCLES and time.monotonic() - began > 45:
            break
    rows = [_target_row(world, leader, name, fault, seen[name], first_trouble.get(name),
                        settled.get(name), fell_back.get(name, ""))
            for name, fault in faults.items()]  # fmt: skip
    if world.floor("steady") != FLOOR or world.status("steady").get("mode") != "predictive":
        rows.append(Row("control", "the healthy target beside them", "", ["it was disturbed"]))
    world.kube.faults.clear()  # healed: the later phases run on a sound cluster
    for name in faults:
        world.prometheus.fault(query(name), None)
    return rows


def _lift(world: FaultWorld, outage: object) -> None:
    """The outage is over: the API server (or AWS) answers again."""
    if isinstance(outage, Fault):
        world.kube.faults.remove(outage)
    elif isinstance(outage, AwsFault):
        outage.times = 0


def _settled(fault: TargetFault, mode: str, floor: int | None) -> bool:
    if fault.expect == "fallback":
        return mode == "reactive" and floor in (BASELINE, None)
    if fault.expect == "released":
        return floor == BASELINE
    return floor == FLOOR


def _target_row(world: FaultWorld, leader: Replica, name: str, fault: TargetFault,
                modes: list[str], trouble: int | None, settled: int | None,
                fell_back: str) -> Row:  # fmt: skip
    """``trouble``, ``settled``: the leader's cycle count when the target was first seen
    troubled, and reactive with its floor given back; ``fell_back``: its status's reason when
    first seen reactive, which counts its own troubled cycles ("3 cycles in a row")."""
    problems: list[str] = []
    target = f"{NS}/{name}"
    floor = world.floor(name)
    warned = _warning(leader, target)
    status = world.status(name)
    metric = leader.mode_metric(target)
    if fault.expect == "fallback":
        reason = (fell_back or str(status.get("modeReason") or "")).split(":")[0]
        shown = "no HPA left" if floor is None else f"floor {FLOOR} -> {floor}"
        observed = f"{' -> '.join(modes)}; {shown}; status: {reason}; {warned}; mode {metric}"
        in_a_row = _IN_A_ROW.search(fell_back)
        if settled is None:
            problems.append("never reactive with its floor given back")
        elif trouble is not None and settled - trouble > 2 * FAILURE_THRESHOLD + 1:
            problems.append(f"reactive {settled - trouble} leader cycles after the first trouble")
        if in_a_row is not None and int(in_a_row.group(1)) > FAILURE_THRESHOLD:
            problems.append(f"reactive after {in_a_row.group(1)} troubled cycles")
        if metric != "reactive" or not warned or not reason:
            problems.append("the reason is not visible everywhere")
    elif fault.expect == "decides":
        observed = f"{metric}; floor stays {floor}; {warned}"
        if floor != FLOOR or metric != "predictive" or not warned:
            problems.append("the floor or its visibility moved")
    else:
        shown = "gone" if metric is None else metric
        observed = f"floor {FLOOR} -> {floor}; forescale_mode {shown}"
        if floor != BASELINE:
            problems.append("its floor was not given back")
    return Row(fault.area, fault.name, observed, problems)


def _warning(replica: Replica, target: str) -> str:
    """The highest level of a log line saying why ``target`` failed or fell back ('' when none
    at WARNING+; "skipped this cycle" for lack of time says nothing about the fault)."""
    levels = {m.group(1) for line in replica.log().splitlines()
              if target + ":" in line and "skipped this cycle" not in line
              for m in [_LEVEL.search(line)] if m}  # fmt: skip
    return next((f"{level} logged" for level in ("CRITICAL", "ERROR", "WARNING")
                 if level in levels), "")  # fmt: skip


# -- phase 2 ---------------------------------------------------------------------------------
def file_faults(world: FaultWorld) -> list[Row]:
    rows = []
    (filed,) = world.filed
    good = world.targets_file.read_text(encoding="utf-8")
    for fault, content in FILE_FAULTS.items():
        leader = world.wait_leader()
        mark = len(leader.log())
        world.write_targets(content)
        found = _wait_text(leader, "targets file", mark, level="ERROR", timeout=20)
        time.sleep(INTERVAL)  # a cycle after the bad read: the target must still be there
        floor, mode = world.floor(filed), leader.mode_metric(f"{NS}/{filed}")
        problems = [] if floor == FLOOR and mode == "predictive" and found else [
            f"floor {floor}, mode {mode}, ERROR logged: {bool(found)}"]  # fmt: skip
        observed = f"last valid targets kept: floor stays {floor}, {mode}; ERROR logged"
        rows.append(Row("targets file", fault, observed, problems))
        world.write_targets(good)
        time.sleep(1.5 * INTERVAL)  # read back before the next fault
    return rows


def _wait_text(replica: Replica, text: str, after: int, *, level: str, timeout: float) -> bool:
    def found() -> bool:
        return any(text in line and f" {level} " in line
                   for line in replica.log()[after:].splitlines())  # fmt: skip

    try:
        return bool(wait_for(f"{level} {text!r}", found, timeout=timeout))
    except AssertionError:
        return False


# -- phases 3 and 4 --------------------------------------------------------------------------
def pause_on_follower(world: FaultWorld) -> Row:
    """A pause sent to the follower: the leader gives the floor back; resume raises it again."""
    follower = world.follower()
    follower.post(f"/v1/targets/{NS}/paused/pause")
    problems = []
    try:
        wait_for("the paused floor given back", lambda: world.floor("paused") == BASELINE,
                 timeout=3 * INTERVAL + SLACK)  # fmt: skip
    except AssertionError:
        problems.append(f"floor {world.floor('paused')} while paused")
    follower.post(f"/v1/targets/{NS}/paused/resume")
    try:
        wait_for("the resumed floor", lambda: world.floor("paused") == FLOOR,
                 timeout=(RECOVERY + 2) * INTERVAL + SLACK)  # fmt: skip
    except AssertionError:
        problems.append("the floor did not come back on resume")
    observed = f"leader gave the floor back ({FLOOR} -> {BASELINE}); resume: back to {FLOOR}"
    return Row("cluster", "pause sent to the follower's API", observed, problems)


def leader_killed(world: FaultWorld) -> Row:
    """SIGKILL: nothing runs after it; the follower takes the Lease once it expires and keeps
    deciding, the floors stay where the forecast puts them."""
    old = world.wait_leader()
    old.process.kill()
    began = time.monotonic()
    new = world.wait_leader(other_than=old.name, timeout=LEASE_SECONDS + 3 + SLACK)
    took = time.monotonic() - began
    problems = [] if took <= LEASE_SECONDS + 3 + SLACK else [f"took over after {took:.1f}s"]
    _steady_floors(world, problems)
    world.replicas.pop(old.name)
    world.start(old.name)  # back to two replicas
    observed = f"the follower took the Lease after it expired; floors stay {FLOOR}"
    del new
    return Row("cluster", "leader SIGKILLed", observed, problems)


def leader_terminated(world: FaultWorld) -> Row:
    """SIGTERM: the leader gives every floor back and releases the Lease; the other replica
    takes over at once and raises them again."""
    old = world.wait_leader()
    mark = len(world.kube.requests)
    code = old.process.stop(timeout=15)
    restored = [r for r in world.kube.requests[mark:] if r.verb == "PATCH"
                and "/horizontalpodautoscalers/" in r.path and r.status < 300]  # fmt: skip
    problems = [] if code == 0 else [f"exit code {code}"]
    if not restored:
        problems.append("no floor given back on SIGTERM")
    world.wait_leader(other_than=old.name, timeout=LEASE_SECONDS + SLACK)
    _steady_floors(world, problems)
    world.replicas.pop(old.name)
    observed = f"floors given back on exit, Lease released, the other raised them to {FLOOR}"
    return Row("cluster", "leader SIGTERMed (rolling update)", observed, problems)


def _steady_floors(world: FaultWorld, problems: list[str]) -> None:
    try:
        wait_for("floors raised", lambda: world.floor("steady") == FLOOR, timeout=15)
    except AssertionError:
        problems.append(f"steady floor {world.floor('steady')}")


# -- phase 5 ---------------------------------------------------------------------------------
def shutdown_while_hanging(world: FaultWorld) -> Row:
    """Every Prometheus read hangs; SIGTERM to both replicas: every floor is given back within
    the shutdown budget, and none is left raised."""
    world.prometheus.fault("*", lambda real: Reply(real, delay=30.0))
    for name in [*world.targets, *world.filed, *world.groups]:
        world.prometheus.fault(query(name), None)  # "*" applies only to queries without a fault
    time.sleep(1.5 * INTERVAL)  # a cycle is waiting on the reads
    problems = []
    began = time.monotonic()
    for replica in list(world.replicas.values()):
        if replica.process.running():
            replica.process.process.send_signal(15)
    for replica in world.replicas.values():
        code = replica.process.wait(timeout=20)
        if code != 0:
            problems.append(f"{replica.name} exited {code}")
    took = time.monotonic() - began
    raised = {n: f for n, f in world.floors().items() if f not in (BASELINE, None)}
    if raised:
        problems.append(f"left raised: {sorted(raised)}")
    if took > 5 + SLACK:
        problems.append(f"shutdown took {took:.1f}s")
    observed = "every floor given back within controller.shutdown_seconds; none left raised"
    return Row("process", "SIGTERM to both while Prometheus hangs", observed, problems)
