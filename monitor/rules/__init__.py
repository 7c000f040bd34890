"""The rule families. Each module holds the named rules of one family and the check running them.

``SET_CHECKS`` run over the whole scope (mostly in SQL); ``REPORT_CHECKS`` are fed one current
report at a time from a single shared stream. Add a family by adding it here.
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
REPORT_CHECKS = (FormCheck, TextTableCheck, DuplicateCheck)
# Their SQL scans run on a second connection beside the report stream (monitor/side.py).
SIDE_CHECKS = (BalanceCheck, CarryOverCheck)


def all_rules() -> list[Rule]:
    """Every rule of every family (for documentation and tests)."""
    return [rule for family in (*SET_CHECKS, *REPORT_CHECKS) for rule in family.rules]


__all__ = ["REPORT_CHECKS", "SET_CHECKS", "SIDE_CHECKS", "FindingDraft", "Rule", "all_rules"]
