"""``duplicate``: sections 一/五/六 nearly identical to the body's previous year or to another body's
report of the same year (evaluators found reports ~90% copied from the year before).

Cheap and bounded: the text is cut into clauses (digits folded, so changed years and counts do
not hide a copy), each clause hashed, and only the K smallest hashes kept (a bottom-K MinHash
sketch; exact Jaccard for short texts). Same-year candidates come from buckets keyed on the
smallest hashes (crc32: stable across runs); only one year's sketches (plus the previous year's) are held in memory.
Sketches are made once, when the report is stored (``report_sketch``, kept in ``report_facts``).
"""

from __future__ import annotations

import heapq
import re
import unicodedata
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from zlib import crc32

from monitor.context import CheckContext
from monitor.reports import StreamRow
from monitor.rules.base import FindingDraft, Rule

SAME_AGENCY = Rule(
    "D1",
    "duplicate",
    "warning",
    "{year}年度报告正文（一、五、六部分）与本机关{prev_year}年度报告相似度达 {similarity}%，疑似照搬上年内容",
    "年度报告内容不应照搬上年",
)
OTHER_AGENCY = Rule(
    "D2",
    "duplicate",
    "warning",
    "{year}年度报告正文（一、五、六部分）与{other}同年度报告相似度达 {similarity}%，疑似照搬其他机关内容",
    "年度报告内容不应照搬其他机关",
)

SKETCH_SIZE = 64  # hashes kept per document
BANDS = 3  # smallest hashes used as same-year bucket keys
BUCKET_CAP = (
    64  # a bucket this full holds boilerplate shared by everyone: stop filling it
)
MIN_CLAUSES = 8  # shorter texts (e.g. "无") are alike by nature
MIN_SECTION_CLAUSES = 3  # a section with less prose of its own ("无。") is left out of the comparison
_SPLIT = re.compile(r"[。；;！!？?，,、：:\n\r]+")
_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")
# Clauses every report prints (the preamble citing the regulation and the format notice, the
# statistics period, the contact line, the list of contents, "no other matters"): shared by all,
# they say nothing about copying.
_BOILERPLATE = re.compile(
    r"政府信息公开条例|国办公开办函|年度报告格式|本(?:年度)?报告|统计期限|统计时限|电子版|任何疑问|"
    r"联系电话|咨询电话|邮编|邮政编码|地址|传真|无其他需要报告|没有其他需要报告|无需要报告"
)
_CONTENTS = re.compile(
    r"全文包括|主要包括|包括|总体情况|主动公开政府信息情况|收到和处理政府信息公开申请情况|"
    r"政府信息公开行政复议|行政复议|行政诉讼情况|存在的主要问题及改进情况|其他需要报告的事项|"
    r"组成|以及|和|及|等|部分"
)


def _clauses(text: str) -> list[str]:
    """The text's clauses (digits folded to 0) of four characters or more."""
    norm = _DIGITS.sub("0", _SPACE.sub("", unicodedata.normalize("NFKC", text)))
    return [c for c in _SPLIT.split(norm) if len(c) >= 4]


def _is_boilerplate(clause: str) -> bool:
    return bool(_BOILERPLATE.search(clause)) or len(_CONTENTS.sub("", clause)) <= 2


def _sketch_of(clauses: Iterable[str]) -> array | None:
    # crc32, not hash(): str hashes change between processes, and a similarity that moved from
    # run to run would make findings near the threshold flap between resolved and reopened.
    hashes = {crc32(c.encode()) for c in clauses}
    if len(hashes) < MIN_CLAUSES:
        return None
    return array("q", heapq.nsmallest(SKETCH_SIZE, hashes))


def sketch(text: str) -> array | None:
    """The bottom-K hashes of the text's clauses, or None when the text is too short to judge."""
    return _sketch_of(_clauses(text))


SECTIONS = ("一", "五", "六")


def report_sketch(sections_text: dict[str, Any]) -> array | None:
    """The sketch of a report's sections 一, 五 and 六: only their own prose (boilerplate every
    report prints is left out), only sections with enough of it, and None when the report as a
    whole has too little to judge — two short or boilerplate-only texts are not "100 % similar"."""
    kept: list[str] = []
    for numeral in SECTIONS:
        prose = [c for c in _clauses(str(sections_text.get(numeral) or "")) if not _is_boilerplate(c)]
        if len(set(prose)) >= MIN_SECTION_CLAUSES:
            kept.extend(prose)
    return _sketch_of(kept)


def similarity(a: array, b: array) -> float:
    """Estimated Jaccard similarity of the two clause sets (exact when both fit in a sketch):
    the share of the union's K smallest hashes that are in both."""
    sa, sb = set(a), set(b)
    both = sa & sb
    if not both:  # the common case, decided without sorting
        return 0.0
    union = sa | sb
    if len(union) <= SKETCH_SIZE:
        return len(both) / len(union)
    return len(both.intersection(sorted(union)[:SKETCH_SIZE])) / SKETCH_SIZE


def similar_enough(a: array, b: array, threshold: float) -> float | None:
    """``similarity(a, b)`` when it reaches ``threshold``, else None — mostly without sorting:
    the estimate counts shared hashes among the union's K smallest, so it is at most
    (shared hashes) / K, and pairs sharing only a little boilerplate are dismissed by that bound."""
    sa = set(a)
    both = sa.intersection(b)
    if len(both) / SKETCH_SIZE < threshold:
        # Exact when the union fits in a sketch; otherwise the bound already rules it out.
        union_size = len(sa) + len(b) - len(both)
        if union_size > SKETCH_SIZE or len(both) / union_size < threshold:
            return None
    sim = similarity(a, b)
    return sim if sim >= threshold else None


@dataclass(eq=False, slots=True)  # identity hashing: used as a dict key
class _Doc:
    report_id: int
    agency_id: int
    site_id: str
    sketch: array


class DuplicateCheck:
    """Fed the report stream in (year, agency) order; flushes one report year at a time."""

    lane = "stream"
    rules = (SAME_AGENCY, OTHER_AGENCY)

    def __init__(self) -> None:
        self._year: int | None = None
        self._docs: list[_Doc] = []
        self._prev_year: int | None = None
        self._prev: dict[int, _Doc] = {}

    def check(self, ctx: CheckContext, r: StreamRow) -> Iterable[FindingDraft]:
        # A plain function, not a generator: called for every report, it returns drafts only
        # when a report year is complete (the stream is in year order).
        drafts: Iterable[FindingDraft] = ()
        if r.report_year != self._year:
            drafts = list(self._flush(ctx))
            self._year = r.report_year
        s = r.text_sketch
        if s is not None:
            self._docs.append(_Doc(r.id, r.agency_id, r.site_id, s))
        return drafts

    def finish(self, ctx: CheckContext) -> Iterator[FindingDraft]:
        yield from self._flush(ctx)

    # ------------------------------------------------------------------------------------
    def _flush(self, ctx: CheckContext) -> Iterator[FindingDraft]:
        if self._year is None:
            return
        year, docs = self._year, self._docs
        threshold = ctx.settings.monitor.duplicate_threshold
        hits: list[tuple[Rule, _Doc, _Doc, float]] = []
        if self._prev_year == year - 1:
            for d in docs:
                p = self._prev.get(d.agency_id)
                if (
                    p is not None
                    and (sim := similar_enough(d.sketch, p.sketch, threshold)) is not None
                ):
                    hits.append((SAME_AGENCY, d, p, sim))
        for d, (other, sim) in self._peers(docs, threshold).items():
            hits.append((OTHER_AGENCY, d, other, sim))
        sources = ctx.report_sources(o.report_id for _, _, o, _ in hits) if hits else {}
        for rule, d, other, sim in hits:
            info = ctx.agencies.get(other.agency_id)
            other_name = info.name if info else f"机关 {other.agency_id}"
            if (
                info
                and ctx.agencies.get(d.agency_id)
                and ctx.agencies[d.agency_id].site_id != info.site_id
            ):
                other_name = f"{info.site_name}{other_name}"
            evidence = {
                "similarity": round(sim, 3),
                "threshold": threshold,
                "sections": ["一", "五", "六"],
                "other_report_id": other.report_id,
                "other_agency": info.name if info else None,
                "other_site": other.site_id,
                "other_report_year": year - 1 if rule is SAME_AGENCY else year,
                "other_source_url": sources.get(other.report_id, (None,))[0],
            }
            yield rule.draft(
                site_id=d.site_id,
                agency_id=d.agency_id,
                report_id=d.report_id,
                report_year=year,
                evidence=evidence,
                year=year,
                prev_year=year - 1,
                other=other_name,
                similarity=round(sim * 100),
            )
        self._prev_year, self._prev = year, {d.agency_id: d for d in docs}
        self._year, self._docs = None, []

    @staticmethod
    def _peers(docs: list[_Doc], threshold: float) -> dict[_Doc, tuple[_Doc, float]]:
        """For each document, its most similar other-agency document above the threshold."""
        buckets: dict[int, list[int]] = defaultdict(list)
        for i, d in enumerate(docs):
            for h in d.sketch[:BANDS]:
                bucket = buckets[h]
                if len(bucket) <= BUCKET_CAP:
                    bucket.append(i)
        best: dict[int, tuple[int, float]] = {}
        compared: set[tuple[int, int]] = set()
        agency = [d.agency_id for d in docs]
        for bucket in buckets.values():
            n = len(bucket)
            if n < 2 or n > BUCKET_CAP:
                continue
            for x in range(n - 1):
                i = bucket[x]
                agency_i = agency[i]
                for j in bucket[x + 1 :]:
                    if agency_i == agency[j] or (i, j) in compared:
                        continue
                    compared.add((i, j))
                    sim = similar_enough(docs[i].sketch, docs[j].sketch, threshold)
                    if sim is None:
                        continue
                    for a, b in ((i, j), (j, i)):
                        if sim > best.get(a, (-1, 0.0))[1]:
                            best[a] = (b, sim)
        return {docs[i]: (docs[j], sim) for i, (j, sim) in sorted(best.items())}
