"""The client factory finds the API server as kubectl does, and fails with a fix, not a trace."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
import yaml

from forescale.scaler.clock import VirtualClock
from forescale.scaler.domain import HpaRef
from forescale.scaler.errors import ActuationUnavailable, ConfigError
from forescale.scaler.kube import HpaActuator, KubeApi, RetryPolicy, build_api_client
from forescale.scaler.kube.client import PREDICTIVE_AUTOSCALER
from tests.integration.kube.objects import pa_manifest, seed
from tests.integration.kube.server import KubeApiServer

pytestmark = pytest.mark.kube


def test_a_kubeconfig_file_and_context_select_the_cluster(
    kube: KubeApiServer, tmp_path: Path
) -> None:
    seed(kube, pa_manifest("checkout"))
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "test", "cluster": {"server": kube.url}}],
                "users": [{"name": "me", "user": {"token": "t0ken"}}],
                "contexts": [{"name": "ctx", "context": {"cluster": "test", "user": "me"}}],
                "current-context": "other",
            }
        )
    )

    api = KubeApi(build_api_client(kubeconfig=str(kubeconfig), context="ctx"))

    assert [o["metadata"]["name"] for o in api.list(PREDICTIVE_AUTOSCALER)] == ["checkout"]


def test_a_broken_kubeconfig_is_a_config_error_saying_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="set kubernetes.kubeconfig .* or KUBECONFIG"):
        build_api_client(kubeconfig=str(tmp_path / "missing"))


def test_inside_a_pod_without_a_service_account_token_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    with pytest.raises(ConfigError, match="ServiceAccount"):
        build_api_client()


def test_an_unreachable_api_server_is_unavailable_after_bounded_retries(
    clock: VirtualClock,
) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api = KubeApi(build_api_client(host=f"http://127.0.0.1:{port}"), timeout=1.0)
    actuator = HpaActuator(api, clock=clock, policy=RetryPolicy(attempts=3))

    with pytest.raises(ActuationUnavailable, match="after 3 attempt"):
        actuator.observe(HpaRef(namespace="shop", name="web"))


def test_every_request_needs_a_positive_timeout(kube_client: Any) -> None:
    with pytest.raises(ValueError, match="timeout"):
        KubeApi(kube_client, timeout=0)
