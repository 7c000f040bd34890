"""Which findings a recipient sees, sorted into the digest's sections."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from monitor.kinds import KIND_ORDER, OPEN_STATUSES, SEVERITY_ORDER
from monitor.lifecycle import finding_to_dict
from core.settings import Recipient
from storage.models import Agency, Finding, Site


@dataclass
class ScopedFinding:
    """A finding as the digest shows it, with its site's current region and its body's level."""

    data: dict[str, Any]
    region: str
    level: str | None
    notified: bool


def load_findings(session: Session) -> list[ScopedFinding]:
    """Open findings, and resolved ones nobody has been told about yet."""
    q = (
        select(Finding, Site.region, Site.name, Agency.level, Agency.name)
        .outerjoin(Site, Site.id == Finding.site_id)
        .outerjoin(Agency, Agency.id == Finding.agency_id)
        .where(or_(Finding.status.in_(OPEN_STATUSES), Finding.notified_at.is_(None)))
        .order_by(Finding.id)
    )
    out = []
    for f, region, site_name, level, agency_name in session.execute(q):
        data = finding_to_dict(f)
        data["region"] = region or data.get("region") or "（未设地区）"
        data["site_name"] = site_name or data.get("site_name") or f.site_id
        data["agency"] = agency_name or data.get("agency")
        out.append(
            ScopedFinding(data, data["region"], level, f.notified_at is not None)
        )
    return out


def in_scope(f: ScopedFinding, r: Recipient) -> bool:
    """A recipient's regions are prefixes of Site.region; sites and levels are exact; empty = all."""
    if r.regions and not any(f.region.startswith(p) for p in r.regions):
        return False
    if r.sites and f.data["site"] not in r.sites:
        return False
    # Site-wide findings (crawling) have no body level: every recipient of the site hears of them.
    return not (r.levels and f.level is not None and f.level not in r.levels)


@dataclass
class Sections:
    """The findings of one digest, split the way the reader needs them."""

    changed: list[dict[str, Any]] = field(
        default_factory=list
    )  # new, reopened, resolved since last told
    still_open: list[dict[str, Any]] = field(default_factory=list)
    acknowledged: list[dict[str, Any]] = field(default_factory=list)


def split(findings: Iterable[ScopedFinding]) -> Sections:
    s = Sections()
    for f in findings:
        d = f.data
        if d["acknowledged"]:
            if d["status"] in OPEN_STATUSES:
                s.acknowledged.append(d)
        elif not f.notified:
            s.changed.append(d)
        elif d["status"] in OPEN_STATUSES:
            s.still_open.append(d)
    order = {k: i for i, k in enumerate(KIND_ORDER)}
    key = lambda d: (
        d["region"],
        d["site_name"] or "",
        d["agency"] or "",
        -(d["report_year"] or 0),
        SEVERITY_ORDER.get(d["severity"], 9),
        order.get(d["kind"], 99),
        d["id"],
    )
    for part in (s.changed, s.still_open, s.acknowledged):
        part.sort(key=key)
    return s


def group(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``[{region, agencies: [{name, site_name, findings}]}]`` in the sorted order."""
    regions: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for d in findings:
        regions[d["region"]][(d["agency"] or f"{d['site_name']}（网站）")].append(d)
    return [
        {
            "region": region,
            "agencies": [
                {"name": name, "site_name": fs[0]["site_name"], "findings": fs}
                for name, fs in agencies.items()
            ],
        }
        for region, agencies in regions.items()
    ]


def kind_counts(findings: Iterable[dict[str, Any]]) -> Counter[str]:
    return Counter(d["kind"] for d in findings)
