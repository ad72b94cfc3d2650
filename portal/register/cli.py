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
@with_appcontext
def demo_command(agencies, seed):
    from flask import current_app

    from ..extensions import db
    from .demo import DEFAULT_SEED, build_demo, has_real_agencies

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
    plan = plan_import(kind, file, bureau=bureau)
    if not plan.ok:
        click.echo(f"文件未导入：发现 {len(plan.errors)} 处错误，未写入任何数据。", err=True)
        for err in plan.errors:
            click.echo(f"  第 {err.row} 行 [{err.column}]：{err.message}", err=True)
        sys.exit(1)
    summary = f"新增 {len(plan.creates)}，更新 {len(plan.updates)}，未变化 {len(plan.unchanged)}"
    if dry_run:
        db.session.rollback()
        click.echo(f"试运行（未写入）：{summary}")
        return
    apply_import(plan, bureau=bureau)
    db.session.commit()
    click.echo(f"导入完成：{summary}")
