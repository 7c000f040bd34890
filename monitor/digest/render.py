"""Render digests with Jinja2: Chinese, plain text and inline-CSS HTML, templates overridable.

Put ``digest.txt.j2`` / ``digest.html.j2`` in the directory named by the setting
``monitor.digest_templates`` (relative to the settings file) to replace the bundled ones.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    TemplateError,
    TemplateSyntaxError,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    select_autoescape,
)

from monitor.channels import CHANNEL_LABELS
from monitor.links import is_web_url
from monitor.digest.outbox import chat_backlog
from monitor.digest.model import Digest
from monitor.digest.selection import (
    ScopedFinding,
    group,
    in_scope,
    kind_counts,
    load_findings,
    split,
)
from monitor.digest.stats import agency_outcomes, region_rates
from monitor.kinds import KIND_LABELS, KIND_ORDER, LEVEL_LABELS, SEVERITY_LABELS, SEVERITY_ORDER
from core.china_time import CHINA
from core.errors import UsageError
from core.settings import Recipient, Settings, storage_scheme
from storage.db import Database

TEMPLATES = Path(__file__).with_name("templates")
TITLE = "《政府信息公开工作年度报告监测摘要》"
MAX_DETAILED = (
    300  # findings shown with full evidence; the rest are counted, not listed
)
MAX_OPEN_LISTED = 200
MAX_CELLS_SHOWN = 8
MAX_CARD_FINDINGS = 5  # the worst new findings a group-chat card names
KIND_RANK = {k: i for i, k in enumerate(KIND_ORDER)}


def template_dir_override(settings: Settings) -> Path | None:
    """The operator's template directory, if the settings name one."""
    name = settings.monitor.digest_templates
    return settings.path(name) if name else None


def environment(settings: Settings | None = None) -> Environment:
    loaders = []
    override = template_dir_override(settings) if settings is not None else None
    if override is not None:
        loaders.append(FileSystemLoader(str(override)))
    loaders.append(FileSystemLoader(str(TEMPLATES)))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(
            enabled_extensions=("html.j2", "html"), default_for_string=False
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # Where the static site (`nianbao site`) is published: findings link to their pages there.
    site_url = settings.site_url if settings is not None else None
    env.globals["site_url"] = (site_url.rstrip("/") + "/") if site_url else None
    # Only http(s) addresses become links: a crawled or imported ``javascript:`` URL stays text.
    env.tests["web_url"] = is_web_url
    env.filters["kind_label"] = lambda k: KIND_LABELS.get(k, k)
    env.filters["severity_label"] = lambda s: SEVERITY_LABELS.get(s, s)
    env.filters["level_label"] = lambda lv: LEVEL_LABELS.get(lv, lv or "")
    return env


def build_digests(
    db: Database,
    settings: Settings,
    as_of: date,
    *,
    recipients: list[Recipient] | None = None,
) -> list[Digest]:
    """One digest per recipient (default: every recipient in settings), scoped to their regions,
    sites and levels: summary, then new and changed findings with evidence, then the rest."""
    chosen = settings.recipients if recipients is None else recipients
    if not chosen:
        return []
    with db.session() as s:
        found = load_findings(s)
        year, outcomes = agency_outcomes(s, settings, as_of)
    env = environment(settings)
    return [
        _digest(
            env,
            settings,
            as_of,
            r,
            [f for f in found if in_scope(f, r)],
            year,
            region_rates(outcomes, r),
            _chat_note(db, r),
        )
        for r in chosen
    ]


def _chat_note(db: Database, r: Recipient) -> dict[str, Any]:
    """What the digest says about the recipient's group chats: where this digest's card goes, and
    earlier cards that did not arrive (left for retry) or may not have (uncertain)."""
    backlog = chat_backlog(db, r.email) if r.channels else {}
    return {
        "channels": list(dict.fromkeys(CHANNEL_LABELS.get(c.type, c.type) for c in r.channels)),
        "undelivered": [
            {"label": CHANNEL_LABELS.get(kind, kind), **counts} for kind, counts in sorted(backlog.items())
        ],
    }


def _digest(
    env: Environment,
    settings: Settings,
    as_of: date,
    r: Recipient,
    found: list[ScopedFinding],
    year: int,
    rates: list[dict[str, Any]],
    chat: dict[str, Any] | None = None,
) -> Digest:
    sections = split(found)
    open_now = [
        d for d in sections.changed if d["status"] != "resolved"
    ] + sections.still_open
    resolved = [d for d in sections.changed if d["status"] == "resolved"]
    new_open = kind_counts(d for d in sections.changed if d["status"] != "resolved")
    all_open = kind_counts(open_now)
    # Kinds of rules added in settings come after ours, under the names their findings carry.
    labels = {d["kind"]: d["kind_label"] for d in open_now}
    by_kind = [
        {
            "kind": k,
            "label": KIND_LABELS.get(k) or labels[k],
            "open": all_open.get(k, 0),
            "new": new_open.get(k, 0),
        }
        for k in [*KIND_ORDER, *sorted(labels.keys() - set(KIND_ORDER))]
        if all_open.get(k) or new_open.get(k)
    ]
    per_region: dict[str, dict[str, int]] = {}
    for d in open_now:
        c = per_region.setdefault(d["region"], {"open": 0, "new": 0, "error": 0})
        c["open"] += 1
        c["new"] += d in sections.changed
        c["error"] += d["severity"] == "error"
    rate_by_region = {x["region"]: x for x in rates}
    regions = [
        {
            "region": reg,
            **per_region.get(reg, {"open": 0, "new": 0, "error": 0}),
            "rate": rate_by_region.get(reg),
        }
        for reg in sorted(set(per_region) | set(rate_by_region))
    ]
    detailed = sections.changed[:MAX_DETAILED]
    context = {
        "title": TITLE,
        "as_of": as_of.isoformat(),
        "generated_at": datetime.now(CHINA).strftime("%Y-%m-%d %H:%M"),
        "recipient": r,
        "scope": _scope_text(r),
        "rate_year": year,
        "by_kind": by_kind,
        "regions": regions,
        "totals": {
            "open": len(open_now),
            "new": sum(new_open.values()),
            "resolved": len(resolved),
            "acknowledged": len(sections.acknowledged),
        },
        "changed_groups": group([_view(d) for d in detailed]),
        "changed_omitted": len(sections.changed) - len(detailed),
        "open_groups": group([_view(d) for d in sections.still_open[:MAX_OPEN_LISTED]]),
        "open_omitted": max(0, len(sections.still_open) - MAX_OPEN_LISTED),
        "acknowledged": [_view(d) for d in sections.acknowledged[:MAX_OPEN_LISTED]],
        "storage_note": (f"存档副本路径相对于配置文件所在目录（{settings.storage}）" if storage_scheme(settings.storage) == "file"
                         else f"存档副本保存在对象存储（{settings.storage}）"),
        "chat": chat or {"channels": [], "undelivered": []},
    }
    subject = f"{TITLE}{as_of.isoformat()}：新发现 {context['totals']['new']} 条，未解决 {len(open_now)} 条"
    if r.regions:
        subject += f"（{'、'.join(r.regions)}）"
    try:
        text = env.get_template("digest.txt.j2").render(**context)
        html = env.get_template("digest.html.j2").render(**context)
    except TemplateError as exc:  # a broken override (settings: digest_templates)
        where = f"{exc.filename}:{exc.lineno}: " if isinstance(exc, TemplateSyntaxError) and exc.filename else ""
        raise UsageError(f"digest template {where}{type(exc).__name__}: {exc.message or exc}".replace("\n", " ")) from None
    return Digest(
        recipient=r.email,
        recipient_name=r.name,
        subject=subject,
        text=text,
        html=html,
        as_of=as_of,
        finding_ids=[d["id"] for d in detailed],
        counts={
            "new": context["totals"]["new"],
            "open": len(open_now),
            "resolved": len(resolved),
            "changed": len(detailed),
        },
        summary={
            "by_kind": by_kind,
            "scope": context["scope"],
            "worst": sorted(
                (d for d in sections.changed if d["status"] != "resolved"),
                key=lambda d: (SEVERITY_ORDER.get(d["severity"], 9), KIND_RANK.get(d["kind"], 99), d["id"]),
            )[:MAX_CARD_FINDINGS],
        },
    )


def _scope_text(r: Recipient) -> str:
    parts = []
    if r.regions:
        parts.append("地区：" + "、".join(r.regions))
    if r.sites:
        parts.append("网站：" + "、".join(r.sites))
    if r.levels:
        parts.append("机关类型：" + "、".join(LEVEL_LABELS.get(x, x) for x in r.levels))
    return "；".join(parts) or "全部地区"


def _view(d: dict[str, Any]) -> dict[str, Any]:
    """What a template needs of one finding: the finding plus its dates, equation and links."""
    ev = d["evidence"]
    dates = []
    if ev.get("deadline"):
        text = f"截止日期 {ev['deadline']}"
        if ev.get("deadline_statutory") and ev["deadline_statutory"] != ev["deadline"]:
            text += f"（原为 {ev['deadline_statutory']}；{ev.get('deadline_shift') or '因节假日顺延'}）"
        elif ev.get("deadline_shift"):
            text += f"（{ev['deadline_shift']}）"
        dates.append(text)
    if ev.get("published_on"):
        src = ev.get("published_source_label") or ev.get("published_source") or ""
        dates.append(
            f"标注发布日期 {ev['published_on']}" + (f"（{src}）" if src else "")
        )
    if ev.get("first_seen"):
        dates.append(f"本系统首次发现 {ev['first_seen'][:16].replace('T', ' ')}")
    if ev.get("crawled_at"):
        dates.append(
            f"未见该报告的抓取 {ev['crawled_at'][:16].replace('T', ' ')}，首次在列表出现 {str(ev.get('first_listed_at') or '')[:16].replace('T', ' ')}"
        )
    equation = None
    if ev.get("equation"):
        equation = ev["equation"]
        if ev.get("reported") is not None and ev.get("computed") is not None:
            equation += (
                f"：表中为 {ev['reported']}，按其余各项计算应为 {ev['computed']}"
            )
        elif ev.get("left") is not None:
            equation += f"：左边 {ev['left']}，右边 {ev['right']}"
    other = ev.get("other_source_url") or ev.get("previous_source_url")
    cells = d["cells"]
    hidden = 0
    # R3 names 24 cells: show the total, the non-zero ones and any blank; count the zeros.
    if len(cells) > MAX_CELLS_SHOWN:
        shown = [c for i, c in enumerate(cells) if i == 0 or c["value"] != 0]
        hidden = len(cells) - len(shown)
        cells = shown
    return {
        **d,
        "cells": cells,
        "cells_hidden": hidden,
        "dates": dates,
        "equation": equation,
        "other_url": other,
        "quote": ev.get("quote"),
        "similarity": ev.get("similarity"),
        "errors": ev.get("errors") or [],
    }
