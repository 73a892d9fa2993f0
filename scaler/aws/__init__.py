"""AWS adapters: the only place (with the S3 model store) that imports boto3/botocore.

`AwsClients` builds clients from the standard credential chain; `AsgActuator` drives EC2 Auto
Scaling groups; `errors` turns botocore failures into scaler errors; ``iam-policy.json`` is the
least-privilege policy the controller needs.
"""

from forescale.scaler.aws.asg import AsgActuator, Control, with_warm_up
from forescale.scaler.aws.errors import AwsCredentialsError, AwsRejected
from forescale.scaler.aws.groups import BASELINE_TAG, GroupState, InvalidGroupState
from forescale.scaler.aws.iam import load_policy, render_policy
from forescale.scaler.aws.schedule import SCHEDULE_PREFIX, ScheduleResult
from forescale.scaler.aws.session import AwsClients, AwsSettings

__all__ = [
    "BASELINE_TAG",
    "SCHEDULE_PREFIX",
    "AsgActuator",
    "AwsClients",
    "AwsCredentialsError",
    "AwsRejected",
    "AwsSettings",
    "Control",
    "GroupState",
    "InvalidGroupState",
    "ScheduleResult",
    "load_policy",
    "render_policy",
    "with_warm_up",
]
