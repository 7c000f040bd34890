"""The peak memory of the running process, as the crawl summary and the ingest workers report it."""

from __future__ import annotations

import sys


def peak_rss_mb() -> float | None:
    """This process's peak resident memory in MB (ru_maxrss is KiB on Linux, bytes on macOS);
    None where the platform does not say (Windows)."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)
