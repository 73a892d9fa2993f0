"""The per-target fallback state machine: ``predictive -> degraded -> reactive`` and back.

Each cycle the controller reports one `Health` verdict for a target. The machine:

- *not enough history* sends a target straight to ``reactive`` (there is nothing to trust yet);
- any other trouble (stale or missing data, model failure, poor live quality) first moves
  ``predictive`` to ``degraded``, where a doubtful forecast may lower the floor but not raise it;
  after ``failure_threshold`` consecutive troubled cycles the target falls back to ``reactive`` and
  its floor is released, so an HPA is never left stuck high by a failing metric source;
- ``recovery_threshold`` consecutive healthy cycles bring it back to ``predictive``;
- a target that *starts* healthy (warm start: history read back and a model fitted or loaded)
  is ``predictive`` from its first cycle. The recovery count is hysteresis against flapping after
  trouble; demanding it at start would release every floor for several cycles on each restart or
  upgrade of the controller, exactly when a peak may be under way.

Live quality uses hysteresis (`QualityJudge`): a target is demoted when its forecast skill crosses
``demote_skill`` and only counts as healthy again below ``recover_skill``, so it does not flap.
Pure: no clock, no I/O; every transition carries a reason shown to SREs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from forescale.scaler.domain import Mode
from forescale.scaler.planning.ledger import AccuracySnapshot

__all__ = [
    "STARTING",
    "FallbackSettings",
    "FallbackState",
    "Health",
    "Issue",
    "QualityJudge",
    "advance",
]


class Issue(StrEnum):
    OK = "ok"
    NO_HISTORY = "not enough history"
    STALE_DATA = "stale or missing data"
    MODEL_FAILURE = "model failure"
    NO_MODEL_YET = "no model yet"
    """Not fitted yet (fits are budgeted per cycle): a failure only once a fit was tried."""
    POOR_QUALITY = "forecast quality below threshold"
    CYCLE_FAILURE = "cycle failed"
    """Deciding for the target raised (an outside system answered nonsense, or a bug): a
    troubled cycle like any other, so the target falls back instead of freezing."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Health:
    issue: Issue
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.issue is Issue.OK

    def describe(self) -> str:
        return f"{self.issue.value}: {self.detail}" if self.detail else self.issue.value


@dataclass(frozen=True, slots=True, kw_only=True)
class FallbackSettings:
    failure_threshold: int = 3
    """Consecutive troubled cycles in degraded mode before falling back to reactive."""
    recovery_threshold: int = 5
    """Consecutive healthy cycles before returning to predictive."""
    demote_skill: float = 1.25
    """Forecast MAE / persistence MAE above which quality is poor (the forecast does worse than
    assuming the load stays as it is)."""
    recover_skill: float = 1.0
    """Skill must fall below this before quality counts as good again (hysteresis)."""
    demote_under_rate: float = 0.35
    """Share of actuals above the sized quantile above which quality is poor."""
    recover_under_rate: float = 0.25
    min_scored: int = 60
    """Scored forecasts needed before live quality is judged at all."""

    def __post_init__(self) -> None:
        if self.failure_threshold < 1 or self.recovery_threshold < 1:
            raise ValueError("failure_threshold and recovery_threshold must be >= 1")
        if self.recover_skill > self.demote_skill:
            raise ValueError("recover_skill must be <= demote_skill (hysteresis)")
        if self.recover_under_rate > self.demote_under_rate:
            raise ValueError("recover_under_rate must be <= demote_under_rate (hysteresis)")


@dataclass(frozen=True, slots=True, kw_only=True)
class FallbackState:
    mode: Mode = Mode.REACTIVE
    reason: str = "starting: no forecast yet"
    issue: Issue = Issue.NO_MODEL_YET
    """What the reason is about, typed: the trouble that put the target where it is (kept
    while it recovers), ``OK`` once it is predictive and healthy."""
    failures: int = 0
    successes: int = 0
    starting: bool = False
    """No cycle has been judged yet (see `STARTING`)."""


STARTING = FallbackState(starting=True)
"""A new target's state: reactive until its first verdict; a healthy one makes it predictive."""


def advance(state: FallbackState, health: Health, settings: FallbackSettings) -> FallbackState:
    """The state after one cycle with verdict ``health``."""
    if health.issue is Issue.NO_HISTORY:
        return FallbackState(mode=Mode.REACTIVE, reason=health.describe(), issue=health.issue)
    if state.starting and health.issue is Issue.NO_MODEL_YET:  # still waiting, calmly
        return replace(state, reason=f"starting: {health.describe()}", issue=health.issue)
    if health.ok:
        if state.starting:
            return FallbackState(
                mode=Mode.PREDICTIVE,
                reason="started with enough history and a working model",
                issue=Issue.OK,
                successes=1,
            )
        successes = state.successes + 1
        if state.mode is Mode.PREDICTIVE:
            return replace(state, failures=0, successes=successes)
        if successes >= settings.recovery_threshold:
            return FallbackState(
                mode=Mode.PREDICTIVE,
                reason=f"recovered after {successes} healthy cycles",
                issue=Issue.OK,
                successes=successes,
            )
        return replace(
            state,
            failures=0,
            successes=successes,
            reason=f"{_base(state.reason)} (recovering: {successes}/"
            f"{settings.recovery_threshold} healthy cycles)",
        )
    failures = state.failures + 1
    issue = health.issue
    if state.mode is Mode.PREDICTIVE:
        return FallbackState(
            mode=Mode.DEGRADED, reason=health.describe(), issue=issue, failures=failures
        )
    if state.mode is Mode.DEGRADED and failures >= settings.failure_threshold:
        return FallbackState(
            mode=Mode.REACTIVE,
            reason=f"{health.describe()} ({failures} cycles in a row)",
            issue=issue,
            failures=failures,
        )
    return FallbackState(mode=state.mode, reason=health.describe(), issue=issue, failures=failures)


def _base(reason: str) -> str:
    return reason.split(" (recovering:")[0]


class QualityJudge:
    """Hysteresis on live accuracy: poor above the demote thresholds, good again below recover."""

    def __init__(self, settings: FallbackSettings) -> None:
        self._settings = settings
        self._poor = False

    @property
    def poor(self) -> bool:
        return self._poor

    def judge(self, snapshot: AccuracySnapshot, *, quantile: float = 0.9) -> Health:
        """``quantile``: the band's quantile. The under-rate thresholds are set for a p90 band
        (10 % of actuals above it by design); a lower band misses more by design, so they move up
        by that much (a p70 band is not poor for missing 30 %)."""
        s = self._settings
        if snapshot.scored < s.min_scored:
            return Health(issue=Issue.OK)
        skill, under = snapshot.skill, snapshot.under_rate
        extra = max(0.0, 0.9 - quantile)
        demote_under, recover_under = s.demote_under_rate + extra, s.recover_under_rate + extra
        too_bad = (skill is not None and skill > s.demote_skill) or (
            under is not None and under > demote_under
        )
        good_again = (skill is None or skill < s.recover_skill) and (
            under is None or under < recover_under
        )
        if too_bad:
            self._poor = True
        elif good_again:
            self._poor = False
        if not self._poor:
            return Health(issue=Issue.OK)
        error = "error {:.2f}x that of assuming no change ({})"
        missed = "{:.0%} of actuals above the sized quantile ({})"
        # The criteria that make quality poor, each with the threshold it fails: those above their
        # demote threshold, or (still poor by hysteresis) those not yet below their recover one.
        # A criterion that passes is never given as the reason.
        parts = []
        if too_bad:
            if skill is not None and skill > s.demote_skill:
                parts.append(error.format(skill, f"poor above {s.demote_skill:g}x"))
            if under is not None and under > demote_under:
                parts.append(missed.format(under, f"poor above {demote_under:.0%}"))
        else:
            if skill is not None and skill >= s.recover_skill:
                parts.append(error.format(skill, f"not yet below {s.recover_skill:g}x"))
            if under is not None and under >= recover_under:
                parts.append(missed.format(under, f"not yet below {recover_under:.0%}"))
        return Health(
            issue=Issue.POOR_QUALITY,
            detail=", ".join(parts) + f" over the last {snapshot.scored} forecasts",
        )
