"""AWS client settings: bounded retries and timeouts, refused when out of range."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from forescale.scaler.aws.iam import MANAGED_TAG, render_policy
from forescale.scaler.aws.session import AwsSettings
from forescale.scaler.errors import ConfigError


def test_the_botocore_config_carries_the_retry_mode_attempts_and_timeouts() -> None:
    config = vars(AwsSettings(retry_mode="adaptive", max_attempts=3).botocore_config())

    assert config["retries"] == {"mode": "adaptive", "total_max_attempts": 3}
    assert (config["connect_timeout"], config["read_timeout"]) == (5.0, 15.0)
    assert config["s3"] is None  # virtual-hosted S3 URLs against real AWS


def test_a_custom_endpoint_uses_path_style_s3_urls() -> None:
    config = vars(AwsSettings(endpoint_url="http://127.0.0.1:5000").botocore_config())

    assert config["s3"] == {"addressing_style": "path"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_attempts", 0, "max_attempts must be 1..10"),
        ("max_attempts", 11, "max_attempts must be 1..10"),
        ("retry_mode", "legacy", "retry_mode must be 'standard' or 'adaptive'"),
        ("read_timeout", timedelta(0), "read_timeout must be positive"),
        ("role_duration", timedelta(minutes=5), "between 15m and 12h"),
        ("refresh_margin", timedelta(hours=2), "shorter than role_duration"),
    ],
)
def test_out_of_range_settings_are_refused_naming_the_field(
    field: str, value: Any, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        AwsSettings(**{field: value})


def test_the_rendered_policy_is_scoped_to_the_model_prefix_and_the_roles_given() -> None:
    policy = render_policy(bucket="ml", prefix="/forescale/models/", role_arns=["arn:r"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}

    assert by_sid["ReadModels"]["Resource"] == "arn:aws:s3:::ml/forescale/models/*"
    assert by_sid["ListModels"]["Condition"] == {
        "StringLike": {"s3:prefix": ["forescale/models/*"]}
    }
    assert by_sid["AssumeTargetRoles"]["Resource"] == ["arn:r"]
    condition = by_sid["ScaleManagedGroups"]["Condition"]["StringEquals"]
    assert condition == {f"autoscaling:ResourceTag/{MANAGED_TAG}": "true"}


def test_without_roles_the_policy_grants_no_role_assumption() -> None:
    policy = render_policy(bucket="ml", prefix="")

    assert "AssumeTargetRoles" not in {s["Sid"] for s in policy["Statement"]}
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["WriteModels"]["Resource"] == "arn:aws:s3:::ml/*"
