"""Run by test_rate_limit_redis: one "worker" process posting tracking look-ups."""

import sys

from portal import create_app


def main(db_url, instance, redis_url, prefix, count):
    app = create_app({
        "TESTING": True, "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": db_url,
        "INSTANCE_PATH": instance, "SEARCH_ENGINE": "none", "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": prefix, "TIP_TRACK_RATE_LIMIT": "4 per minute",
    })
    client = app.test_client()
    statuses = [client.post("/tips/track", data={"code": "AAAA-BBBB-CCCC-DDDD-EE"}).status_code
                for _ in range(int(count))]
    print(" ".join(map(str, statuses)))


if __name__ == "__main__":
    main(*sys.argv[1:])
