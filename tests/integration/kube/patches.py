"""The three PATCH flavours the Kubernetes API accepts, applied to plain JSON values.

- JSON merge patch (RFC 7386): objects merge recursively, ``null`` deletes a key, lists replace.
- Strategic merge patch: treated as a merge patch. That is exact for the fields Forescale writes
  (scalars and maps); the list merge keys and ``$patch`` directives of real strategic merge are
  not emulated, and a ``$``-directive is refused so a test never passes by accident.
- JSON patch (RFC 6902): applied by the ``jsonpatch`` package (all six operations); Forescale
  itself does not send JSON patches, but the kubernetes client does for a list body.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch
import jsonpointer

__all__ = ["PatchError", "apply_json_patch", "merge_patch"]


class PatchError(ValueError):
    """The patch document is malformed or does not apply (a failed ``test``, a missing path)."""


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: the result of merging ``patch`` into ``target`` (neither is modified)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            raise PatchError(f"strategic-merge directive {key!r} is not supported here")
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def apply_json_patch(document: Any, operations: Any) -> Any:
    """RFC 6902 over a copy of ``document`` (the ``jsonpatch`` package); any failing operation
    fails the whole patch."""
    if not isinstance(operations, list):
        raise PatchError("a JSON patch is a list of operations")
    try:
        return jsonpatch.apply_patch(document, operations, in_place=False)
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
        raise PatchError(str(exc)) from None
