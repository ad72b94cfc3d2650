"""Requests that check their status code and return the page as parsed HTML.

``page(client, "/agencies/")`` fails with the status, the URL and the start of the body when
the status is not the expected one, and otherwise returns a BeautifulSoup document: query it
with CSS selectors (``doc.select("table.records tr")``, ``doc.select_one("h1").get_text()``).
"""

from __future__ import annotations

from bs4 import BeautifulSoup

BODY_SHOWN = 600  # characters of the body quoted in a failure message


def expect_status(response, status: int, what: str):
    """Fail with a readable message unless ``response`` has ``status``; return the response."""
    if response.status_code != status:
        body = response.get_data(as_text=True)[:BODY_SHOWN]
        location = response.headers.get("Location")
        where = f" -> {location}" if location else ""
        raise AssertionError(
            f"{what}: status {response.status_code}{where}, expected {status}\n{body}")
    return response


def html(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def page(client, url: str, status: int = 200, **kw) -> BeautifulSoup:
    """GET ``url`` (``kw`` go to the test client: query_string, headers …) as parsed HTML."""
    return html(expect_status(client.get(url, **kw), status, f"GET {url}"))


def post_form(client, url: str, data: dict | None = None, status: int = 302,
              **kw) -> BeautifulSoup:
    """POST ``data`` to ``url``; a redirect by default, or a re-rendered form (e.g. 422)."""
    return html(expect_status(client.post(url, data=data or {}, **kw), status, f"POST {url}"))
