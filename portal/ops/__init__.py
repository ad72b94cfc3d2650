"""What an operator needs to run the portal: health and readiness checks, Prometheus metrics,
request ids and JSON logs (``portal.ops.logs``), backups (``portal backup`` / ``restore``).

* ``GET /healthz``: the process answers (no database, no disk): for the load balancer's
  liveness probe.
* ``GET /readyz``: the database answers, this host's search index is not behind the change
  log by more than ``READY_MAX_INDEX_LAG_SECONDS``, and the outbox is not stuck (no mail
  waiting longer than ``READY_MAX_OUTBOX_AGE_MINUTES``).  JSON; 200 or 503.
* ``GET /metrics``: Prometheus text format, only with ``METRICS_TOKEN`` set and sent as
  ``Authorization: Bearer <token>`` (404 otherwise: the route does not advertise itself).
"""

from __future__ import annotations


def init_app(app) -> None:
    from . import backup, logs, metrics, views

    logs.init_app(app)
    metrics.init_app(app)
    app.register_blueprint(views.bp)
    app.cli.add_command(backup.backup_command)
    app.cli.add_command(backup.restore_command)
