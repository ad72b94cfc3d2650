"""CLI commands of the register: ``portal demo`` and ``portal import``."""

from __future__ import annotations

import sys
import time

import click
from flask.cli import with_appcontext

from .kinds import DATASETS

DATASET_KEYS = [dataset.key for dataset in DATASETS]


@click.command("demo", help="Load deterministic synthetic demo data (replaces earlier demo data).")
@click.option("--agencies", default=1000, show_default=True, type=click.IntRange(1, 2_000_000),
              help="How many synthetic agencies to create.")
@click.option("--seed", default=None, type=int, help="Random seed (default 20261121).")
@click.option("--purge", is_flag=True,
              help="Remove the demo data and the demo staff accounts instead (before production).")
@with_appcontext
def demo_command(agencies, seed, purge):
    from flask import current_app

    from ..extensions import db
    from .demo import DEFAULT_SEED, build_demo, has_real_agencies, purge_demo

    if purge:
        counts = purge_demo()
        db.session.commit()
        click.echo(f"demo data removed: {counts['agencies']} agencies, "
                   f"{counts['staff_accounts']} staff accounts")
        return
    if current_app.config["PORTAL_ENV"] == "production":
        raise click.ClickException(
            "生产环境（PORTAL_ENV=production）不允许加载演示数据和演示账号。")
    if has_real_agencies():
        raise click.ClickException(
            "数据库中已有非演示数据的代理机构，拒绝加载演示数据（演示数据只能装入空库或演示库）。"
        )
    started = time.perf_counter()
    counts = build_demo(agencies=agencies, seed=DEFAULT_SEED if seed is None else seed)
    db.session.commit()
    elapsed = time.perf_counter() - started
    click.echo("演示数据已加载（之前的演示数据已清除）：")
    for key, value in counts.items():
        click.echo(f"  {key}: {value}")
    click.echo(f"  seconds: {elapsed:.1f}")
    from ..auth.demo import DEMO_STAFF

    click.echo("演示工作人员账号（仅限演示，登录 /staff/login）：")
    for email, role, code, _name, password in DEMO_STAFF:
        click.echo(f"  {email:24} {role:6} {code}  {password}")
    click.echo("提示：运行 `portal search rebuild` 以重建搜索索引。")


@click.command("import", help=f"Import a CSV/XLSX file of KIND ({', '.join(DATASET_KEYS)}); "
                              "all rows or nothing.")
@click.argument("kind", type=click.Choice(DATASET_KEYS))
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
@click.option("--bureau", "bureau_code", default=None,
              help="Code of the publishing bureau (default: from the file or the agency).")
@with_appcontext
def import_command(kind, file, dry_run, bureau_code):
    from ..extensions import db
    from .importer import apply_import, plan_import
    from .models import Bureau

    bureau = None
    if bureau_code:
        bureau = db.session.scalar(db.select(Bureau).where(Bureau.code == bureau_code))
        if bureau is None:
            raise click.ClickException(f"没有代码为 {bureau_code} 的监管部门")
    progress = _progress_line()
    plan = plan_import(kind, file, bureau=bureau, progress=progress)
    click.echo("", err=True)
    for note in plan.notes:
        click.echo(f"说明：{note}")
    if not plan.ok:
        click.echo(f"文件未导入：发现 {len(plan.errors)} 处错误，未写入任何数据。", err=True)
        for err in plan.errors:
            click.echo(f"  {err}", err=True)
        sys.exit(1)
    for warning in plan.warnings:
        click.echo(f"  注意：{warning}")
    if plan.rows == 0:
        click.echo("文件没有数据行（0 行），未导入任何数据。", err=True)
        sys.exit(1)
    if dry_run:
        db.session.rollback()
        click.echo(f"试运行（未写入）：{plan.summary()}")
        return
    apply_import(plan, bureau=bureau, progress=progress)
    db.session.commit()
    click.echo("", err=True)
    click.echo(f"导入完成：{plan.summary()}")


_STAGES = {"check": "检查", "sort": "比对", "write": "写入"}


def _progress_line():
    """A progress line on stderr (rewritten in place on a terminal)."""
    started = time.perf_counter()
    tty = sys.stderr.isatty()

    def report(stage: str, done: int, total: int) -> None:
        if not tty and done != total:
            return
        line = (f"{_STAGES.get(stage, stage)} {done}/{total} 行"
                f"（{100 * done // max(total, 1)}%，{time.perf_counter() - started:.1f} 秒）")
        click.echo(("\r" + line) if tty else line, err=True, nl=not tty)

    return report


@click.command("divisions", help="Load a newer division table (CSV/XLSX: 行政区划代码, 单位名称) "
                                 "and report added, renamed and retired codes.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--changes", "changes_file", type=click.Path(exists=True, dir_okay=False),
              help="CSV code,name,successor_code,note: the successor of each retired code "
                   "(default: portal/data/division_changes.csv).")
@click.option("--dry-run", is_flag=True, help="Report; write nothing.")
@with_appcontext
def divisions_command(file, changes_file, dry_run):
    from ..extensions import db
    from .reference import update_divisions

    try:
        report = update_divisions(file, changes_file, apply=not dry_run)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if not report.rows:
        raise click.ClickException("区划表中没有任何区划代码，未做更改。")
    click.echo(f"区划表：{report.rows} 个区划。新增 {len(report.added)}，更名 "
               f"{len(report.renamed)}，撤销 {len(report.retired)}。")
    for code, name in report.added:
        click.echo(f"  新增  {code} {name}")
    for code, old, new in report.renamed:
        click.echo(f"  更名  {code} {old} → {new}")
    for code, name, successor in report.retired:
        target = successor or "（无继任区划：请在 --changes 文件中指明）"
        click.echo(f"  撤销  {code} {name} → {target}")
    if dry_run:
        db.session.rollback()
        click.echo("试运行：未写入。")
        return
    db.session.commit()
    click.echo("已更新。")


@click.group("register", help="The register's stored derived values.")
def register_group():
    pass


@register_group.command("refresh", help="Store the current grade and listing flag of the "
                        "agencies whose records entered or left their publication window "
                        "(run daily after midnight, China time); --all: of every agency.")
@click.option("--all", "everything", is_flag=True, help="Recompute every agency.")
@with_appcontext
def refresh_command(everything):
    from ..extensions import db
    from .derived import refresh_all, refresh_stale

    changed = refresh_all() if everything else refresh_stale()
    db.session.commit()
    click.echo(f"{changed} agencies updated")
