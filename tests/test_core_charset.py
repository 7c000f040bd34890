"""One decision of how bytes decode (core.charset), shared by the crawler and the parser, and the
crawler's evidence travelling with the bytes to the parser; the one media-type table."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse

from core.charset import choose_encoding, decode
from core.mediatype import ATTACHMENT_EXTENSIONS, DOCUMENT_TYPES, follows_link_to, sniff_media_type, with_charset
from crawler.ingest_job import _incoming
from crawler.items import FetchedDocument
from crawler.middlewares.charset import CharsetFixer
from parser import parse_document
from parser.html_rows import may_link_attachments, read_html
from parser.readers import reader_for

TITLE = "奉新縣人民政府辦公室2022年政府信息公開工作年度報告"
BIG5_PAGE = f"<html><head><title>{TITLE}</title></head><body><p>{TITLE}</p></body></html>"
GBK_MISSPELT = (
    '<html><head><meta httpequiv="ContentType" content="text/html; charset=gb2312" /></head>'
    "<body><p>朝阳区民政局2023年政府信息公开工作年度报告，镕</p></body></html>"
)


# A stand-in for Scrapy's crawler: the charset fixer reads two settings and one counter.
_CRAWLER = SimpleNamespace(
    settings=SimpleNamespace(getbool=lambda name, default=False: True, getdict=lambda name: {"tw": "big5"}),  # sites[].encoding
    stats=SimpleNamespace(inc_value=lambda name: None),
)


@pytest.mark.parametrize(
    ("body", "header", "site", "expected"),
    [
        (GBK_MISSPELT.encode("gbk"), "text/html; charset=utf-8", None, "gb18030"),  # header lies, misspelt meta
        (GBK_MISSPELT.encode("gb18030"), "text/html", None, "gb18030"),  # gb2312 label, GBK-only 镕
        ("<meta charset='gbk'>政府信息公开".encode(), "text/html; charset=gbk", None, "utf-8"),  # UTF-8 bytes win
        ("政府信息公开".encode("gbk"), "text/html; charset=iso-8859-1", None, "gb18030"),  # error-page latin label
        (b"\xef\xbb\xbf" + "政府".encode(), "text/html; charset=gbk", None, "utf-8"),  # BOM first
        (BIG5_PAGE.encode("big5"), "text/html", "big5", "big5"),  # the site's configured encoding
        ("政府信息公开".encode("gbk"), "text/html", "utf-8", "gb18030"),  # a wrong setting is validated too
    ],
)
def test_the_crawler_and_the_parser_decide_the_same(body: bytes, header: str, site: str | None, expected: str) -> None:
    assert choose_encoding(body, header, site) == expected
    request = Request("http://127.0.0.1/a.html", meta={"site_id": "tw" if site == "big5" else "x"})
    response = HtmlResponse(request.url, body=body, headers={"Content-Type": header}, request=request)
    fixed = CharsetFixer(_CRAWLER).process_response(request, response)  # type: ignore[arg-type]
    if site is None or site == "big5":
        assert fixed.text == decode(body, header, site)


def test_the_crawlers_decision_reaches_the_parser_with_the_bytes() -> None:
    body = BIG5_PAGE.encode("big5")  # a traditional mirror site, its encoding set in settings
    request = Request("http://127.0.0.1/t20230131_1.html", meta={"site_id": "tw"})
    response = CharsetFixer(_CRAWLER).process_response(  # type: ignore[arg-type]
        request, HtmlResponse(request.url, body=body, headers={"Content-Type": "text/html"}, request=request)
    )
    doc = FetchedDocument(url=response.url, site_id="tw", status=200, body=body, headers={"content-type": "text/html"}, encoding=response.encoding)
    incoming = _incoming(doc, None, None, False)  # type: ignore[arg-type]
    assert incoming.media_type == "text/html; charset=big5"
    assert parse_document(body, incoming.media_type).title == TITLE
    # Without the crawler's evidence the same bytes read as GBK garbage: the evidence matters.
    assert parse_document(body, "text/html").title != TITLE


def test_decode_drops_the_byte_order_mark() -> None:
    assert decode("政府信息公开".encode("utf-16")) == "政府信息公开"  # encode() writes the BOM
    assert decode(b"\xef\xbb\xbf" + "政府信息公开".encode()) == "政府信息公开"


# Media types ------------------------------------------------------------------------------------
def test_the_table_says_what_happens_to_every_published_form() -> None:
    by_ext = {ext: t for t in DOCUMENT_TYPES for ext in t.extensions}
    for ext in ("pdf", "doc", "docx", "wps", "xls", "xlsx"):
        assert by_ext[ext].attachment and reader_for(by_ext[ext].media_type) is not None, ext
    for ext in ("et", "ofd", "zip", "rar"):
        assert by_ext[ext].attachment and by_ext[ext].note, ext  # followed, kept, and the note says how
    assert set(ATTACHMENT_EXTENSIONS) >= {"et", "ofd", "wps", "zip", "rar"}
    assert follows_link_to("http://x.gov.cn/P020240118.ofd") and not follows_link_to("http://x.gov.cn/a.html")


def test_files_are_sniffed_by_magic_and_name() -> None:
    ofd = b"PK\x03\x04" + b"\x00" * 26 + b"OFD.xml"
    assert sniff_media_type(ofd, "application/octet-stream", "download.jsp?id=1") == "application/ofd"
    assert sniff_media_type(b"\xd0\xcf\x11\xe0" + b"\x00" * 100, None, "年报.et") == "application/kset"
    assert sniff_media_type(b"Rar!\x1a\x07\x00", "application/octet-stream", "a") == "application/vnd.rar"
    assert sniff_media_type(b"\x00\x01\x02binary", "application/octet-stream", "download.jsp") == "application/octet-stream"
    assert sniff_media_type("<html><body>年报</body></html>".encode(), "application/octet-stream", "download.jsp") == "text/html"
    assert with_charset("text/html", "gb18030") == "text/html; charset=gb18030"
    assert with_charset("application/pdf", "gb18030") == "application/pdf"


def test_files_without_a_reader_are_not_read_as_text() -> None:
    parsed = parse_document(b"PK\x03\x04" + "政府信息公开工作年度报告".encode() * 20, "application/ofd", hints={"title": "某局2023年政府信息公开工作年度报告"})
    assert parsed.kind == "other" and parsed.parse_status == "unsupported_format"
    assert parsed.text == "" and parsed.warnings and "application/ofd" in parsed.warnings[0]


def test_the_parser_counts_every_followed_file_form_as_an_attachment() -> None:
    for ext in ("et", "ofd", "wps", "rar"):
        page = f'<html><body><div id="zoom"><a href="/f/report.{ext}">附件</a></div></body></html>'
        assert may_link_attachments(page.encode())
        assert [u for u, _ in read_html(page, "http://x.gov.cn/a.html").links] == [f"http://x.gov.cn/f/report.{ext}"]
