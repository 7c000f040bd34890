"""Crawler parts in isolation: title rules, charset repair, challenge detection, CMS adapters on
pages rendered by the portal templates (no network, no reactor)."""

from __future__ import annotations

from datetime import date

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, Response, TextResponse, XmlResponse

from crawler.adapters import adapter_for, detect_family
from crawler.discovery import classify_title, normalize_date, report_year
from crawler.middlewares.charset import choose_encoding
from crawler.middlewares.waf import challenge_reason
from crawler.ingest_job import attachment_filename
from nianbao.demo.families import Article, Attachment, Encoding, GenericColumn, GkmlptColumn, HanwebColumn, TrsColumn, VsbColumn
from nianbao.demo.server import Page, SimRequest
from core.settings import Selectors, SiteSpec

BASE = "http://127.0.0.1:8000"
SITE = SiteSpec(id="t", name="测试县人民政府", start_urls=[BASE + "/"])


def _articles(n: int, agency: str = "测试县财政局") -> list[Article]:
    return [Article(f"{agency}{2023 - i}年政府信息公开工作年度报告", date(2024 - i, 1, 10), "<p>正文</p>", publisher=agency) for i in range(n)]


def _response(page: Page | object, path: str, meta: dict | None = None, cls: type[TextResponse] = HtmlResponse) -> TextResponse:
    url = BASE + path
    if callable(page):
        page = page(SimRequest("GET", path.split("?")[0], dict(p.split("=") for p in path.split("?")[1].split("&")) if "?" in path else {}, {}, {}))
    assert isinstance(page, Page)
    return cls(url=url, body=page.body, headers={"Content-Type": page.content_type}, request=Request(url, meta=meta or {}))


# Titles --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("洪雅县教育和体育局2023年政府信息公开工作年度报告", "report"),
        ("XX镇二〇二二年度政府信息公开年报", "report"),
        ("《永嘉县民政局2022年政府信息公开工作年度报告》解读", "excluded"),
        ("一图读懂永嘉县发展和改革局2023年政府信息公开工作年度报告", "excluded"),
        ("图解：北京市朝阳区民政局2023年政府信息公开工作年度报告", "excluded"),
        ("关于做好2023年度政府信息公开工作年度报告编制发布工作的通知", "excluded"),
        ("2023年", "subcolumn"),
        ("二〇二三年度", "subcolumn"),
        ("县级部门", "subcolumn"),
        ("乡镇（街道）", "subcolumn"),
        ("政府信息公开年报", "other"),
        ("政府信息公开指南", "other"),
    ],
)
def test_titles_are_classified(title: str, kind: str) -> None:
    assert classify_title(title) == kind


def test_years_and_dates_are_read_from_list_text() -> None:
    assert report_year("某局二〇二二年政府信息公开工作年度报告") == 2022
    assert report_year("2019年度政府信息公开年报") == 2019
    assert normalize_date("[2024-1-9]") == "2024-01-09"
    assert normalize_date("发布时间：2023年01月18日") == "2023-01-18"


# Charsets ------------------------------------------------------------------------------------
GBK_PAGE = '<html><head><meta httpequiv="ContentType" content="text/html; charset=gbk" /></head><body>北京市朝阳区民政局2023年政府信息公开工作年度报告</body></html>'


def test_gbk_bytes_under_a_utf8_header_are_read_as_gb18030() -> None:
    assert choose_encoding(GBK_PAGE.encode("gbk"), "text/html; charset=utf-8") == "gb18030"


def test_gb2312_label_decodes_as_gb18030_and_utf8_bytes_win_over_labels() -> None:
    assert choose_encoding("<meta charset='gb2312'>镕".encode("gbk"), "text/html") == "gb18030"
    assert choose_encoding("<meta charset='gbk'>政府信息公开".encode(), "text/html; charset=gbk") == "utf-8"
    assert choose_encoding("政府".encode("gbk"), "text/html; charset=iso-8859-1") == "gb18030"


def test_charset_fixer_repairs_the_response_encoding() -> None:
    from crawler.middlewares.charset import CharsetFixer

    class _Crawler:
        class settings:  # noqa: N801 — a stand-in for Scrapy's settings object
            @staticmethod
            def getbool(name: str, default: bool = False) -> bool:
                return True

            @staticmethod
            def getdict(name: str) -> dict:
                return {}

        class stats:  # noqa: N801
            @staticmethod
            def inc_value(name: str) -> None:
                return None

    response = HtmlResponse(BASE + "/", body=GBK_PAGE.encode("gbk"), headers={"Content-Type": "text/html; charset=utf-8"})
    fixed = CharsetFixer(_Crawler()).process_response(Request(BASE + "/"), response)  # type: ignore[arg-type]
    assert "朝阳区民政局" in fixed.text


# Anti-bot challenges -------------------------------------------------------------------------
def test_challenges_are_recognised() -> None:
    ts = b"<html><head><script>$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.cd='x';</script></head><body></body></html>"
    assert challenge_reason(412, [], ts, ts.decode())
    assert challenge_reason(200, [], ts, ts.decode())
    jsl = b"<script>document.cookie='__jsl_clearance_s=1';location.href=location.pathname</script>"
    assert challenge_reason(521, ["__jsluid_s=abc; path=/"], jsl, jsl.decode())
    assert challenge_reason(200, ["__jsl_clearance_s=abc"], jsl, jsl.decode())
    js403 = b"<html><script>eval(function(p){document.cookie='a=b';window.location.reload()})</script></html>"
    assert challenge_reason(403, [], js403, js403.decode())
    captcha = "<html><body><form><p>请输入验证码</p><img src='/captcha.jpg'><input name='code'></form></body></html>"
    assert challenge_reason(200, [], captcha.encode(), captcha)


def test_real_pages_are_not_challenges() -> None:
    article = "<html><body>" + "<p>本报告由县政府办公室编制。</p>" * 40 + "</body></html>"
    assert challenge_reason(200, ["__jsluid_s=abc; path=/"], article.encode(), article) is None  # WAF cookie on a real page
    vsb_error = "<html><script>alert('对不起，您无权下载该附件！');history.back();</script></html>"
    assert challenge_reason(200, [], vsb_error.encode(), vsb_error) is None
    assert challenge_reason(404, [], b"<html>not found</html>", "<html>not found</html>") is None


def test_attachment_names_come_from_content_disposition() -> None:
    assert attachment_filename("attachment; filename*=UTF-8''%E5%B9%B4%E6%8A%A5.pdf") == "年报.pdf"
    assert attachment_filename('attachment; filename="report.docx"') == "report.docx"
    assert attachment_filename(None) is None


# Adapters ------------------------------------------------------------------------------------
def test_trs_list_pages_follow_create_page_html() -> None:
    column = TrsColumn(prefix="", site_name="测试", articles=_articles(5), page_size=2)
    routes = column.routes()
    adapter = adapter_for("trs")
    first = _response(routes[column.list_path(0)], column.list_path(0))
    assert detect_family(first) == "trs"
    page = adapter.parse_list(first, SITE)
    assert [e.title for e in page.entries] == [a.title for a in column.articles[:2]]
    assert page.entries[0].list_date == "2024-01-10"
    assert page.next_page is not None and page.next_page.url == BASE + column.list_path(1)
    second = adapter.parse_list(_response(routes[column.list_path(1)], column.list_path(1)), SITE)
    assert second.next_page is not None and second.next_page.url == BASE + column.list_path(2)
    assert adapter.parse_list(_response(routes[column.list_path(2)], column.list_path(2)), SITE).next_page is None


def test_trs_year_subcolumns_are_descended_not_reported() -> None:
    child = TrsColumn(prefix="", column_dir="zfxxgknb/n2023n", site_name="测试", articles=_articles(1))
    root = TrsColumn(prefix="", column_dir="zfxxgknb", site_name="测试", articles=[], subcolumns=[("2023年", child)])
    page = adapter_for("trs").parse_list(_response(root.routes()[root.index_path], root.index_path), SITE)
    assert [s.url for s in page.subcolumns] == [BASE + child.index_path]
    assert page.entries == []


def test_hanweb_column_page_then_dataproxy_windows() -> None:
    column = HanwebColumn(prefix="", site_name="测试县", articles=_articles(6), page_size=1, inline_records=2, column_id=77, unit_id=88, web_id=99)
    routes = column.routes()
    first = _response(routes[column.index_path], column.index_path)
    assert detect_family(first) == "hanweb"
    adapter = adapter_for("hanweb")
    page = adapter.parse_list(first, SITE)
    assert len(page.entries) == 2
    post = page.next_page
    assert post is not None and post.method == "POST"
    assert "startrecord=3" in post.url and "endrecord=5" in post.url
    assert post.headers[b"X-Requested-With"] == b"XMLHttpRequest"
    assert b"columnid=77" in post.body and b"unitid=88" in post.body and b"webid=99" in post.body
    answer = routes[column.proxy_path](
        SimRequest("POST", column.proxy_path, {"startrecord": "3", "endrecord": "5"}, {"columnid": "77", "unitid": "88"}, {"x-requested-with": "XMLHttpRequest"})
    )
    xml = XmlResponse(url=post.url, body=answer.body, headers={"Content-Type": answer.content_type}, request=post)
    window = adapter.parse_list(xml, SITE)
    assert [e.title for e in window.entries] == [a.title for a in column.articles[2:5]]
    assert window.next_page is not None and "startrecord=6" in window.next_page.url


def test_vsb_pages_count_down_and_attachments_are_found() -> None:
    column = VsbColumn(
        prefix="",
        site_name="测试",
        page_size=2,
        articles=[Article("测试县财政局2023年政府信息公开工作年度报告", date(2024, 1, 5), "<p>详见附件</p>", attachments=[Attachment("年报.pdf", b"%PDF-1.4")]), *_articles(4)],
    )
    routes = column.routes()
    first = _response(routes[column.index_path], column.index_path)
    assert detect_family(first) == "vsb"
    page = adapter_for("vsb").parse_list(first, SITE)
    assert page.next_page is not None and page.next_page.url == BASE + column.list_path(1, 3)
    assert page.next_page.url.endswith("/zfxxgknb/2.htm")
    index = next(i for i, a in enumerate(column.articles) if a.attachments)
    detail_path = column.detail_path(index, column.articles[index])
    attachments = adapter_for("vsb").attachments(_response(routes[detail_path], detail_path))
    assert len(attachments) == 1 and "download.jsp" in attachments[0].url and attachments[0].title == "年报.pdf"


def test_gkmlpt_shell_leads_to_the_json_api() -> None:
    column = GkmlptColumn(prefix="", site_name="测试", articles=_articles(3), page_size=2, sid="123", catid=456)
    routes = column.routes()
    shell = _response(routes[column.index_path], column.index_path, meta={"column_url": BASE + column.start_url_suffix})
    assert detect_family(shell) == "gkmlpt"
    adapter = adapter_for("gkmlpt")
    api = adapter.parse_list(shell, SITE).next_page
    assert api is not None and api.url == f"{BASE}/gkmlpt/api/all/456?page=1&sid=123"
    answer = routes["/gkmlpt/api/all/456"](SimRequest("GET", "/gkmlpt/api/all/456", {"page": "1", "sid": "123"}, {}, {"host": "127.0.0.1:8000"}))
    data = TextResponse(url=api.url, body=answer.body, headers={"Content-Type": answer.content_type}, request=api)
    page = adapter.parse_list(data, SITE)
    assert [e.list_date for e in page.entries] == ["2024-01-10", "2023-01-10"]
    assert page.next_page is not None and "page=2" in page.next_page.url


def test_generic_adapter_uses_the_site_selectors_on_a_gbk_page() -> None:
    column = GenericColumn(prefix="", site_name="测试", articles=_articles(3), page_size=2, encoding=Encoding(codec="gbk", header="gbk", meta="gbk"))
    site = SITE.model_copy(update={"selectors": Selectors(item="table.news tr", link="td.entry a", date="td.date::text", next_page="a.next")})
    response = _response(column.routes()[column.index_path], column.index_path)
    page = adapter_for("generic").parse_list(response, site)
    assert [e.title for e in page.entries] == [a.title for a in column.articles[:2]]
    assert page.entries[1].list_date == "2023-01-10"
    assert page.next_page is not None and page.next_page.url == BASE + column.list_path(1)


def test_unknown_pages_fall_back_to_the_generic_adapter() -> None:
    response: Response = HtmlResponse(BASE + "/", body=b"<html><body><a href='/a.html'>x</a></body></html>")
    assert detect_family(response) == "generic"


def test_trs_shifted_numbering_follows_the_first_pages_own_count() -> None:
    page = Page('<html><body><script>createPageHTML(4, 1, "index", "shtml");</script></body></html>'.encode())
    first = adapter_for("trs").parse_list(_response(page, "/nb/index.shtml"), SITE)
    assert first.next_page is not None and first.next_page.url == BASE + "/nb/index_2.shtml"
    later = _response(page, "/nb/index_3.shtml", meta={"list_state": first.next_page.meta["list_state"]})
    third = adapter_for("trs").parse_list(later, SITE)  # page 3 of 4 under offset 1
    assert third.next_page is not None and third.next_page.url == BASE + "/nb/index_4.shtml"
    last = adapter_for("trs").parse_list(_response(page, "/nb/index_4.shtml", meta={"list_state": {"trs_offset": 1}}), SITE)
    assert last.next_page is None


def test_trs_second_page_guess_carries_the_shifted_fallback() -> None:
    page = Page('<html><body><script>createPageHTML(3, 0, "index", "html");</script></body></html>'.encode())
    nxt = adapter_for("trs").parse_list(_response(page, "/nb/index.html"), SITE).next_page
    assert nxt is not None and nxt.url == BASE + "/nb/index_1.html"
    assert nxt.meta["list_state"]["fallback"] == {"url": BASE + "/nb/index_2.html", "trs_offset": 1}


# Revisit policy, redirects, scheme fallback ----------------------------------------------------
def test_revisit_policy_skips_fresh_revalidates_old_and_recrawl_fetches_all() -> None:
    from datetime import UTC, datetime, timedelta

    from crawler.revisit import FetchState, RevisitPolicy

    now = datetime(2026, 3, 1, tzinfo=UTC)
    fresh = FetchState("u", now - timedelta(days=3), etag='"x"', sha256="ab")
    stale = FetchState("u", (now - timedelta(days=40)).replace(tzinfo=None), sha256="ab")  # SQLite: naive UTC
    crawl, recrawl = RevisitPolicy("crawl", 30, now), RevisitPolicy("recrawl", 30, now)
    assert [crawl.decide(s) for s in (None, fresh, stale)] == ["fetch", "skip", "revalidate"]
    assert [recrawl.decide(s) for s in (None, fresh, stale)] == ["fetch", "fetch", "fetch"]
    assert RevisitPolicy("crawl", 0, now).decide(fresh) == "revalidate"


def test_redirect_landings_that_are_not_followed() -> None:
    from crawler.middlewares.landing import is_homepage, landing_problem

    assert is_homepage("http://a.gov.cn/") and is_homepage("http://a.gov.cn/index.shtml") and not is_homepage("http://a.gov.cn/nb/")
    column, home = "http://a.gov.cn/zfxxgknb/2023/", "http://a.gov.cn/"
    assert landing_problem(column, home, allowed=True, kind="list") == ("moved", f"redirected to the homepage: {home}")
    assert landing_problem(column, "http://b.gov.cn/nb/", allowed=False, kind="list")[0] == "moved"  # type: ignore[index]
    detail = "http://a.gov.cn/nb/202401/t20240110_1.html"
    assert landing_problem(detail, "http://a.gov.cn/nb/", allowed=True, kind="detail")[0] == "gone"  # type: ignore[index]
    assert landing_problem("http://a.gov.cn/old/ndbg/", "http://a.gov.cn/xxgk/ndbg/list_1.html", allowed=True, kind="list") is None
    assert landing_problem(detail, "http://a.gov.cn/nb/202401/moved_1.html", allowed=True, kind="detail") is None


def test_tls_errors_are_recognised_through_scrapys_wrapping() -> None:
    from OpenSSL import SSL
    from scrapy.exceptions import DownloadFailedError
    from twisted.python.failure import Failure
    from twisted.web._newclient import ResponseNeverReceived

    from crawler.middlewares.scheme import is_tls_error, other_scheme

    inner = ResponseNeverReceived([Failure(SSL.Error([("SSL routines", "", "wrong version number")]))])
    wrapped = DownloadFailedError(inner.reasons)
    wrapped.__cause__ = inner
    assert is_tls_error(wrapped)
    assert not is_tls_error(DownloadFailedError("connection lost"))
    assert other_scheme("https://a.gov.cn:8443/x") == "http://a.gov.cn:8443/x" and other_scheme("http://a.gov.cn/") == "https://a.gov.cn/"
