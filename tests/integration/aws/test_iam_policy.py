"""The reference IAM policy (scaler/aws/iam-policy.json) is valid, sufficient and least-privilege.

moto enforces IAM when asked: every request must then be signed by a moto IAM user whose
policies allow the action. moto cannot evaluate resource-tag or ``s3:prefix`` conditions (it
denies any statement carrying them) and authorises non-S3 actions against the resource ``*``,
so the principals get the policy with conditions removed and non-S3 resources widened; the
actions, and the S3 resources, are exactly the reference policy's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from forescale.models.baselines import SeasonalNaive
from forescale.models.datasets import synthetic_traffic
from forescale.models.persistence import make_card
from forescale.scaler.aws import AsgActuator, AwsClients
from forescale.scaler.aws.iam import render_policy
from forescale.scaler.domain import AsgRef
from forescale.scaler.errors import AccessDenied
from forescale.scaler.modelstore.s3 import ModelStoreAccessError, S3ModelStore
from tests.integration.aws.world import AwsWorld, policy_actions

pytestmark = pytest.mark.aws

BUCKET, PREFIX = "forescale-models", "prod"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/forescale-target"
NOW = datetime(2026, 11, 23, 6, tzinfo=UTC)
POLICY = render_policy(bucket=BUCKET, prefix=PREFIX, role_arns=[ROLE])


def moto_compatible(policy: dict[str, Any], *, without: str | None = None) -> dict[str, Any]:
    statements = []
    for statement in policy["Statement"]:
        statement = {k: v for k, v in statement.items() if k != "Condition"}
        if not str(statement["Action"][0]).startswith("s3:"):
            statement["Resource"] = "*"
        statement["Action"] = [a for a in statement["Action"] if a != without]
        if statement["Action"]:
            statements.append(statement)
    return {**policy, "Statement": statements}


def setup(aws: AwsWorld, *, principals: list[str]) -> dict[str, tuple[str, str]]:
    """Groups ``web-P`` and ``direct-P`` per principal P, the bucket, an assumable role, and a
    moto IAM user per principal holding the policy without action P ("all": the whole policy).
    Returns each principal's access key. Everything is created before IAM is enforced."""
    iam = aws.admin("iam")
    aws.admin("s3").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": aws.region}
    )
    keys = {}
    for n, principal in enumerate(principals):
        web = aws.create_group(f"web-{n}", min_size=2, max_size=10, desired=2)
        # moto keys policies by name alone (AWS: per group), so each group's has its own name.
        aws.admin("autoscaling").put_scaling_policy(
            AutoScalingGroupName=web.name, PolicyName=f"cpu-{n}",
            PolicyType="TargetTrackingScaling",
            TargetTrackingConfiguration={"TargetValue": 50.0, "PredefinedMetricSpecification": {
                "PredefinedMetricType": "ASGAverageCPUUtilization"}},
        )  # fmt: skip
        aws.create_group(f"direct-{n}", min_size=1, max_size=10, desired=1)
        without = None if principal == "all" else principal
        document = json.dumps(moto_compatible(POLICY, without=without))
        iam.create_user(UserName=f"forescale-{n}")
        iam.put_user_policy(UserName=f"forescale-{n}", PolicyName="p", PolicyDocument=document)
        key = iam.create_access_key(UserName=f"forescale-{n}")["AccessKey"]
        keys[principal] = (key["AccessKeyId"], key["SecretAccessKey"])
    users = [f"arn:aws:iam::{ACCOUNT}:user/forescale-{n}" for n in range(len(principals))]
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": users}, "Action": "sts:AssumeRole"}],
    }
    iam.create_role(RoleName="forescale-target", AssumeRolePolicyDocument=json.dumps(trust))
    whole = json.dumps(moto_compatible(POLICY))
    iam.put_role_policy(RoleName="forescale-target", PolicyName="p", PolicyDocument=whole)
    return keys


def exercise_everything(clients: AwsClients, *, region: str, n: int) -> None:
    """Every AWS call the controller and the training job make, on groups ``web-n`` and
    ``direct-n``: floors both ways, schedules, a tuned target-tracking value, release, a role,
    the model store."""
    direct = AsgRef(name=f"direct-{n}", region=region)
    actuator = AsgActuator(clients, control_overrides={direct: "desired-capacity"})
    web = AsgRef(name=f"web-{n}", region=region)
    actuator.apply_floor(web, 6, reason="raise")
    hours = [(NOW + timedelta(hours=h), 4 + h) for h in range(1, 4)]
    actuator.publish_schedule(web, hours, now=NOW)
    actuator.publish_schedule(web, hours[1:], now=NOW + timedelta(hours=1))
    actuator.set_target(web, 0.9, base=0.8, metric=None, reason="tuned")
    actuator.release(web, reason="release")
    actuator.apply_floor(direct, 5, reason="direct")
    actuator.observe(AsgRef(name=web.name, region=region, role_arn=ROLE))

    y = synthetic_traffic(days=3, freq="1h", seed=1)
    model = SeasonalNaive().fit(y)
    store = S3ModelStore(f"s3://{BUCKET}/{PREFIX}", clients=clients, keep=1)
    target = f"web-{n}"
    first = store.save(target, model, make_card(model, y, created_at=NOW))
    store.save(target, model, make_card(model, y, created_at=NOW + timedelta(days=1)))
    store.prune(target)  # what each save does, quietly: here a refusal must name the action
    store.promote(target, store.versions(target)[-1])
    assert first not in store.versions(target)
    store.load(target)


def test_moto_accepts_the_rendered_policy_as_a_valid_iam_document(aws: AwsWorld) -> None:
    created = aws.admin("iam").create_policy(
        PolicyName="forescale-controller", PolicyDocument=json.dumps(POLICY)
    )

    assert created["Policy"]["PolicyName"] == "forescale-controller"


def test_the_policy_is_sufficient_and_every_action_it_grants_is_needed(aws: AwsWorld) -> None:
    actions = sorted(policy_actions(POLICY))
    keys = setup(aws, principals=["all", *actions])
    outcomes: dict[str, str] = {}

    with aws.server.enforce_iam():
        exercise_everything(aws.clients(credentials=keys["all"]), region=aws.region, n=0)
        used = set(aws.actions)
        for n, action in enumerate(actions, start=1):
            try:
                exercise_everything(aws.clients(credentials=keys[action]), region=aws.region, n=n)
                outcomes[action] = "no error"
            except (AccessDenied, ModelStoreAccessError) as exc:
                outcomes[action] = "ok" if f"grant {action}" in str(exc) else str(exc)

    assert aws.group(AsgRef(name="direct-0", region=aws.region))["DesiredCapacity"] == 5
    assert used == set(actions), f"granted but never used: {set(actions) - used}"
    wrong = {action: outcome for action, outcome in outcomes.items() if outcome != "ok"}
    assert wrong == {}, "without these actions the code did not fail naming them"
