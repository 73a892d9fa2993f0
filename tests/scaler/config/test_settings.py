"""Settings: one typed object from a file and the environment, every check in the models,
no environment mutation, and unknown ``FORESCALE_*`` variables named with what was meant."""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from forescale.scaler.config.environment import check_runnable, unknown_variables
from forescale.scaler.config.settings import ForescaleSettings, load_settings
from forescale.scaler.errors import ConfigError
from forescale.scaler.planning.hysteresis import FloorHysteresis
from forescale.scaler.wiring import control_settings


@pytest.fixture(autouse=True)
def _no_forescale_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("FORESCALE_")]:
        monkeypatch.delenv(name)


def write(tmp_path: Path, settings: dict[str, object], name: str = "settings.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(settings))
    return path


def test_loading_a_file_leaves_the_environment_as_it_was(tmp_path: Path) -> None:
    before = dict(os.environ)
    loaded = load_settings(write(tmp_path, {"prometheus": {"url": "http://p:9090"}}))
    assert loaded.prometheus.url == "http://p:9090"
    assert dict(os.environ) == before  # FORESCALE_CONFIG was neither set nor left behind


def test_the_file_named_by_forescale_config_is_read_and_an_explicit_one_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORESCALE_CONFIG", str(write(tmp_path, {"log_level": "DEBUG"}, "a.yaml")))
    assert load_settings().log_level == "DEBUG"
    assert load_settings(write(tmp_path, {"log_level": "ERROR"}, "b.yaml")).log_level == "ERROR"
    assert os.environ["FORESCALE_CONFIG"].endswith("a.yaml")


def test_a_variable_overrides_one_field_of_its_group_in_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, {"prometheus": {"url": "http://p:9090", "timeout_seconds": 3}})
    monkeypatch.setenv("FORESCALE_PROMETHEUS__TIMEOUT_SECONDS", "7")
    loaded = load_settings(path)
    assert (loaded.prometheus.url, loaded.prometheus.timeout_seconds) == ("http://p:9090", 7.0)


def test_two_threads_loading_two_files_each_get_their_own(tmp_path: Path) -> None:
    files = [write(tmp_path, {"controller": {"interval_seconds": n}}, f"{n}.yaml") for n in (5, 9)]
    seen: dict[int, float] = {}

    def load(n: int) -> None:
        for _ in range(50):
            seen[n] = max(seen.get(n, 0), load_settings(files[n]).controller.interval_seconds)

    threads = [threading.Thread(target=load, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {0: 5.0, 1: 9.0}


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"leader_election": {"lease_duration_seconds": 5, "renew_deadline_seconds": 10}},
         "leader_election: lease_duration_seconds (5) must be greater than renew_deadline"),
        ({"leader_election": {"identity": ""}}, "leader_election.identity"),
        ({"api": {"operator_tokens": ["x" * 15]}}, "api.operator_tokens: token #1 is shorter"),
        ({"api": {"tls_cert_file": "/c.pem"}}, "set both tls_cert_file and tls_key_file"),
        ({"store": {"url": "sqlite:///:memory:"}}, "store.url: an in-memory SQLite database"),
        ({"store": {"models_url": "s3://"}}, "store.models_url: model store URL 's3://'"),
        ({"prometheus": {"url": "ftp://p"}}, "prometheus.url: 'ftp://p' is not an http(s) URL"),
    ],
)  # fmt: skip
def test_every_check_is_in_the_models_and_names_the_field(
    settings: dict[str, object], named: str, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match="invalid settings") as caught:
        load_settings(write(tmp_path, settings))
    assert named in str(caught.value)


def test_what_running_needs_is_named_all_at_once(tmp_path: Path) -> None:
    settings = ForescaleSettings(prometheus={"bearer_token_file": tmp_path / "missing"})
    with pytest.raises(ConfigError) as caught:
        check_runnable(settings)
    message = str(caught.value)
    assert "prometheus.url is required" in message and "no targets" in message
    assert f"prometheus.bearer_token_file: {tmp_path / 'missing'} is not found" in message


def test_unknown_variables_are_named_with_the_setting_meant() -> None:
    environ = {
        "FORESCALE_PROMETEUS__URL": "x",  # misspelt group
        "FORESCALE_PROMETHEUS_URL": "x",  # one underscore
        "FORESCALE_CONTROLLER__INTERVAL": "x",  # unknown field
        "FORESCALE_CONTROLLER__INTERVAL_SECONDS": "60",  # fine
        "FORESCALE_LOG_FORMAT": "json",  # fine
        "FORESCALE_CONFIG": "/etc/forescale/config.yaml",  # fine
        "FORESCALE_SERVICE_HOST": "10.0.0.1",  # a Kubernetes service link
        "FORESCALE_API_PORT_8080_TCP_ADDR": "10.0.0.1",  # another, for Service forescale-api
        "OTHER": "x",
    }
    assert unknown_variables(environ) == [
        "FORESCALE_CONTROLLER__INTERVAL is not a Forescale setting and is ignored; did you mean "
        "FORESCALE_CONTROLLER__INTERVAL_SECONDS?",
        "FORESCALE_PROMETEUS__URL is not a Forescale setting and is ignored; did you mean "
        "FORESCALE_PROMETHEUS__URL?",
        "FORESCALE_PROMETHEUS_URL is not a Forescale setting and is ignored; did you mean "
        "FORESCALE_PROMETHEUS__URL?",
    ]


def test_the_floor_hysteresis_settings_default_to_the_planner_defaults_and_reach_it(
    tmp_path: Path,
) -> None:
    defaults = control_settings(ForescaleSettings()).runtime.floor_hysteresis
    assert defaults == FloorHysteresis()
    off = {"floor_lower_band": 0, "floor_raise_band": 0, "floor_min_band": 0,
           "floor_persistence_seconds": 0}  # fmt: skip
    loaded = load_settings(write(tmp_path, {"controller": off}))
    assert control_settings(loaded).runtime.floor_hysteresis == FloorHysteresis.off()
    assert FloorHysteresis().persistence == timedelta(hours=1)
