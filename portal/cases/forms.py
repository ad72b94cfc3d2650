"""The staff form of a typical case: what it posts, and a case's values to fill it with.
Validation is the service's (portal.cases.services.clean_case)."""

from __future__ import annotations

from typing import Any

from . import links


def case_form_data(form: Any) -> dict[str, Any]:
    return {
        "title": form.get("title", "").strip(),
        "summary": form.get("summary", "").strip(),
        "body": form.get("body", ""),
        "published_on": form.get("published_on", "").strip(),
        "publisher_name": form.get("publisher_name", "").strip(),
        "tags": form.getlist("tags"),
        "links": form.get("links", ""),
    }


def case_form_values(case: Any) -> dict[str, Any]:
    return {
        "title": case.title, "summary": case.summary, "body": case.body,
        "published_on": case.published_on.isoformat() if case.published_on else "",
        "publisher_name": case.publisher_name, "tags": case.tag_list,
        "links": "\n".join(links.reference_of(link) for link in case.links),
    }
