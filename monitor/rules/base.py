"""The rule object every check is made of, and the finding draft a rule produces.

A rule is data: a code (``R1``, ``late``…), the kind of finding it makes, a severity and a Chinese
message template. Checks (one module per family) decide *when* a rule fires; the rule decides
*how* the finding reads and how it is identified across runs (its fingerprint).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from monitor.evidence import jsonable

SEVERITIES = ("error", "warning", "info")


@dataclass
class FindingDraft:
    """A finding as produced by one run, before it is matched against stored findings."""

    fingerprint: str
    kind: str
    rule: str
    severity: str
    detail: str
    site_id: str | None
    agency_id: int | None = None
    report_id: int | None = None
    report_year: int | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    """A named check: ``code`` and ``kind`` identify it, ``template`` is its Chinese message."""

    code: str
    kind: str
    severity: str
    template: str
    title: str = ""
    # The kind's Chinese name, for a kind monitor/kinds.py does not name (a rule added in settings).
    kind_label: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"rule {self.code}: unknown severity {self.severity!r}")

    def message(self, **fields: Any) -> str:
        return self.template.format(**fields)

    def draft(
        self,
        *,
        site_id: str | None,
        agency_id: int | None = None,
        report_id: int | None = None,
        report_year: int | None = None,
        key: str = "",
        evidence: dict[str, Any] | None = None,
        **fields: Any,
    ) -> FindingDraft:
        """A finding of this rule about one body (and year); ``key`` tells apart cells/columns."""
        # Stable across runs and across corrected reports: the report id is deliberately not in it.
        fingerprint = "|".join([self.kind, self.code, _who(agency_id, site_id), str(report_year or ""), key])
        ev = {"rule_title": self.title, **({"kind_label": self.kind_label} if self.kind_label else {}), **(evidence or {})}
        return FindingDraft(
            fingerprint=fingerprint[:300],
            kind=self.kind,
            rule=self.code,
            severity=self.severity,
            detail=self.message(**fields),
            site_id=site_id,
            agency_id=agency_id,
            report_id=report_id,
            report_year=report_year,
            evidence=jsonable(ev),
        )


def _who(agency_id: int | None, site_id: str | None) -> str:
    return f"agency:{agency_id}" if agency_id is not None else f"site:{site_id}"


def refiled_fingerprint(fingerprint: str, agency_id: int) -> str:
    """The fingerprint a finding ``Rule.draft`` made about one body would have about the body
    ``agency_id`` instead, all else alike (a report re-filed under another agency)."""
    kind, code, _, rest = fingerprint.split("|", 3)
    return "|".join([kind, code, _who(agency_id, None), rest])[:300]


# Where a check runs (its class attribute ``lane``); monitor/check.py feeds each lane its way.
#   set     ``run(ctx)`` once over the whole scope (mostly SQL);
#   side    a set check whose SQL half ``scan(ctx)`` runs on a second connection beside the report
#           stream (monitor/side.py); ``run(ctx, scanned)`` turns the rows into findings (with
#           ``scanned`` None it scans itself: an in-memory database has no second connection);
#   stream  ``check(ctx, row)`` for every current report in scope, in (year, agency, id) order,
#           then ``finish(ctx)``; ``row`` is a monitor.reports.StreamRow, with the further
#           ``reports``/``report_facts`` columns the class names in ``reads`` in ``row.extra``;
#   review  ``check(ctx, row)`` with a monitor.reports.ReportRow, only for reports whose
#           ``report_facts`` flags say the built-in form and text-vs-table rules may fire there
#           (monitor/facts.py), then ``finish(ctx)``. New rules use ``stream``.
LANES = ("set", "side", "stream", "review")


class Check(Protocol):
    """A family of rules; the class (made with no arguments) is named in ``monitor.checks``."""

    lane: ClassVar[str]
    rules: tuple[Rule, ...]


class SetCheck(Check, Protocol):
    """Lane ``set``: evaluated over the whole scope at once (mostly in SQL)."""

    def run(self, ctx: Any) -> Iterator[FindingDraft]: ...


class SideCheck(Check, Protocol):
    """Lane ``side``: a set check whose SQL scan runs beside the report stream."""

    def scan(self, ctx: Any) -> list[Any]: ...

    def run(self, ctx: Any, scanned: list[Any] | None = None) -> Iterator[FindingDraft]: ...


class ReportCheck(Check, Protocol):
    """Lanes ``stream`` and ``review``: fed one current report at a time from a shared stream."""

    def check(self, ctx: Any, report: Any) -> Iterable[FindingDraft]: ...

    def finish(self, ctx: Any) -> Iterable[FindingDraft]: ...


# The methods each lane calls: a check class lacking one is rejected when it is loaded.
LANE_METHODS: dict[str, tuple[str, ...]] = {
    "set": ("run",),
    "side": ("scan", "run"),
    "stream": ("check", "finish"),
    "review": ("check", "finish"),
}
