"""pytest plugin: moto's AWS API server for the whole session, fresh state for every test.

Loaded by the root conftest (``pytest_plugins = ["tests.integration.aws.plugin"]``), so any test
folder can ask for:

- ``moto_server`` (session): the running `MotoServer`;
- ``aws`` (function): an `AwsWorld` - dummy credentials in the environment (never real ones),
  a reset moto, the fault proxy in front of it, setup helpers and `AwsWorld.clients` for the code
  under test. After the test, every operation the code under test sent must be granted by the
  reference IAM policy (scaler/aws/iam-policy.json), or the test fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.conftest import require

if TYPE_CHECKING:  # imported lazily: moto is slow to import and unit-only runs never need it
    from tests.integration.aws.proxy import AwsFaultProxy
    from tests.integration.aws.server import MotoServer
    from tests.integration.aws.world import AwsWorld

__all__ = ["aws", "moto_server"]

_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/nonexistent/forescale-tests",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/forescale-tests",
}
_UNSET = ("AWS_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ENDPOINT_URL")


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    try:
        from tests.integration.aws.server import MotoServer
    except ImportError as exc:
        require("moto server", False, f"{exc}; install the dev extra (moto[server])")
        raise
    server = MotoServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def _aws_proxy(moto_server: MotoServer) -> Iterator[AwsFaultProxy]:
    from tests.integration.aws.proxy import AwsFaultProxy

    with AwsFaultProxy(moto_server.url) as proxy:
        yield proxy


@pytest.fixture
def aws(
    moto_server: MotoServer, _aws_proxy: AwsFaultProxy, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AwsWorld]:
    from tests.integration.aws.world import AwsWorld, policy_actions

    for key, value in _ENV.items():
        monkeypatch.setenv(key, value)
    for key in _UNSET:
        monkeypatch.delenv(key, raising=False)
    moto_server.reset()
    _aws_proxy.reset()
    world = AwsWorld(server=moto_server, proxy=_aws_proxy)
    yield world
    missing = sorted(world.actions - policy_actions())
    if missing:
        pytest.fail(
            f"the code sent {missing}, which scaler/aws/iam-policy.json does not grant",
            pytrace=False,
        )
