# Django's Arabic formats leave amounts ungrouped; public amounts must read as 1.234.567,89.
from django.conf.locale.ar.formats import *  # noqa: F403

DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\u202f"
NUMBER_GROUPING = 3
