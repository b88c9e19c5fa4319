"""Real servers for the benchmark and the slow tests: gunicorn in production mode, PostgreSQL
and Redis set up for one run and removed after it.

Used by bench/run.py and by tests/test_multi_machine.py and tests/test_no_data_loss.py.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql")
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fernet_key():
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def production_env(database_url, *, static_root, redis_url="", floor_dir="", journal_key=None):
    """The environment of a production server, with secrets made for this run only."""
    env = dict(os.environ)
    for name in ("SECRET_KEY_FILE", "JOURNAL_KEYS_FILE", "JOURNAL_KEYS_FROM_FILE", "REDIS_URL"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        PYTHONPATH=str(ROOT),
        DEBUG="false",
        HTTPS="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        JOURNAL_KEYS=journal_key or fernet_key(),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url,
        BENCH_STATIC_ROOT=str(static_root),
        BENCH_FLOOR_DIR=str(floor_dir),
        CONTENT_RELOAD="false",
        LOG_LEVEL="WARNING",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",  # nothing is mailed in a run
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def manage(env, *args, capture=False):
    """Run manage.py with the given environment; its output when capture is set."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=capture,
        text=True,
    )
    return result.stdout if capture else None


def prepare(env):
    """The release steps of README's "Running in production", on the run's database."""
    manage(env, "migrate", "--no-input", "--verbosity", "0")
    manage(env, "sync_content", capture=True)
    manage(env, "collectstatic", "--no-input", "--verbosity", "0")


MAKE_USERS = """
import json
from allauth.account.models import EmailAddress
from recovery.models import User
from bench.seed import make_session
spec = json.loads({spec!r})
out = {{}}
for email in spec["emails"]:
    user = User.objects.create_user(username=email, email=email, password=spec["password"])
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    out[email] = {{"id": user.pk, **(make_session(user) if spec["sessions"] else {{}})}}
print(json.dumps(out))
"""


def make_users(env, emails, password, sessions=False):
    """Verified users, and for each a signed-in session when asked: {email: {id, sessionid, csrftoken}}."""
    spec = json.dumps({"emails": list(emails), "password": password, "sessions": sessions})
    output = manage(env, "shell", "--no-imports", "-c", MAKE_USERS.format(spec=spec), capture=True)
    return json.loads(output.strip().splitlines()[-1])


def fetch(url, headers=None, data=None, method=None, timeout=30):
    """(status, headers, body) of one request; redirects are not followed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers or {}, data=data, method=method)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def wait_until(check, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


class Gunicorn:
    """gunicorn serving recovery.wsgi on a free loopback port, and the peak memory of its workers."""

    def __init__(self, env, workers=2, port=None, log=None):
        self.env = env
        self.workers_count = workers
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.peaks = {}  # worker pid -> peak resident bytes (VmHWM)
        self.log = log
        self._stop = threading.Event()
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "recovery.wsgi",
                "--workers",
                str(self.workers_count),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "--graceful-timeout",
                "10",
            ],
            env=self.env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT if self.log else None,
        )

        def healthy():
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn on port {self.port} exited with {self.process.returncode}")
            return fetch(self.url + "/healthz", timeout=5)[0] == 200

        wait_until(healthy, 60, f"gunicorn on port {self.port} to answer /healthz")
        threading.Thread(target=self._sample, daemon=True).start()
        return self

    def workers(self):
        pid = self.process.pid
        try:
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []

    def _sample(self):
        while not self._stop.is_set():
            self.record()
            self._stop.wait(0.2)

    def record(self):
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            # VmHWM: the kernel's own high-water mark of the process's resident memory.
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    self.peaks[pid] = max(self.peaks.get(pid, 0), int(line.split()[1]) * 1024)

    def peak_mb(self):
        self.record()
        return max(self.peaks.values(), default=0) / 2**20

    def reload(self, wait=True):
        """Replace the workers gracefully (SIGHUP), as a deploy does; wait for the new ones."""
        old = set(self.workers())
        self.process.send_signal(signal.SIGHUP)
        if wait:
            wait_until(
                lambda: len(new := set(self.workers())) == self.workers_count and not new & old,
                60,
                "gunicorn's workers to restart",
            )

    def stop(self):
        self._stop.set()
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Services:
    """A PostgreSQL database and a Redis key prefix made for one run, removed after it.

    The PostgreSQL server is the one DATABASE_URL names (its user, host and port); the database
    itself is new and dropped afterwards. Redis is REDIS_URL's server (or 127.0.0.1:6379), on a
    database number that was empty when the run began (other people's test runs tend to use 0
    and 15, and may flush theirs), with a key prefix of the run's own: only keys with that
    prefix are deleted afterwards.
    """

    REDIS_DATABASES = (13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 14)

    def __init__(self, label):
        self.label = label
        self.name = f"recovery_{label}_{os.getpid()}_{secrets.token_hex(3)}"
        self.database_url = None
        self.redis_url = None
        self.cache_prefix = self.name
        self._admin_url = None

    @staticmethod
    def unavailable():
        """Why PostgreSQL or Redis cannot be used here, or None when both answer."""
        url = os.environ.get("DATABASE_URL", "")
        if urlsplit(url).scheme not in POSTGRES_SCHEMES:
            return (
                "needs PostgreSQL and Redis: DATABASE_URL is not a postgres:// URL "
                "(for example DATABASE_URL=postgres://postgres@127.0.0.1:5432/recovery)"
            )
        try:
            import psycopg

            with psycopg.connect(_with_database(url, "postgres"), connect_timeout=3):
                pass
        except Exception as exc:
            return f"needs PostgreSQL: cannot connect to {_without_password(url)}: {exc}".strip()
        try:
            import redis

            redis.Redis.from_url(_redis_base(), socket_connect_timeout=3).ping()
        except Exception as exc:
            return f"needs Redis: cannot reach {_redis_base()}: {exc}"
        return None

    def env(self, **kwargs):
        """production_env() for servers of this run."""
        env = production_env(self.database_url, redis_url=self.redis_url, **kwargs)
        env["BENCH_CACHE_PREFIX"] = self.cache_prefix
        return env

    def __enter__(self):
        import psycopg
        import redis

        url = os.environ["DATABASE_URL"]
        self._admin_url = _with_database(url, "postgres")
        with psycopg.connect(self._admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self.database_url = _with_database(url, self.name)
        # A URL's own database number wins over redis-py's db argument, so each is its own URL.
        urls = [_redis_url(n) for n in self.REDIS_DATABASES]
        self.redis_url = next((u for u in urls if redis.Redis.from_url(u).dbsize() == 0), urls[0])
        return self

    def __exit__(self, *exc):
        if self.redis_url:
            delete_cache_keys(self.redis_url, self.cache_prefix)
            self.redis_url = None
        if self.database_url:
            import psycopg

            with psycopg.connect(self._admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self.database_url = None

    def connect(self):
        import psycopg

        return psycopg.connect(self.database_url)


def fresh_postgres_database(url, suffix):
    """A new, empty database beside the one `url` names (its name + suffix); its URL."""
    import psycopg

    name = (urlsplit(url).path.strip("/") or "recovery") + suffix
    with psycopg.connect(_with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return _with_database(url, name)


def delete_cache_keys(redis_url, prefix):
    """Remove the keys a cache with this KEY_PREFIX wrote, and nothing else."""
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])


def _with_database(url, name):
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql", path=f"/{name}"))


def _without_password(url):
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def _redis_base():
    return os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL


def _redis_url(number):
    return urlunsplit(urlsplit(_redis_base())._replace(path=f"/{number}"))
