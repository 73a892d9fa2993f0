"""AWS failures, injected over real HTTP by the fault proxy in front of moto, reach the
controller as typed scaler errors after botocore's bounded retries."""

from __future__ import annotations

import socket
import time
from datetime import timedelta

import pytest

from forescale.scaler.aws import AsgActuator, AwsClients, AwsCredentialsError, AwsSettings
from forescale.scaler.domain import AsgRef
from forescale.scaler.errors import (
    AccessDenied,
    ActuationUnavailable,
    PermanentError,
    TargetNotFound,
    TemporaryError,
)
from tests.integration.aws.proxy import Fault
from tests.integration.aws.world import AwsWorld

pytestmark = pytest.mark.aws


def test_throttling_is_retried_by_botocore_and_then_succeeds(aws: AwsWorld) -> None:
    ref = aws.create_group("web", min_size=1, max_size=10, desired=1)
    aws.proxy.fail(Fault(code="Throttling", operation="UpdateAutoScalingGroup", times=2))

    result = AsgActuator(aws.clients(max_attempts=3)).apply_floor(ref, 4, reason="r")

    assert result.changed and aws.group(ref)["MinSize"] == 4
    assert aws.proxy.count("UpdateAutoScalingGroup") == 3  # two throttled, one through


@pytest.mark.parametrize("mode", ["standard", "adaptive"])
def test_throttling_beyond_the_attempt_budget_is_a_temporary_error(
    aws: AwsWorld, mode: str
) -> None:
    ref = aws.create_group("web", min_size=1, max_size=10, desired=1)
    aws.proxy.fail(Fault(code="Throttling", operation="DescribeAutoScalingGroups", times=99))
    actuator = AsgActuator(aws.clients(max_attempts=2, retry_mode=mode))  # type: ignore[arg-type]

    with pytest.raises(ActuationUnavailable, match="throttled.*next cycle") as caught:
        actuator.observe(ref)

    assert isinstance(caught.value, TemporaryError)
    assert aws.proxy.count("DescribeAutoScalingGroups") == 2


@pytest.mark.parametrize("code,status", [("InternalFailure", 500), ("ServiceUnavailable", 503)])
def test_server_errors_are_retried_then_reported_as_unavailable(
    aws: AwsWorld, code: str, status: int
) -> None:
    ref = aws.create_group("web", min_size=1, max_size=10, desired=1)
    aws.proxy.fail(Fault(code=code, status=status, operation="SetDesiredCapacity", times=9))
    actuator = AsgActuator(aws.clients(max_attempts=3), control="desired-capacity")

    with pytest.raises(ActuationUnavailable, match=f"asg/eu-west-1/web.*{code}"):
        actuator.apply_floor(ref, 5, reason="r")

    assert aws.proxy.count("SetDesiredCapacity") == 3
    assert aws.group(ref)["DesiredCapacity"] == 1


def test_an_html_error_page_is_reported_as_unavailable(aws: AwsWorld) -> None:
    # moto answers SetDesiredCapacity on a missing group with such a page. botocore cannot parse
    # it, so it raises at once (no retry): the next control cycle is the retry.
    ref = aws.create_group("web", min_size=1, max_size=10, desired=1)
    page = b"<!doctype html><title>500 Internal Server Error</title>"
    aws.proxy.fail(Fault(code="", status=500, raw_body=page, operation="SetDesiredCapacity"))
    actuator = AsgActuator(aws.clients(max_attempts=3), control="desired-capacity")

    with pytest.raises(ActuationUnavailable, match="asg/eu-west-1/web"):
        actuator.apply_floor(ref, 5, reason="r")
    assert aws.proxy.count("SetDesiredCapacity") == 1


def test_a_missing_group_is_a_permanent_error_naming_name_and_region(aws: AwsWorld) -> None:
    ref = AsgRef(name="no-such-group", region=aws.region)

    with pytest.raises(TargetNotFound, match="no-such-group.*eu-west-1.*check the name and region"):
        AsgActuator(aws.clients()).apply_floor(ref, 3, reason="r")


def test_a_denied_write_names_the_iam_action_to_grant_and_is_not_retried(aws: AwsWorld) -> None:
    ref = aws.create_group("web", min_size=1, max_size=10, desired=1)
    aws.proxy.fail(Fault(code="AccessDenied", status=403, operation="CreateOrUpdateTags", times=9))

    with pytest.raises(AccessDenied, match=r"grant autoscaling:CreateOrUpdateTags") as caught:
        AsgActuator(aws.clients()).apply_floor(ref, 3, reason="r")

    assert isinstance(caught.value, PermanentError)
    assert "iam-policy.json" in str(caught.value)
    assert aws.proxy.count("CreateOrUpdateTags") == 1
    assert aws.group(ref)["MinSize"] == 1  # the tag comes first; no floor without a baseline


def test_expired_credentials_say_so_and_how_to_refresh_them(aws: AwsWorld) -> None:
    ref = aws.create_group("web", min_size=1, max_size=10, desired=1)
    aws.proxy.fail(
        Fault(code="ExpiredToken", status=403, message="The security token included in the "
              "request is expired", times=9)
    )  # fmt: skip

    with pytest.raises(AwsCredentialsError, match="credentials expired.*IRSA"):
        AsgActuator(aws.clients()).observe(ref)


def test_no_credentials_anywhere_is_reported_with_where_to_put_them(
    aws: AwsWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    clients = AwsClients(AwsSettings(endpoint_url=aws.proxy.url, max_attempts=1))

    with pytest.raises(AwsCredentialsError, match="eks.amazonaws.com/role-arn.*AWS_PROFILE"):
        AsgActuator(clients).observe(AsgRef(name="web", region=aws.region))
    assert aws.proxy.requests == []  # nothing unsigned left the process


def test_an_unreachable_endpoint_is_a_temporary_error(aws: AwsWorld) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    clients = AwsClients(AwsSettings(endpoint_url=dead, max_attempts=2))

    with pytest.raises(ActuationUnavailable, match="next cycle retries"):
        AsgActuator(clients).observe(AsgRef(name="web", region=aws.region))


def test_a_slow_answer_times_out_is_retried_and_then_reported_as_unavailable(
    aws: AwsWorld,
) -> None:
    ref = aws.create_group("web", min_size=1, max_size=10, desired=1)
    aws.proxy.fail(Fault(code=None, delay=1.5, operation="DescribeAutoScalingGroups", times=9))
    clients = aws.clients(max_attempts=2, read_timeout=timedelta(seconds=0.25))

    started = time.monotonic()
    with pytest.raises(ActuationUnavailable, match="DescribeAutoScalingGroups"):
        AsgActuator(clients).observe(ref)

    assert time.monotonic() - started < 2.5  # two 1.5 s answers would take 3 s
    assert aws.proxy.count("DescribeAutoScalingGroups") == 2


def test_a_denied_role_assumption_points_at_the_trust_policy(aws: AwsWorld) -> None:
    aws.create_group("web", min_size=1, max_size=10, desired=1)
    aws.proxy.fail(Fault(code="AccessDenied", status=403, operation="AssumeRole", times=9))
    ref = AsgRef(name="web", region=aws.region, role_arn="arn:aws:iam::123456789012:role/x")

    with pytest.raises(AccessDenied, match="sts:AssumeRole.*trust policy"):
        AsgActuator(aws.clients()).observe(ref)
