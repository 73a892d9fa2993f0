"""Property-based: cases generated from the OpenAPI schema never produce a server error.

Every operation gets a bounded number of generated requests (valid and invalid), sent with an
operator token so writes run too. Schemathesis also checks that each answer's status code,
content type and body conform to what the schema documents, that invalid input is refused and
that auth is not ignored. One check is left out: ``positive_data_acceptance`` expects every
schema-valid request to succeed, but rules across parameters (``start`` before ``end``, a range
of at most 31 days) cannot be written in OpenAPI; those requests get a 422 that says why.

The app is built at import time (``schemathesis.pytest.from_fixture`` does not support this
pytest version), with its own fake controller, a seeded store and a fresh random token.
"""

from __future__ import annotations

import secrets

import schemathesis
from hypothesis import HealthCheck, settings
from pydantic import SecretStr

from forescale.scaler.clock import VirtualClock
from forescale.scaler.config.settings import ApiSettings
from forescale.scaler.store import MemoryRecordStore
from forescale.service.app import create_app
from tests.service.conftest import NOW, TARGET, UNTRAINED
from tests.service.fake_view import FakeController
from tests.service.history import daily_loads, seed

TOKEN = secrets.token_urlsafe(24)


def build_app() -> object:
    clock = VirtualClock(NOW)
    view = FakeController(clock)
    view.add(TARGET)
    view.add(UNTRAINED, with_model=False)
    store = MemoryRecordStore()
    seed(store, TARGET, daily_loads(NOW, hours=2))
    settings = ApiSettings(operator_tokens=[SecretStr(TOKEN)])
    return create_app(view, store, settings=settings, clock=clock)


schema = schemathesis.openapi.from_asgi("/openapi.json", build_app())


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_generated_request_causes_a_server_error(case: schemathesis.Case) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {TOKEN}"},
        excluded_checks=[schemathesis.checks.positive_data_acceptance],
    )
