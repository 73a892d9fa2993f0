"""``forescale train`` against the real Prometheus test server, into both model stores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from forescale.scaler.cli import main
from forescale.scaler.modelstore import DirectoryModelStore, ModelStore
from forescale.scaler.modelstore.s3 import S3ModelStore
from tests.integration.aws.world import AwsWorld
from tests.integration.prometheus.server import NASA_QUERY, SeededPrometheus

pytestmark = [pytest.mark.prometheus]

BUCKET = "forescale-models"


def pa(name: str, query: str) -> dict[str, Any]:
    return {
        "apiVersion": "forescale.io/v1alpha1",
        "kind": "PredictiveAutoscaler",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {
            "target": {"hpa": {"name": name}},
            "query": query,
            "capacityPerReplica": 20,
            "maxReplicas": 30,
            "step": "5m",
            "interval": "5m",
            "history": "6d",
        },
    }


def write(path: Path, *documents: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump_all(documents), encoding="utf-8")
    return path


def train(tmp_path: Path, settings: dict[str, Any], *extra: str) -> list[str]:
    config = write(tmp_path / "settings.yaml", settings)
    return ["train", "--config", str(config), "--models", "level,fft", "--test", "1d",
            "--origins", "40", *extra]  # fmt: skip


def reports(out: str) -> dict[str, dict[str, Any]]:
    rows = [json.loads(line) for line in out.splitlines()]
    return {row["target"]: row for row in rows}


def assert_promoted(store: ModelStore, key: str, report: dict[str, Any]) -> None:
    assert report["ok"] and report["promoted"], report
    assert store.promoted(key) == report["version"]
    model, card = store.load(key)
    assert card.step_seconds == 300 and card.metrics["mase"] > 0
    assert card.model == report["selected"] and len(model.predict(6).mean) == 6


def test_train_reads_prometheus_and_promotes_into_a_directory_store(
    prometheus: SeededPrometheus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    targets = write(tmp_path / "targets.yaml", pa("checkout", NASA_QUERY))
    settings = {"prometheus": {"url": prometheus.url},
                "store": {"models_url": str(tmp_path / "models")}}  # fmt: skip

    code = main([*train(tmp_path, settings, "--targets", str(targets)), "--json"])

    out, err = capsys.readouterr()
    assert code == 0, err
    report = reports(out)["shop/checkout"]
    assert_promoted(DirectoryModelStore(tmp_path / "models"), "shop_checkout", report)
    assert "shop/checkout: level" in err and "MASE" in err  # progress on stderr
    assert "1 trained (1 promoted), 0 failed" in err


@pytest.mark.aws
def test_train_reads_prometheus_and_promotes_into_an_s3_store(
    prometheus: SeededPrometheus, aws: AwsWorld, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    aws.admin("s3").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": aws.region}
    )
    url = f"s3://{BUCKET}/prod/models"
    settings = {
        "prometheus": {"url": prometheus.url},
        "store": {"models_url": url},
        "aws": {"endpoint_url": aws.proxy.url, "max_attempts": 2},
        "controller": {"targets_file": str(write(tmp_path / "t.yaml", pa("web", NASA_QUERY)))},
    }

    code = main([*train(tmp_path, settings), "--json"])  # targets from the settings' file

    out, err = capsys.readouterr()
    assert code == 0, err
    store = S3ModelStore(url, clients=aws.clients())
    assert_promoted(store, "shop_web", reports(out)["shop/web"])
    keys = [o["Key"] for o in aws.admin("s3").list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert "prod/models/shop_web/PROMOTED" in keys


def test_a_failing_target_is_reported_and_the_others_are_trained(
    prometheus: SeededPrometheus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    targets = write(
        tmp_path / "targets.yaml",
        pa("gone", 'nasa_http_requests_per_minute{site="nowhere"}'),
        pa("checkout", NASA_QUERY),
    )
    settings = {"prometheus": {"url": prometheus.url},
                "store": {"models_url": str(tmp_path / "models")}}  # fmt: skip

    code = main(train(tmp_path, settings, "--targets", str(targets)))

    out, err = capsys.readouterr()
    assert code == 1
    lines = dict(line.split(": ", 1) for line in out.splitlines())
    assert lines["shop/gone"].startswith("FAILED:") and "no series" in lines["shop/gone"]
    assert "saved as" in lines["shop/checkout"] and "promoted" in lines["shop/checkout"]
    assert "2 target(s): 1 trained (1 promoted), 1 failed" in err


def test_an_unreachable_prometheus_fails_each_target_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    targets = write(tmp_path / "targets.yaml", pa("checkout", NASA_QUERY))
    settings = {"prometheus": {"url": "http://127.0.0.1:9", "timeout_seconds": 1, "retries": 0},
                "store": {"models_url": str(tmp_path / "models")}}  # fmt: skip

    code = main(train(tmp_path, settings, "--targets", str(targets)))

    out, _ = capsys.readouterr()
    assert code == 1
    assert out.startswith("shop/checkout: FAILED:") and "127.0.0.1:9" in out


def test_without_a_model_store_train_says_how_to_configure_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["train", "--config", str(write(tmp_path / "s.yaml", {})), "--trace", "a=b.csv"])
    assert code == 1
    assert "no model store: pass --store" in capsys.readouterr().err
