"""Secure defaults hold in every value set: restricted pods, least-privilege RBAC, no secrets in
plain sight, AWS through IRSA only."""

from __future__ import annotations

import re

import pytest

from tests.helm.chart import (
    NAMESPACE,
    RELEASE,
    VALUE_SETS,
    Doc,
    controller,
    env,
    of_kind,
    one,
    pod_specs,
    render,
    render_error,
    settings,
    settings_yaml,
)

pytestmark = pytest.mark.helm

# What scaler/kube needs, and nothing else (apiGroup, resource) -> verbs; test_rbac_matches_requests
# checks these against the requests the code makes.
CONTROLLER_RULES = {
    ("forescale.io", "predictiveautoscalers"): {"list", "patch"},  # patch: the pause annotation
    ("forescale.io", "predictiveautoscalers/status"): {"patch"},
    ("autoscaling", "horizontalpodautoscalers"): {"get", "list", "patch"},
    ("events.k8s.io", "events"): {"create"},
}
TRAIN_RULES = {("forescale.io", "predictiveautoscalers"): {"list"}}
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|DSN|KEY|STORE__URL", re.IGNORECASE)


def rules_of(role: Doc) -> dict[tuple[str, str], set[str]]:
    table: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                table.setdefault((group, resource), set()).update(rule["verbs"])
    return table


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_every_pod_runs_restricted(value_set: str) -> None:
    for name, pod in pod_specs(render(VALUE_SETS[value_set])):
        context = pod["securityContext"]
        assert context["runAsNonRoot"] is True, name
        assert context["runAsUser"] == 10001 and context["runAsGroup"] == 10001, name
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert not pod.get("hostNetwork") and not pod.get("hostPID"), name
        assert all("hostPath" not in v for v in pod.get("volumes", [])), name
        for container in pod["containers"]:
            sc = container["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["readOnlyRootFilesystem"] is True, name
            assert sc.get("privileged", False) is False, name
            assert sc["capabilities"] == {"drop": ["ALL"]}, name
            requests = container["resources"]["requests"]
            assert requests["cpu"] and requests["memory"], name
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            volumes = {v["name"]: v for v in pod["volumes"]}
            assert "emptyDir" in volumes[mounts["/tmp"]], f"{name}: /tmp must be writable"


def test_only_the_controller_mounts_a_service_account_token() -> None:
    docs = render(VALUE_SETS["ci/targets-values.yaml"])
    mounted = {name: pod["automountServiceAccountToken"] for name, pod in pod_specs(docs)}
    assert mounted == {
        "Deployment/forescale-controller": True,
        "CronJob/forescale-train": True,
        "Pod/forescale-test-readyz": False,
    }


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_rbac_has_no_wildcards_and_only_the_rules_the_code_needs(value_set: str) -> None:
    docs = render(VALUE_SETS[value_set])
    roles = of_kind(docs, "ClusterRole") + of_kind(docs, "Role")
    for role in roles:
        for rule in role["rules"]:
            for field in ("apiGroups", "resources", "verbs", "resourceNames"):
                assert "*" not in rule.get(field, []), f"{role['metadata']['name']}: {rule}"
    (main,) = [r for r in roles if r["metadata"]["name"].endswith("-controller")]
    assert rules_of(main) == CONTROLLER_RULES
    for train in [r for r in roles if r["metadata"]["name"].endswith("-train")]:
        assert rules_of(train) == TRAIN_RULES


def test_the_training_job_runs_as_its_own_account_with_its_own_role() -> None:
    docs = render(VALUE_SETS["prod"])
    (cronjob,) = of_kind(docs, "CronJob")
    assert cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["serviceAccountName"] == (
        "forescale-train"
    )
    accounts = {a["metadata"]["name"]: a for a in of_kind(docs, "ServiceAccount")}
    assert set(accounts) == {"forescale", "forescale-train"}
    role = next(r for r in of_kind(docs, "ClusterRole") if r["metadata"]["name"].endswith("-train"))
    assert rules_of(role) == TRAIN_RULES
    bindings = of_kind(docs, "ClusterRoleBinding") + of_kind(docs, "RoleBinding")
    for binding in bindings:
        train = binding["roleRef"]["name"].endswith("-train")
        assert {s["name"] for s in binding["subjects"]} == {
            "forescale-train" if train else "forescale"
        }
    # IRSA: the controller's role unless the trainer is given its own (S3 rights only)
    own = "arn:aws:iam::222222222222:role/forescale-train"
    docs = render(
        VALUE_SETS["prod"],
        (f"training.serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn={own}",),
    )
    accounts = {a["metadata"]["name"]: a for a in of_kind(docs, "ServiceAccount")}
    assert accounts["forescale-train"]["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": own
    }
    assert accounts["forescale"]["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] != own


def test_a_watched_namespace_confines_the_training_role_too() -> None:
    docs = render(VALUE_SETS["ci/namespaced-values.yaml"], ("training.enabled=true",
                  "config.store.models_url=s3://bucket/models"))  # fmt: skip
    assert not of_kind(docs, "ClusterRole") and not of_kind(docs, "ClusterRoleBinding")
    roles = {(r["metadata"]["name"], r["metadata"]["namespace"]) for r in of_kind(docs, "Role")}
    assert ("fs-train", "shop") in roles


def test_all_namespaces_need_a_cluster_role_and_the_lease_stays_namespaced() -> None:
    docs = render()
    assert one(docs, "ClusterRole")["metadata"]["name"] == "forescale-controller"
    binding = one(docs, "ClusterRoleBinding")
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "forescale", "namespace": NAMESPACE}
    ]
    lease_role = one(docs, "Role")
    assert lease_role["metadata"]["namespace"] == NAMESPACE
    assert lease_role["rules"] == [
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
        {
            "apiGroups": ["coordination.k8s.io"],
            "resources": ["leases"],
            "resourceNames": ["forescale-leader"],
            "verbs": ["get", "update"],
        },
    ]


def test_a_watched_namespace_gets_a_role_there_and_nothing_cluster_wide() -> None:
    docs = render(VALUE_SETS["ci/namespaced-values.yaml"])
    assert not of_kind(docs, "ClusterRole") and not of_kind(docs, "ClusterRoleBinding")
    roles = {(r["metadata"]["name"], r["metadata"]["namespace"]) for r in of_kind(docs, "Role")}
    assert roles == {("fs-controller", "shop"), ("fs-leader-election", NAMESPACE)}
    binding = next(b for b in of_kind(docs, "RoleBinding") if b["metadata"]["namespace"] == "shop")
    assert binding["subjects"][0]["namespace"] == NAMESPACE


def test_without_leader_election_there_is_no_lease_permission() -> None:
    docs = render(VALUE_SETS["dev"])
    assert not any(
        rule["apiGroups"] == ["coordination.k8s.io"]
        for role in of_kind(docs, "Role") + of_kind(docs, "ClusterRole")
        for rule in role["rules"]
    )


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_secrets_arrive_only_by_reference(value_set: str) -> None:
    docs = render(VALUE_SETS[value_set])
    for name, pod in pod_specs(docs):
        for container in pod["containers"]:
            for variable, entry in env(container).items():
                if SECRET_NAME.search(variable):
                    assert "secretKeyRef" in entry.get("valueFrom", {}), f"{name}: {variable}"
                assert not variable.startswith("AWS_SECRET"), f"{name}: AWS keys in values"
    assert not re.search(r"://[^/@:\s]+:[^/@\s]+@", settings_yaml(docs)), "password in ConfigMap"


def test_aws_access_is_the_service_account_role_annotation() -> None:
    docs = render(VALUE_SETS["ci/targets-values.yaml"])
    (account,) = [
        a for a in of_kind(docs, "ServiceAccount") if a["metadata"]["name"] == "forescale"
    ]
    role = account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert role == "arn:aws:iam::111111111111:role/forescale"
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == account["metadata"]["name"]
    assert not [v for v in env(controller(docs)) if v.startswith("AWS_")]


@pytest.mark.parametrize(
    ("setting", "advice"),
    [
        ("config.store.url=postgresql+psycopg://app:hunter2@db/forescale", "store.existingSecret"),
        (
            "config.store.url=postgresql+psycopg://app@db/forescale?password=hunter2",
            "existingSecret",
        ),
        (
            "config.store.url=postgresql://app@db/f?sslmode=require&PASSWORD=hunter2",
            "existingSecret",
        ),
        ("config.store.url=postgresql://app@db/f?sslpassword=hunter2", "store.existingSecret"),
        ("config.prometheus.url=https://app:hunter2@prometheus:9090", "prometheusAuth"),
        ("config.aws.endpoint_url=https://key:hunter2@vpce.example", "IRSA"),
    ],
)
def test_a_password_in_the_settings_file_is_refused(setting: str, advice: str) -> None:
    error = render_error(setting)
    assert advice in error and "hunter2" not in error


def test_a_grace_period_too_short_to_give_the_floors_back_is_refused() -> None:
    error = render_error(
        "controller.terminationGracePeriodSeconds=30", "config.controller.shutdown_seconds=28"
    )
    assert "terminationGracePeriodSeconds (30) must leave 5 s beyond" in error
    assert "shutdown_seconds (28)" in error
    fits = render(sets=("controller.terminationGracePeriodSeconds=45",
                        "config.controller.shutdown_seconds=40"))  # fmt: skip
    pod = one(fits, "Deployment")["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] == 45


def test_a_database_url_without_a_password_renders() -> None:
    docs = render(sets=("config.store.url=postgresql+psycopg://app@db/forescale?sslmode=require",))
    assert settings(docs)["store"]["url"].endswith("?sslmode=require")


@pytest.mark.parametrize(
    "sets",
    [
        (),
        ("networkPolicy.enabled=true",),  # the namespace's pods and nobody else: still anyone
    ],
)
def test_a_trusted_proxy_header_without_a_network_policy_naming_the_proxy_is_refused(
    sets: tuple[str, ...],
) -> None:
    error = render_error("config.api.trusted_proxy_header=X-Forescale-Role", *sets)
    assert "networkPolicy.ingressFrom" in error


def test_behind_a_trusted_proxy_only_the_proxy_and_the_chart_test_reach_the_api() -> None:
    docs = render(
        sets=(
            "config.api.trusted_proxy_header=X-Forescale-Role",
            "networkPolicy.enabled=true",
            "networkPolicy.ingressFrom[0].namespaceSelector.matchLabels.name=auth-proxy",
        )
    )
    (rule,) = one(docs, "NetworkPolicy")["spec"]["ingress"]
    assert rule["from"] == [
        {"podSelector": {"matchLabels": {
            "app.kubernetes.io/name": "forescale", "app.kubernetes.io/instance": RELEASE,
            "app.kubernetes.io/component": "test",
        }}},
        {"namespaceSelector": {"matchLabels": {"name": "auth-proxy"}}},
    ]  # fmt: skip
    test_pod = one(docs, "Pod")["metadata"]["labels"]
    assert test_pod["app.kubernetes.io/component"] == "test"


@pytest.mark.parametrize("value_set", ["prod", "ci/targets-values.yaml"])
def test_mounted_secrets_are_not_world_readable(value_set: str) -> None:
    secrets = [
        volume["secret"]
        for _, pod in pod_specs(render(VALUE_SETS[value_set]))
        for volume in pod.get("volumes", [])
        if "secret" in volume
    ]
    assert secrets and all(s["defaultMode"] == 0o440 for s in secrets)
