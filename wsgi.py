"""The WSGI entry point (``gunicorn wsgi:app``): refuses to start without PORTAL_SECRET_KEY.

The app is warmed here (mappers configured, templates compiled) so that with gunicorn's
``preload_app`` every worker starts with them instead of doing it in its first request.
"""

from portal import create_app
from portal.ops.warm import warm

app = create_app()
warm(app)
