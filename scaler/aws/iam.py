"""The controller's least-privilege IAM policy, and the IAM action behind each API operation.

``iam-policy.json`` (next to this module) is the reference policy the README shows. It has three
placeholders the operator fills in: ``${ModelBucket}``, ``${ModelPrefix}`` (with its trailing
slash, or empty for a whole bucket) and ``${AssumableRoleArn}``; `render_policy` substitutes them.
Changes are allowed only on groups tagged ``forescale.io/managed=true`` (an explicit opt-in by the
group's owner), and the only tag the controller may write is its own baseline tag. The training
job needs ``WriteModels``; a controller that only reads models can drop that statement.

The integration tests run every code path as a principal holding exactly this policy, so an
operation our code sends that the policy does not grant fails the build
(tests/integration/aws/test_iam_policy.py).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

__all__ = ["MANAGED_TAG", "POLICY_FILE", "iam_action", "load_policy", "render_policy"]

POLICY_FILE = "scaler/aws/iam-policy.json"
MANAGED_TAG = "forescale.io/managed"
"""Groups the reference policy lets the controller change carry this tag with value ``true``."""

# S3 authorises some operations under another action name (ListObjectsV2 -> s3:ListBucket).
_S3_ACTIONS = {
    "ListObjectsV2": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
    "HeadObject": "s3:GetObject",
    "GetObject": "s3:GetObject",
    "PutObject": "s3:PutObject",
    "DeleteObject": "s3:DeleteObject",
    "DeleteObjects": "s3:DeleteObject",
    "HeadBucket": "s3:ListBucket",
}
_PREFIXES = {"autoscaling": "autoscaling", "s3": "s3", "sts": "sts", "ec2": "ec2"}


def iam_action(service: str, operation: str) -> str:
    """``("autoscaling", "UpdateAutoScalingGroup")`` -> ``"autoscaling:UpdateAutoScalingGroup"``.

    ``service`` is botocore's service name (``client.meta.service_model.service_name``).
    """
    if service == "s3":
        return _S3_ACTIONS.get(operation, f"s3:{operation}")
    return f"{_PREFIXES.get(service, service)}:{operation}"


def load_policy() -> dict[str, Any]:
    """The reference policy document, placeholders unfilled."""
    text = (
        resources.files("forescale.scaler.aws")
        .joinpath("iam-policy.json")
        .read_text(encoding="utf-8")
    )
    document: dict[str, Any] = json.loads(text)
    return document


def render_policy(
    *, bucket: str, prefix: str, role_arns: list[str] | None = None
) -> dict[str, Any]:
    """The policy for one deployment: the model store location and the roles it may assume.

    Without ``role_arns`` the AssumeRole statement is dropped (the controller then acts with its
    own identity only).
    """
    document = load_policy()
    prefix = prefix.strip("/")
    prefix = f"{prefix}/" if prefix else ""  # "models/" -> objects under models/, "" -> bucket
    statements = []
    for statement in document["Statement"]:
        if statement.get("Sid") == "AssumeTargetRoles":
            if not role_arns:
                continue
            statement = {**statement, "Resource": list(role_arns)}
        text = json.dumps(statement)
        text = text.replace("${ModelBucket}", bucket).replace("${ModelPrefix}", prefix)
        statements.append(json.loads(text))
    return {**document, "Statement": statements}
