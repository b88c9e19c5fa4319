"""Settings for the recovery site, read from the environment.

One module for every environment: with nothing set it runs for development on SQLite
("check out the code, run it"); production sets DEBUG=false, SECRET_KEY, JOURNAL_KEYS and
DATABASE_URL. See README.md for the full table.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def envbool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name, default):
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def envlist(name, default):
    value = os.environ.get(name, "")
    return [item.strip() for item in value.split(",") if item.strip()] or default


def secret(name):
    """A secret from the variable X, or from the file named by X_FILE."""
    if os.environ.get(name):
        return os.environ[name]
    if path := os.environ.get(f"{name}_FILE"):
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {path}: {exc}") from None
    return ""


def development_secret(name, make):
    """In development only: a generated secret kept in var/, which git ignores."""
    path = VAR_DIR / name
    if not path.exists():
        VAR_DIR.mkdir(exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = envbool("DEBUG", True)

SECRET_KEY = secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = development_secret("secret_key", lambda: secrets.token_urlsafe(50))

# Fernet keys for journal text at rest: the first encrypts, all of them decrypt.
JOURNAL_KEYS = [key.strip() for key in secret("JOURNAL_KEYS").split(",") if key.strip()]
if not JOURNAL_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("JOURNAL_KEYS must be set when DEBUG is off.")

    def _fernet_key():
        from cryptography.fernet import Fernet

        return Fernet.generate_key().decode()

    JOURNAL_KEYS = [development_secret("journal_key", _fernet_key)]

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
SITE_NAME = os.environ.get("SITE_NAME", "Mending")
# The site's public address, for links in emails sent by the job runner (which has no request).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
QUICK_EXIT_URL = os.environ.get("QUICK_EXIT_URL", "https://www.bbc.co.uk/weather")
ADMIN_URL = os.environ.get("ADMIN_URL", "admin/").strip("/") + "/"
CSRF_FAILURE_VIEW = "recovery.views.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "django_htmx",
    "template_partials",
    "csp",
    "django_q",
    "recovery",
    "journal",
    "me",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Above whitenoise, so static files carry the same CSP and Permissions-Policy as pages.
    "csp.middleware.CSPMiddleware",
    "recovery.middleware.SecurityHeadersMiddleware",
    # A view that meets a database that does not answer: 503 and the words kept, never a 500.
    "recovery.middleware.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "recovery.middleware.SessionActivityMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "recovery.urls"
WSGI_APPLICATION = "recovery.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "recovery.context_processors.site",
            ],
        },
    },
]


def database_from_url(url):
    scheme = urlsplit(url).scheme
    if scheme not in ("sqlite", "postgres", "postgresql", "pgsql"):
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with sqlite:// or postgres://, not {scheme or url!r}://"
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=envint("DB_CONN_MAX_AGE", 60))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL cannot be read: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers go on while a journal entry is written.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    else:
        config["CONN_HEALTH_CHECKS"] = True
        config.setdefault("TEST", {})["NAME"] = envlist("TEST_DATABASE_NAME", [None])[0]
    return config


DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"
DATABASES = {"default": database_from_url(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "recovery.User"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "recovery",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # In the database, so every worker of the embedded setup shares one count of the rate limits
    # (local memory would count per gunicorn worker). The table is made after each migrate.
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "recovery_cache"}
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",  # createsuperuser's username and password
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Accounts: email only, verified before first use, allauth's rate limits left on.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
LOGIN_REDIRECT_URL = "/"
# Behind a load balancer, allauth's per-IP rate limits must count the client, not the balancer:
# the client is the address this many proxies before us put in X-Forwarded-For.
ALLAUTH_TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
# Once, right after signing up: the optional "what brings you here" page, with a Skip link.
ACCOUNT_SIGNUP_REDIRECT_URL = "/start/"
LOGIN_URL = "account_login"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
# Recorded at sign-in; recovery.middleware refreshes "last used" at most every few minutes
# instead of writing on every request.
USERSESSIONS_TRACK_ACTIVITY = False

SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie

# The console backend writes password-reset links to the log, where whoever reads logs could take
# over accounts: production must name its backend (checks.py warns if that is still a console).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "")
if not EMAIL_BACKEND:
    if not DEBUG:
        raise ImproperlyConfigured(
            "EMAIL_BACKEND must be set when DEBUG is off, e.g. django.core.mail.backends.smtp.EmailBackend."
        )
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Mending <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

CONTENT_DIR = Path(os.environ.get("CONTENT_DIR", BASE_DIR / "content"))
# Re-read changed Markdown files on each request (development); production reads them once.
CONTENT_RELOAD = envbool("CONTENT_RELOAD", DEBUG)

# Security headers. Production defaults are strict; each can be relaxed from the environment
# (the benchmark serves plain HTTP on loopback, for one).
HTTPS = envbool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
# Our own pages send their origin on our own posts (Django's CSRF check works as shipped);
# no other site ever gets a referrer from here.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Journal text must never reach a log: errors are logged without request bodies, and views that
# touch it are marked with sensitive_post_parameters / sensitive_variables.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Django's own console handler on "django" would print each of its lines a second time.
    "loggers": {
        "django": {"handlers": [], "level": "INFO"},
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint's warnings quote what it could not load or parse: an address or a piece of
        # an entry's text. Journal text never goes to a log, so it says nothing at all.
        "weasyprint": {"handlers": [], "level": "CRITICAL", "propagate": False},
        "fontTools": {"level": "WARNING"},
    },
}

# Background jobs (email reminders): django-q2 with the database as its queue, so a worker needs
# no other service. `manage.py qcluster` runs workers and the scheduler; run one on any number
# of machines. Each reminder's row in me.ReminderSent keeps it to one per person per day.
Q_CLUSTER = {
    "name": "mending",
    "orm": "default",
    "workers": envint("Q_WORKERS", 1),
    "timeout": 600,  # seconds a job may run (a 20,000-entry import, on a busy machine)
    "retry": 720,  # a job not acknowledged by then (its worker died) is handed out again
    "max_attempts": 3,
    "catch_up": False,  # after downtime, one run rather than one per missed interval
    "poll": 2,  # seconds between looks at the queue table
    "save_limit": 200,
    # A worker past 125 MB after a job starts afresh: cmarkgfm's wrapper never frees what it
    # renders (about 4.5 KB a render); a large import is added in runs (journal/import_jobs.py).
    "max_rss": 125_000,  # kilobytes
    "label": "Background jobs",
}

ACCOUNT_FORMS = {"login": "recovery.forms.LoginForm"}
ACCOUNT_SESSION_REMEMBER = None  # decided per log-in by "On a shared device"
ACCOUNT_EMAIL_NOTIFICATIONS = True  # password and email changes are told to the user
