"""With Redis storage the per-address limits hold across worker processes (production setup)."""

import os
import subprocess
import sys
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.exceptions.RedisError:
        return False


def _worker(app_config, prefix: str, count: int) -> list[int]:
    result = subprocess.run(
        [sys.executable, "-m", "tests.intake.limit_worker", app_config["SQLALCHEMY_DATABASE_URI"],
         app_config["INSTANCE_PATH"], REDIS_URL, prefix, str(count)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return [int(s) for s in result.stdout.split()]


def test_tracking_limit_is_shared_by_two_workers(app, app_config):
    if not _redis_available():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    prefix = f"test-{uuid.uuid4().hex}"
    first = _worker(app_config, prefix, 3)
    second = _worker(app_config, prefix, 2)
    # 4 look-ups a minute per address in all: the second worker's second look-up is refused.
    assert first == [422, 422, 422]
    assert second == [422, 429]
