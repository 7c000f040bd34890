"""CMS family adapters on list pages shaped as real portals vary them (issue 10's audit): Hanweb
windows when ``totalRecord`` is no multiple of ``perPage``, VSB's ``list.htm`` then ``list/N.htm``
counting down, DedeCMS's static and ``list.php`` pagers, the family judged per list page, and
gkmlpt category trees in traditional characters or with other fields between id and name.
Pages are written here as the families' templates print them; no network, no reactor."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, TextResponse, XmlResponse

from core.settings import SiteSpec
from crawler.adapters import adapter_for, default_registry
from crawler.adapters.gkmlpt import categories_in_text, is_report_category
from crawler.platform_shell import shell_categories

SITE = SiteSpec(id="t", name="测试县人民政府", start_urls=["http://h.example/"])


def _page(url: str, body: str, meta: dict | None = None, cls: type[TextResponse] = HtmlResponse) -> TextResponse:
    return cls(url=url, body=body.encode(), encoding="utf-8", request=Request(url, meta=meta or {}))


# Hanweb -------------------------------------------------------------------------------------------
def _records(numbers: range) -> str:
    return "".join(
        f"<record><![CDATA[<li><a href='/art/2024/1/10/art_5_{i}.html' title='测试县第{i}局2023年政府信息公开工作年度报告'>x</a>"
        "<span>2024-01-10</span></li>]]></record>"
        for i in numbers
    )


def _hanweb_column(total: int, per: int, inline: int) -> str:
    """A column page whose jpage settings are only in the <nextgroup> link and the script's totals."""
    nextgroup = "<a href=\"/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=7&path=/&columnid=5&unitid=49&webname=测试县&permissiontype=0\"></a>"
    return (
        f"<html><body><div id='49'><script type='text/xml'><datastore><nextgroup><![CDATA[{nextgroup}]]></nextgroup>"
        f"<recordset>{_records(range(1, inline + 1))}</recordset></datastore></script>"
        f"<script>$('#49').jpage({{dataStore: dataStore, perPage: {per}, totalRecord: {total}}});</script></div></body></html>"
    )


def test_hanweb_windows_end_at_total_record_when_it_is_no_multiple_of_per_page() -> None:
    adapter = adapter_for("hanweb")
    column = "http://h.example/col/col5/index.html"
    first = adapter.parse_list(_page(column, _hanweb_column(total=47, per=15, inline=15)), SITE)
    assert len(first.entries) == 15
    post = first.next_page
    assert post is not None and "startrecord=16&endrecord=60&perpage=15" in post.url
    # The form fields come from the <nextgroup> link when the script names none.
    assert b"webid=7" in post.body and b"columnid=5" in post.body and b"unitid=49" in post.body
    state = post.meta["list_state"]
    # The server answers the 32 records left (16..47): the list ends there.
    window = adapter.parse_list(_page(post.url, f"<datastore>{_records(range(16, 48))}</datastore>", {"list_state": state}, XmlResponse), SITE)
    assert len(window.entries) == 32 and window.next_page is None


def test_hanweb_server_that_answers_one_page_per_post_is_asked_until_total_record() -> None:
    adapter = adapter_for("hanweb")
    first = adapter.parse_list(_page("http://h.example/col/col5/index.html", _hanweb_column(total=47, per=15, inline=15)), SITE)
    request, starts, seen = first.next_page, [], 15
    while request is not None:
        start = int(request.meta["list_state"]["start"])
        starts.append(start)
        answer = f"<datastore>{_records(range(start, min(start + 15, 48)))}</datastore>"
        page = adapter.parse_list(_page(request.url, answer, {"list_state": request.meta["list_state"]}, XmlResponse), SITE)
        seen += len(page.entries)
        request = page.next_page
    assert starts == [16, 31, 46] and seen == 47


# VSB ----------------------------------------------------------------------------------------------
_VSB_ROW = "<li><a href='{href}'>测试县财政局2023年政府信息公开工作年度报告</a><span>2024-01-10</span></li>"


def _vsb(rows: str, pager: str) -> str:
    return f"<html><body><ul>{rows}</ul><div class='pb_sys_common'><span class='p_pages'>{pager}</span></div></body></html>"


def test_vsb_first_page_list_htm_then_list_folder_counting_down() -> None:
    adapter = adapter_for("vsb")
    pager = (
        "<span class='p_first_d p_fun_d'>首页</span><span class='p_no_d'>1</span><span class='p_no'><a href='list/12.htm'>2</a></span>"
        "<span class='p_next p_fun'><a href='list/12.htm'>下页</a></span><span class='p_last p_fun'><a href='list/1.htm'>尾页</a></span>"
    )
    first = adapter.parse_list(_page("http://h.example/xxgk/nb/list.htm", _vsb(_VSB_ROW.format(href="../info/1023/4567.htm"), pager)), SITE)
    assert first.next_page is not None and first.next_page.url == "http://h.example/xxgk/nb/list/12.htm"
    assert [e.url for e in first.entries] == ["http://h.example/xxgk/info/1023/4567.htm"]
    assert first.subcolumns == []  # the numbered pages are the same list, not sub-columns
    # A template without a 下页 link: the highest numbered file linked is the second page.
    numbers_only = adapter.parse_list(_page("http://h.example/xxgk/nb/list.htm", _vsb("", pager.replace("<span class='p_next p_fun'><a href='list/12.htm'>下页</a></span>", ""))), SITE)
    assert numbers_only.next_page is not None and numbers_only.next_page.url == "http://h.example/xxgk/nb/list/12.htm"
    middle = adapter.parse_list(_page("http://h.example/xxgk/nb/list/12.htm", _vsb("", "<a href='../list.htm'>首页</a><span class='p_next p_fun'><a href='11.htm'>下页</a></span>")), SITE)
    assert middle.next_page is not None and middle.next_page.url == "http://h.example/xxgk/nb/list/11.htm"
    last = adapter.parse_list(_page("http://h.example/xxgk/nb/list/1.htm", _vsb("", "<a href='../list.htm'>首页</a><span class='p_next_d p_fun_d'>下页</span>")), SITE)
    assert last.next_page is None


# DedeCMS ------------------------------------------------------------------------------------------
def _dede(pager_links: str) -> str:
    return (
        "<html><body><ul><li><a href='/a/zwgk/nb/2024/0118/123.html'>测试县财政局2023年政府信息公开工作年度报告</a> 2024-01-18</li></ul>"
        f"<div class='dede_pages'><ul class='pagelist'>{pager_links}<li><span class='pageinfo'>共 <strong>5</strong>页<strong>73</strong>条</span></li></ul></div></body></html>"
    )


@pytest.mark.parametrize(
    ("url", "pager", "next_url"),
    [
        ("http://h.example/a/zwgk/nb/list_12_3.html", "<li><a href='list_12_2.html'>上一页</a></li>", "http://h.example/a/zwgk/nb/list_12_4.html"),
        ("http://h.example/a/zwgk/nb/", "<li><a href='list_12_2.html'>2</a></li>", "http://h.example/a/zwgk/nb/list_12_2.html"),
        ("http://h.example/a/zwgk/nb/list_12_5.html", "<li><a href='list_12_4.html'>上一页</a></li>", None),
        ("http://h.example/plus/list.php?tid=12&PageNo=3", "<li><a href='/plus/list.php?tid=12&PageNo=2'>上一页</a></li>", "http://h.example/plus/list.php?tid=12&PageNo=4"),
        ("http://h.example/plus/list.php?tid=12", "", "http://h.example/plus/list.php?tid=12&PageNo=2"),
        ("http://h.example/plus/list.php?tid=12&TotalResult=73&PageNo=5", "", None),
    ],
)
def test_dede_pages_without_a_next_link_are_counted(url: str, pager: str, next_url: str | None) -> None:
    page = adapter_for("dede").parse_list(_page(url, _dede(pager)), SITE)
    assert (page.next_page.url if page.next_page else None) == next_url
    assert [e.url for e in page.entries] == ["http://h.example/a/zwgk/nb/2024/0118/123.html"]


# The family of each list page -----------------------------------------------------------------
def test_a_trs_year_page_under_a_site_configured_generic_is_read_as_trs() -> None:
    """One TRS marker (its createPageHTML pager; the reports are attachments, not t…_… pages) is
    enough against the generic family, which has no markers of its own; a configured family with
    markers still gives way only to two."""
    body = "<html><body><ul><li><a href='./P020240118_1.pdf'>测试县财政局2023年政府信息公开工作年度报告</a></li></ul><script>createPageHTML(3,0,'index','html');</script></body></html>"
    response = _page("http://h.example/nb/2023/index.html", body)
    registry = default_registry()
    assert registry.family_of_page(response, "generic") == "trs"
    assert registry.family_of_page(response, "auto") == "trs"
    assert registry.family_of_page(response, "hanweb") == "hanweb"
    nxt = adapter_for(registry.family_of_page(response, "generic")).parse_list(response, SITE).next_page
    assert nxt is not None and nxt.url == "http://h.example/nb/2023/index_1.html"


# gkmlpt category trees ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "is_report"),
    [
        ("政府信息公开年报", True),
        ("政府資訊公開年報", True),  # a traditional-character mirror
        ("政府信息公开工作年度報告", True),
        ("年報解讀", False),
        ("2023年度", False),
    ],
)
def test_report_categories_are_named_in_either_script(name: str, is_report: bool) -> None:
    assert is_report_category(name) is is_report


def test_category_tree_objects_with_other_fields_between_id_and_name() -> None:
    text = (
        "<script>window._CONFIG = {SID: '2', TREE: [{id: 1, name: '公开目录', children: ["
        "{parent_id: 1, id: 2753, sub_title: '年报', text: '政府資訊公開年報'}, "
        '{"catid": 2754, "parent": 1, "name": "年报解读"}]}]};</script>'
    )
    expected = [("1", "公开目录"), ("2753", "政府資訊公開年報"), ("2754", "年报解读")]
    assert categories_in_text(text) == expected
    assert shell_categories(text) == expected  # nianbao discover reads the tree the same way
    shell = _page("http://h.example/gkmlpt/index", text)
    page = adapter_for("gkmlpt").parse_list(shell, SITE)
    assert [s.url for s in page.subcolumns] == ["http://h.example/gkmlpt/index#2753"]


# 更多 links --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("page", "more", "descended"),
    [
        ("http://h.example/zfxxgk/nb/index.html", "http://h.example/zfxxgk/nb/bmnb/index.html", True),  # a block's full list
        ("http://h.example/zfxxgk/nb/index.html", "http://h.example/zfxxgk/nb/xznb.html", True),
        ("http://h.example/zfxxgk/nb/index.html", "http://h.example/xwzx/index.html", False),  # the portal's news
        ("http://h.example/zfxxgk/nb/index.html", "http://h.example/zfxxgk/nb/index_1.html", False),  # a page of this list
        ("http://h.example/zfxxgk/nb.htm", "http://h.example/zfxxgk/nb/12.htm", False),  # VSB's next page
        ("http://h.example/zfxxgk/nb.htm", "http://h.example/zfxxgk/zcwj.htm", False),  # another column beside it
        ("http://h.example/zfxxgk/nb.htm", "http://h.example/zfxxgk/nb/bmnb.htm", True),
    ],
)
def test_more_links_below_the_list_are_sub_columns(page: str, more: str, descended: bool) -> None:
    body = f"<html><body><h3>部门年报</h3><a href='{more}'>更多&gt;&gt;</a></body></html>"
    listed = adapter_for("generic").parse_list(_page(page, body), SITE)
    assert ([s.url for s in listed.subcolumns] == [more]) is descended
    assert not listed.entries
