"""The search for a portal's 年报 column(s): which page to fetch next, and what was found.

No I/O here: the ``discover`` spider fetches what ``next_candidate`` names and reports back with
``page_fetched`` / ``page_failed``. Pages are fetched one at a time, best first: links scored as a
年报 column (``crawler.portal_links``) before links towards the disclosure hub, shallower hubs first,
within a page budget. A fetched candidate is a column when its link and the page agree (the link
names a 年报 column and the page lists reports, year sub-columns, or names itself so), or the page
alone is clearly one. Several columns are kept when the reports are split (government /
departments / townships); a column lying inside another one's folder is part of that one's tree.
Links to other hosts are followed when they are the portal's own (same registered domain), a
bare-IP host, or a gov.cn host that the link's words name as the disclosure hub or a 年报 column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urlsplit

from parsel import Selector

from crawler.discovery import classify_title
from crawler.platform_shell import is_shell, list_api_url, shell_categories, shell_sid
from crawler.portal_links import COLUMN_MIN, HUB_MIN, LinkScore, PortalLink, is_ip, page_evidence, page_links, registered_domain, score_link, script_redirect, site_name

CONFIRM_MIN = 1  # page evidence (one report title will do) that confirms a link scored as a column
PAGE_ALONE_MIN = 6  # page evidence that makes a page a column whatever led to it
STRONG_LINK = 8  # a link this sure may stand without the page's confirmation (script-rendered lists)


@dataclass
class Candidate:
    """A page worth fetching: how it was reached and, once fetched, what it turned out to be."""

    url: str  # as linked (a digits-only fragment is kept: gkmlpt categories are fragments)
    text: str  # the link's words ("" for the start URL)
    found_on: str | None  # key of the page linking to it
    score: LinkScore
    depth: int
    seq: int
    status: str = "queued"  # queued, column, page, failed, forbidden, other host
    note: str = ""
    final_url: str | None = None  # after redirects (the fragment carried over)
    evidence: int = 0
    evidence_reasons: list[str] = field(default_factory=list)
    family: str | None = None
    fetch_url: str | None = None  # what is requested instead of ``url`` (a platform category's list API)

    @property
    def total(self) -> int:
        return self.score.column + self.evidence

    @property
    def is_column_link(self) -> bool:
        return self.score.column >= COLUMN_MIN

    def priority(self) -> tuple[int, int, int]:
        if self.is_column_link:
            tier = 1 if self.score.year_level else 2
            return tier, self.score.column, -self.seq
        return 0, self.score.hub - 2 * self.depth, -self.seq


@dataclass
class DiscoveryResult:
    """What ``nianbao discover`` reports: the column(s), how they were reached, what else was seen."""

    start_url: str
    max_pages: int
    site_name: str = ""
    columns: list[Candidate] = field(default_factory=list)
    unconfirmed: bool = False  # columns taken on the strength of their link alone
    visited: list[Candidate] = field(default_factory=list)  # in fetch order
    candidates: list[Candidate] = field(default_factory=list)  # every scored link, best first
    forbidden: list[Candidate] = field(default_factory=list)  # links robots.txt forbids
    budget_exhausted: bool = False
    by_key: dict[str, Candidate] = field(default_factory=dict)

    def path_to(self, candidate: Candidate) -> list[Candidate]:
        """The chain of links from the start URL to ``candidate`` (start first)."""
        chain = [candidate]
        while chain[-1].found_on is not None and len(chain) < 20:
            chain.append(self.by_key[chain[-1].found_on])
        return list(reversed(chain))

    def column_url(self, candidate: Candidate) -> str:
        return candidate.final_url or candidate.url


def candidate_key(url: str) -> str:
    """URLs differing only by a fragment are one page, unless the fragment is a category number."""
    base, fragment = urldefrag(url)
    return f"{base}#{fragment}" if fragment.isdigit() else base


class ColumnSearch:
    """Best-first search for 年报 columns from ``start_url`` (see module docstring)."""

    def __init__(self, start_url: str, max_pages: int) -> None:
        self.start_url = start_url
        self.max_pages = max_pages
        self.portal_hosts = {(urlsplit(start_url).hostname or "").lower()}  # the start host, and where it redirects
        self.fetched = 0
        self._seq = 0
        self._pages_seen: set[str] = set()  # fetched URLs (no fragment)
        self._shells: dict[str, str] = {}  # platform shell URL -> its SID
        self.result = DiscoveryResult(start_url, max_pages)
        self._add(start_url, "", None, LinkScore(), -1)

    # Frontier --------------------------------------------------------------------------------
    def _add(self, url: str, text: str, found_on: str | None, score: LinkScore, depth: int) -> Candidate:
        key = candidate_key(url)
        known = self.result.by_key.get(key)
        if known is not None:
            if known.status == "queued" and score.column + score.hub > known.score.column + known.score.hub:
                known.score, known.text, known.found_on, known.depth = score, text, found_on, depth
            return known
        self._seq += 1
        cand = Candidate(url, text, found_on, score, depth + 1, self._seq)
        self.result.by_key[key] = cand
        return cand

    def next_candidate(self) -> Candidate | None:
        """The page to fetch next, or None when the search is over."""
        queued = [c for c in self.result.by_key.values() if c.status == "queued"]
        if self.result.columns and not any(c.is_column_link for c in queued):
            return None  # found, and no other column candidate left: hubs are not explored further
        while queued:
            best = max(queued, key=Candidate.priority)
            queued.remove(best)
            if self.fetched >= self.max_pages:
                self.result.budget_exhausted = True
                return None
            base = urldefrag(best.url)[0]
            api = self._category_api(best)
            if api is not None:  # a platform category: its list API tells whether it lists reports
                best.fetch_url = api
            elif base in self._pages_seen:  # another category of a page already read: judge it now
                self._judge_again(best, base)
                continue
            self.fetched += 1
            self._pages_seen.add(base)
            best.status = "fetching"
            return best
        return None

    def _category_api(self, cand: Candidate) -> str | None:
        base, fragment = urldefrag(cand.url)
        sid = self._shells.get(base)
        return list_api_url(base, fragment, sid) if sid and fragment.isdigit() else None

    def _judge_again(self, cand: Candidate, base: str) -> None:
        page = next((c for c in self.result.visited if base in (urldefrag(c.url)[0], urldefrag(c.final_url or "")[0]) and c.status in ("column", "page")), None)
        if page is None:
            cand.status, cand.note = "failed", "the same page failed before"
            return
        cand.final_url = cand.url
        cand.evidence, cand.evidence_reasons, cand.family = page.evidence, page.evidence_reasons, page.family
        self._decide(cand)

    # Outcomes --------------------------------------------------------------------------------
    def page_fetched(self, cand: Candidate, final_url: str, selector: Selector, family: str, text: str = "") -> None:
        """A fetched HTML page: judge it, then queue the links worth following."""
        fragment = urldefrag(cand.url)[1]
        if is_shell(final_url) and shell_sid(text):
            self._read_shell(cand, final_url, text)
            if fragment.isdigit():
                cand.status = "queued"  # asked for a category: its list API decides, next
                return
        self.result.visited.append(cand)
        cand.final_url = final_url + (f"#{fragment}" if fragment.isdigit() and "#" not in final_url else "")
        cand.family = family
        self._pages_seen.add(urldefrag(final_url)[0])  # a later link to where a redirect landed is not fetched again
        if cand.found_on is None:
            self.portal_hosts.add((urlsplit(final_url).hostname or "").lower())
        links = page_links(selector, final_url)
        redirect = script_redirect(text, final_url) if len(links) < 3 else None
        if redirect:  # a root page that only sends browsers on: follow it like a hub link
            links.append(PortalLink(redirect, "(script redirect)", "", LinkScore(hub=HUB_MIN, hub_reasons=("the page sends browsers there by script",))))
        elif not self.result.site_name:
            self.result.site_name = site_name(selector)
        cand.evidence, cand.evidence_reasons = page_evidence(selector, links, text)
        self._decide(cand)
        inside = _folder(final_url) if cand.status == "column" else None
        for link in links:
            self._consider(link, cand, inside)

    def _read_shell(self, cand: Candidate, final_url: str, text: str) -> None:
        """A platform shell: remember its SID and queue the categories its script names."""
        base = urldefrag(final_url)[0]
        self._shells[base] = self._shells[urldefrag(cand.url)[0]] = shell_sid(text) or ""
        self._pages_seen.add(base)
        for catid, name in shell_categories(text):
            url = f"{base}#{catid}"
            self._consider(PortalLink(url, name, "", score_link(url, name)), cand, None)

    def category_listed(self, cand: Candidate, titles: list[str]) -> None:
        """The first list API page of a platform category, with its entry titles."""
        self.result.visited.append(cand)
        cand.final_url = cand.url
        cand.family = "gkmlpt"
        reports = [t for t in titles if classify_title(t) == "report"]
        cand.evidence = min(len(reports), 4)
        cand.evidence_reasons = [f"its list API lists {len(reports)} report title(s) of {len(titles)}"]
        self._decide(cand)

    def page_failed(self, cand: Candidate, reason: str, *, forbidden: bool = False) -> None:
        cand.status = "forbidden" if forbidden else "failed"
        cand.note = reason
        self.result.visited.append(cand)
        if forbidden:
            self.result.forbidden.append(cand)
            self.fetched -= 1  # never requested

    def _decide(self, cand: Candidate) -> None:
        confirmed = (cand.is_column_link and cand.evidence >= CONFIRM_MIN) or cand.evidence >= PAGE_ALONE_MIN
        cand.status = "column" if confirmed else "page"
        if confirmed:
            self.result.columns.append(cand)

    def _consider(self, link: PortalLink, page: Candidate, inside: str | None) -> None:
        score = link.score
        if score.column < COLUMN_MIN and score.hub < HUB_MIN:
            return
        if not link.url.startswith(("http://", "https://")):
            return
        if inside is not None and urldefrag(link.url)[0].startswith(inside) and "#" not in candidate_key(link.url):
            return  # the column's own tree (years, categories, pages): the crawl descends it
        key = candidate_key(link.url)
        if key in self.result.by_key and self.result.by_key[key].status != "queued":
            return
        cand = self._add(link.url, link.text, candidate_key(page.url), score, page.depth)
        if not self._may_follow(link):
            cand.status, cand.note = "other host", f"{urlsplit(link.url).hostname} is not this portal's host"

    def _may_follow(self, link: PortalLink) -> bool:
        host = (urlsplit(link.url).hostname or "").lower()
        if host in self.portal_hosts or is_ip(host) or any(registered_domain(host) == registered_domain(h) for h in self.portal_hosts):
            return True
        words = link.score.column >= COLUMN_MIN or link.score.hub >= HUB_MIN
        return host.endswith(".gov.cn") and words and bool(re.search(r"公开|年报|年度报告", link.text))

    # Result ----------------------------------------------------------------------------------
    def finish(self) -> DiscoveryResult:
        """The chosen column(s) and every scored candidate, best first."""
        res = self.result
        res.candidates = sorted(
            (c for c in res.by_key.values() if c.found_on is not None),
            key=lambda c: (c.status == "column", c.total, c.score.hub),
            reverse=True,
        )
        unique: dict[str, Candidate] = {}
        for c in sorted(res.columns, key=lambda c: c.seq):  # one page reached by two links (a redirect) is one column
            unique.setdefault(res.column_url(c), c)
        columns = [c for c in unique.values() if not any(o is not c and _inside(c, o) for o in unique.values())]
        if any(not c.score.year_level for c in columns):
            columns = [c for c in columns if not c.score.year_level]
        if not columns:
            strong = [c for c in res.candidates if c.status == "page" and c.score.column >= STRONG_LINK and not c.score.year_level]
            columns, res.unconfirmed = strong[:1], bool(strong)
        best = max((c.total for c in columns), default=0)
        res.columns = sorted((c for c in columns if c.total * 2 >= best), key=lambda c: c.seq)  # in the order the portal lists them
        return res


def _folder(url: str) -> str:
    base = urldefrag(url)[0]
    return base if base.endswith("/") else base.rsplit("/", 1)[0] + "/"


def _inside(inner: Candidate, outer: Candidate) -> bool:
    """``inner`` lies in ``outer``'s folder (on the same host) and is not ``outer`` itself."""
    a, b = urldefrag(inner.final_url or inner.url)[0], urldefrag(outer.final_url or outer.url)[0]
    folder = _folder(b)
    return a != b and a.startswith(folder) and _folder(a) != folder
