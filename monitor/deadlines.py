"""When a report of year Y from a body of a given level is due (docs/report-format.md §1).

Statutory deadlines: ≤2018 every body Y+1-03-31 (2007 条例 第三十一条); ≥2019 departments
Y+1-01-31 and the government's own report Y+1-03-31 (2019 条例 第四十九条); townships have no
national rule and default to Y+1-01-31. Settings may override by region prefix, level and years.
A deadline on a statutory holiday or rest day moves to the next working day (with 调休 working
weekends) using ``chinese_calendar``; for years the package has no data for, only weekends move it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from core.settings import DeadlineRule, MonitorSettings
from monitor.kinds import LEVEL_LABELS

_HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


@dataclass(frozen=True)
class Deadline:
    """The last on-time day for one report year and body level, and why."""

    report_year: int
    level: str
    statutory: date  # the date the rule names, before any holiday shift
    due: date  # after moving off holidays/rest days: publishing on this day is on time
    effective: date  # ``due`` plus the configured grace days: later than this is late
    basis: str  # which rule set the date (Chinese)
    shift_note: str | None = None  # why ``due`` differs from ``statutory`` (Chinese)

    @property
    def level_label(self) -> str:
        """The kind of body the date is for, in Chinese: 本级政府, 政府部门, 乡镇/街道."""
        return LEVEL_LABELS.get(self.level, self.level)

    @property
    def level_text(self) -> str:
        """The kind of body and the date its rule names, as officers read it: ``本级政府（截止3月31日）``."""
        return f"{self.level_label}（截止{self.statutory.month}月{self.statutory.day}日）"

    def as_evidence(self) -> dict[str, object]:
        return {
            "level": self.level,
            "level_label": self.level_label,
            "deadline_level": self.level_text,
            "deadline": self.due.isoformat(),
            "deadline_statutory": self.statutory.isoformat(),
            "deadline_effective": self.effective.isoformat(),
            "deadline_basis": self.basis,
            "deadline_shift": self.shift_note,
        }


def statutory_deadline(report_year: int, level: str) -> tuple[date, str]:
    """The national deadline (before overrides and holiday shifts) and its legal basis."""
    if report_year <= 2018:
        return date(
            report_year + 1, 3, 31
        ), "2007年《政府信息公开条例》第三十一条：次年3月31日前"
    if level == "government":
        return date(
            report_year + 1, 3, 31
        ), "《政府信息公开条例》第四十九条：本级政府年度报告次年3月31日前"
    if level == "township":
        return date(
            report_year + 1, 1, 31
        ), "乡镇/街道无全国统一规定，默认次年1月31日前"
    return date(
        report_year + 1, 1, 31
    ), "《政府信息公开条例》第四十九条：政府部门次年1月31日前"


class DeadlineCalendar:
    """Deadlines by report year, body level and region, with overrides and holiday shifts."""

    def __init__(self, settings: MonitorSettings) -> None:
        self.settings = settings
        # Keyed by region too: thousands of counties × years × levels must all stay cached.
        self._deadline = lru_cache(maxsize=1 << 16)(self._compute)

    def deadline(self, report_year: int, level: str, region: str = "") -> Deadline:
        return self._deadline(report_year, level or "department", region or "")

    def is_due(self, report_year: int, level: str, region: str, as_of: date) -> bool:
        """True once the (effective) deadline has passed: on the deadline day itself, not yet."""
        return as_of > self.deadline(report_year, level, region).effective

    # ------------------------------------------------------------------------------------
    def _compute(self, report_year: int, level: str, region: str) -> Deadline:
        statutory, basis = statutory_deadline(report_year, level)
        rule = self._override(report_year, level, region)
        if rule is not None:
            month_end = calendar.monthrange(report_year + 1, rule.month)[1]
            statutory = date(report_year + 1, rule.month, min(rule.day, month_end))
            where = rule.region or "全部地区"
            who = LEVEL_LABELS.get(rule.level or "", "各类机关")
            basis = f"本地规定（设置 monitor.deadlines：{where}·{who}）：次年{rule.month}月{rule.day}日前"
        due, note = (statutory, None)
        if self.settings.holiday_calendar:
            due, note = next_working_day(statutory)
        effective = due + timedelta(days=self.settings.grace_days)
        return Deadline(report_year, level, statutory, due, effective, basis, note)

    def _override(
        self, report_year: int, level: str, region: str
    ) -> DeadlineRule | None:
        """The most specific matching override: longest region prefix, then a named level, then last listed."""
        best: tuple[int, int, int] | None = None
        chosen = None
        for i, rule in enumerate(self.settings.deadlines):
            if not region.startswith(rule.region):
                continue
            if rule.level is not None and rule.level != level:
                continue
            if report_year < rule.from_year or (
                rule.to_year is not None and report_year > rule.to_year
            ):
                continue
            rank = (len(rule.region), rule.level is not None, i)
            if best is None or rank > best:
                best, chosen = rank, rule
        return chosen


@lru_cache(maxsize=4096)  # a few dates a year, asked for by every region and level
def next_working_day(day: date) -> tuple[date, str | None]:
    """``day`` if it is a working day, else the next one, with a Chinese note on the shift."""
    try:
        import chinese_calendar
    # A declared dependency; without it, weekends still move deadlines.
    except ImportError:  # pragma: no cover
        chinese_calendar = None
    covered = True
    d = day
    for _ in range(40):
        if chinese_calendar is not None:
            try:
                if chinese_calendar.is_workday(d):
                    break
                d += timedelta(days=1)
                continue
            except NotImplementedError:
                covered = False
        if d.weekday() < 5:
            break
        d += timedelta(days=1)
    if d == day:
        note = None if covered else f"节假日数据未覆盖{day.year}年，仅按周末判断"
        return day, note
    reason = _rest_reason(day, chinese_calendar if covered else None)
    note = f"{day.isoformat()} 为{reason}，顺延至下一个工作日 {d.isoformat()}"
    if not covered:
        note += f"（节假日数据未覆盖{day.year}年，仅按周末顺延）"
    return d, note


def _rest_reason(day: date, cc: object | None) -> str:
    if cc is not None:
        try:
            _, name = cc.get_holiday_detail(day)  # type: ignore[attr-defined]
        except NotImplementedError:
            name = None
        if name:
            return f"{_HOLIDAY_NAMES.get(name, name)}假期"
    return "周末休息日"
