"""botocore failures become typed scaler errors whose messages say what to do.

The exceptions are botocore's own classes, built the way botocore builds them from a parsed
response; the same paths run over HTTP in tests/integration/aws/test_asg_errors.py.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from botocore.parsers import ResponseParserError

from forescale.scaler.aws.errors import AwsCredentialsError, AwsRejected, actuation_error, classify
from forescale.scaler.errors import (
    AccessDenied,
    ActuationUnavailable,
    PermanentError,
    TargetNotFound,
    TemporaryError,
)


def client_error(code: str, status: int, operation: str, message: str = "m") -> ClientError:
    response = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, operation)  # type: ignore[arg-type]


def error_for(exc: Exception, operation: str = "UpdateAutoScalingGroup") -> Exception:
    failure = classify(exc, service="autoscaling", operation=operation)
    return actuation_error(failure, target="asg/eu-west-1/web")


@pytest.mark.parametrize(
    ("exc", "kind", "temporary"),
    [
        (client_error("Throttling", 400, "DescribeAutoScalingGroups"), ActuationUnavailable, True),
        (client_error("SlowDown", 503, "PutObject"), ActuationUnavailable, True),
        (client_error("InternalFailure", 500, "SetDesiredCapacity"), ActuationUnavailable, True),
        (ResponseParserError("html page"), ActuationUnavailable, True),
        (EndpointConnectionError(endpoint_url="http://x"), ActuationUnavailable, True),
        (ReadTimeoutError(endpoint_url="http://x"), ActuationUnavailable, True),
        (client_error("AccessDenied", 403, "DeleteTags"), AccessDenied, False),
        (
            client_error("ExpiredToken", 403, "DescribeAutoScalingGroups"),
            AwsCredentialsError,
            False,
        ),
        (NoCredentialsError(), AwsCredentialsError, False),
        (
            client_error("ValidationError", 400, "UpdateAutoScalingGroup", "name not found - x"),
            TargetNotFound,
            False,
        ),
        (client_error("ValidationError", 400, "UpdateAutoScalingGroup", "bad"), AwsRejected, False),
    ],
)
def test_each_failure_maps_to_a_temporary_or_permanent_scaler_error(
    exc: Exception, kind: type[Exception], temporary: bool
) -> None:
    error = error_for(exc)

    assert type(error) is kind
    assert isinstance(error, TemporaryError) == temporary
    assert isinstance(error, PermanentError) == (not temporary)
    assert "asg/eu-west-1/web" in str(error)


@pytest.mark.parametrize(
    ("service", "operation", "action"),
    [
        (
            "autoscaling",
            "BatchPutScheduledUpdateGroupAction",
            "autoscaling:BatchPutScheduledUpdateGroupAction",
        ),
        ("s3", "ListObjectsV2", "s3:ListBucket"),
        ("s3", "HeadObject", "s3:GetObject"),
        ("sts", "AssumeRole", "sts:AssumeRole"),
    ],
)
def test_access_denied_names_the_iam_action_not_the_api_operation(
    service: str, operation: str, action: str
) -> None:
    failure = classify(client_error("AccessDenied", 403, operation), service=service, operation="?")

    assert failure.iam_action == action
    assert f"grant {action} to the controller's role" in failure.explain()


def test_credential_errors_say_whether_they_expired_or_were_rejected() -> None:
    expired = str(error_for(client_error("ExpiredToken", 403, "DescribeAutoScalingGroups")))
    rejected = str(
        error_for(client_error("InvalidClientTokenId", 403, "DescribeAutoScalingGroups"))
    )

    assert "credentials expired" in expired and "aws sso login" in expired
    assert "credentials rejected" in rejected and "AWS_PROFILE" in rejected


def test_missing_credentials_are_not_called_rejected_and_the_hint_comes_once() -> None:
    missing = str(error_for(NoCredentialsError(), operation="DescribeAutoScalingGroups"))

    assert "no AWS credentials found for autoscaling:DescribeAutoScalingGroups" in missing
    assert "rejected" not in missing
    assert missing.count("eks.amazonaws.com/role-arn") == 1
    assert missing.count("AWS_PROFILE") == 1
