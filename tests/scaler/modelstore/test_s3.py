"""S3ModelStore against moto's S3 API server over HTTP: round trip, promotion, integrity, errors."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tests.conftest as root
from forescale.models.baselines import SeasonalNaive
from forescale.models.datasets import synthetic_traffic
from forescale.models.persistence import CARD_READ_BYTES, ModelCard, make_card
from forescale.scaler.errors import ConfigError, ModelNotFound, ModelStoreError, TemporaryError
from forescale.scaler.modelstore import DirectoryModelStore, ModelStore
from forescale.scaler.modelstore.s3 import (
    ModelStoreAccessError,
    ModelStoreUnavailable,
    S3ModelStore,
)
from tests.integration.aws.proxy import Fault
from tests.integration.aws.world import AwsWorld

pytestmark = pytest.mark.aws

if "tests.integration.aws.plugin" not in getattr(root, "pytest_plugins", ()):
    # Until tests/conftest.py registers the plugin, its fixtures are imported here.
    from tests.integration.aws.plugin import _aws_proxy, aws, moto_server  # noqa: F401

BUCKET = "forescale-models"
URL = f"s3://{BUCKET}/prod/models"
CREATED = datetime(2026, 11, 23, 6, tzinfo=UTC)


@pytest.fixture(scope="module")
def history() -> pd.Series:
    return synthetic_traffic(days=4, freq="30min", seed=3)


@pytest.fixture(scope="module")
def fitted(history: pd.Series) -> tuple[SeasonalNaive, ModelCard]:
    model = SeasonalNaive().fit(history)
    return model, make_card(model, history, created_at=CREATED, metrics={"mase": 0.8})


@pytest.fixture
def store(aws: AwsWorld) -> S3ModelStore:
    aws.admin("s3").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": aws.region}
    )
    return S3ModelStore(URL, clients=aws.clients(max_attempts=2))


def later(card: ModelCard, minutes: int) -> ModelCard:
    return replace(card, created_at=card.created_at + pd.Timedelta(minutes=minutes))


def test_the_store_satisfies_the_model_store_protocol(store: S3ModelStore) -> None:
    assert isinstance(store, ModelStore)


def test_a_saved_and_promoted_model_loads_back_with_its_card_and_forecasts_alike(
    store: S3ModelStore, fitted: tuple[SeasonalNaive, ModelCard]
) -> None:
    model, card = fitted
    first = store.save("web", model, card)
    second = store.save("web", model, later(card, 60))

    assert store.versions("web") == [first, second] and store.promoted("web") is None
    store.promote("web", first)

    loaded, loaded_card = store.load("web")
    assert store.promoted("web") == first and loaded_card == card
    np.testing.assert_array_equal(loaded.predict(horizon=6).mean, model.predict(horizon=6).mean)
    assert store.load("web", second)[1].created_at == later(card, 60).created_at


def test_objects_use_the_directory_store_layout_under_the_prefix(
    aws: AwsWorld, store: S3ModelStore, fitted: tuple[SeasonalNaive, ModelCard]
) -> None:
    version = store.save("web", *fitted)
    store.promote("web", version)

    listed = aws.admin("s3").list_objects_v2(Bucket=BUCKET)["Contents"]
    assert {o["Key"] for o in listed} == {
        "prod/models/web/PROMOTED",
        f"prod/models/web/{version}.fsm",
    }


def test_a_directory_store_synced_to_s3_loads_unchanged(
    aws: AwsWorld, store: S3ModelStore, fitted: tuple[SeasonalNaive, ModelCard], tmp_path: Path
) -> None:
    local = DirectoryModelStore(tmp_path)
    version = local.save("api", *fitted)
    local.promote("api", version)
    for path in (tmp_path / "api").iterdir():  # what `aws s3 sync` would upload
        key = f"prod/models/api/{path.name}"
        aws.admin("s3").put_object(Bucket=BUCKET, Key=key, Body=path.read_bytes())

    assert store.versions("api") == [version]
    assert store.load("api")[1] == fitted[1]


def test_saving_the_same_card_twice_never_overwrites_a_version(
    store: S3ModelStore, fitted: tuple[SeasonalNaive, ModelCard]
) -> None:
    first = store.save("web", *fitted)
    second = store.save("web", *fitted)

    assert second == f"{first}-2"
    assert store.versions("web") == [first, second]


def test_nothing_promoted_says_what_to_promote_or_to_train_first(
    store: S3ModelStore, fitted: tuple[SeasonalNaive, ModelCard]
) -> None:
    with pytest.raises(ModelNotFound, match="train one first"):
        store.load("web")
    version = store.save("web", *fitted)
    with pytest.raises(ModelNotFound, match=f"promote one of \\['{version}'\\]"):
        store.load("web")
    with pytest.raises(ModelNotFound, match="no model version 'nope'.*stored"):
        store.promote("web", "nope")
    with pytest.raises(ModelNotFound, match="no model version 'nope'"):
        store.load("web", "nope")


def test_an_object_changed_after_it_was_saved_is_refused(
    aws: AwsWorld, store: S3ModelStore, fitted: tuple[SeasonalNaive, ModelCard]
) -> None:
    version = store.save("web", *fitted)
    key = f"prod/models/web/{version}.fsm"
    s3 = aws.admin("s3")
    original = s3.get_object(Bucket=BUCKET, Key=key)
    data = bytearray(original["Body"].read())
    data[-10] ^= 0xFF  # one flipped byte in the pickled payload; recorded sha256 kept
    s3.put_object(Bucket=BUCKET, Key=key, Body=bytes(data), Metadata=original["Metadata"])

    with pytest.raises(ModelStoreError, match="is corrupt.*save the model again"):
        store.load("web", version)


def test_a_foreign_object_is_refused_as_not_a_model(aws: AwsWorld, store: S3ModelStore) -> None:
    aws.admin("s3").put_object(Bucket=BUCKET, Key="prod/models/web/x.fsm", Body=b"hello")

    with pytest.raises(ModelStoreError, match="not a Forescale model file"):
        store.load("web", "x")


def test_a_missing_bucket_is_named_with_how_to_fix_it(aws: AwsWorld) -> None:
    store = S3ModelStore("s3://no-such-bucket/models", clients=aws.clients())

    with pytest.raises(ModelStoreAccessError, match="'no-such-bucket' does not exist; create it"):
        store.versions("web")


def test_throttled_reads_are_retried_then_reported_as_temporary(
    aws: AwsWorld, store: S3ModelStore, fitted: tuple[SeasonalNaive, ModelCard]
) -> None:
    version = store.save("web", *fitted)
    aws.proxy.fail(Fault(code="SlowDown", status=503, operation="GetObject", times=1))
    assert store.load("web", version)[1] == fitted[1]  # one retry absorbed it

    aws.proxy.fail(Fault(code="SlowDown", status=503, operation="GetObject", times=5))
    with pytest.raises(ModelStoreUnavailable, match="throttled") as caught:
        store.load("web", version)
    assert isinstance(caught.value, TemporaryError)


def test_a_denied_write_names_the_iam_action(
    aws: AwsWorld, store: S3ModelStore, fitted: tuple[SeasonalNaive, ModelCard]
) -> None:
    aws.proxy.fail(Fault(code="AccessDenied", status=403, operation="PutObject"))

    with pytest.raises(ModelStoreAccessError, match="grant s3:PutObject"):
        store.save("web", *fitted)


def test_a_403_for_a_missing_pointer_means_nothing_is_promoted(
    aws: AwsWorld, store: S3ModelStore
) -> None:
    # Without s3:ListBucket on the whole bucket, S3 answers GetObject on a missing key with 403.
    aws.proxy.fail(Fault(code="AccessDenied", status=403, operation="GetObject"))

    assert store.promoted("web") is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://bucket/models", "must look like s3://bucket/prefix"),
        ("s3://Bad_Bucket/models", "not a valid S3 bucket name"),
        ("s3://bucket/a//b", "empty path segment"),
    ],
)
def test_a_malformed_url_is_refused_with_the_expected_form(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        S3ModelStore(url)


def test_a_prefixless_url_stores_at_the_bucket_root() -> None:
    store = S3ModelStore("s3://bucket")

    assert (store.bucket, store.prefix, store.url) == ("bucket", "", "s3://bucket")


def test_s3_keeps_the_newest_n_versions_and_the_promoted_one_and_reads_cards_by_range(
    aws: AwsWorld, store: S3ModelStore, fitted: tuple[SeasonalNaive, ModelCard]
) -> None:
    kept = S3ModelStore(URL, clients=aws.clients(max_attempts=2), keep=2)
    model, card = fitted
    first = kept.save("web", model, card)
    kept.promote("web", first)
    saved = [kept.save("web", model, later(card, 10 * n)) for n in range(1, 5)]

    assert kept.versions("web") == [first, *saved[-2:]]
    gets: list[dict[str, object]] = []
    kept._s3.meta.events.register(  # noqa: SLF001 - the client the store really uses
        "before-parameter-build.s3.GetObject", lambda params, **_: gets.append(dict(params))
    )
    assert kept.card("web", saved[-1]) == later(card, 40)
    assert [g.get("Range") for g in gets] == [f"bytes=0-{CARD_READ_BYTES - 1}"]  # not the model
    listing = aws.admin("s3").list_objects_v2(Bucket=BUCKET, Prefix="prod/models/web/")
    assert len([o for o in listing["Contents"] if o["Key"].endswith(".fsm")]) == 3
