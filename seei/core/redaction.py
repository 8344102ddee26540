"""Secrets kept out of the logs: the tokens that some links carry (email verification, password reset,
unsubscribe, and any ``?token=``-like parameter) are replaced by ``[redacted]`` in every access log line
and logged URL. Whoever reads the logs (an operator, a log shipper, a backup) must not be able to reset
a password or verify an address with them.

``install()`` (at Django's start, ``CoreConfig.ready``) puts the filter on the loggers that write request
lines: uvicorn's access and error logs (the room server; sockets are logged on the latter), gunicorn's
access log, Django's request and development-server logs.
"""

import logging
import re

REDACTED = "[redacted]"
# /<lang>/accounts/verify/<uidb64>/<token>/, /<lang>/accounts/password/reset/<uidb64>/<token>/ (not its
# token-less follow-up .../set-password/), /<lang>/alerts/unsubscribe/<token>/.
_IN_PATH = re.compile(
    r"(?P<keep>/(?:verify|password/reset)/[^/\s?#\"]+/)(?!set-password/)[^/\s?#\"]+"
    r"|(?P<keep2>/unsubscribe/)[^/\s?#\"]+"
)
_IN_QUERY = re.compile(
    r"(?P<keep>[?&;](?:[\w.-]*token|key|code|otp|signature|sig|secret|password)=)[^&;\s#\"]+",
    re.IGNORECASE,
)
LOGGERS = ("uvicorn.access", "uvicorn.error", "gunicorn.access", "django.request", "django.server")


def redact(text: str) -> str:
    text = _IN_PATH.sub(lambda m: (m["keep"] or m["keep2"]) + REDACTED, text)
    return _IN_QUERY.sub(lambda m: m["keep"] + REDACTED, text)


def _clean(value):
    return redact(value) if isinstance(value, str) else value


class RedactTokens(logging.Filter):
    """Rewrites a record's message and arguments (a tuple, or gunicorn's dict of atoms)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _clean(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: _clean(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_clean(value) for value in record.args)
        return True


def install() -> None:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactTokens) for existing in logger.filters):
            logger.addFilter(RedactTokens())
