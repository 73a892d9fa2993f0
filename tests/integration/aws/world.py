"""`AwsWorld`: one test's view of the moto server - setup clients, groups, and the code under test.

Setup (launch templates, groups, buckets, IAM users) goes straight to moto with admin clients.
The code under test gets `AwsClients` that go through the fault proxy, on a boto3 session whose
``before-call`` hook records every operation sent, so the plugin can check after each test that
the reference IAM policy grants all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
import botocore.loaders
import botocore.session

from forescale.scaler.aws.iam import iam_action, load_policy
from forescale.scaler.aws.session import AwsClients, AwsSettings, RetryMode
from forescale.scaler.clock import Clock
from forescale.scaler.domain import AsgRef
from tests.integration.aws.proxy import AwsFaultProxy
from tests.integration.aws.server import MotoServer

if TYPE_CHECKING:
    from mypy_boto3_autoscaling import AutoScalingClient

__all__ = ["REGION", "AwsWorld", "policy_actions"]

REGION = "eu-west-1"
DUMMY = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
TEMPLATE = "forescale-test-template"


def policy_actions(policy: dict[str, Any] | None = None) -> set[str]:
    """Every action an IAM policy document allows (ignoring resources and conditions)."""
    actions: set[str] = set()
    for statement in (policy or load_policy())["Statement"]:
        if statement.get("Effect") == "Allow":
            value = statement["Action"]
            actions.update([value] if isinstance(value, str) else value)
    return actions


@cache
def _shared_loader() -> botocore.loaders.Loader:
    """Every session of the code under test is new (its own event hooks and credentials), but
    they share one loader: parsing the service models costs ~50 ms per service and session."""
    return botocore.loaders.create_loader()


@cache
def _admin_client(service: str, region: str, endpoint: str) -> Any:
    """Clients are slow to build (~5 ms) and thread-safe: one per service, region and server."""
    return boto3.client(  # type: ignore[call-overload]
        service, region_name=region, endpoint_url=endpoint, **DUMMY
    )


@dataclass
class AwsWorld:
    server: MotoServer
    proxy: AwsFaultProxy
    region: str = REGION
    operations: list[tuple[str, str]] = field(default_factory=list)
    """(service, operation) of every call the code under test sent, in order."""

    @property
    def actions(self) -> set[str]:
        return {iam_action(service, op) for service, op in self.operations}

    def admin(self, service: str, *, region: str | None = None) -> Any:
        """A setup client straight to moto (not recorded, not faulted)."""
        return _admin_client(service, region or self.region, self.server.url)

    def clients(
        self,
        *,
        max_attempts: int = 3,
        retry_mode: RetryMode = "standard",
        clock: Clock | None = None,
        credentials: tuple[str, str] | None = None,
        role_duration: timedelta = timedelta(hours=1),
        read_timeout: timedelta = timedelta(seconds=15),
    ) -> AwsClients:
        """Clients for the code under test: through the proxy, calls recorded."""
        key, secret = credentials or ("testing", "testing")
        core = botocore.session.get_session()
        core.register_component("data_loader", _shared_loader())
        session = boto3.Session(
            botocore_session=core,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            region_name=self.region,
        )
        session.events.register("before-call", self._record)
        settings = AwsSettings(
            endpoint_url=self.proxy.url,
            max_attempts=max_attempts,
            retry_mode=retry_mode,
            role_duration=role_duration,
            read_timeout=read_timeout,
        )
        return AwsClients(settings, session=session, clock=clock)

    def _record(self, model: Any, **kwargs: Any) -> None:
        self.operations.append((model.service_model.service_name, model.name))

    # -- setup helpers ----------------------------------------------------------------------
    def create_group(
        self,
        name: str,
        *,
        min_size: int,
        max_size: int,
        desired: int,
        weights: dict[str, int] | None = None,
        grace_seconds: int | None = None,
        tags: dict[str, str] | None = None,
    ) -> AsgRef:
        asg: AutoScalingClient = self.admin("autoscaling")
        subnet = self._template_and_subnet()
        kwargs: dict[str, Any] = {
            "AutoScalingGroupName": name,
            "MinSize": min_size,
            "MaxSize": max_size,
            "DesiredCapacity": desired,
            "VPCZoneIdentifier": subnet,
            "Tags": [
                {"Key": k, "Value": v, "PropagateAtLaunch": False}
                for k, v in {"forescale.io/managed": "true", **(tags or {})}.items()
            ],
        }
        if grace_seconds is not None:
            kwargs["HealthCheckGracePeriod"] = grace_seconds
        if weights:
            kwargs["MixedInstancesPolicy"] = {
                "LaunchTemplate": {
                    "LaunchTemplateSpecification": {"LaunchTemplateName": TEMPLATE},
                    "Overrides": [
                        {"InstanceType": t, "WeightedCapacity": str(w)} for t, w in weights.items()
                    ],
                }
            }
        else:
            kwargs["LaunchTemplate"] = {"LaunchTemplateName": TEMPLATE}
        asg.create_auto_scaling_group(**kwargs)
        return AsgRef(name=name, region=self.region)

    def group(self, ref: AsgRef) -> dict[str, Any]:
        """The group as AWS (moto) reports it, read with the admin client."""
        asg: AutoScalingClient = self.admin("autoscaling", region=ref.region)
        groups = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[ref.name])
        return dict(groups["AutoScalingGroups"][0])

    def tags(self, ref: AsgRef) -> dict[str, str]:
        return {t["Key"]: t["Value"] for t in self.group(ref).get("Tags", [])}

    def scheduled(self, ref: AsgRef) -> dict[str, int]:
        asg: AutoScalingClient = self.admin("autoscaling", region=ref.region)
        actions = asg.describe_scheduled_actions(AutoScalingGroupName=ref.name)
        return {
            a["ScheduledActionName"]: a["MinSize"] for a in actions["ScheduledUpdateGroupActions"]
        }

    def _template_and_subnet(self) -> str:
        ec2 = self.admin("ec2")
        if not ec2.describe_launch_templates(
            Filters=[{"Name": "launch-template-name", "Values": [TEMPLATE]}]
        )["LaunchTemplates"]:
            ec2.create_launch_template(
                LaunchTemplateName=TEMPLATE,
                LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"},
            )
        return str(ec2.describe_subnets()["Subnets"][0]["SubnetId"])
