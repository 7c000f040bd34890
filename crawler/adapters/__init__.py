"""CMS family adapters: one module per family, an open registry, and per-page family detection.

The registry is ``crawler.adapters`` in settings (``core.settings.DEFAULT_ADAPTERS`` plus the
site owner's additions): names mapped to dotted paths of ``CmsAdapter`` subclasses, loaded with
``core.registry.load_object``. Add a family with one module and one settings line
(docs/extending.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from scrapy.http import Response

from core.registry import ComponentError, load_object
from core.settings import DEFAULT_ADAPTERS
from crawler.adapters.base import CmsAdapter, ListPage, page_text

FALLBACK = "generic"  # what reads a page without any family's markers under ``cms: auto``
# A configured family gives way to another only when the page shows at least this many of the
# other's markers and none of its own (a TRS year list under a Hanweb root, a gkmlpt shell); the
# generic family, which has no markers, gives way to one.
OVERRIDE_MIN_MARKERS = 2


class AdapterRegistry:
    """The adapters of one crawl by name, in detection order (the order of the settings mapping)."""

    def __init__(self, adapters: Mapping[str, CmsAdapter]) -> None:
        self.adapters = dict(adapters)
        self._scoring = [(name, adapter) for name, adapter in self.adapters.items() if adapter.markers]
        self._fragment_rules = [a for a in self.adapters.values() if type(a).keeps_fragment is not CmsAdapter.keeps_fragment]

    @classmethod
    def from_paths(cls, paths: Mapping[str, str], setting: str = "crawler.adapters") -> AdapterRegistry:
        """Load each ``name: dotted.path`` (a one-line ``ComponentError`` for a bad one)."""
        adapters: dict[str, CmsAdapter] = {}
        for name, path in paths.items():
            obj = load_object(path, f"{setting}.{name}")
            if not (isinstance(obj, type) and issubclass(obj, CmsAdapter)):
                raise ComponentError(f"{setting}.{name}: {path!r} is not a subclass of crawler.adapters.CmsAdapter")
            adapters[name] = obj()
        return cls(adapters)

    def names(self) -> list[str]:
        return list(self.adapters)

    def get(self, name: str) -> CmsAdapter:
        """The adapter registered as ``name`` (the generic one for an unknown name)."""
        adapter = self.adapters.get(name) or self.adapters.get(FALLBACK)
        return adapter if adapter is not None else _generic()

    def scores(self, response: Response) -> dict[str, int]:
        """How many of each family's markers the page shows (families without markers left out)."""
        haystack = response.url + "\n" + page_text(response)
        return {name: adapter.score(haystack) for name, adapter in self._scoring}

    def detect(self, response: Response) -> str:
        """The family whose markers the page shows most (detection order breaks ties), else generic."""
        best, best_score = FALLBACK, 0
        for name, score in self.scores(response).items():
            if score > best_score:
                best, best_score = name, score
        return best

    def family_of_page(self, response: Response, hint: str) -> str:
        """The family that reads this list page: ``hint`` (the site's ``cms`` or the family of the
        page that linked here) unless the page's own markers say otherwise without ambiguity."""
        scores = self.scores(response)
        best, best_score = FALLBACK, 0
        for name, score in scores.items():
            if score > best_score:
                best, best_score = name, score
        if hint in ("auto", "") or hint not in self.adapters:
            return best
        # A family without markers (generic) is no evidence against one whose markers the page
        # shows: one marker is enough (a TRS year sub-column under a hand-made root).
        needed = OVERRIDE_MIN_MARKERS if self.adapters[hint].markers else 1
        if best != hint and best_score >= needed and scores.get(hint, 0) == 0:
            return best
        return hint

    def keeps_fragment(self, url: str) -> bool:
        """Whether ``url``'s fragment names a different page (an SPA route such as ``#<catid>``)."""
        return "#" in url and any(a.keeps_fragment(url) for a in self._fragment_rules)


@cache
def _generic() -> CmsAdapter:
    return load_object(DEFAULT_ADAPTERS[FALLBACK], "crawler.adapters.generic")()  # type: ignore[no-any-return]


@cache
def default_registry() -> AdapterRegistry:
    """The built-in adapters (``core.settings.DEFAULT_ADAPTERS``)."""
    return AdapterRegistry.from_paths(DEFAULT_ADAPTERS)


def adapter_for(family: str) -> CmsAdapter:
    """The built-in adapter of ``family`` (unknown names fall back to the generic adapter)."""
    return default_registry().get(family)


def detect_family(response: Response) -> str:
    """The built-in family whose markers the page shows most, else generic."""
    return default_registry().detect(response)


__all__ = ["AdapterRegistry", "CmsAdapter", "ListPage", "adapter_for", "default_registry", "detect_family"]
