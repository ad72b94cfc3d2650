"""Issue 19, throughput of the public pages: the stored derived values follow every kind of
write, the shared cache follows a publish, public pages carry validators and answer 304,
private pages never do, and the penalty list has no per-row query."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.register import derived, queries, services
from portal.register.importer import apply_import, plan_import
from portal.register.models import Agency
from portal.timeutil import today
from tests.factories.register import (
    days_ago,
    make_agency,
    make_grade,
    make_list_entry,
    make_penalty,
)


def _stored(agency_id: int) -> derived.Derived:
    row = db.session.execute(sa.select(Agency.current_grade, Agency.active_listing,
                                       Agency.derived_until).where(Agency.id == agency_id)).one()
    return derived.Derived(row[0], bool(row[1]), row[2])


def _assert_consistent(agency_id: int) -> None:
    """The stored values are what the records say today."""
    assert _stored(agency_id) == derived.compute([agency_id])[agency_id]


def test_stored_values_follow_every_kind_of_write(app):
    with app.app_context():
        agency = make_agency()
        db.session.commit()
        assert _stored(agency.id) == derived.Derived(None, False, None)
        old = make_grade(agency, period="2023", grade="B")
        new = make_grade(agency, period="2024", grade="A")  # publish
        db.session.commit()
        assert _stored(agency.id).current_grade == "A"
        services.update_record(new, {"grade": "C"})  # edit
        db.session.commit()
        assert _stored(agency.id).current_grade == "C"
        services.withdraw_record(new, "撤销原评价")  # withdraw: the earlier period counts again
        db.session.commit()
        assert _stored(agency.id).current_grade == "B"
        services.withdraw_record(old, "撤销原评价")
        db.session.commit()
        assert _stored(agency.id).current_grade is None
        entry = make_list_entry(agency)  # publish a list entry
        db.session.commit()
        assert _stored(agency.id).active_listing is True
        services.remove_list_entry(entry, reason="已补报年度报告", removed_on=today(),  # remove
                                   authority=None)
        db.session.commit()
        assert _stored(agency.id).active_listing is False
        _assert_consistent(agency.id)


def test_an_edit_moving_a_grade_to_another_agency_refreshes_both(app):
    with app.app_context():
        a, b = make_agency(), make_agency()
        grade = make_grade(a, grade="A")
        db.session.commit()
        services.update_record(grade, {"agency_uscc": b.uscc, "agency": b})
        db.session.commit()
        assert _stored(a.id).current_grade is None
        assert _stored(b.id).current_grade == "A"


def test_an_import_stores_the_values(app):
    with app.app_context():
        agency = make_agency()
        db.session.commit()
        csv = ("统一社会信用代码,评价年度,信用等级,评价日期,公示日期,评价机关\n"
               f"{agency.uscc},2024,D,{days_ago(30)},{days_ago(20)},山西省市场监督管理局\n")
        plan = plan_import("credit_grade", io.BytesIO(csv.encode()), "grades.csv")
        if not plan.ok:
            pytest.skip(f"import columns differ: {plan.summary()}")
        apply_import(plan)
        db.session.commit()
        assert _stored(agency.id).current_grade == "D"
        _assert_consistent(agency.id)


def test_a_scheduled_grade_is_read_from_the_records_once_its_day_comes(app):
    """A grade published in the future: stored "no grade" holds until its day; from that
    day the read side decides from the records (derived_until), and a refresh stores it."""
    with app.app_context():
        agency = make_agency()
        make_grade(agency, grade="A+", published_on=today() + dt.timedelta(days=3))
        db.session.commit()
        stored = _stored(agency.id)
        assert stored.current_grade is None
        assert stored.derived_until == today() + dt.timedelta(days=3)
        # pretend the day has come: the stored value is stale, the pages still say A+
        db.session.execute(sa.update(Agency).where(Agency.id == agency.id)
                           .values(derived_until=today()))
        services_grade_day = today() + dt.timedelta(days=3)
        assert queries.current_grades([agency.id]) == {}  # not public yet today
        later = derived.compute([agency.id], on=services_grade_day)[agency.id]
        assert later.current_grade == "A+"
        assert derived.refresh_stale() == 1
        assert _stored(agency.id).derived_until == services_grade_day


def test_the_grade_filter_uses_the_stored_values_and_the_records_for_stale_agencies(client, app):
    with app.app_context():
        graded, other = make_agency(), make_agency()
        make_grade(graded, grade="A")
        make_grade(other, grade="C")
        db.session.commit()
        ids = {a.id for a in db.session.scalars(queries.directory_query({"grade": "A"}))}
        assert graded.id in ids and other.id not in ids
        # a stale stored value is not trusted: the records decide
        db.session.execute(sa.update(Agency).where(Agency.id == other.id)
                           .values(current_grade="A", derived_until=today()))
        ids = {a.id for a in db.session.scalars(queries.directory_query({"grade": "A"}))}
        assert other.id not in ids and graded.id in ids
        db.session.rollback()


def test_a_publish_shows_at_once_on_the_list_and_the_home_counts(client, app):
    with app.app_context():
        agency = make_agency()
        make_penalty(agency)
        db.session.commit()
        agency_id = agency.id
    first = client.get("/penalties/").get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    with app.app_context():
        assert queries.home_counts()["penalty"] == 1
        fresh = make_penalty(agency=db.session.get(Agency, agency_id),
                             decision_number="并市监罚〔2025〕9999号")
        db.session.commit()
        number = fresh.decision_number
    assert number not in first
    assert number in client.get("/penalties/").get_data(as_text=True)
    with app.app_context():
        assert queries.home_counts()["penalty"] == 2
    assert client.get("/").get_data(as_text=True) != home


@pytest.mark.parametrize("url", ["/", "/agencies/", "/penalties/", "/bureaus/",
                                 "/agencies/?grade=A"])
def test_public_pages_carry_validators_and_answer_304(client, app, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    etag = response.headers["ETag"]
    assert response.headers["Last-Modified"]
    assert not response.headers.getlist("Set-Cookie")
    assert 'name="csrf-token"' not in response.get_data(as_text=True)
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    since = client.get(url, headers={"If-Modified-Since": response.headers["Last-Modified"]})
    assert since.status_code == 304
    # a publish changes the version: the old validator no longer matches
    with app.app_context():
        make_penalty()
        db.session.commit()
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200


@pytest.mark.parametrize("url", ["/tips/new", "/tips/track", "/staff/login"])
def test_private_pages_are_never_public(client, url):
    response = client.get(url)
    assert "public" not in response.headers.get("Cache-Control", "")
    assert "no-store" in response.headers.get("Cache-Control", "")
    assert "ETag" not in response.headers


def test_a_visitor_with_a_session_gets_a_private_page(client):
    client.get("/tips/new")  # the tip form starts a session
    response = client.get("/")
    assert "public" not in response.headers.get("Cache-Control", "")
    assert 'name="csrf-token"' in response.get_data(as_text=True)


def test_the_profile_posts_its_report_form_for_a_visitor_with_a_session(client, app):
    """With a session the profile is rendered for the visitor: the report button posts at
    once (without one it is shared, and asks first: tests/portal/test_profile_check.py)."""
    with app.app_context():
        agency = make_agency()
        db.session.commit()
        uscc = agency.uscc
    client.get("/tips/new")  # the tip form starts a session
    response = client.get(f"/agencies/{uscc}")
    assert "public" not in response.headers.get("Cache-Control", "")
    page = response.get_data(as_text=True)
    assert 'name="csrf_token"' in page and 'action="/report"' in page


def test_the_csv_download_is_written_once_per_change(client, app):
    with app.app_context():
        make_penalty()
        db.session.commit()
    first = client.get("/data/penalty.csv")
    assert first.status_code == 200 and first.mimetype == "text/csv"
    body = first.get_data()
    files = list((app.instance_path and __import__("pathlib").Path(app.instance_path)
                  / "open-data").glob("penalty-*.csv"))
    assert len(files) == 1
    again = client.get("/data/penalty.csv", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    with app.app_context():
        make_penalty(decision_number="并市监罚〔2025〕8888号")
        db.session.commit()
    changed = client.get("/data/penalty.csv").get_data()
    assert changed != body and b"8888" in changed


def _statements(app, client, url: str) -> int:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_the_penalty_list_does_not_query_per_row(client, app):
    """N+1 guard: the statements of the penalty list do not grow with its rows."""
    app.config["PAGE_CACHE_SECONDS"] = 0
    with app.app_context():
        agency = make_agency()
        make_penalty(agency)
        db.session.commit()
    client.get("/penalties/")
    few = _statements(app, client, "/penalties/?page=1")
    with app.app_context():
        for n in range(12):
            make_penalty(make_agency(), decision_number=f"并市监罚〔2024〕{700 + n}号")
        db.session.commit()
    client.get("/penalties/")
    many = _statements(app, client, "/penalties/?page=1")
    assert many <= few


def test_the_search_page_is_shared_and_follows_this_hosts_index(client, app):
    """Search answers from this host's index: its shared page is kept under the index's
    state as well as the data version, so a change the index has not applied yet (a
    follower behind) leaves the page as the index answers, and applying it changes the
    page at once (issue 19)."""
    from search.changes import catch_up

    with app.app_context():
        make_penalty(party_name="甲乙咨询工作室")
        db.session.commit()
    url = "/search/?q=%E5%92%A8%E8%AF%A2%E5%B7%A5%E4%BD%9C%E5%AE%A4"  # 咨询工作室
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    assert "Last-Modified" not in first.headers  # the index changes apart from the data
    etag = first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert "甲乙" in first.get_data(as_text=True)

    app.config["SEARCH_APPLY_ON_COMMIT"] = False  # as on a host whose follower is behind
    try:
        with app.app_context():
            make_penalty(party_name="丙丁咨询工作室")
            db.session.commit()
        behind = client.get(url)
        assert "丙丁" not in behind.get_data(as_text=True)
        with app.app_context():
            assert catch_up(app) >= 1
        caught_up = client.get(url, headers={"If-None-Match": behind.headers["ETag"]})
        assert caught_up.status_code == 200
        assert "丙丁" in caught_up.get_data(as_text=True)
    finally:
        app.config["SEARCH_APPLY_ON_COMMIT"] = True


def test_a_client_that_accepts_gzip_gets_the_compressed_copy(client, app):
    """The same CSV, compressed once per change beside it (issue 19: the download's speed
    was the bytes); a client without gzip gets the plain file; both vary on it."""
    import gzip

    with app.app_context():
        for n in range(30):
            make_penalty(decision_number=f"并市监罚〔2025〕{7000 + n}号")
        db.session.commit()
    plain = client.get("/data/penalty.csv", headers={"Accept-Encoding": "identity"})
    packed = client.get("/data/penalty.csv", headers={"Accept-Encoding": "gzip, br"})
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in plain.headers["Vary"] and "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert len(packed.get_data()) * 3 < len(plain.get_data())
    assert packed.headers["ETag"] != plain.headers["ETag"]
    again = client.get("/data/penalty.csv", headers={"Accept-Encoding": "gzip",
                                                     "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304
    with app.app_context():
        make_penalty(decision_number="并市监罚〔2025〕8889号")
        db.session.commit()
    newer = client.get("/data/penalty.csv", headers={"Accept-Encoding": "gzip"})
    assert b"8889" in gzip.decompress(newer.get_data())
    folder = __import__("pathlib").Path(app.instance_path) / "open-data"
    assert len(list(folder.glob("penalty-*.csv.gz"))) == 1


def test_a_cached_page_follows_the_wording_and_the_code_it_is_made_from(client, app):
    """Pages are kept for hours under the data version: what else they are made from moves
    the version too — an administrator's wording (SiteText) and the running code (a deploy
    with the same data must not serve an old page from Redis)."""
    from portal.check import texts
    from portal.register import caching

    with app.app_context():
        agency = make_agency()
        db.session.commit()
        url = f"/agencies/{agency.uscc}"
    first = client.get(url)
    assert "管理员改写的说明文字" not in first.get_data(as_text=True)
    with app.test_request_context():
        texts.set_text("attention_none", "zh_CN", "管理员改写的说明文字")
        db.session.commit()
    edited = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert edited.status_code == 200
    assert "管理员改写的说明文字" in edited.get_data(as_text=True)
    app.extensions[caching.RELEASE] = "another-release"
    deployed = client.get(url, headers={"If-None-Match": edited.headers["ETag"]})
    assert deployed.status_code == 200 and deployed.headers["ETag"] != edited.headers["ETag"]
