"""Typed, validated settings loaded from ``settings.yaml``.

Which file: ``--config PATH``, else ``$NIANBAO_CONFIG``, else ``./settings.yaml`` if present, else
the embedded defaults (SQLite under ``./data``, no sites). Relative paths are relative to the
settings file. Secrets (SMTP credentials) never live in the file: it names environment variables.
A bad value raises ``SettingsError`` naming the key and the reason.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.agencies import agency_key, alias_keys

SITE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# The built-in CMS family adapters (crawler.adapters), by name, in detection order: a page showing
# as many markers of two families is read by the one listed first. ``crawler.adapters`` in
# settings.yaml adds families to these (or replaces one by naming it, or drops it with null).
DEFAULT_ADAPTERS: dict[str, str] = {
    "gkmlpt": "crawler.adapters.gkmlpt.GkmlptAdapter",
    "hanweb": "crawler.adapters.hanweb.HanwebAdapter",
    "vsb": "crawler.adapters.vsb.VsbAdapter",
    "trs": "crawler.adapters.trs.TrsAdapter",
    "dede": "crawler.adapters.dede.DedeAdapter",
    "generic": "crawler.adapters.generic.GenericAdapter",
}
ADAPTER_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
# A component named in settings: ``package.module.Name`` or ``package.module:Name``.
DOTTED_PATH = re.compile(r"^[A-Za-z_][\w.]*[.:][A-Za-z_]\w*$")
LEVELS = ("county", "city", "province", "district")
AGENCY_LEVELS = ("government", "department", "township")


class SettingsError(Exception):
    """A configuration problem, with the key and the reason in one line."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgencySpec(_Model):
    """An agency the registry expects to publish every year. ``level`` overrides the level read
    from its name (core.agencies.agency_level); ``aliases`` are other names it publishes under."""

    name: str = Field(min_length=1)
    level: Literal["government", "department", "township"] | None = None
    first_year: int | None = Field(default=None, ge=2008, le=2100)
    aliases: list[str] = Field(default_factory=list)


class Selectors(_Model):
    """CSS/XPath selectors for the generic list/detail adapter."""

    item: str | None = None  # each list entry
    link: str | None = None  # the link inside an entry (default: first a/@href)
    title: str | None = None
    date: str | None = None
    next_page: str | None = None
    content: str | None = None  # detail body


class SiteSpec(_Model):
    """One portal whose 政府信息公开年报 column(s) we crawl."""

    id: str
    name: str
    region: str = ""
    level: Literal["county", "city", "province", "district"] = "county"
    start_urls: list[str] = Field(min_length=1)
    cms: str = "auto"  # a name of ``crawler.adapters`` or auto (checked by Settings)
    agencies: list[AgencySpec] = Field(default_factory=list)
    allowed_domains: list[str] = Field(default_factory=list)  # default: hosts of start_urls
    download_delay: float | None = Field(default=None, ge=0)
    concurrency: int | None = Field(default=None, ge=1, le=16)
    encoding: str | None = None
    selectors: Selectors | None = None
    group: str = "default"  # crawl schedule group
    # Other names of one agency, beyond what core.agencies.agency_key joins: {别名: 正式名}.
    aliases: dict[str, str] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not SITE_ID.match(v):
            raise ValueError("must be lower-case letters, digits, '-' or '_' (at most 64)")
        return v

    @field_validator("start_urls")
    @classmethod
    def _urls(cls, v: list[str]) -> list[str]:
        for u in v:
            if not re.match(r"^https?://[^/\s]+", u):
                raise ValueError(f"{u!r} is not an http(s) URL")
        return v

    def alias_pairs(self) -> list[tuple[str, str]]:
        """Every ``(alias, official name)`` the site declares, its agencies' aliases included."""
        return [*self.aliases.items(), *((alias, a.name) for a in self.agencies for alias in a.aliases)]

    def agency_aliases(self) -> dict[str, str]:
        """``{alias key: official key}`` (core.agencies.agency_key) for this site's region."""
        return alias_keys(self.alias_pairs(), self.region)

    @model_validator(mode="after")
    def _agency_names(self) -> SiteSpec:
        """No two registry agencies, and no alias, may name one body twice."""
        if any(not alias.strip() or not official.strip() for alias, official in self.alias_pairs()):
            raise ValueError("aliases: an alias or official name is empty")
        try:
            aliases = self.agency_aliases()
        except ValueError as exc:
            raise ValueError(f"aliases: {exc}") from None
        seen: dict[str, str] = {}
        for a in self.agencies:
            key = agency_key(a.name, self.region, aliases)
            if key in seen:
                raise ValueError(f"agencies: {seen[key]!r} and {a.name!r} are one agency (key {key!r}): list it once, the other name as an alias")
            seen[key] = a.name
        return self


class CrawlerSettings(_Model):
    user_agent: str = "nianbao/0.1 (+annual-report monitor; contact: see settings.yaml)"
    obey_robots: bool = True
    download_delay: float = Field(default=2.0, ge=0)
    randomize_delay: bool = True
    concurrency_per_domain: int = Field(default=1, ge=1, le=16)
    concurrency: int = Field(default=16, ge=1, le=512)
    autothrottle: bool = True
    timeout: float = Field(default=60.0, gt=0)
    retries: int = Field(default=3, ge=0, le=20)
    max_download_mb: float = Field(default=50.0, gt=0)
    jobdir: str | None = None  # resumable crawls; relative to the settings file
    max_pages_per_site: int = Field(default=2000, ge=1)
    # A known detail page fetched within this many days is not requested again by a routine crawl;
    # older ones are revalidated (conditional request / content hash). ``recrawl`` ignores it.
    revisit_days: int = Field(default=30, ge=0)
    # Processes parsing and filing what the crawl kept (storage.ingest_queue), beside the crawl;
    # 0: the crawl parses every document itself before fetching on.
    ingest_workers: int = Field(default=1, ge=0, le=16)
    # CMS family adapters by name → dotted path of a crawler.adapters.CmsAdapter subclass. Merged
    # over DEFAULT_ADAPTERS: a new name is added (after the built-ins in detection order), a
    # built-in name is replaced in place, a built-in set to null is dropped.
    adapters: dict[str, str | None] = Field(default_factory=dict)
    # The distributed crawl (``nianbao crawl --distributed``, ``nianbao worker``;
    # docs/distributed-crawl.md): the Redis server its queue lives on, the prefix of its keys,
    # and how long a worker's claim on a request lasts without renewal (a dead worker's requests
    # go back to the queue after that).
    redis_url: str | None = None
    redis_prefix: str = Field(default="nianbao", pattern=r"^[A-Za-z0-9_.:-]+$")
    lease_seconds: float = Field(default=30.0, gt=0)

    @field_validator("adapters")
    @classmethod
    def _adapters(cls, v: dict[str, str | None]) -> dict[str, str | None]:
        for name, path in v.items():
            if not ADAPTER_NAME.match(name) or name == "auto":
                raise ValueError(f"{name!r} is not an adapter name (lower-case letters, digits, '_'; not 'auto')")
            if path is not None and not DOTTED_PATH.match(path):
                raise ValueError(f"{name}: {path!r} is not a dotted path such as 'package.module.ClassName'")
        merged = {**DEFAULT_ADAPTERS, **v}
        if not any(merged.values()):
            raise ValueError("no CMS adapter is left")
        return v

    @property
    def adapter_paths(self) -> dict[str, str]:
        """Every adapter in use, by name, in detection order (built-ins first)."""
        merged = {**DEFAULT_ADAPTERS, **self.adapters}
        return {name: path for name, path in merged.items() if path}


# Called in the transaction that files a report (storage.ingest.FiledHook): the monitor's facts row.
DEFAULT_FILED_HOOKS: tuple[str, ...] = ("monitor.facts.store_facts",)


class IngestSettings(_Model):
    # Dotted paths of callables (session, report, cells) run when a report is filed.
    filed_hooks: list[str] = Field(default_factory=lambda: list(DEFAULT_FILED_HOOKS))


# Document readers (parser.readers.Reader) by the media type core/mediatype.py gives a document.
# ``parser.readers`` in settings.yaml is merged over these: a new media type adds a reader, a
# built-in one named again is replaced, one set to null is read as text/HTML again.
DEFAULT_READERS: dict[str, str] = {
    "application/pdf": "parser.readers.pdf.PdfReader",
    "application/x-pdf": "parser.readers.pdf.PdfReader",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "parser.readers.docx.DocxReader",
    "application/vnd.ms-word.document.macroenabled.12": "parser.readers.docx.DocxReader",
    "application/msword": "parser.readers.office.LegacyWordReader",
    # What .wps maps to; Kingsoft WPS Writer files are Word 97 binaries.
    "application/vnd.ms-works": "parser.readers.office.LegacyWordReader",
    "application/kswps": "parser.readers.office.LegacyWordReader",
    "application/wps-office.wps": "parser.readers.office.LegacyWordReader",
    "application/vnd.ms-word": "parser.readers.office.LegacyWordReader",
    "application/rtf": "parser.readers.office.LegacyWordReader",
    "text/rtf": "parser.readers.office.LegacyWordReader",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "parser.readers.xlsx.XlsxReader",
    "application/vnd.ms-excel.sheet.macroenabled.12": "parser.readers.xlsx.XlsxReader",
    "application/vnd.ms-excel": "parser.readers.xlsx.XlsReader",
    "application/msexcel": "parser.readers.xlsx.XlsReader",
    "application/x-msexcel": "parser.readers.xlsx.XlsReader",
    "application/x-excel": "parser.readers.xlsx.XlsReader",
}
MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")


def _check_path(path: str | None, where: str = "") -> None:
    if path is not None and not DOTTED_PATH.match(path):
        raise ValueError(f"{where}{path!r} is not a dotted path such as 'package.module.ClassName'")


class LimitSettings(_Model):
    """Overrides of what one document may cost to read (parser.limits.DocumentLimits holds the
    defaults and their meaning); a field left out keeps its default."""

    document_bytes: int | None = Field(None, gt=0)
    archive_members: int | None = Field(None, gt=0)
    member_bytes: int | None = Field(None, gt=0)
    archive_bytes: int | None = Field(None, gt=0)
    compression_ratio: int | None = Field(None, gt=0)
    ratio_floor_bytes: int | None = Field(None, ge=0)
    xml_bytes: int | None = Field(None, gt=0)
    sheet_cells: int | None = Field(None, gt=0)
    pdf_pages: int | None = Field(None, gt=0)
    converter_seconds: float | None = Field(None, gt=0)

    def overrides(self) -> dict[str, int | float]:
        """The limits set, by name (for parser.limits.DocumentLimits.with_overrides)."""
        return self.model_dump(exclude_none=True)


class ParserSettings(_Model):
    # Media type → dotted path of a reader class, merged over DEFAULT_READERS (null: no reader).
    readers: dict[str, str | None] = Field(default_factory=dict)
    # Document limits (parser.limits): decompressed sizes, sheet cells, PDF pages, converter time.
    limits: LimitSettings = Field(default_factory=LimitSettings)

    @field_validator("readers")
    @classmethod
    def _readers(cls, v: dict[str, str | None]) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for media_type, path in v.items():
            key = media_type.strip().lower()
            if not MEDIA_TYPE.match(key):
                raise ValueError(f"{media_type!r} is not a media type such as 'application/pdf'")
            _check_path(path, f"{media_type}: ")
            out[key] = path
        return out

    @property
    def reader_paths(self) -> dict[str, str]:
        """Every reader in use: media type → dotted path (built-ins merged with settings)."""
        merged = {**DEFAULT_READERS, **self.readers}
        return {media_type: path for media_type, path in merged.items() if path}


# The monitor's checks (monitor.rules.base: each declares its lane) → their order, as Scrapy
# orders components: lower first. ``monitor.checks`` in settings.yaml is merged over these (a new
# path is added, a built-in one given a number is moved, one set to null is not run).
DEFAULT_CHECKS: dict[str, int] = {
    "monitor.rules.balance.BalanceCheck": 100,
    "monitor.rules.carryover.CarryOverCheck": 200,
    "monitor.rules.timeliness.TimelinessCheck": 300,
    "monitor.rules.unnamed.UnnamedAgencyCheck": 310,
    "monitor.rules.backdating.BackdatingCheck": 400,
    "monitor.rules.crawl.CrawlHealthCheck": 500,
    "monitor.rules.crawl_columns.ColumnChangeCheck": 510,
    "monitor.rules.duplicate.DuplicateCheck": 600,
    "monitor.rules.form.FormCheck": 700,
    "monitor.rules.text_table.TextTableCheck": 800,
}


class DeadlineRule(_Model):
    """A deadline override: for bodies of ``level`` in ``region`` (prefix), report years in range."""

    region: str = ""
    level: Literal["government", "department", "township"] | None = None
    from_year: int = 2019
    to_year: int | None = None
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)


class MonitorSettings(_Model):
    first_year: int = Field(default=2019, ge=2008, le=2100)
    holiday_calendar: bool = True  # move deadlines off holidays/rest days (chinese-calendar)
    deadlines: list[DeadlineRule] = Field(default_factory=list)
    grace_days: int = Field(default=0, ge=0, le=365)
    duplicate_threshold: float = Field(default=0.9, gt=0, le=1)
    # A folder of digest.txt.j2 / digest.html.j2 replacing the bundled templates.
    digest_templates: str | None = None
    # Dotted path of a check class → its order (null: not run), merged over DEFAULT_CHECKS.
    checks: dict[str, int | None] = Field(default_factory=dict)

    @field_validator("checks")
    @classmethod
    def _checks(cls, v: dict[str, int | None]) -> dict[str, int | None]:
        for path in v:
            _check_path(path)
        return v

    @property
    def check_paths(self) -> list[str]:
        """Every check in use, in order (ties: built-ins first, then as settings list them)."""
        merged = {**DEFAULT_CHECKS, **self.checks}
        ordered = sorted((order, i, path) for i, (path, order) in enumerate(merged.items()) if order is not None)
        return [path for _, _, path in ordered]


class ChatChannel(_Model):
    """A group-chat robot that gets a short card of each digest (DingTalk, WeCom, Feishu).

    The webhook URL (it holds the robot's token or key) and the signing secret are read from the
    environment variables named here, never from this file.
    """

    type: Literal["dingtalk", "wecom", "feishu"]
    webhook_env: str = Field(min_length=1)
    secret_env: str | None = None  # DingTalk 加签 / Feishu 签名校验; WeCom has none (key in URL)
    timeout: float = Field(default=10.0, gt=0)
    retries: int = Field(default=3, ge=0, le=20)

    def webhook(self) -> str | None:
        return os.environ.get(self.webhook_env) or None

    def secret(self) -> str | None:
        return os.environ.get(self.secret_env or "") or None


class Recipient(_Model):
    email: str
    name: str = ""
    regions: list[str] = Field(default_factory=list)  # region prefixes; empty = all
    sites: list[str] = Field(default_factory=list)
    levels: list[str] = Field(default_factory=list)  # government|department|township
    frequency: Literal["daily", "weekly", "monthly"] = "weekly"
    channels: list[ChatChannel] = Field(default_factory=list)  # group chats besides e-mail

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        if not re.match(r"^[^@\s]+@[^@\s]+$", v):
            raise ValueError(f"{v!r} is not an e-mail address")
        return v


class SmtpSettings(_Model):
    host: str
    port: int = Field(default=465, ge=1, le=65535)
    security: Literal["ssl", "starttls", "none"] = "ssl"
    sender: str = "nianbao@localhost"
    username_env: str | None = "NIANBAO_SMTP_USER"
    password_env: str | None = "NIANBAO_SMTP_PASSWORD"
    timeout: float = Field(default=30.0, gt=0)
    # The wait for the reply to the end of a message: RFC 5321 4.5.3.2.6 allows the server 10 min.
    data_timeout: float = Field(default=600.0, gt=0)
    retries: int = Field(default=3, ge=0, le=20)
    # With ``security: none`` a login sends the password in clear: refused to any host but this
    # machine's own unless explicitly allowed (a relay on a trusted network).
    allow_plaintext_login: bool = False

    def credentials(self) -> tuple[str, str] | None:
        user = os.environ.get(self.username_env or "", "")
        password = os.environ.get(self.password_env or "", "")
        return (user, password) if user else None


INTERVAL = re.compile(r"^every\s+(\d+)\s*([smh])$")


_CRON_FIELDS = [("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12), ("weekday", 0, 7)]
_CRON_NAMES = {
    3: {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())},
    4: {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())},
}


def _cron_problem(expr: str) -> str | None:
    """What is wrong with a 5-field cron expression (None: nothing)."""
    fields = expr.split()
    if len(fields) != 5:
        return "is not a 5-field cron expression"
    for i, (field, (name, low, high)) in enumerate(zip(fields, _CRON_FIELDS)):
        names = _CRON_NAMES.get(i, {})
        for part in field.split(","):
            span, _, step = part.partition("/")
            if step and not (step.isdigit() and int(step) > 0):
                return f"has a bad step {part!r} in the {name} field"
            if span == "*":
                continue
            for bound in span.split("-", 1):
                value = names.get(bound.lower()) if not bound.isdigit() else int(bound)
                if value is None or not low <= value <= high:
                    return f"has {bound!r} in the {name} field ({low}-{high})"
    return None


def is_schedule(expr: str) -> bool:
    """A 5-field cron expression, or ``every N s|m|h`` (short intervals, mostly for testing)."""
    return bool(INTERVAL.match(expr.strip())) or _cron_problem(expr) is None


class Schedules(_Model):
    """When jobs run: 5-field cron expressions in ``timezone`` (or ``every N s|m|h``).
    ``crawl`` maps a site group (``sites[].group``) to its schedule."""

    timezone: str = "Asia/Shanghai"
    crawl: dict[str, str] = Field(default_factory=lambda: {"default": "0 2 * * *"})
    check: str = "0 6 * * *"
    digest: str = "0 8 * * 1"
    misfire_grace_seconds: int = Field(default=3600, ge=1)
    # On SIGTERM a running child gets SIGTERM too (a crawl closes cleanly and can be resumed); one
    # still running after this long is killed so that the scheduler itself always stops.
    stop_grace_seconds: int = Field(default=60, ge=1)

    @model_validator(mode="after")
    def _crons(self) -> Schedules:
        for name, expr in [*(("crawl." + k, v) for k, v in self.crawl.items()), ("check", self.check), ("digest", self.digest)]:
            if not is_schedule(expr):
                raise ValueError(f"{name}: {expr!r} {_cron_problem(expr)} (or 'every N s|m|h')")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone: {self.timezone!r} is not a known time zone (e.g. Asia/Shanghai)") from None
        return self


# Raw-document store backends by the scheme of ``storage`` ("file": a folder, no scheme) → dotted
# path of a storage.rawstore.RawDocumentStore subclass. ``raw_store.backends`` in settings.yaml is
# merged over these (a new scheme is added, a built-in one named again is replaced).
DEFAULT_RAW_STORES: dict[str, str] = {
    "file": "storage.rawstore.RawStore",
    "s3": "storage.s3store.S3RawStore",
}
STORE_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://")
# An S3 bucket name (docs.aws.amazon.com "Bucket naming rules"): 3–63 lower-case letters, digits,
# dots and hyphens, starting and ending with a letter or digit.
S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def storage_scheme(storage: str) -> str:
    """The backend scheme ``storage`` names: ``s3`` for ``s3://bucket/prefix``, ``file`` for a folder."""
    m = STORE_SCHEME.match(storage)
    return m.group(1) if m else "file"


def split_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix/`` → (``bucket``, ``some/prefix``); ValueError saying what is wrong."""
    rest = url.removeprefix("s3://")
    bucket, _, prefix = rest.partition("/")
    if not S3_BUCKET.match(bucket) or ".." in bucket:
        raise ValueError(f"{url!r}: {bucket!r} is not an S3 bucket name (3-63 lower-case letters, digits, '.', '-')")
    prefix = prefix.strip("/")
    if "//" in prefix or any(part in (".", "..") for part in prefix.split("/")):
        raise ValueError(f"{url!r}: the key prefix {prefix!r} has an empty, '.' or '..' part")
    if "?" in url or "#" in url:
        raise ValueError(f"{url!r}: an S3 location is s3://bucket/prefix, without '?' or '#'")
    return bucket, prefix


def check_storage_location(location: str, backends: dict[str, str]) -> None:
    """ValueError saying what is wrong with ``location`` (a folder, or a URL of one of
    ``backends``' schemes) as the place of the raw store."""
    if not location.strip():
        raise ValueError("empty (a folder such as data/raw, or s3://bucket/prefix)")
    if location.startswith("file://"):
        raise ValueError(f"{location!r}: name the folder itself, without file://")
    scheme = storage_scheme(location)
    if scheme not in backends:
        raise ValueError(f"{location!r}: no raw-store backend for {scheme}:// (known: {', '.join(sorted(backends))})")
    if scheme == "s3":
        split_s3_url(location)


class S3Settings(_Model):
    """How the S3 backend talks to its server. Credentials and the endpoint are NOT settings: boto3
    reads them from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL,
    AWS_DEFAULT_REGION; docs/object-store.md)."""

    # "path" for servers that do not serve bucket.host names (MinIO, Ceph, moto on an IP address).
    addressing_style: Literal["auto", "path", "virtual"] = "auto"
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=60.0, gt=0)
    attempts: int = Field(default=3, ge=1, le=10)  # per request, retries included (botocore "standard" mode)
    # Documents above this size are uploaded in parts of this size (bounded memory).
    part_mb: int = Field(default=16, ge=5, le=5120)


class RawStoreSettings(_Model):
    # Scheme of ``storage`` → dotted path of its backend, merged over DEFAULT_RAW_STORES (null: none).
    backends: dict[str, str | None] = Field(default_factory=dict)
    s3: S3Settings = Field(default_factory=S3Settings)

    @field_validator("backends")
    @classmethod
    def _backends(cls, v: dict[str, str | None]) -> dict[str, str | None]:
        for scheme, path in v.items():
            if not re.match(r"^[a-z][a-z0-9+.-]*$", scheme):
                raise ValueError(f"{scheme!r} is not a URL scheme such as 's3'")
            _check_path(path, f"{scheme}: ")
        return v

    @property
    def backend_paths(self) -> dict[str, str]:
        """Every backend in use: scheme → dotted path (built-ins merged with settings)."""
        merged = {**DEFAULT_RAW_STORES, **self.backends}
        return {scheme: path for scheme, path in merged.items() if path}


class DemoSettings(_Model):
    port: int = Field(default=18731, ge=1024, le=65535)
    as_of: date | None = None  # check date for the demo; default 2025-06-30 (see nianbao.demo)


class Settings(_Model):
    database: str = "sqlite:///data/nianbao.db"
    storage: str = "data/raw"  # a folder, or s3://bucket/prefix (raw_store.backends names the schemes)
    outbox: str = "data/outbox"
    site_folder: str = "data/site"  # where `nianbao site` (and demo, serve) write the officers' static site
    # Where that folder is published (e.g. https://intranet.example/nianbao/): digests link to its pages.
    site_url: str | None = None
    sites: list[SiteSpec] = Field(default_factory=list)
    crawler: CrawlerSettings = Field(default_factory=CrawlerSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    raw_store: RawStoreSettings = Field(default_factory=RawStoreSettings)
    parser: ParserSettings = Field(default_factory=ParserSettings)
    monitor: MonitorSettings = Field(default_factory=MonitorSettings)
    recipients: list[Recipient] = Field(default_factory=list)
    smtp: SmtpSettings | None = None
    schedules: Schedules = Field(default_factory=Schedules)
    demo: DemoSettings = Field(default_factory=DemoSettings)
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)
    source: str = Field(default="<embedded defaults>", exclude=True)

    @field_validator("site_url")
    @classmethod
    def _site_url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://[^/\s]+", v):
            raise ValueError(f"{v!r} is not an http(s) URL")
        return v

    @model_validator(mode="after")
    def _storage(self) -> Settings:
        try:
            check_storage_location(self.storage, self.raw_store.backend_paths)
        except ValueError as exc:
            raise ValueError(f"storage: {exc}") from None
        return self

    @model_validator(mode="after")
    def _unique_sites(self) -> Settings:
        seen: set[str] = set()
        for s in self.sites:
            if s.id in seen:
                raise ValueError(f"site id {s.id!r} appears twice")
            seen.add(s.id)
        families = ("auto", *self.crawler.adapter_paths)
        for i, s in enumerate(self.sites):
            if s.cms not in families:
                raise ValueError(f"sites.{i}.cms: {s.cms!r} is not a CMS adapter (known: {', '.join(families)})")
        return self

    # Resolved paths -----------------------------------------------------------------------
    def path(self, value: str) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    @property
    def database_url(self) -> str:
        """The database URL with a relative SQLite path made relative to the settings file."""
        url = self.database
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////") and ":memory:" not in url:
            return "sqlite:///" + str(self.path(url.removeprefix("sqlite:///")))
        return url

    @property
    def storage_dir(self) -> Path:
        """The raw-store folder; a SettingsError when ``storage`` names an object store."""
        if storage_scheme(self.storage) != "file":
            raise SettingsError(f"storage: {self.storage!r} is not a folder (open it with storage.rawstore.open_raw_store)")
        return self.path(self.storage)

    @property
    def storage_location(self) -> str:
        """Where raw documents live: the folder resolved against the settings file, or the URL as given."""
        return str(self.storage_dir) if storage_scheme(self.storage) == "file" else self.storage

    @property
    def outbox_dir(self) -> Path:
        return self.path(self.outbox)

    @property
    def site_dir(self) -> Path:
        return self.path(self.site_folder)

    def site(self, site_id: str) -> SiteSpec:
        for s in self.sites:
            if s.id == site_id:
                return s
        known = ", ".join(s.id for s in self.sites) or "none configured"
        raise SettingsError(f"sites: no site with id {site_id!r} (known: {known})")


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Load settings from ``path`` / ``$NIANBAO_CONFIG`` / ``./settings.yaml`` / defaults."""
    chosen = path or os.environ.get("NIANBAO_CONFIG")
    if chosen is None and Path("settings.yaml").is_file():
        chosen = "settings.yaml"
    if chosen is None:
        return Settings()
    file = Path(chosen).expanduser()
    if not file.is_file():
        raise SettingsError(f"{file}: settings file not found")
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except UnicodeDecodeError as exc:
        raise SettingsError(f"{file}: not UTF-8 text (save the file as UTF-8): {exc.reason} at byte {exc.start}") from None
    except yaml.YAMLError as exc:
        raise SettingsError(f"{file}: not valid YAML: {exc}".replace("\n", " ")) from exc
    if not isinstance(data, dict):
        raise SettingsError(f"{file}: top level must be a mapping of keys")
    return settings_from_dict(data, base_dir=file.resolve().parent, source=str(file))


def settings_from_dict(data: dict[str, Any], *, base_dir: Path | None = None, source: str = "<dict>") -> Settings:
    """Validate a settings mapping; errors name the key path and the reason."""
    for key in data:  # the loader's own arguments, or keys no keyword can carry
        if not isinstance(key, str) or key in ("base_dir", "source"):
            raise SettingsError(f"{source}: {key!r}: unknown key")
    try:
        return Settings(**data, base_dir=base_dir or Path.cwd(), source=source)
    except ValidationError as exc:
        raise SettingsError(f"{source}: {_describe(exc)}") from None


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "required key is missing"
        parts.append(f"{loc}: {msg}")
    return "; ".join(parts)
