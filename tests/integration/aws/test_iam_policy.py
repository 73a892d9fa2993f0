"""The reference IAM policy (scaler/aws/iam-policy.json) is valid, sufficient and least-privilege.

moto enforces IAM when asked: every request must then be signed by a moto IAM user whose
policies allow the action. moto cannot evaluate resource-tag or ``s3:prefix`` conditions (it
denies any statement carrying them) and authorises non-S3 actions against the resource ``*``,
so the principal gets the policy with conditions removed and non-S3 resources widened; the
actions, and the S3 resources, are exactly the reference policy's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from scaler.aws import AsgActuator, AwsClients
from scaler.aws.iam import load_policy, render_policy
from scaler.domain import AsgRef
from scaler.errors import AccessDenied
from tests.integration.aws.world import AwsWorld, policy_actions

pytestmark = pytest.mark.aws

BUCKET, PREFIX = "forescale-models", "prod"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/forescale-target"
NOW = datetime(2026, 11, 23, 6, tzinfo=UTC)


def moto_compatible(policy: dict[str, Any]) -> dict[str, Any]:
    statements = []
    for statement in policy["Statement"]:
        statement = {k: v for k, v in statement.items() if k != "Condition"}
        if not str(statement["Action"][0]).startswith("s3:"):
            statement["Resource"] = "*"
        statements.append(statement)
    return {**policy, "Statement": statements}


def grant(aws: AwsWorld, policy: dict[str, Any]) -> tuple[str, str]:
    """A moto IAM user (and an assumable role) holding ``policy``; returns its access key."""
    iam = aws.admin("iam")
    iam.create_user(UserName="forescale")
    document = json.dumps(policy)
    iam.put_user_policy(UserName="forescale", PolicyName="forescale", PolicyDocument=document)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/forescale"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName="forescale-target", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="forescale-target", PolicyName="p", PolicyDocument=document)
    key = iam.create_access_key(UserName="forescale")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def exercise_everything(clients: AwsClients, region: str) -> None:
    """Every AWS call the controller makes: floors both ways, schedules, release, a role."""
    actuator = AsgActuator(
        clients, control_overrides={AsgRef(name="direct", region=region): "desired-capacity"}
    )
    web = AsgRef(name="web", region=region)
    actuator.apply_floor(web, 6, reason="raise")
    hours = [(NOW + timedelta(hours=h), 4 + h) for h in range(1, 4)]
    actuator.publish_schedule(web, hours, now=NOW)
    actuator.publish_schedule(web, hours[1:], now=NOW + timedelta(hours=1))
    actuator.release(web, reason="release")
    actuator.apply_floor(AsgRef(name="direct", region=region), 5, reason="direct")
    actuator.observe(AsgRef(name="web", region=region, role_arn=ROLE))


def setup_groups(aws: AwsWorld) -> None:
    aws.create_group("web", min_size=2, max_size=10, desired=2)
    aws.create_group("direct", min_size=1, max_size=10, desired=1)


def test_moto_accepts_the_rendered_policy_as_a_valid_iam_document(aws: AwsWorld) -> None:
    policy = render_policy(bucket=BUCKET, prefix=PREFIX, role_arns=[ROLE])

    created = aws.admin("iam").create_policy(
        PolicyName="forescale-controller", PolicyDocument=json.dumps(policy)
    )

    assert created["Policy"]["PolicyName"] == "forescale-controller"


def test_a_principal_holding_only_the_policy_can_do_everything_the_controller_does(
    aws: AwsWorld,
) -> None:
    setup_groups(aws)
    key = grant(aws, moto_compatible(render_policy(bucket=BUCKET, prefix=PREFIX, role_arns=[ROLE])))

    with aws.server.enforce_iam():
        exercise_everything(aws.clients(credentials=key), aws.region)

    assert aws.group(AsgRef(name="direct", region=aws.region))["DesiredCapacity"] == 5
    used = aws.actions
    unused = {a for a in policy_actions() if not a.startswith("s3:")} - used
    assert unused == set(), f"the policy grants {unused}, which no code path uses"


@pytest.mark.parametrize(
    "action",
    sorted(a for a in policy_actions(load_policy()) if a.startswith(("autoscaling:", "sts:"))),
)
def test_without_any_one_action_the_controller_fails_naming_that_action(
    aws: AwsWorld, action: str
) -> None:
    setup_groups(aws)
    policy = moto_compatible(render_policy(bucket=BUCKET, prefix=PREFIX, role_arns=[ROLE]))
    for statement in policy["Statement"]:
        statement["Action"] = [a for a in statement["Action"] if a != action] or ["s3:GetObject"]
    key = grant(aws, policy)

    with aws.server.enforce_iam(), pytest.raises(AccessDenied, match=f"grant {action}"):
        exercise_everything(aws.clients(credentials=key), aws.region)
