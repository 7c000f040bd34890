"""On-time publication rate per region for the latest report year that has fallen due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import false, select
from sqlalchemy.orm import Session

from monitor.deadlines import DeadlineCalendar
from core.agencies import UNNAMED_AGENCY
from core.settings import Recipient, Settings
from storage.models import Agency, Report, Site


@dataclass(frozen=True)
class AgencyYear:
    """Whether one body's report for the rate's year came out on time."""

    agency_id: int
    site_id: str
    region: str
    level: str
    outcome: str  # on_time | late | missing | undated | not_due


def rate_year(as_of: date) -> int:
    """The report year the rate is about: last year's reports once departments' are due."""
    return as_of.year - 1 if as_of > date(as_of.year, 1, 31) else as_of.year - 2


def agency_outcomes(
    session: Session, settings: Settings, as_of: date
) -> tuple[int, list[AgencyYear]]:
    """The rate's year and, for every body expected to publish it, how it went."""
    year = rate_year(as_of)
    cal = DeadlineCalendar(settings.monitor)
    published = {
        aid: on
        for aid, on in session.execute(
            select(Report.agency_id, Report.published_on).where(
                Report.report_year == year, Report.superseded == false()
            )
        )
    }
    publishers = set(session.scalars(select(Report.agency_id).distinct()))
    out = []
    q = (
        select(
            Agency.id,
            Agency.site_id,
            Agency.level,
            Agency.expected,
            Agency.first_year,
            Site.region,
        )
        .join(Site, Site.id == Agency.site_id)
        .where(Agency.name != UNNAMED_AGENCY)  # no body: its reports are findings, not a rate
    )
    for aid, site_id, level, expected, first_year, region in session.execute(q):
        if not (expected or aid in publishers) or year < max(
            settings.monitor.first_year, first_year or 0
        ):
            continue
        deadline = cal.deadline(year, level, region or "")
        if aid in published:
            on = published[aid]
            outcome = (
                "undated"
                if on is None
                else ("on_time" if on <= deadline.effective else "late")
            )
        else:
            outcome = "missing" if as_of > deadline.effective else "not_due"
        out.append(AgencyYear(aid, site_id, region or "（未设地区）", level, outcome))
    return year, out


def region_rates(
    outcomes: list[AgencyYear], recipient: Recipient
) -> list[dict[str, object]]:
    """Per region in the recipient's scope: due, on time, late, missing, undated, and the rate."""
    regions: dict[str, dict[str, int]] = {}
    for o in outcomes:
        if recipient.regions and not any(
            o.region.startswith(p) for p in recipient.regions
        ):
            continue
        if (recipient.sites and o.site_id not in recipient.sites) or (
            recipient.levels and o.level not in recipient.levels
        ):
            continue
        c = regions.setdefault(
            o.region,
            {"on_time": 0, "late": 0, "missing": 0, "undated": 0, "not_due": 0},
        )
        c[o.outcome] += 1
    rows = []
    for region, c in sorted(regions.items()):
        due = c["on_time"] + c["late"] + c["missing"] + c["undated"]
        rate = c["on_time"] / due if due else None
        rows.append(
            {
                "region": region,
                "due": due,
                **c,
                "rate": rate,
                "rate_text": f"{rate:.0%}" if rate is not None else "—",
            }
        )
    return rows
