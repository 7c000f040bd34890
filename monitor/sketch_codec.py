"""Duplicate-check sketches (arrays of 64-bit clause hashes) as stored in ``report_facts``."""

from __future__ import annotations

import sys
from array import array


def sketch_bytes(sketch: array | None) -> bytes | None:
    """Little-endian 64-bit integers: the same bytes on every machine."""
    if sketch is None:
        return None
    if sys.byteorder != "little":
        sketch = array("q", sketch)
        sketch.byteswap()
    return sketch.tobytes()


def sketch_from_bytes(data: bytes | None) -> array | None:
    if data is None:
        return None
    out = array("q")
    out.frombytes(data)
    if sys.byteorder != "little":
        out.byteswap()
    return out
