"""The rule families. Each module holds the named rules of one family and the check running them.

``SET_CHECKS`` run over the whole scope (mostly in SQL). ``STREAM_CHECKS`` are fed every current
report, one at a time, from a single narrow stream (monitor/reports.py); ``REVIEW_CHECKS`` are fed
the whole row of only the reports whose ``report_facts`` say they may fire (monitor/facts.py).
Add a family by adding it here.
"""

from __future__ import annotations

from monitor.rules.backdating import BackdatingCheck
from monitor.rules.balance import BalanceCheck
from monitor.rules.base import FindingDraft, Rule
from monitor.rules.carryover import CarryOverCheck
from monitor.rules.crawl import CrawlHealthCheck
from monitor.rules.duplicate import DuplicateCheck
from monitor.rules.form import FormCheck
from monitor.rules.text_table import TextTableCheck
from monitor.rules.timeliness import TimelinessCheck

SET_CHECKS = (
    BalanceCheck,
    CarryOverCheck,
    TimelinessCheck,
    BackdatingCheck,
    CrawlHealthCheck,
)
STREAM_CHECKS = (DuplicateCheck,)
REVIEW_CHECKS = (FormCheck, TextTableCheck)
# Their SQL scans run on a second connection beside the report stream (monitor/side.py).
SIDE_CHECKS = (BalanceCheck, CarryOverCheck)


def all_rules() -> list[Rule]:
    """Every rule of every family (for documentation and tests)."""
    return [rule for family in (*SET_CHECKS, *STREAM_CHECKS, *REVIEW_CHECKS) for rule in family.rules]


__all__ = ["REVIEW_CHECKS", "SET_CHECKS", "SIDE_CHECKS", "STREAM_CHECKS", "FindingDraft", "Rule", "all_rules"]
