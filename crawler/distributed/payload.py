"""Requests in the shared queue as JSON, never pickle: what a worker reads from Redis is data, not code.

A request is stored as its ``Request.to_dict`` (Scrapy's ``request_to_dict``) in JSON. What JSON
has no form for is written as a one-key object naming its type:

- ``{"$bytes": "<base64>"}``: bytes (the body, header names and values);
- ``{"$tuple": [...]}``: a tuple;
- ``{"$map": [[key, value], ...]}``: a dict whose keys are not all strings (the headers), or a
  dict that would read as one of these tags.

Anything else (a set, a date, an object an adapter put in ``meta``) cannot be stored:
``encode_request`` raises ``UnstorableRequest`` naming where it is, rather than dropping or
converting it. ``decode_request`` reads only this format, and accepts as ``_class`` only the
Request classes the crawler makes, so a payload written into Redis by someone else is at worst an
``UnreadableRequest`` (the worker drops it and records a crawl error) or a request to some URL,
never code run by the worker.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any

BYTES, TUPLE, MAP = "$bytes", "$tuple", "$map"
_TAGS = (BYTES, TUPLE, MAP)
# ``_class`` values request_from_dict may load (plain Request has none): FormRequest for hanweb's windows.
REQUEST_CLASSES = frozenset({"scrapy.http.request.form.FormRequest"})


class UnstorableRequest(ValueError):
    """A request holds a value the shared queue cannot store as JSON."""


class UnreadableRequest(ValueError):
    """A payload in the shared queue is not a request this crawler stored."""


def encode_request(request: dict[str, Any]) -> bytes:
    """``request`` (a ``Request.to_dict``) as the queue stores it (see module docstring)."""
    return json.dumps(_encode(request, "request"), ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def decode_request(payload: bytes) -> dict[str, Any]:
    """The request dict stored as ``payload``; ``UnreadableRequest`` for anything else (a pickle included)."""
    try:
        request = json.loads(payload.decode("utf-8"), object_hook=_decode_object)
    except (UnicodeDecodeError, ValueError, TypeError, binascii.Error) as exc:
        raise UnreadableRequest(f"not a JSON request ({type(exc).__name__}: {exc})") from None
    if not isinstance(request, dict) or not isinstance(request.get("url"), str):
        raise UnreadableRequest("not a request (no url)")
    cls = request.get("_class")
    if cls is not None and cls not in REQUEST_CLASSES:
        raise UnreadableRequest(f"request class {cls!r} is not one the crawler makes")
    return request


def _encode(value: Any, where: str) -> Any:
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise UnstorableRequest(f"{where}: {value} cannot be stored in the shared queue (JSON has no such number)")
        return value
    if isinstance(value, (bytes, bytearray)):
        return {BYTES: base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, list):
        return [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, tuple):
        return {TUPLE: [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and not (len(value) == 1 and next(iter(value)) in _TAGS):
            return {k: _encode(v, f"{where}[{k!r}]") for k, v in value.items()}
        return {MAP: [[_encode(k, f"{where} key {k!r}"), _encode(v, f"{where}[{k!r}]")] for k, v in value.items()]}
    raise UnstorableRequest(
        f"{where}: a {type(value).__module__}.{type(value).__qualname__} cannot be stored in the shared queue "
        "(JSON: str, int, float, bool, None, bytes, list, tuple, dict)"
    )


def _decode_object(obj: dict[str, Any]) -> Any:
    if len(obj) != 1:
        return obj
    tag, value = next(iter(obj.items()))
    if tag == BYTES:
        if not isinstance(value, str):
            raise ValueError("$bytes holds no base64 text")
        return base64.b64decode(value, validate=True)
    if tag == TUPLE:
        if not isinstance(value, list):
            raise ValueError("$tuple holds no list")
        return tuple(value)
    if tag == MAP:
        if not isinstance(value, list) or not all(isinstance(p, list) and len(p) == 2 for p in value):
            raise ValueError("$map holds no list of pairs")
        return {_hashable(k): v for k, v in value}
    return obj


def _hashable(key: Any) -> Any:
    if isinstance(key, (list, dict)):
        raise ValueError(f"$map key {key!r} is not a dict key")
    return key
