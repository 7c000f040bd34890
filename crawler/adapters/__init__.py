"""CMS family adapters: one module per family, a registry, and detection for ``cms: auto``.

Add a family by subclassing ``CmsAdapter`` and calling ``register``; nothing else changes.
"""

from __future__ import annotations

from scrapy.http import Response

from crawler.adapters.base import CmsAdapter, ListPage
from crawler.adapters.dede import DedeAdapter
from crawler.adapters.generic import GenericAdapter
from crawler.adapters.gkmlpt import GkmlptAdapter
from crawler.adapters.hanweb import HanwebAdapter
from crawler.adapters.trs import TrsAdapter
from crawler.adapters.vsb import VsbAdapter

ADAPTERS: dict[str, type[CmsAdapter]] = {}


def register(adapter: type[CmsAdapter]) -> type[CmsAdapter]:
    """Make ``adapter`` available under its ``family`` name (and to auto-detection)."""
    ADAPTERS[adapter.family] = adapter
    return adapter


for _cls in (GkmlptAdapter, HanwebAdapter, VsbAdapter, TrsAdapter, DedeAdapter, GenericAdapter):
    register(_cls)

_instances: dict[str, CmsAdapter] = {}


def adapter_for(family: str) -> CmsAdapter:
    """The adapter of ``family`` (unknown names fall back to the generic adapter)."""
    if family not in _instances:
        _instances[family] = ADAPTERS.get(family, GenericAdapter)()
    return _instances[family]


def detect_family(response: Response) -> str:
    """The family whose markers the page shows most (registration order breaks ties), else generic."""
    best, best_score = "generic", 0
    for family, cls in ADAPTERS.items():
        score = cls.detect(response) if cls.markers else 0
        if score > best_score:
            best, best_score = family, score
    return best


__all__ = ["ADAPTERS", "CmsAdapter", "ListPage", "adapter_for", "detect_family", "register"]
