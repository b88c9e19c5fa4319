"""Production settings, with the two paths a benchmark or a server test must point elsewhere.

Everything comes from recovery.settings (so DEBUG, keys, database and Redis are read from the
environment exactly as in production); on top of that:

- BENCH_STATIC_ROOT: where collectstatic writes, so a run never touches the checkout's staticfiles/.
- BENCH_FLOOR_DIR: a folder whitenoise serves at the site root (WHITENOISE_ROOT), holding the
  saved copy of a page that the benchmark uses as its floor.
- BENCH_CACHE_PREFIX: the cache's key prefix, so the server tests' keys in a shared Redis are
  theirs alone and can be removed without touching anyone else's.
"""

import os

from recovery.settings import *  # noqa: F403

if os.environ.get("BENCH_STATIC_ROOT"):
    STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]

WHITENOISE_ROOT = os.environ.get("BENCH_FLOOR_DIR") or None

# A key prefix of its own, so a test run shares a Redis server without touching anyone's keys.
if os.environ.get("BENCH_CACHE_PREFIX"):
    CACHES["default"]["KEY_PREFIX"] = os.environ["BENCH_CACHE_PREFIX"]  # noqa: F405
