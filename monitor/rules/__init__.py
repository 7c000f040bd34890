"""The rule families. Each module holds the named rules of one family and the check running them.

Which checks run, and in which order, is a setting: ``monitor.checks`` maps the dotted path of
each check class to its order, merged over ``core.settings.DEFAULT_CHECKS`` (the built-ins).
Each class says where it runs with its ``lane`` (monitor/rules/base.py: ``set``, ``side``,
``stream``, ``review``), so adding a family is one module and one settings line
(docs/extending.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.registry import ComponentError, load_object
from core.settings import MonitorSettings
from monitor.reports import stream_column
from monitor.rules.base import LANE_METHODS, LANES, Check, FindingDraft, Rule

SETTING = "monitor.checks"


@dataclass(frozen=True)
class Checks:
    """The check classes in use, by lane, each lane in settings order."""

    set: tuple[type[Check], ...]  # lanes ``set`` and ``side``: run one after the other
    side: tuple[type[Check], ...]  # lane ``side``: their scans may run beside the stream
    stream: tuple[type[Check], ...]
    review: tuple[type[Check], ...]


def load_check(path: str, setting: str = SETTING) -> type[Check]:
    """The check class ``path`` names, checked against its lane's interface; ComponentError
    (exit code 2) naming the setting and the path when it is not one."""
    cls = load_object(path, setting)
    if not isinstance(cls, type):
        raise ComponentError(f"{setting}: {path!r} is not a check class")
    lane = getattr(cls, "lane", None)
    if lane not in LANES:
        raise ComponentError(f"{setting}: check {path!r} has lane {lane!r}; it must be one of {', '.join(LANES)}")
    rules = getattr(cls, "rules", None)
    if not isinstance(rules, tuple) or not all(isinstance(r, Rule) for r in rules):
        raise ComponentError(f"{setting}: check {path!r} must list its rules in 'rules', a tuple of Rule")
    missing = [m for m in LANE_METHODS[lane] if not callable(getattr(cls, m, None))]
    if missing:
        raise ComponentError(f"{setting}: check {path!r} (lane {lane}) has no {', '.join(missing)}()")
    unknown = [name for name in stream_reads((cls,)) if stream_column(name) is None]
    if unknown:
        raise ComponentError(f"{setting}: check {path!r} reads unknown report column(s) {', '.join(unknown)}")
    return cls  # type: ignore[no-any-return]


def load_checks(paths: Sequence[str] | None = None, setting: str = SETTING) -> Checks:
    """The checks ``paths`` name (default: the built-ins), in order, grouped by lane."""
    classes = [load_check(p, setting) for p in (MonitorSettings().check_paths if paths is None else paths)]

    def lane(*names: str) -> tuple[type[Check], ...]:
        return tuple(c for c in classes if c.lane in names)

    return Checks(set=lane("set", "side"), side=lane("side"), stream=lane("stream"), review=lane("review"))


def stream_reads(classes: Sequence[type]) -> tuple[str, ...]:
    """The further report columns the stream checks ``classes`` want on each row (``reads``)."""
    names: list[str] = []
    for cls in classes:
        for name in getattr(cls, "reads", ()) if getattr(cls, "lane", None) == "stream" else ():
            if name not in names:
                names.append(name)
    return tuple(names)


def all_rules(checks: Checks | None = None) -> list[Rule]:
    """Every rule of every family in use (default: the built-ins), for documentation and tests."""
    c = checks or load_checks()
    return [rule for family in (*c.set, *c.stream, *c.review) for rule in family.rules]


__all__ = ["Checks", "FindingDraft", "Rule", "all_rules", "load_check", "load_checks", "stream_reads"]
