"""What the spider hands to the storage pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crawler.discovery import ListEntry


@dataclass
class FetchedDocument:
    """A detail page or attachment as fetched (or found unchanged) for one site."""

    url: str
    site_id: str
    body: bytes = field(default=b"", repr=False)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict, repr=False)  # lower-case names, last value
    hints: dict[str, Any] = field(default_factory=dict)  # list-page title / date
    attachments: list[ListEntry] = field(default_factory=list, repr=False)  # file links found on the page
    unchanged: bool = False  # 304, or the same bytes as last time: nothing to parse
    is_attachment: bool = False
    encoding: str | None = None  # the charset the crawler settled on for an HTML page
