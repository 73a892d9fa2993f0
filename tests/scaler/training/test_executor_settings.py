"""Choosing where ``forescale train`` runs: the executor settings, ``--executor``, the chunking
arithmetic, and ``forescale`` importing without the ``dask`` extra (tests/scaler/test_extras.py
runs ``--executor`` without it)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from forescale.scaler.cli.train_fleet import dask_settings
from forescale.scaler.config.executor import dask_address, executor_address
from forescale.scaler.config.settings import load_settings
from forescale.scaler.errors import ConfigError
from forescale.scaler.training.fleet import chunked


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("dask://scheduler.dask:8786", "tcp://scheduler.dask:8786"),
        ("tcp://10.0.0.5:8786", "tcp://10.0.0.5:8786"),
        ("tls://scheduler:8786/", "tls://scheduler:8786"),
        ("dask://[fd00::1]:8786", "tcp://[fd00::1]:8786"),
    ],
)
def test_scheduler_addresses_become_dask_addresses(text: str, address: str) -> None:
    assert dask_address(text) == address


@pytest.mark.parametrize(
    "text", ["scheduler:8786", "dask://scheduler", "http://scheduler:8786", "dask://:8786",
             "dask://scheduler:port", "dask://scheduler:8786/path"],
)  # fmt: skip
def test_a_bad_scheduler_address_names_the_form_to_use(text: str) -> None:
    with pytest.raises(ConfigError, match="use e.g. dask://dask-scheduler.dask:8786"):
        dask_address(text)


def test_the_executor_flag_is_local_or_a_dask_url() -> None:
    assert executor_address("local") is None
    assert executor_address("dask://s:8786") == "tcp://s:8786"
    with pytest.raises(ConfigError, match="use local .* or dask://HOST:PORT"):
        executor_address("tcp://s:8786")


def test_the_settings_file_configures_a_dask_executor(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text(yaml.safe_dump({"executor": {"dask": {"address": "dask://s:8786",
                                                          "chunk_targets": 7}}}))  # fmt: skip
    settings = load_settings(path)

    dask = settings.executor.dask
    assert dask is not None
    assert (dask.address, dask.chunk_targets, dask.retries) == ("tcp://s:8786", 7, 2)
    flag = argparse.Namespace(executor="dask://other:8786")
    assert dask_settings(flag, settings).address == "tcp://other:8786"  # type: ignore[union-attr]
    assert dask_settings(flag, settings).chunk_targets == 7  # type: ignore[union-attr]
    assert dask_settings(argparse.Namespace(executor="local"), settings) is None
    assert dask_settings(argparse.Namespace(executor=None), settings) == dask
    assert load_settings().executor.dask is None  # the default: in process


def test_a_bad_executor_setting_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text(yaml.safe_dump({"executor": {"dask": {"address": "s:8786", "retries": -1}}}))
    with pytest.raises(ConfigError) as refused:
        load_settings(path)
    assert "executor.dask.address: invalid Dask scheduler address 's:8786'" in str(refused.value)
    assert "executor.dask.retries: Input should be greater than or equal to 0" in str(refused.value)


def test_chunks_keep_the_order_and_the_last_is_shorter() -> None:
    assert list(chunked(list(range(7)), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    with pytest.raises(ValueError, match="at least 1"):
        list(chunked([1], 0))


def test_the_automatic_chunk_is_four_tasks_per_worker_and_at_most_fifty() -> None:
    from forescale.scaler.training.dask_executor import chunk_size

    assert chunk_size(1000, workers=2) == 50  # ceil(1000 / 8) = 125, capped
    assert chunk_size(100, workers=2) == 13  # ceil(100 / 8)
    assert chunk_size(3, workers=0) == 1  # no worker yet (an adaptive cluster): as if one


def test_forescale_does_not_import_dask_unless_asked() -> None:
    code = (
        "import sys\n"
        "import forescale.scaler.cli, forescale.scaler.cli.train, forescale.scaler.training\n"
        "import forescale.scaler.training.fleet, forescale.scaler.wiring\n"
        "assert 'distributed' not in sys.modules and 'dask' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_executor_variables_are_settings_and_a_typo_is_named() -> None:
    from forescale.scaler.config.environment import unknown_variables

    environ = {"FORESCALE_EXECUTOR__DASK__ADDRESS": "dask://s:8786",
               "FORESCALE_EXECUTOR__DASK__RETRYS": "3"}  # fmt: skip
    assert unknown_variables(environ) == [
        "FORESCALE_EXECUTOR__DASK__RETRYS is not a Forescale setting and is ignored; did you "
        "mean FORESCALE_EXECUTOR__DASK__RETRIES?"
    ]
