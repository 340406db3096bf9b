"""Settings, all read from environment variables; SQLite by default, PostgreSQL through DATABASE_URL."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from thidua.lib.instance import instance_secret

BASE_DIR = Path(__file__).resolve().parent


def env_str(name: str, default: str) -> str:
    """Return a text variable, or its default when it is unset or empty."""
    return os.environ.get(name) or default


def env_bool(name: str, default: bool) -> bool:
    """Return a yes/no variable; anything but the usual spellings is an error, not a silent False."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r}: expected true/false")


def env_int(name: str, default: int) -> int:
    """Return an integer variable; a malformed one stops the start-up."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected an integer") from exc


def env_list(name: str, default: str) -> list[str]:
    """Return a comma-separated variable as a list."""
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# Only `thidua demo` adds to them, in its own process: the address it serves on (thidua/demo/serving.py).
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    # First, so that its `createsuperuser` (which records the new superuser in the history) replaces Django's.
    "thidua.accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # its static Swagger UI files, so that the API's docs need no CDN
    "thidua.territory",
    "thidua.campaigns",
    "thidua.units",
    "thidua.intake",
    "thidua.audit",
    "thidua.exchange",
    "thidua.standings",
    "thidua.awards",
    "thidua.monitoring",
    "thidua.demo",
    "thidua.backup",
    "thidua.web",
    "thidua.api",
]

MIDDLEWARE = [
    # issue 12: deployment — outermost, so that the request's line of the log times and shows every answer (a
    # refusal of the middleware below included) and its request id is set before any other layer runs.
    "thidua.web.request_log.request_log",
    # end deployment
    "django.middleware.security.SecurityMiddleware",
    # Outermost, so that every answer has its headers, also a refusal of the middleware below.
    "thidua.web.middleware.content_security_policy",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Outside the session and the user, which read the database: a database that does not answer is a 503 page in
    # Vietnamese (or the API's error shape), a full disk a 507, never a 500; the site recovers by itself.
    "thidua.web.middleware.FaultAnswers",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "thidua.web.middleware.language_from_cookie",  # Vietnamese unless the footer's switch chose English
    # Before anything reads the session, the user or a form: NUL and other control characters never go further.
    "thidua.web.middleware.refuse_control_characters",
    # No search or filter of a page longer than the longest it has a use for.
    "thidua.web.middleware.bound_query_parameters",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "thidua.accounts.middleware.one_time_password",
]

ROOT_URLCONF = "thidua.urls"
WSGI_APPLICATION = "thidua.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "thidua.web.context.navigation",
            ],
        },
    },
]

DB_CONN_MAX_AGE = env_int("DB_CONN_MAX_AGE", 0)
DB_POOL = env_bool("DB_POOL", False)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{Path.cwd() / 'thidua.sqlite3'}"),
        conn_max_age=DB_CONN_MAX_AGE,
        # A connection kept between requests (or lent by the pool) is checked before it is used: after PostgreSQL
        # restarts, the first request of each process gets a new connection instead of an error.
        conn_health_checks=DB_CONN_MAX_AGE != 0 or DB_POOL,
        # Behind PgBouncer in transaction mode, a cursor cannot outlive its transaction (docs/deployment.md).
        disable_server_side_cursors=env_bool("DB_DISABLE_SERVER_SIDE_CURSORS", False),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while an import writes; IMMEDIATE makes writers queue instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A backend running a long statement for a client that died (an import killed half-way) notices it within
    # this many milliseconds, and ends, releasing its locks, instead of running on until it next writes to it.
    DATABASES["default"]["OPTIONS"] = {"options": "-c client_connection_check_interval=1000",
                                       # A server that does not answer (down, unreachable) fails the request in
                                       # seconds rather than after the system's TCP timeout (minutes).
                                       "connect_timeout": env_int("DB_CONNECT_TIMEOUT", 5),
                                       # DATABASE_URL's own (…?sslmode=verify-full) are kept, and win.
                                       **DATABASES["default"].get("OPTIONS", {})}
if DB_POOL:
    # psycopg's pool (Django 5.2), one per process: the connections are opened ahead and lent to each request.
    # Worth it with threads (GUNICORN_THREADS > 1); across processes and servers, PgBouncer (docs/deployment.md).
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DB_POOL=true needs PostgreSQL (DATABASE_URL=postgres://…)")
    if DB_CONN_MAX_AGE != 0:
        raise ImproperlyConfigured("DB_POOL=true replaces DB_CONN_MAX_AGE: set DB_CONN_MAX_AGE=0")
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": env_int("DB_POOL_MIN_SIZE", 2),
        "max_size": env_int("DB_POOL_MAX_SIZE", 4),
        # Seconds a request waits for a connection before it fails (an OperationalError): also how long the health
        # endpoint takes to say the database is down, since the pool keeps trying to connect meanwhile.
        "timeout": env_int("DB_POOL_TIMEOUT", 5),
    }
    if not 1 <= DATABASES["default"]["OPTIONS"]["pool"]["min_size"] <= DATABASES["default"]["OPTIONS"]["pool"][
            "max_size"]:
        raise ImproperlyConfigured("DB_POOL_MIN_SIZE must be at least 1 and at most DB_POOL_MAX_SIZE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The instance's own files: its generated secrets and the uploads waiting for a confirmation. One folder per
# instance, never one shared by every instance on the host: by default beside its SQLite file (`thidua.sqlite3` →
# `thidua-data/`), or `thidua-data/` in the working folder for PostgreSQL. It holds secrets: only its owner reads it.
_sqlite_file = Path(DATABASES["default"]["NAME"]) if DATABASES["default"]["ENGINE"].endswith("sqlite3") else None
DATA_DIR = Path(env_str("THIDUA_DATA_DIR", str(_sqlite_file.with_name(f"{_sqlite_file.stem}-data") if _sqlite_file
                                               else Path.cwd() / "thidua-data")))
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if env_bool("THIDUA_REQUIRE_SECRET_KEY", False):
        raise ImproperlyConfigured("SECRET_KEY must be set (THIDUA_REQUIRE_SECRET_KEY=true)")
    # Created at random once per instance, in its data folder; servers that share one database share one
    # SECRET_KEY instead (the variable).
    SECRET_KEY = instance_secret(DATA_DIR / "secret-key")


AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "thidua.accounts.security.PasswordMaxLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "vi"
# The footer's language choice is kept a year (the site is Vietnamese unless the user picks English).
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Ho_Chi_Minh")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(Path.cwd() / "staticfiles")))
# THIDUA_STATIC_HASHED=true (production): `collectstatic` also writes each file under a name holding its content's
# hash, which the pages link to, so that the proxy may let browsers keep them a year (deploy/nginx-thidua.conf).
# Pages then need STATIC_ROOT's manifest, written by `collectstatic`: off for the demo and the tests.
if env_bool("THIDUA_STATIC_HASHED", False):
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }

# Production runs behind HTTPS: THIDUA_HTTPS=true turns on the redirect, HSTS and secure cookies
# (`thidua check --deploy` is then clean). The demo serves plain HTTP on loopback and leaves it off.
HTTPS = env_bool("THIDUA_HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
# The health endpoint answers a probe on the server itself (plain HTTP to gunicorn) without a redirect.
SECURE_REDIRECT_EXEMPT = [r"^suc-khoe/$"]
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = False
# The browsers' HSTS preload list is for public domains; a provincial police network's host names cannot be on it.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
# Behind the reverse proxy, the scheme comes from X-Forwarded-Proto and the client's address from X-Forwarded-For:
# the THIDUA_PROXY_HOPS-th address from the right, the one the nearest trusted proxy appended
# (nginx: `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;`). Without a proxy both headers are ignored.
THIDUA_BEHIND_PROXY = env_bool("THIDUA_BEHIND_PROXY", False)
THIDUA_PROXY_HOPS = env_int("THIDUA_PROXY_HOPS", 1)
if THIDUA_PROXY_HOPS < 1:
    raise ImproperlyConfigured(f"THIDUA_PROXY_HOPS={THIDUA_PROXY_HOPS}: expected 1 or more")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if THIDUA_BEHIND_PROXY else None
SESSION_COOKIE_SECURE = HTTPS or env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)  # a working day
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# A form refused by the CSRF check (a page left open past the session) is explained in Vietnamese.
CSRF_FAILURE_VIEW = "thidua.web.views.csrf_failure"

# Everything is served from the site itself (no CDN: provincial networks are closed).
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                           "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
                           "base-uri 'self'; object-src 'none'")

# Login protection (thidua/accounts/security.py): after this many failures for one user name within the window, that
# name is refused until the window has passed. An address (an office shares one) is slowed down, never locked: past
# THIDUA_LOGIN_ADDRESS_FAILURES failures within the window, each attempt from it waits since its last failure a delay
# that doubles with each further failure, THIDUA_LOGIN_MAX_DELAY seconds at most.
THIDUA_LOGIN_MAX_FAILURES = env_int("THIDUA_LOGIN_MAX_FAILURES", 5)
THIDUA_LOGIN_LOCK_MINUTES = env_int("THIDUA_LOGIN_LOCK_MINUTES", 15)
THIDUA_LOGIN_ADDRESS_FAILURES = env_int("THIDUA_LOGIN_ADDRESS_FAILURES", 20)
THIDUA_LOGIN_MAX_DELAY = env_int("THIDUA_LOGIN_MAX_DELAY", 60)

# Imports: a larger file is refused before it is read (bytes on disk, and bytes once unzipped).
THIDUA_IMPORT_MAX_BYTES = env_int("THIDUA_IMPORT_MAX_BYTES", 512 * 1024 * 1024)
THIDUA_IMPORT_MAX_UNZIPPED_BYTES = env_int("THIDUA_IMPORT_MAX_UNZIPPED_BYTES", 2 * 1024 * 1024 * 1024)
# Kept while a file is read, so that a hostile file stops early: rows of one sheet (Excel's own limit), cells of one
# file, distinct texts of a workbook and their characters (openpyxl holds them all in memory), errors named.
THIDUA_IMPORT_MAX_ROWS = env_int("THIDUA_IMPORT_MAX_ROWS", 1_048_576)
THIDUA_IMPORT_MAX_CELLS = env_int("THIDUA_IMPORT_MAX_CELLS", 20_000_000)
THIDUA_IMPORT_MAX_SHARED_STRINGS = env_int("THIDUA_IMPORT_MAX_SHARED_STRINGS", 500_000)
THIDUA_IMPORT_MAX_SHARED_CHARS = env_int("THIDUA_IMPORT_MAX_SHARED_CHARS", 20_000_000)
THIDUA_IMPORT_MAX_ERRORS = env_int("THIDUA_IMPORT_MAX_ERRORS", 100_000)
# Seconds reading one file may take (0: no limit), before any database lock: `thidua import` (a million rows of a
# workbook read in about a minute) and the import page, whose answer must come before the server's worker timeout
# (gunicorn's default is 30 s).
THIDUA_IMPORT_READ_SECONDS = env_int("THIDUA_IMPORT_READ_SECONDS", 300)
THIDUA_IMPORT_WEB_READ_SECONDS = env_int("THIDUA_IMPORT_WEB_READ_SECONDS", 20)
# PostgreSQL, per import transaction (seconds): waiting for another import of the campaign, one statement (a
# million rows need about a minute in all), idle inside the transaction (a frozen importer keeps no lock for long).
THIDUA_IMPORT_LOCK_TIMEOUT = env_int("THIDUA_IMPORT_LOCK_TIMEOUT", 10)
THIDUA_IMPORT_STATEMENT_TIMEOUT = env_int("THIDUA_IMPORT_STATEMENT_TIMEOUT", 600)
THIDUA_IMPORT_IDLE_TIMEOUT = env_int("THIDUA_IMPORT_IDLE_TIMEOUT", 300)
# Files uploaded on the import page wait here between the preview and the confirmation (a day at most).
THIDUA_UPLOAD_DIR = Path(env_str("THIDUA_UPLOAD_DIR", str(DATA_DIR / "uploads")))
# Evidence files of appeals and nominations (thidua/awards/evidence.py): kept for good under DATA_DIR/evidence by
# their SHA-256, so backups take them; each at most this many bytes, and at most this many files per appeal or
# nomination.
THIDUA_EVIDENCE_MAX_BYTES = env_int("THIDUA_EVIDENCE_MAX_BYTES", 5 * 1024 * 1024)
THIDUA_EVIDENCE_MAX_FILES = env_int("THIDUA_EVIDENCE_MAX_FILES", 5)
# The history's key (thidua/audit/keys.py): the variable THIDUA_AUDIT_KEY, read when used and never kept here, or
# this file, created at random by the first act. Keep it apart from the database and its backups (docs/operations.md).
THIDUA_AUDIT_KEY_FILE = Path(env_str("THIDUA_AUDIT_KEY_FILE", str(DATA_DIR / "audit-key")))
# The journal of the chain's heads (thidua/audit/journal.py): a line appended after each act, kept off the database and
# its backups, so that acts cut from the end of the history are found (docs/operations.md).
THIDUA_AUDIT_JOURNAL = Path(env_str("THIDUA_AUDIT_JOURNAL", str(DATA_DIR / "anchors.log")))
# issue 11: board — the operations room's board asks the server every this many seconds whether the data moved (an
# unchanged answer costs one query).
THIDUA_BOARD_POLL_SECONDS = env_int("THIDUA_BOARD_POLL_SECONDS", 15)

# Logs go to the standard error (gunicorn and systemd's journal collect them). LOG_FORMAT=json writes each record as
# one JSON object a line (thidua/lib/logs.py), for a log collector; `text` (the default) for a person reading.
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: expected text or json")
# The health endpoint (/suc-khoe/, thidua/web/health.py): PostgreSQL's answer within this many milliseconds.
THIDUA_HEALTH_TIMEOUT_MS = env_int("THIDUA_HEALTH_TIMEOUT_MS", 2000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s [%(process)d] %(name)s %(message)s"},
        "json": {"()": "thidua.lib.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    # One line per request (thidua/web/request_log.py) when LOG_REQUESTS=true, whatever LOG_LEVEL.
    "loggers": {"thidua.request": {"level": "INFO" if env_bool("LOG_REQUESTS", False) else "NOTSET"}},
}
