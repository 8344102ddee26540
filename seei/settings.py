"""SEEI settings, read from the environment.

Nothing here needs to be set for the demo: without ``DATABASE_URL`` a private
PostgreSQL is started from the pip-installed wheel, fan-out and tasks run in-process and
emails are written to files. Production and CI set ``DATABASE_URL`` and ``REDIS_URL``.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import csp.constants as csp
import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from seei.core import keys

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("SEEI_VAR_DIR", Path.cwd() / "var")).resolve()


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.lower() in ("1", "true", "yes", "on")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def proxy_ssl_header(value: str) -> tuple[str, str] | None:
    """``"X-Forwarded-Proto: https"`` -> ``("HTTP_X_FORWARDED_PROTO", "https")`` (Django's form)."""
    if not value.strip():
        return None
    name, separator, expected = value.partition(":")
    if not separator or not name.strip() or not expected.strip():
        raise ImproperlyConfigured(f"SECURE_PROXY_SSL_HEADER must read 'Header-Name: value', not {value!r}.")
    return "HTTP_" + name.strip().upper().replace("-", "_"), expected.strip()


DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Production: DEBUG off and the site served beyond this machine (seei/core/keys.py). The keys then come
# from the environment, the cookies are secure, HSTS is on.
PRODUCTION = keys.production(DEBUG, ALLOWED_HOSTS, SITE_URL)

# Services --------------------------------------------------------------------------
REQUIRE_SERVICES = env_bool("SEEI_REQUIRE_SERVICES")  # CI: no silent fallback
if env("DATABASE_URL"):
    # No persistent connections: under ASGI each request would leave one open (Django's advice).
    DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL"), conn_max_age=0)}
    if pages_pool := int(env("SEEI_DB_PAGES_POOL_SIZE", "0")):
        # For a threaded page server (gunicorn --threads): each request takes a pooled connection
        # instead of starting a PostgreSQL backend (a fork, its caches empty), more than a page's
        # work. Not by default: a thread that uses the ORM and never ends its request (a worker's
        # or a test's) would keep its pooled connection, and the pool would run dry.
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": pages_pool,
            "timeout": float(env("SEEI_DB_POOL_TIMEOUT", "3")),
        }
elif REQUIRE_SERVICES:
    raise ImproperlyConfigured("SEEI_REQUIRE_SERVICES is set but DATABASE_URL is not.")
else:
    from seei.embedded import database_settings  # started by the first connection

    DATABASES = {"default": database_settings(VAR_DIR / "pgdata")}
DATABASES["default"]["TEST"] = {"NAME": env("SEEI_TEST_DATABASE", "seei_test")}

REDIS_URL = env("REDIS_URL")
# Every Redis channel and cache key of this deployment starts with it, so that two deployments (say
# production and staging) can share a Redis. Default: from SITE_URL, the same in all of a deployment's
# processes, different between deployments.
SEEI_REDIS_PREFIX = env("SEEI_REDIS_PREFIX") or f"seei:{urlsplit(SITE_URL).netloc}"
if REQUIRE_SERVICES and not REDIS_URL:
    raise ImproperlyConfigured("SEEI_REQUIRE_SERVICES is set but REDIS_URL is not.")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "seei.core.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": SEEI_REDIS_PREFIX,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The public portal's search results (seei/portal/cache.py): only in a cache every process shares,
# since a change made by one process must be seen by all of them at once.
CACHES["portal"] = (
    CACHES["default"] if REDIS_URL else {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
)

# Application -----------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django.forms",
    "ninja",
    "procrastinate.contrib.django",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "seei.core",
    "seei.accounts",
    "seei.tenders",
    "seei.alerts",
    "seei.applications",
    "seei.auctions",
    "seei.transparency",
    "seei.awards",
    "seei.practice",
    "seei.opendata",
    "seei.redflags",
    "seei.ocds",
    "seei.portal",
    "seei.companies",
    "seei.help",
    "seei.api",
    "seei.administration",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "seei.accounts.middleware.ActiveMembershipMiddleware",
    "seei.accounts.twofactor.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "seei.urls"
WSGI_APPLICATION = "seei.wsgi.application"
ASGI_APPLICATION = "seei.asgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:home"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "seei.accounts.context_processors.membership",
                "seei.administration.context_processors.announcements",
                "seei.portal.shared_pages.csrf_marker",  # after Django's own csrf: replaces it
            ],
            "builtins": [
                "django.templatetags.i18n",
                "django.templatetags.l10n",
                "seei.core.templatetags.seei",
            ],
        },
    }
]

FORM_RENDERER = "django.forms.renderers.TemplatesSetting"  # our widget templates live in templates/

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages: Arabic (right-to-left), French, English -------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("ar", "العربية"), ("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env("TIME_ZONE", "Africa/Casablanca")
USE_THOUSAND_SEPARATOR = True
FORMAT_MODULE_PATH = ["seei.formats"]

# Files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
WHITENOISE_USE_FINDERS = True  # a handful of files: no collectstatic step needed
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
SEEI_MAX_UPLOAD_MB = int(env("SEEI_MAX_UPLOAD_MB", "20"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Files never unencrypted on disk (seei/core/uploads.py): in memory up to FILE_UPLOAD_MAX_MEMORY_SIZE,
# then encrypted in a temporary file; each up to SEEI_MAX_UPLOAD_MB, at most this many, at most
# SEEI_MAX_UPLOAD_REQUEST_MB together, and SEEI_UPLOADS_PER_USER requests sending files at once.
FILE_UPLOAD_HANDLERS = ["seei.core.uploads.SealedSpoolUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 30
SEEI_MAX_UPLOAD_REQUEST_MB = int(env("SEEI_MAX_UPLOAD_REQUEST_MB", "100"))
SEEI_UPLOADS_PER_USER = int(env("SEEI_UPLOADS_PER_USER", "2"))

# Email: files by default, SMTP when EMAIL_HOST is set ------------------------------
EMAIL_HOST = env("EMAIL_HOST")
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_PORT = int(env("EMAIL_PORT", "587"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "SEEI <no-reply@seei.example>")


# Keys --------------------------------------------------------------------------------
# The secret, document and signing keys: from the environment (production must), else random ones
# kept in files of SEEI_KEYS_DIR (0600), outside the media tree.
keys.require_environment(dict(os.environ), production=PRODUCTION)
KEYS_DIR = Path(env("SEEI_KEYS_DIR", str(VAR_DIR / "keys"))).resolve()
keys.check_apart(KEYS_DIR, MEDIA_ROOT, STATIC_ROOT)


def _key_file(name: str, generate) -> str:
    return keys.from_file(KEYS_DIR, name, generate, legacy=VAR_DIR / name)


SECRET_KEY = env("SECRET_KEY") or _key_file("secret_key", lambda: secrets.token_urlsafe(50)).strip()


# Sealed documents: encrypted at rest (Fernet, AES-128-CBC + HMAC): SEEI_DOCUMENT_KEY (urlsafe base64,
# 32 bytes). The ledger's Ed25519 signing key: SEEI_SIGNING_KEY (PEM).
def _new_document_key() -> str:
    import base64

    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _new_signing_key() -> str:
    from seei.auctions import ledger  # pure: no Django needed

    return ledger.private_key_pem(ledger.generate_private_key()).decode()


SEEI_DOCUMENT_KEY = env("SEEI_DOCUMENT_KEY") or _key_file("document_key", _new_document_key).strip()
SEEI_SIGNING_KEY = env("SEEI_SIGNING_KEY") or _key_file("signing_key.pem", _new_signing_key)

# Security --------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# Production is served over TLS (behind a proxy): cookies only over HTTPS, and HSTS.
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000" if PRODUCTION else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT")  # usually the proxy's job
# "Header: value" the TLS proxy sets on HTTPS requests (and strips from clients'); empty: none.
SECURE_PROXY_SSL_HEADER = proxy_ssl_header(
    env("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto: https" if PRODUCTION else "")
)
# Sessions end at the browser's close, and SEEI_SESSION_HOURS after the login at the latest.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = int(float(env("SEEI_SESSION_HOURS", "12")) * 3600)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp) on every page: scripts, styles, images and connections from the
# site itself only. No inline script or style, no style="" attribute, no on*="" handler (the templates
# keep theirs in seei/static); nothing from another site; no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF],
        "img-src": [csp.SELF],
        "font-src": [csp.SELF],
        # The room's sockets ('self' covers ws: and wss: of the page's own host in CSP 3 browsers).
        "connect-src": [csp.SELF, SITE_URL.replace("http", "ws", 1)],
        "object-src": [csp.NONE],
        "base-uri": [csp.NONE],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    }
}

OTP_TOTP_ISSUER = "SEEI"  # the name authenticator apps show beside the code

# The procedure ---------------------------------------------------------------------
SEEI_PUBLICITY_MIN_DAYS = int(env("SEEI_PUBLICITY_MIN_DAYS", "10"))
SEEI_ROOM_MIN_DAYS_AFTER_DEADLINE = int(env("SEEI_ROOM_MIN_DAYS_AFTER_DEADLINE", "2"))
# The commission's quorum: more than this share of its members (declarations before opening, votes).
SEEI_COMMISSION_QUORUM_SHARE = float(env("SEEI_COMMISSION_QUORUM_SHARE", "0.5"))
# An open room socket reads its login and its right to the room again this often (seconds).
SEEI_ROOM_RECHECK_SECONDS = float(env("SEEI_ROOM_RECHECK_SECONDS", "30"))
SEEI_ERRATUM_MIN_REMAINING_DAYS = int(env("SEEI_ERRATUM_MIN_REMAINING_DAYS", "10"))
SEEI_CLOSING_SOON_DAYS = 3
SEEI_AWARD_DOCUMENTS_DAYS = int(env("SEEI_AWARD_DOCUMENTS_DAYS", "5"))
# An abnormally low price: below this share of the estimate and of the second price.
SEEI_LOW_PRICE_SHARE = env("SEEI_LOW_PRICE_SHARE", "0.5")
SEEI_LOW_PRICE_GAP = env("SEEI_LOW_PRICE_GAP", "0.8")
SEEI_STATISTICS_CURRENCY = env("SEEI_STATISTICS_CURRENCY", "USD")
# Integrity red flags (seei/redflags/rules.py): the thresholds each rule fires at. The price flag
# (R058) uses SEEI_LOW_PRICE_SHARE and SEEI_LOW_PRICE_GAP above.
SEEI_REDFLAG_PUBLICITY_DAYS = env("SEEI_REDFLAG_PUBLICITY_DAYS", "11")
SEEI_REDFLAG_ERRATUM_DAYS = env("SEEI_REDFLAG_ERRATUM_DAYS", "3")
SEEI_REDFLAG_EXCLUDED_SHARE = env("SEEI_REDFLAG_EXCLUDED_SHARE", "0.6")
SEEI_REDFLAG_EXCLUDED_MIN_APPLICATIONS = int(env("SEEI_REDFLAG_EXCLUDED_MIN_APPLICATIONS", "3"))
SEEI_REDFLAG_BAND = env("SEEI_REDFLAG_BAND", "0.01")
SEEI_REDFLAG_BAND_MIN_BIDDERS = int(env("SEEI_REDFLAG_BAND_MIN_BIDDERS", "3"))
SEEI_REDFLAG_REPEAT_WINS = int(env("SEEI_REDFLAG_REPEAT_WINS", "4"))
SEEI_REDFLAG_REPEAT_DAYS = int(env("SEEI_REDFLAG_REPEAT_DAYS", "365"))
# Open data: the prefix of every OCDS ocid, as registered with the Open Contracting Partnership.
SEEI_OCID_PREFIX = env("SEEI_OCID_PREFIX", "ocds-seeima")
# The public practice auction, always running: its length, its simulated rivals, its free seats.
SEEI_PRACTICE_MINUTES = int(env("SEEI_PRACTICE_MINUTES", "5"))
SEEI_PRACTICE_RIVALS = int(env("SEEI_PRACTICE_RIVALS", "4"))
SEEI_PRACTICE_SEATS = int(env("SEEI_PRACTICE_SEATS", "20"))
# A practice procedure (a buyer rehearsing publication to award) counts this many seconds per legal day.
SEEI_PRACTICE_DAY_SECONDS = int(env("SEEI_PRACTICE_DAY_SECONDS", "60"))
# The help desk (seei/help): shown on the contact page; its mailbox gets the contact form's messages.
SEEI_HELPDESK_PHONE = env("SEEI_HELPDESK_PHONE", "+212 5 37 00 00 00")
SEEI_HELPDESK_ADDRESS = env("SEEI_HELPDESK_ADDRESS", "Assistance SEEI, Rabat, Maroc")
SEEI_HELPDESK_EMAIL = env("SEEI_HELPDESK_EMAIL", "helpdesk@seei.example")
# The auction protects itself (seei/auctions/watchdog.py): when no bid can be accepted for longer than
# the grace (seconds) while a lot is open, it suspends itself; it resumes by itself when the outage
# lasted at most the limit (seconds), else an administrator resumes it; past the maximum (hours) a
# suspended auction cannot resume.
SEEI_AUTO_SUSPEND_GRACE = float(env("SEEI_AUTO_SUSPEND_GRACE", "5"))
SEEI_AUTO_RESUME_LIMIT = float(env("SEEI_AUTO_RESUME_LIMIT", "600"))
SEEI_SUSPENSION_MAX_HOURS = float(env("SEEI_SUSPENSION_MAX_HOURS", "48"))
# The bid path's own connection pool (seei/auctions/bidding/connections.py): its size per process, and
# how long (seconds) a request waits for a connection during an outage before the bidder is answered.
SEEI_DB_POOL_SIZE = int(env("SEEI_DB_POOL_SIZE", "20"))
SEEI_DB_POOL_TIMEOUT = float(env("SEEI_DB_POOL_TIMEOUT", "3"))
# Bid attempts let through to a lot's lock per process (seei/auctions/flood.py): (attempts, seconds)
# per user on all lots, and per lot; past them a 429. A person bids at most once per lot interval.
SEEI_BID_LIMIT_PER_USER = (int(env("SEEI_BID_LIMIT_PER_USER", "20")), 10.0)
SEEI_BID_LIMIT_PER_LOT = (int(env("SEEI_BID_LIMIT_PER_LOT", "200")), 1.0)
# How much a worker running the jobs lane alone (``seei worker --lane jobs``) lowers its CPU priority
# (nice): an award's documents or an alert can wait a second where the rooms, the pages and the
# clock lane share its cores; a bid cannot. 0 keeps the priority of the other processes.
SEEI_WORKER_JOBS_NICE = int(env("SEEI_WORKER_JOBS_NICE", "10"))
# The addresses allowed to read the details of /readyz and /metrics (seei/ops): loopback by default.
SEEI_OPS_TRUSTED = env_list("SEEI_OPS_TRUSTED", "127.0.0.1,::1")
# The reverse proxies (addresses or networks) whose X-Forwarded-For names the client, for the
# per-address limits of logins and emails and the audit log (seei/core/client_address.py). Loopback by default, as the
# room server (seei/room/server.py) reads it: without it, behind the README's proxy on this machine
# every visitor would be one address, and 30 wrong passwords anywhere would lock out every login.
SEEI_TRUSTED_PROXIES = env_list("SEEI_TRUSTED_PROXIES", "127.0.0.1,::1")
# A clock the tests can move (stored in the database so every process sees it).
SEEI_TEST_CLOCK = env_bool("SEEI_TEST_CLOCK")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"procrastinate": {"level": env("LOG_LEVEL_TASKS", "WARNING")}},
}

PAGE_SIZE = 20
