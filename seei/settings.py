"""SEEI settings, read from the environment.

Nothing here needs to be set for the demo: without ``DATABASE_URL`` a private
PostgreSQL is started from the pip-installed wheel, fan-out and tasks run in-process and
emails are written to files. Production and CI set ``DATABASE_URL`` and ``REDIS_URL``.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("SEEI_VAR_DIR", Path.cwd() / "var")).resolve()


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.lower() in ("1", "true", "yes", "on")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    if key := env("SECRET_KEY"):
        return key
    # Demo default: a random key kept beside the embedded database, never in the code.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


DEBUG = env_bool("DEBUG")
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Services --------------------------------------------------------------------------
REQUIRE_SERVICES = env_bool("SEEI_REQUIRE_SERVICES")  # CI: no silent fallback
if env("DATABASE_URL"):
    # No persistent connections: under ASGI each request would leave one open (Django's advice).
    DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL"), conn_max_age=0)}
elif REQUIRE_SERVICES:
    raise ImproperlyConfigured("SEEI_REQUIRE_SERVICES is set but DATABASE_URL is not.")
else:
    from seei.embedded import database_settings  # started by the first connection

    DATABASES = {"default": database_settings(VAR_DIR / "pgdata")}
DATABASES["default"]["TEST"] = {"NAME": env("SEEI_TEST_DATABASE", "seei_test")}

REDIS_URL = env("REDIS_URL")
if REQUIRE_SERVICES and not REDIS_URL:
    raise ImproperlyConfigured("SEEI_REQUIRE_SERVICES is set but REDIS_URL is not.")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
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
    "seei.awards",
    "seei.practice",
    "seei.opendata",
    "seei.redflags",
    "seei.ocds",
    "seei.portal",
    "seei.help",
    "seei.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
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
# Files stay in memory (never unencrypted on disk), each up to SEEI_MAX_UPLOAD_MB, at most this many.
FILE_UPLOAD_HANDLERS = ["seei.core.uploads.MemoryOnlyUploadHandler"]
DATA_UPLOAD_MAX_NUMBER_FILES = 30

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


# Sealed documents: encrypted at rest (Fernet, AES-128-CBC + HMAC). Demo default: a key
# beside the embedded database; production sets SEEI_DOCUMENT_KEY (urlsafe base64, 32 bytes).
def _document_key() -> str:
    if key := env("SEEI_DOCUMENT_KEY"):
        return key
    path = VAR_DIR / "document_key"
    if not path.exists():
        import base64

        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    return path.read_text().strip()


SEEI_DOCUMENT_KEY = _document_key()


# The ledger's Ed25519 signing key (PEM). Demo default: kept beside the embedded database.
def _signing_key() -> str:
    if key := env("SEEI_SIGNING_KEY"):
        return key
    path = VAR_DIR / "signing_key.pem"
    if not path.exists():
        from seei.auctions import ledger  # pure: no Django needed

        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_bytes(ledger.private_key_pem(ledger.generate_private_key()))
    return path.read_text()


SEEI_SIGNING_KEY = _signing_key()

# Security --------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

OTP_TOTP_ISSUER = "SEEI"  # the name authenticator apps show beside the code

# The procedure ---------------------------------------------------------------------
SEEI_PUBLICITY_MIN_DAYS = int(env("SEEI_PUBLICITY_MIN_DAYS", "10"))
SEEI_ROOM_MIN_DAYS_AFTER_DEADLINE = int(env("SEEI_ROOM_MIN_DAYS_AFTER_DEADLINE", "2"))
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
# The bid path's own connection pool (seei/auctions/bidding.py): its size per process, and how long
# (seconds) a request waits for a connection during an outage before the bidder is answered.
SEEI_DB_POOL_SIZE = int(env("SEEI_DB_POOL_SIZE", "20"))
SEEI_DB_POOL_TIMEOUT = float(env("SEEI_DB_POOL_TIMEOUT", "3"))
# The addresses allowed to read the details of /readyz and /metrics (seei/ops): loopback by default.
SEEI_OPS_TRUSTED = env_list("SEEI_OPS_TRUSTED", "127.0.0.1,::1")
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
