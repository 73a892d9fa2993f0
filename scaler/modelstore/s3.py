"""`S3ModelStore`: the `ModelStore` on S3, so models trained in a notebook reach the cluster.

Same layout and bytes as `DirectoryModelStore`, under a key prefix::

    s3://BUCKET/PREFIX/<target>/<version>.fsm    one model file (models.persistence format)
    s3://BUCKET/PREFIX/<target>/PROMOTED         the promoted version's name

so ``aws s3 sync models/ s3://BUCKET/PREFIX/`` publishes a directory store as it is.

Integrity, three ways: S3 verifies each upload against its SHA-256 (``ChecksumAlgorithm``) and
botocore verifies each download (``ChecksumMode``); our own sha256 of the whole object, stored
as object metadata at save, is checked on load (it also covers the card, which the model file's
own checksum does not); and `models.persistence.loads` checks the payload checksum and format.
Versions are never overwritten: a save uses a conditional put (``If-None-Match: *``) and takes
the next free name when one exists, as the directory store does with ``link``. A card is read
with a ranged GET of the object's first bytes, never the whole model; with ``keep=N`` a save
deletes all but the newest N versions (never the promoted one; ``s3:DeleteObject``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from forescale.models.base import BaseForecaster
from forescale.models.errors import ModelFileError
from forescale.models.persistence import CARD_READ_BYTES, ModelCard, card_of, dumps, loads
from forescale.scaler.aws.errors import AWS_ERRORS, FailureKind, classify
from forescale.scaler.aws.session import AwsClients
from forescale.scaler.config.urls import parse_s3_url
from forescale.scaler.errors import (
    ConfigError,
    ModelNotFound,
    ModelStoreError,
    PermanentError,
    TemporaryError,
)
from forescale.scaler.modelstore.base import DEFAULT_KEEP, to_prune
from forescale.scaler.modelstore.directory import _NAME, _PROMOTED, _SUFFIX

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["ModelStoreAccessError", "ModelStoreUnavailable", "S3ModelStore"]

log = logging.getLogger(__name__)

_SHA_KEY = "forescale-sha256"  # object metadata: x-amz-meta-forescale-sha256


class ModelStoreUnavailable(ModelStoreError, TemporaryError):
    """S3 is unreachable, throttling or failing; the next attempt may succeed."""


class ModelStoreAccessError(ModelStoreError, PermanentError):
    """The bucket is missing, or credentials or permissions do not allow the call (the message
    names the IAM action)."""


class S3ModelStore:
    """`ModelStore` on an S3 bucket and key prefix (``s3://bucket/prefix``)."""

    def __init__(
        self,
        url: str,
        *,
        clients: AwsClients | None = None,
        region: str | None = None,
        keep: int | None = DEFAULT_KEEP,
    ) -> None:
        if keep is not None and keep < 1:
            raise ConfigError(f"the model store must keep at least 1 version, not {keep}")
        self.bucket, self.prefix = parse_s3_url(url)
        self.url = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        self._clients = clients or AwsClients()
        self._region = region
        self.keep = keep

    def save(self, target: str, model: BaseForecaster, card: ModelCard) -> str:
        data = dumps(model, card)
        digest = hashlib.sha256(data).hexdigest()
        stem = f"{card.created_at:%Y%m%dT%H%M%S%fZ}-{card.data_sha256[:8]}"
        for n in range(1, 1000):
            version = stem if n == 1 else f"{stem}-{n}"
            if self._put_new(self._key(target, version), data, digest=digest):
                self._prune_after_save(target)
                return version
        raise ModelStoreError(f"too many models saved under {self._folder(target)} for {stem}")

    def card(self, target: str, version: str) -> ModelCard:
        key = self._key(target, version)
        source = f"s3://{self.bucket}/{key}"
        try:
            with self._translated("GetObject", key):
                response = self._s3.get_object(
                    Bucket=self.bucket, Key=key, Range=f"bytes=0-{CARD_READ_BYTES - 1}"
                )
                head = response["Body"].read()
        except ModelNotFound:
            raise ModelNotFound(
                f"target {target!r} has no model version {version!r} in {self.url}"
            ) from None
        try:
            return card_of(head, source=source)
        except ModelFileError as exc:
            raise ModelStoreError(str(exc)) from exc

    def load(self, target: str, version: str | None = None) -> tuple[BaseForecaster, ModelCard]:
        if version is None:
            version = self.promoted(target)
            if version is None:
                stored = self.versions(target)
                hint = f"promote one of {stored}" if stored else "train one first"
                raise ModelNotFound(
                    f"no promoted model for target {target!r} in {self.url}; {hint}"
                )
        key = self._key(target, version)
        found = self._get(key)
        if found is None:
            raise ModelNotFound(
                f"target {target!r} has no model version {version!r} in {self.url}; "
                f"stored: {self.versions(target)}"
            )
        data, recorded = found
        source = f"s3://{self.bucket}/{key}"
        if recorded is not None and hashlib.sha256(data).hexdigest() != recorded:
            raise ModelStoreError(
                f"{source} is corrupt: its sha256 differs from the one recorded when it was "
                "saved; save the model again (or promote another version)"
            )
        try:
            return loads(data, source=source)
        except ModelFileError as exc:
            raise ModelStoreError(str(exc)) from exc

    def versions(self, target: str) -> list[str]:
        folder = self._folder(target)
        return sorted(
            name[: -len(_SUFFIX)]
            for name in self._list(folder)
            if name.endswith(_SUFFIX) and _NAME.fullmatch(name[: -len(_SUFFIX)])
        )

    def promote(self, target: str, version: str) -> None:
        key = self._key(target, version)
        if key.rpartition("/")[2] not in self._list(key):
            raise ModelNotFound(
                f"target {target!r} has no model version {version!r} in {self.url}; "
                f"stored: {self.versions(target)}"
            )
        pointer = self._folder(target) + _PROMOTED
        with self._translated("PutObject", pointer):
            self._s3.put_object(
                Bucket=self.bucket,
                Key=pointer,
                Body=version.encode() + b"\n",
                ChecksumAlgorithm="SHA256",
            )

    def promoted(self, target: str) -> str | None:
        found = self._get(self._folder(target) + _PROMOTED)
        if found is None:
            return None
        return found[0].decode("utf-8", "replace").strip() or None

    # -- internals --------------------------------------------------------------------------
    def prune(self, target: str) -> list[str]:
        """Delete the versions beyond `keep` (never the promoted one); the ones deleted."""
        doomed = to_prune(self.versions(target), keep=self.keep, promoted=self.promoted(target))
        for version in doomed:
            key = self._key(target, version)
            with self._translated("DeleteObject", key):
                self._s3.delete_object(Bucket=self.bucket, Key=key)
        return doomed

    def _prune_after_save(self, target: str) -> None:
        """A failure to prune is logged, never fatal: the new version is saved either way."""
        try:
            doomed = self.prune(target)
        except ModelStoreError as exc:
            log.warning("model store: could not prune old versions of %s: %s", target, exc)
            return
        if doomed:
            log.info("model store: %s: pruned %d old version(s)", target, len(doomed))

    @property
    def _s3(self) -> S3Client:
        return self._clients.s3(region=self._region)

    def _folder(self, target: str) -> str:
        if not _NAME.fullmatch(target) or ".." in target:
            raise ConfigError(
                f"invalid target name {target!r}: use letters, digits, '.', '_' and '-' "
                "(at most 128, starting with a letter or digit)"
            )
        return f"{self.prefix}/{target}/" if self.prefix else f"{target}/"

    def _key(self, target: str, version: str) -> str:
        if not _NAME.fullmatch(version) or ".." in version:
            raise ModelNotFound(f"invalid model version {version!r} for target {target!r}")
        return f"{self._folder(target)}{version}{_SUFFIX}"

    def _put_new(self, key: str, data: bytes, *, digest: str) -> bool:
        """Create ``key``; False when it already exists (a version is never overwritten)."""
        with self._translated("PutObject", key):
            try:
                self._s3.put_object(
                    Bucket=self.bucket,
                    Key=key,
                    Body=data,
                    IfNoneMatch="*",
                    ChecksumAlgorithm="SHA256",
                    Metadata={_SHA_KEY: digest},
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "PreconditionFailed":
                    return False
                raise
        return True

    def _get(self, key: str) -> tuple[bytes, str | None] | None:
        """The object's bytes and recorded sha256, or None when it does not exist.

        Without s3:ListBucket on the whole bucket, S3 answers a missing key with 403 instead of
        404; a listing of the key (allowed under the prefix) then tells "missing" from "denied".
        """
        try:
            with self._translated("GetObject", key):
                response = self._s3.get_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
                return response["Body"].read(), response.get("Metadata", {}).get(_SHA_KEY)
        except ModelNotFound:
            return None
        except ModelStoreAccessError:
            if key.rpartition("/")[2] not in self._list(key):
                return None
            raise

    def _list(self, prefix: str) -> set[str]:
        """Names (after the last '/') of the objects directly under ``prefix``'s folder whose
        key starts with ``prefix``."""
        folder = prefix.rpartition("/")[0] + "/"
        names: set[str] = set()
        with self._translated("ListObjectsV2", prefix):
            pages = self._s3.get_paginator("list_objects_v2")
            for page in pages.paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/"):
                names.update(item["Key"][len(folder) :] for item in page.get("Contents", []))
        return names

    @contextmanager
    def _translated(self, operation: str, key: str) -> Iterator[None]:
        """botocore exceptions -> model store errors naming the object and the IAM action."""
        try:
            yield
        except AWS_ERRORS as exc:
            failure = classify(exc, service="s3", operation=operation)
            where = f"s3://{self.bucket}/{key}"
            if failure.kind is FailureKind.NOT_FOUND and failure.code == "NoSuchBucket":
                raise ModelStoreAccessError(
                    f"{where}: bucket {self.bucket!r} does not exist; create it or fix the "
                    "model store URL"
                ) from None
            if failure.kind is FailureKind.NOT_FOUND:
                raise ModelNotFound(f"{where} does not exist") from None
            if failure.kind in (FailureKind.DENIED, FailureKind.CREDENTIALS):
                raise ModelStoreAccessError(f"{where}: {failure.explain()}") from None
            if failure.kind in (FailureKind.THROTTLED, FailureKind.UNAVAILABLE):
                raise ModelStoreUnavailable(f"{where}: {failure.explain()}") from None
            raise ModelStoreError(f"{where}: {failure.explain()}") from None
