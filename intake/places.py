"""Division choices for the tip form: the province -> city -> district cascade and the
operator's domicile list.  Shanghai's districts (and Henan's county-level cities under the
province) hang directly under the province: they appear in the district list when no
city applies."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from portal.extensions import db
from portal.register.models import Division

from .workflow import _


@dataclass
class Cascade:
    provinces: list[Division]
    cities: list[Division]
    districts: list[Division]
    province: str
    city: str
    district: str


def _children(parent: str, level: str) -> list[Division]:
    return list(db.session.scalars(
        db.select(Division).where(Division.parent_code == parent, Division.level == level)
        .order_by(Division.code)
    ))


def provinces() -> list[Division]:
    return list(db.session.scalars(
        db.select(Division).where(Division.level == "province").order_by(Division.code)
    ))


def cascade(province: str | None, city: str | None, district: str | None) -> Cascade:
    """The three lists for the chosen values; choices that do not fit are dropped."""
    return build_cascade(provinces(), _children, province, city, district)


def build_cascade(province_list: list, children: Callable[[str, str], list],
                  province: str | None, city: str | None, district: str | None) -> Cascade:
    """The cascade rule, whatever the divisions come from (the database, or the tip form's
    copy during an outage: ``intake.offline``); ``children(parent code, level)``."""
    province, city, district = province or "", city or "", district or ""
    cities = children(province, "city") if province else []
    if city not in {c.code for c in cities}:
        city = ""
    parent = city or province  # without a city: municipality districts, 直辖县
    districts = children(parent, "district") if parent else []
    if district not in {d.code for d in districts}:
        district = ""
    return Cascade(province_list, cities, districts, province, city, district)


def check_place(province: str | None, city: str | None, district: str | None) -> str | None:
    """The most specific chosen division code, after checking the chain; raises ValueError
    (Chinese message) when the choices do not belong together."""
    if not province:
        if city or district:
            raise ValueError(_("请先选择省份。"))
        return None
    p = db.session.get(Division, province)
    if p is None or p.level != "province":
        raise ValueError(_("请选择有效的省份。"))
    if city:
        c = db.session.get(Division, city)
        if c is None or c.level != "city" or c.parent_code != province:
            raise ValueError(_("所选城市不属于所选省份，请重新选择。"))
    if district:
        d = db.session.get(Division, district)
        if d is None or d.level != "district" or d.parent_code != (city or province):
            raise ValueError(_("所选区县不属于所选城市，请重新选择。"))
    return district or city or province


def domicile_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """Provinces with their cities (for the operator's registered domicile select)."""
    return group_domiciles(db.session.scalars(
        db.select(Division).where(Division.level.in_(("province", "city")))
        .order_by(Division.code)))


def group_domiciles(divisions: Iterable) -> list[tuple[str, list[tuple[str, str]]]]:
    """Provinces (each also selectable as a whole) with their cities, from division rows."""
    rows = list(divisions)
    groups: dict[str, tuple[str, list]] = {}
    for d in rows:
        if d.level == "province":
            groups[d.code] = (d.name, [(d.code, _("%(name)s（全省/市）", name=d.name))])
    for d in rows:
        if d.level == "city" and d.parent_code in groups:
            groups[d.parent_code][1].append((d.code, d.name))
    return list(groups.values())


def is_domicile_code(code: str | None) -> bool:
    if not code:
        return True
    d = db.session.get(Division, code)
    return d is not None and d.level in ("province", "city")
