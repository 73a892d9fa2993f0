"""`StoredPauses`: a targets-file target's pause lives in the record store (SQLite here), the
document's own annotation wins over the API, and a store outage never resumes a target."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from forescale.scaler.clock import VirtualClock
from forescale.scaler.controller.pauses import PAUSED, PauseRefused, StoredPauses
from forescale.scaler.controller.targets import FileTargets
from forescale.scaler.domain import TargetName
from forescale.scaler.store import SqlRecordStore
from tests.scaler.controller.test_targets import document, write

WEB, API = TargetName("shop/web"), TargetName("shop/api")
NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> SqlRecordStore:
    return SqlRecordStore.open(f"sqlite:///{tmp_path / 'pauses.db'}")


def test_a_pause_in_the_store_is_in_every_poll_until_resumed(
    store: SqlRecordStore, tmp_path: Path
) -> None:
    targets = write(tmp_path / "targets.yaml", document("web"), document("api"))
    pauses = StoredPauses(FileTargets(targets), store, clock=VirtualClock(NOW), shared=True)

    pauses.set_paused(WEB, True, by="operator token #1")

    assert pauses.poll().paused == {WEB}
    assert pauses.poll().paused == {WEB}
    pauses.set_paused(WEB, False, by="operator token #1")
    assert pauses.poll().paused == frozenset()


def test_a_store_that_cannot_be_read_keeps_the_pauses_last_read(
    store: SqlRecordStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    targets = write(tmp_path / "targets.yaml", document("web"))
    pauses = StoredPauses(FileTargets(targets), store, clock=VirtualClock(NOW), shared=True)
    pauses.set_paused(WEB, True, by="operator token #1")
    assert pauses.poll().paused == {WEB}

    with store.engine.begin() as connection:  # the database loses the table (a bad restore)
        connection.execute(text("DROP TABLE pauses"))

    assert pauses.poll().paused == {WEB}  # never "resumed" by an outage
    assert "cannot read the paused targets, keeping the last known" in caplog.text


def test_the_documents_own_annotation_pauses_and_only_the_file_can_lift_it(
    store: SqlRecordStore, tmp_path: Path
) -> None:
    web = document("web")
    web["metadata"]["annotations"] = {PAUSED: "true"}
    targets = write(tmp_path / "targets.yaml", web, document("api"))
    pauses = StoredPauses(FileTargets(targets), store, clock=VirtualClock(NOW), shared=True)

    assert pauses.poll().paused == {WEB}
    with pytest.raises(PauseRefused, match="remove it there to resume"):
        pauses.set_paused(WEB, False, by="operator token #1")
    pauses.set_paused(API, True, by="operator token #1")
    assert pauses.poll().paused == {WEB, API}
