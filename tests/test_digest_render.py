"""Digest content: scoping per recipient, Chinese sections, evidence, links, notified findings."""

from __future__ import annotations

from datetime import UTC, date

from monitor.check import run_check
from monitor.digest import build_digests, deliver_digests
from monitor.lifecycle import acknowledge
from core import keys
from storage.models import Finding, Outbox
from tests.monitor_factory import (
    add_agency,
    add_report,
    add_site,
    make_db,
    make_settings,
)

AS_OF = date(2025, 6, 30)


def setup(tmp_path, **extra):
    db = make_db(tmp_path)
    recipients = extra.pop(
        "recipients",
        [
            {
                "email": "hz@example.org",
                "name": "杭州市政务公开办",
                "regions": ["浙江省杭州市"],
            },
            {"email": "nj@example.org", "regions": ["江苏省"]},
            {"email": "gov@example.org", "levels": ["government"]},
        ],
    )
    monitor = {"first_year": 2024, **extra.pop("monitor", {})}
    settings = make_settings(tmp_path, monitor=monitor, recipients=recipients, **extra)
    hz = add_site(db, "xihu", "西湖区人民政府", "浙江省杭州市西湖区")
    nj = add_site(db, "xuanwu", "玄武区人民政府", "江苏省南京市玄武区")
    edu = add_agency(db, hz, "西湖区教育局")
    add_report(
        db,
        edu,
        2024,
        cells={(keys.REQUESTS, "results_total", "total"): 13},
        published_on=date(2025, 2, 10),
    )
    add_report(
        db,
        add_agency(db, hz, "西湖区人民政府", "government"),
        2024,
        published_on=date(2025, 3, 1),
    )
    add_agency(db, nj, "玄武区民政局")  # never published: missing 2024
    run_check(db, settings, AS_OF)
    return db, settings


def test_digest_scoped_by_region_and_level(tmp_path):
    db, settings = setup(tmp_path)
    hz, nj, gov = build_digests(db, settings, AS_OF)
    assert hz.recipient == "hz@example.org"
    assert "西湖区教育局" in hz.text and "玄武区" not in hz.text
    assert "玄武区民政局" in nj.text and "西湖区" not in nj.text
    assert "缺报" in nj.text and "逾期发布" in hz.text and "勾稽关系不符" in hz.text
    assert (
        "西湖区教育局" not in gov.text
    )  # a department: not in a government-level scope


def test_digest_text_and_html_content(tmp_path):
    db, settings = setup(tmp_path)
    hz = build_digests(db, settings, AS_OF)[0]
    assert hz.subject.startswith("《政府信息公开工作年度报告监测摘要》2025-06-30")
    for text in (hz.text, hz.html):
        assert "《政府信息公开工作年度报告监测摘要》" in text
        assert "三、（七）总计·总计 为 13" in text  # the equation sentence
        assert (
            "（七）总计·总计" in text and "requests/results_total/total" in text
        )  # cells with labels and keys
        assert (
            "截止日期 2025-02-05" in text and "2025-01-31" in text
        )  # deadline with the holiday shift
        assert "https://xihu.gov.cn/" in text  # source link
        assert "data/raw/" in text  # stored copy
        assert "按时发布率" in text
    assert '<a href="https://xihu.gov.cn/' in hz.html and "style=" in hz.html
    # one of two bodies of 西湖区 due for 2024 published on time (the government, by 03-31)
    assert "50%" in hz.text


def test_new_findings_marked_notified_then_listed_as_still_open(tmp_path):
    db, settings = setup(tmp_path)
    digests = build_digests(db, settings, AS_OF)
    hz = digests[0]
    assert hz.counts["new"] > 0 and hz.finding_ids
    result = deliver_digests(db, settings, digests)
    assert result["written"] == 3 and len(result["paths"]) == 3 and result["sent"] == 0
    with db.session() as s:
        notified = {
            f.id for f in s.query(Finding).filter(Finding.notified_at.is_not(None))
        }
        rows = s.query(Outbox).all()
    assert set(hz.finding_ids) <= notified
    assert {r.status for r in rows} == {"written"}
    again = build_digests(db, settings, AS_OF)[0]
    assert again.counts["new"] == 0 and again.counts["open"] == hz.counts["open"]
    assert (
        "本期没有新发现或有变化的问题" in again.text
        and "此前已通报、仍未解决的问题" in again.text
    )


def test_resolved_and_acknowledged_sections(tmp_path):
    db, settings = setup(tmp_path)
    deliver_digests(db, settings, build_digests(db, settings, AS_OF))
    with db.session() as s:
        late = s.query(Finding).filter(Finding.kind == "late").one()
    acknowledge(db, late.id, "系统故障导致延迟，已说明")
    add_report(
        db, late.agency_id, 2024, published_on=date(2025, 2, 10)
    )  # corrected: resolves the balance findings
    run_check(db, settings, AS_OF)
    hz = build_digests(db, settings, AS_OF)[0]
    assert "已解决" in hz.text and hz.counts["resolved"] >= 1
    assert "已确认、不再提醒的问题" in hz.text and "系统故障导致延迟" in hz.text


def test_template_override(tmp_path):
    override = tmp_path / "tpl"
    override.mkdir()
    (override / "digest.txt.j2").write_text(
        "自定义模板 {{ title }} 新发现 {{ totals.new }}\n", encoding="utf-8"
    )
    db, settings = setup(tmp_path, monitor={"first_year": 2024, "digest_templates": "tpl"})
    hz = build_digests(db, settings, AS_OF)[0]
    assert hz.text.startswith("自定义模板 《政府信息公开工作年度报告监测摘要》 新发现")
    assert "<html" in hz.html  # the HTML template was not overridden


def test_dry_run_writes_nothing(tmp_path):
    db, settings = setup(tmp_path)
    result = deliver_digests(
        db, settings, build_digests(db, settings, AS_OF), dry_run=True
    )
    assert (
        result["dry_run"]
        and len(result["previews"]) == 3
        and "监测摘要" in result["previews"][0]["text"]
    )
    assert not settings.outbox_dir.exists() or not any(settings.outbox_dir.iterdir())
    with db.session() as s:
        assert s.query(Outbox).count() == 0
        assert s.query(Finding).filter(Finding.notified_at.is_not(None)).count() == 0


def test_due_recipients_by_frequency(tmp_path):
    from datetime import datetime, timedelta

    from monitor.digest import due_recipients

    db, settings = setup(
        tmp_path,
        recipients=[
            {"email": "d@example.org", "frequency": "daily"},
            {"email": "w@example.org", "frequency": "weekly"},
            {"email": "m@example.org", "frequency": "monthly"},
        ],
    )
    assert [r.email for r in due_recipients(db, settings)] == [
        "d@example.org",
        "w@example.org",
        "m@example.org",
    ]
    deliver_digests(db, settings, build_digests(db, settings, AS_OF))
    now = datetime.now(UTC)
    assert due_recipients(db, settings, now) == []
    assert [r.email for r in due_recipients(db, settings, now + timedelta(days=1))] == [
        "d@example.org"
    ]
    assert [r.email for r in due_recipients(db, settings, now + timedelta(days=7))] == [
        "d@example.org",
        "w@example.org",
    ]
    only = build_digests(
        db,
        settings,
        AS_OF,
        recipients=due_recipients(db, settings, now + timedelta(days=1)),
    )
    assert [d.recipient for d in only] == ["d@example.org"]


def test_only_web_addresses_become_links(tmp_path):
    from sqlalchemy import update

    from storage.models import Report

    db, settings = setup(tmp_path)
    with db.session() as s:  # what `import --url javascript:…` would have stored
        s.execute(update(Report).values(source_url="javascript:alert(document.cookie)"))
    run_check(db, settings, AS_OF)
    hz = build_digests(db, settings, AS_OF)[0]
    assert "javascript:alert(document.cookie)" in hz.text  # still shown, as text
    assert 'href="javascript:' not in hz.html and "href=\"https://xihu.gov.cn/" not in hz.html
