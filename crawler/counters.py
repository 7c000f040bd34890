"""What happened during a crawl run, per site, counted in the crawl process (reactor thread)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field


@dataclass
class RunCounters:
    """What happened during the run, per site; summed up for the run summary."""

    pages: Counter[str] = field(default_factory=Counter)  # list pages parsed
    # site -> outcome -> n, of what has no raw_documents row of this run: 304s, documents not stored
    outcomes: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    blocked: dict[str, str] = field(default_factory=dict)  # site -> reason
    stopped_early: Counter[str] = field(default_factory=Counter)  # list paginations stopped on known entries
    not_due: Counter[str] = field(default_factory=Counter)  # known details fetched within revisit_days: not requested
    answered: Counter[str] = field(default_factory=Counter)  # HTTP responses (any status) to the site's requests, robots.txt aside

    def outcome(self, site_id: str, outcome: str) -> None:
        self.outcomes[site_id][outcome] += 1

    def total(self, outcome: str) -> int:
        return sum(c[outcome] for c in self.outcomes.values())

    def block(self, site_id: str, reason: str) -> bool:
        """Mark a site blocked for the rest of the run; True the first time."""
        if site_id in self.blocked:
            return False
        self.blocked[site_id] = reason
        return True

    def is_blocked(self, site_id: str | None) -> bool:
        return bool(site_id) and site_id in self.blocked
