""""Download these results" on the directory, list and search pages (with the page's
filters), feed links in the page head, the search-results download and its cap, the
/data/ page's sizes, and spreadsheet-formula neutralising in downloads."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook

from portal.extensions import db
from portal.register import kinds, services
from tests.factories.register import make_agency, make_grade, make_penalty


@pytest.fixture
def register(app_ctx):
    taiyuan = [make_agency() for _ in range(3)]
    datong = make_agency(division_code="140202", name="大同蓝天知识产权代理有限公司")
    make_grade(taiyuan[0], grade="D")
    penalties = [make_penalty(taiyuan[0]), make_penalty(datong)]
    db.session.commit()
    return {"taiyuan": taiyuan, "datong": datong, "penalties": penalties}


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def export_links(soup) -> dict[str, str]:
    box = soup.select_one(".export-links")
    assert box is not None and "下载这些结果" in box.get_text()
    return {a.get_text(strip=True): a["href"] for a in box.find_all("a")}


def csv_rows(client, url) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_directory_links_carry_the_filters(client, register):
    soup = page(client, "/agencies/?region=140200&status=&grade=")
    links = export_links(soup)
    assert links["CSV"] == "/api/v1/agencies.csv?region=140200"
    assert links["XLSX"] == "/api/v1/agencies.xlsx?region=140200"
    rows = csv_rows(client, links["CSV"])
    assert [r[0] for r in rows[1:]] == [register["datong"].uscc]
    feed = soup.select_one('head link[rel="alternate"][type="application/atom+xml"]')
    assert feed["href"] == "/feeds/all.atom?region=140200"


def test_htmx_results_fragment_has_the_new_filters(client, register):
    response = client.get("/agencies/?grade=D", headers={"HX-Request": "true"})
    links = export_links(BeautifulSoup(response.get_data(as_text=True), "html.parser"))
    rows = csv_rows(client, links["CSV"])
    assert [r[0] for r in rows[1:]] == [register["taiyuan"][0].uscc]


def test_record_list_links_and_feed(client, register):
    soup = page(client, "/penalties/?region=140100")
    links = export_links(soup)
    assert links["CSV"] == "/api/v1/penalties.csv?region=140100"
    rows = csv_rows(client, links["CSV"])
    assert [r[0] for r in rows[1:]] == [register["penalties"][0].decision_number]
    book = load_workbook(io.BytesIO(client.get(links["XLSX"]).get_data()), read_only=True)
    assert len(list(book.active.iter_rows())) == 2
    head = soup.select_one('head link[rel="alternate"]')
    assert head["href"] == "/feeds/penalties.atom?region=140100"
    assert client.get(head["href"]).status_code == 200


def test_search_page_links_and_download(client, register):
    soup = page(client, "/search/?q=大同蓝天&view=records")
    links = export_links(soup)
    assert links["CSV"].startswith("/api/v1/search.csv?") and "view" not in links["CSV"]
    response = client.get(links["CSV"])
    assert response.headers["X-Result-Total"] == response.headers["X-Result-Exported"]
    rows = csv_rows(client, links["CSV"])
    assert rows[0][:3] == ["类型", "名称或标题", "统一社会信用代码"]
    assert register["datong"].uscc in [r[2] for r in rows[1:]]
    assert len(rows) - 1 == int(response.headers["X-Result-Total"])
    book = load_workbook(io.BytesIO(client.get(links["XLSX"]).get_data()), read_only=True)
    assert len(list(book.active.iter_rows())) == len(rows)


def test_search_download_is_capped_and_the_page_says_so(app, client, register):
    app.config["SEARCH_EXPORT_MAX_ROWS"] = 2
    response = client.get("/api/v1/search.csv?q=知识产权")
    total = int(response.headers["X-Result-Total"])
    assert total > 2 and response.headers["X-Result-Exported"] == "2"
    assert len(csv_rows(client, "/api/v1/search.csv?q=知识产权")) == 3
    text = page(client, "/search/?q=知识产权").select_one(".export-links").get_text()
    assert "下载文件只包含前 2 条" in text


def test_search_download_rejects_bad_parameters(client, register):
    response = client.get("/api/v1/search.csv?date_from=2025-13-01")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_data_page_sizes_are_the_downloads_sizes(app, client, register):
    def sizes():
        soup = page(client, "/data/")
        assert "CC BY 4.0" in soup.select_one(".data-files").get_text()
        return {row.select("td")[0].get_text(strip=True): row for row in
                soup.select(".data-files tbody tr")}

    def size_of(kind):
        return len(client.get(f"/data/{kind}.csv").get_data())

    cache = Path(app.instance_path) / "open-data"
    LABEL = str(kinds.get("penalty").label)  # noqa: N806
    first = sizes()
    files = {p.name for p in cache.glob("penalty-*.csv")}
    assert len(files) == 1
    assert (cache / files.pop()).stat().st_size == size_of("penalty")
    assert "2" in first[LABEL].select("td")[1].get_text()
    make_penalty(register["taiyuan"][1])
    db.session.commit()
    second = sizes()
    assert "3" in second[LABEL].select("td")[1].get_text()
    files = list(cache.glob("penalty-*.csv"))
    assert len(files) == 1, "the old version is removed"
    assert files[0].stat().st_size == size_of("penalty")
    assert first[LABEL].select("td")[3].get_text() != second[LABEL].select("td")[3].get_text()


def test_downloads_neutralise_spreadsheet_formulas(client, register):
    agency = register["taiyuan"][2]
    services.upsert_agency({"uscc": agency.uscc, "name": agency.name, "kind": agency.kind,
                            "division_code": agency.division_code,
                            "address": "=HYPERLINK(\"http://x\")"})
    db.session.commit()
    rows = csv_rows(client, "/api/v1/agencies.csv")
    assert "'=HYPERLINK(\"http://x\")" in [cell for row in rows for cell in row]
    book = load_workbook(io.BytesIO(client.get("/api/v1/agencies.xlsx").get_data()))
    values = [c.value for row in book.active.iter_rows() for c in row]
    assert "'=HYPERLINK(\"http://x\")" in values
