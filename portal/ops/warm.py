"""Work a web process would otherwise do inside its first requests, done once before the
workers are forked (``wsgi.py``; gunicorn's ``preload_app``): the ORM's mapper
configuration and the compiled templates are then shared by every worker and survive
worker restarts (``max_requests``), instead of costing the first visitor of each new
worker a second or more.  Nothing here opens a database connection."""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy.orm import configure_mappers

log = logging.getLogger(__name__)


def warm(app: Flask) -> int:
    """Configure the mappers and compile every template; the number of templates."""
    configure_mappers()
    env = app.jinja_env
    compiled = 0
    for name in env.list_templates(extensions=("html", "txt", "xml")):
        try:
            env.get_template(name)
        except Exception:  # a template that cannot compile fails its own request, not the start
            log.exception("template %s does not compile", name)
            continue
        compiled += 1
    return compiled
