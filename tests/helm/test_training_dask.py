"""The training CronJob on a Dask cluster: ``training.dask`` becomes the job's ``executor.dask``
settings (environment of the training container only), and what cannot work is refused."""

from __future__ import annotations

import pytest

from forescale.scaler.config.settings import load_settings
from tests.helm.chart import VALUE_SETS, controller, env, of_kind, render, render_error

pytestmark = pytest.mark.helm

DASK = (
    "training.dask.address=dask://forescale-dask.forescale.svc:8786",
    "training.dask.chunkTargets=25",
    "training.dask.retries=3",
)


def test_the_training_job_gets_the_dask_executor_and_the_controller_does_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    docs = render(VALUE_SETS["prod"], DASK)
    (cronjob,) = of_kind(docs, "CronJob")
    (train,) = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    variables = {k: v["value"] for k, v in env(train).items() if "EXECUTOR" in k}
    assert variables == {
        "FORESCALE_EXECUTOR__DASK__ADDRESS": "dask://forescale-dask.forescale.svc:8786",
        "FORESCALE_EXECUTOR__DASK__RETRIES": "3",
        "FORESCALE_EXECUTOR__DASK__CHUNK_TARGETS": "25",
    }
    assert not [k for k in env(controller(docs)) if "EXECUTOR" in k]
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    dask = load_settings().executor.dask
    assert dask is not None
    assert (dask.address, dask.retries, dask.chunk_targets) == (
        "tcp://forescale-dask.forescale.svc:8786", 3, 25,
    )  # fmt: skip


def test_without_an_address_the_job_trains_in_its_pod() -> None:
    (cronjob,) = of_kind(render(VALUE_SETS["prod"]), "CronJob")
    (train,) = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert not [k for k in env(train) if "EXECUTOR" in k]


def test_dask_workers_need_an_s3_model_store() -> None:
    error = render_error(
        "training.enabled=true", "config.store.models_url=/var/lib/forescale/models",
        "persistence.enabled=true", "persistence.accessModes[0]=ReadWriteMany", DASK[0],
    )  # fmt: skip
    assert "training.dask.address needs an s3:// config.store.models_url" in error


def test_a_scheduler_address_without_a_port_is_refused() -> None:
    error = render_error("training.dask.address=dask://forescale-dask")
    assert "training.dask.address" in error
