"""Load SEEI's settings in a fresh process with a given environment and read the computed values."""

import json
import os
import subprocess
import sys

CLEARED = (
    "SECRET_KEY",
    "SEEI_DOCUMENT_KEY",
    "SEEI_SIGNING_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "SITE_URL",
    "SEEI_KEYS_DIR",
    "MEDIA_ROOT",
    "SEEI_REDIS_PREFIX",
    "SECURE_COOKIES",
    "SECURE_HSTS_SECONDS",
    "SECURE_PROXY_SSL_HEADER",
    "SEEI_SESSION_HOURS",
    "SEEI_REQUIRE_SERVICES",
)


def load(tmp_path, names, **environ) -> tuple[dict | None, str]:
    """(the named settings as JSON-able values, or None when the settings refused to load; stderr)."""
    env = {key: value for key, value in os.environ.items() if key not in CLEARED}
    env.update(SEEI_VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="seei.settings", **environ)
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    return (json.loads(done.stdout) if done.returncode == 0 else None), done.stderr
