"""Request fingerprints that keep the fragment of SPA routes.

Scrapy's default fingerprint drops the URL fragment, so ``/gkmlpt/index#2753`` and
``/gkmlpt/index#2754`` (two categories of one 政府信息公开目录平台 shell) look like one request and the
second is filtered as a duplicate. The spider marks such requests with ``meta["keep_fragment"]``;
every other request is fingerprinted exactly as Scrapy does it, so deduplication elsewhere and
JOBDIR fingerprints of existing crawls are unchanged.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.utils.request import fingerprint


class FragmentAwareFingerprinter:
    """Scrapy's fingerprint, with the fragment kept for requests flagged ``keep_fragment``."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> FragmentAwareFingerprinter:
        return cls()

    def fingerprint(self, request: Request) -> bytes:
        return fingerprint(request, keep_fragments=bool(request.meta.get("keep_fragment")))
