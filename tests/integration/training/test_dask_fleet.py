"""Fleet retraining on a two-worker Dask `LocalCluster`, against the real Prometheus test server,
into a directory store and an S3 store (moto's HTTP server).

Clusters: most tests use threads (``processes=False``): they start in about a second, and an
injected model is visible to the workers; Dask still runs each task on its own worker thread,
with its retries and its scheduler. One test uses two worker processes, so that every part of a
run (the job's factories, the targets, the reports) really crosses a process boundary by pickle,
as it does on a cluster.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from forescale.models.fallback import FORECASTERS
from forescale.models.level import LevelTrend
from forescale.scaler.cli import main
from forescale.scaler.config import parse_targets_yaml
from forescale.scaler.config.settings import PrometheusSettings
from forescale.scaler.domain import TargetSpec
from forescale.scaler.metrics.prometheus import PrometheusSource
from forescale.scaler.modelstore import DirectoryModelStore
from forescale.scaler.modelstore.base import model_key
from forescale.scaler.modelstore.s3 import S3ModelStore
from forescale.scaler.training import TrainOptions, TrainReport, from_spec, train_all
from forescale.scaler.training.fleet import FleetJob
from forescale.scaler.wiring import build_model_store, prometheus_source
from tests.conftest import require
from tests.integration.aws.world import AwsWorld
from tests.integration.prometheus.proxy import FlakyProxy
from tests.integration.prometheus.server import NASA_QUERY, SeededPrometheus
from tests.scaler.training.test_train_cli import pa

try:
    from distributed import LocalCluster

    from forescale.scaler.training.dask_executor import train_on_dask
except ImportError:  # pragma: no cover - the dask extra is in the dev lock
    LocalCluster = None

pytestmark = [pytest.mark.prometheus]

QUERIES = {  # four targets, four different PromQL expressions over the same series
    "checkout": NASA_QUERY,
    "search": f"2 * {NASA_QUERY}",
    "cart": f"{NASA_QUERY} + 10",
    "login": f"sum({NASA_QUERY})",
}
FAST = TrainOptions(candidates=("level", "fft"), test=timedelta(days=1), origins=40)


def specs(queries: dict[str, str] = QUERIES) -> list[TargetSpec]:
    text = yaml.safe_dump_all([pa(name, query) for name, query in queries.items()])
    return [document.to_domain() for document in parse_targets_yaml(text)]


def cluster(*, processes: bool) -> LocalCluster:
    require("distributed", LocalCluster is not None, "install the dask extra")
    return LocalCluster(
        n_workers=2, threads_per_worker=1, processes=processes, protocol="tcp",
        host="127.0.0.1", dashboard_address="127.0.0.1:0", worker_dashboard_address=None,
    )  # fmt: skip


@pytest.fixture(scope="module")
def threads() -> Iterator[str]:
    with cluster(processes=False) as local:
        yield local.scheduler_address


def job(prometheus_url: str, store: str, **options: Any) -> FleetJob:
    """Factories as the CLI builds them: module functions of settings, built on the worker."""
    import functools

    return FleetJob(
        store=functools.partial(build_model_store, store, aws=None, keep=20),  # type: ignore[arg-type]
        source=functools.partial(
            prometheus_source, PrometheusSettings(url=prometheus_url, timeout_seconds=10, retries=0)
        ),
        options=dataclasses.replace(FAST, **options),
        now=pd.Timestamp.now(tz="UTC").to_pydatetime(),
    )


def comparable(report: TrainReport) -> dict[str, Any]:
    """A report without what differs between two runs of the same pass: times and versions."""
    out = report.to_json()
    for key in ("seconds", "version"):
        out.pop(key)
    for candidate in out["candidates"]:
        candidate.pop("fit_ms")
        candidate.pop("predict_ms")
    return out


def test_dask_trains_exactly_what_the_in_process_pass_trains(
    prometheus: SeededPrometheus, threads: str, tmp_path: Path
) -> None:
    fleet = job(prometheus.url, str(tmp_path / "dask"))
    progress: list[tuple[int, int]] = []

    class Bar:
        def __call__(self, done: int, total: int) -> None:
            progress.append((done, total))

        def done(self, outcome: str) -> None: ...

    got = train_on_dask(threads, specs(), job=fleet, chunk=3, progress=Bar())

    here = DirectoryModelStore(tmp_path / "here")
    with PrometheusSource.from_url(prometheus.url) as source:
        targets = [from_spec(s, source=source, now=fleet.now) for s in specs()]
        expected = train_all(targets, store=here, options=FAST, now=fleet.now)
    assert [comparable(r) for r in got] == [comparable(r) for r in expected]
    assert [r.target for r in got] == [f"shop/{name}" for name in QUERIES]
    store = DirectoryModelStore(tmp_path / "dask")
    for report in got:
        assert report.ok and report.promoted and store.promoted(model_key(report.target))
    assert progress[0] == (0, 4) and progress[-1] == (4, 4)  # chunks of 3 and 1: 0, 3|1, 4
    assert sorted(progress[1:-1]) in ([(1, 4)], [(3, 4)])


class WorkerCrash(BaseException):
    """Stands for what the per-target boundary cannot catch: a crash in native code, a worker
    killed for its memory. Dask sees the task fail, as it does then."""


class Crashing(LevelTrend):
    name = "crashing"
    fits = 0

    def fit(self, y: pd.Series, X: pd.DataFrame | None = None) -> Crashing:  # noqa: N803
        type(self).fits += 1
        raise WorkerCrash("injected crash while fitting")


def test_a_target_that_crashes_its_task_is_retried_and_reported_and_the_others_are_written(
    prometheus: SeededPrometheus, threads: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(FORECASTERS, "crashing", Crashing)
    Crashing.fits = 0
    good, crash, other = specs({"checkout": QUERIES["checkout"], "cart": QUERIES["cart"],
                                "login": QUERIES["login"]})  # fmt: skip
    crash = dataclasses.replace(crash, model="crashing")
    fleet = job(prometheus.url, str(tmp_path), candidates=None)  # each target's own model too

    reports = train_on_dask(threads, [good, crash, other], job=fleet, chunk=3, retries=1)

    assert [r.ok for r in reports] == [True, False, True]
    assert reports[1].target == "shop/cart"
    assert reports[1].error == (
        "task failed after 2 attempt(s): WorkerCrash: injected crash while fitting"
    )
    # The chunk ran twice (once and its retry), then the crashing target alone twice.
    assert Crashing.fits == 4
    store = DirectoryModelStore(tmp_path)
    assert store.promoted("shop_checkout") and store.promoted("shop_login")
    assert store.promoted("shop_cart") is None and store.versions("shop_cart") == []


def test_a_task_whose_prometheus_read_fails_once_is_retried(
    prometheus: SeededPrometheus, threads: str, tmp_path: Path
) -> None:
    with FlakyProxy(prometheus.url) as proxy:
        proxy.fail_next = 1  # the chunk's batched read: 503 once (no client retries)
        reports = train_on_dask(threads, specs(), job=job(proxy.url, str(tmp_path)), chunk=4)
        # 1 refused + the retry's batch: 1,729 points x 4 series in two requests (the first
        # sized for 1,000 series: 250 points; then the rest). One query per target: 4 more.
        assert proxy.fail_next == 0 and proxy.requests == 3

    assert all(r.ok and r.promoted for r in reports), [r.error for r in reports]


@pytest.mark.aws
def test_the_cli_trains_on_dask_into_an_s3_store(
    prometheus: SeededPrometheus, aws: AwsWorld, threads: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    bucket = "forescale-fleet"
    aws.admin("s3").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": aws.region}
    )
    url = f"s3://{bucket}/models"
    targets = tmp_path / "targets.yaml"
    targets.write_text(yaml.safe_dump_all([pa(n, q) for n, q in QUERIES.items()]))
    settings = tmp_path / "settings.yaml"
    settings.write_text(yaml.safe_dump({
        "prometheus": {"url": prometheus.url},
        "store": {"models_url": url},
        "aws": {"endpoint_url": aws.proxy.url, "max_attempts": 2},
        "executor": {"dask": {"address": threads, "chunk_targets": 2, "retries": 1}},
    }))  # fmt: skip

    code = main(["train", "--config", str(settings), "--targets", str(targets), "--models",
                 "level,fft", "--test", "1d", "--origins", "40"])  # fmt: skip

    out, err = capsys.readouterr()
    assert code == 0, err
    assert [line.split(":")[0] for line in out.splitlines()] == [f"shop/{n}" for n in QUERIES]
    assert f"forescale train on {threads}: 4/4 targets" in err
    assert "4 target(s): 4 trained (4 promoted), 0 failed" in err
    store = S3ModelStore(url, clients=aws.clients())
    for name in QUERIES:
        _, card = store.load(f"shop_{name}")
        assert card.step_seconds == 300 and card.model in ("level", "fft")


def test_the_cli_trains_on_two_worker_processes_into_a_directory_store(
    prometheus: SeededPrometheus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    targets = tmp_path / "targets.yaml"
    targets.write_text(yaml.safe_dump_all([pa(n, q) for n, q in QUERIES.items()]))
    settings = tmp_path / "settings.yaml"
    settings.write_text(yaml.safe_dump({
        "prometheus": {"url": prometheus.url},
        "store": {"models_url": str(tmp_path / "models")},
    }))  # fmt: skip

    with cluster(processes=True) as local:
        address = local.scheduler_address.replace("tcp://", "dask://")
        code = main(["train", "--config", str(settings), "--targets", str(targets), "--json",
                     "--models", "level,fft", "--test", "1d", "--origins", "40",
                     "--executor", address])  # fmt: skip

    out, err = capsys.readouterr()
    assert code == 0, err
    store = DirectoryModelStore(tmp_path / "models")
    for line in out.splitlines():
        report = yaml.safe_load(line)
        assert report["ok"] and store.promoted(model_key(report["target"])) == report["version"]
    assert len(out.splitlines()) == 4
    # LocalCluster's nanny sets MALLOC_TRIM_THRESHOLD_ (the image's workers do not): said once.
    assert "2 Dask worker(s) run with MALLOC_TRIM_THRESHOLD_=65536" in err


def test_an_unreachable_scheduler_is_one_line_and_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require("distributed", LocalCluster is not None, "install the dask extra")
    settings = tmp_path / "settings.yaml"
    settings.write_text(yaml.safe_dump({
        "store": {"models_url": str(tmp_path / "models")},
        "executor": {"dask": {"address": "dask://127.0.0.1:1", "connect_timeout_seconds": 1}},
    }))  # fmt: skip
    trace = tmp_path / "web.csv"
    trace.write_text("timestamp,value\n2026-01-01T00:00:00Z,1\n2026-01-01T00:05:00Z,2\n")

    code = main(["train", "--config", str(settings), "--trace", f"web={trace}"])

    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [
        "forescale train: error: cannot reach the Dask scheduler at tcp://127.0.0.1:1: Timed out "
        "trying to connect to tcp://127.0.0.1:1 after 1 s; check the address (the scheduler's "
        "service, port 8786) and that this pod may connect to it"
    ]


def test_traces_are_read_here_and_trained_on_the_cluster(
    threads: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from forescale.models.datasets import synthetic_traffic

    trace = tmp_path / "web.csv"
    y = synthetic_traffic(days=6, freq="5min", seed=3)
    trace.write_text("timestamp,value\n" + "".join(f"{t:%Y-%m-%dT%H:%M:%SZ},{v:.1f}\n"
                                                   for t, v in y.items()))  # fmt: skip
    address = threads.replace("tcp://", "dask://")

    code = main(["train", "--store", str(tmp_path / "models"), "--trace", f"web={trace}",
                 "--trace", f"gone={tmp_path / 'missing.csv'}", "--models", "level",
                 "--test", "1d", "--origins", "20", "--executor", address])  # fmt: skip

    out, err = capsys.readouterr()
    assert code == 1  # the missing file fails here, before the cluster; web is trained there
    lines = dict(line.split(": ", 1) for line in out.splitlines())
    assert lines["gone"].startswith("FAILED:") and "missing.csv" in lines["gone"]
    assert "level saved as" in lines["web"]
    assert DirectoryModelStore(tmp_path / "models").promoted("web")
    assert "2 target(s): 1 trained (1 promoted), 1 failed" in err
