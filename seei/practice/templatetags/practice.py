from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def practice_day_seconds() -> int:
    """How long a legal day lasts in a practice procedure, for the pages that say so."""
    return settings.SEEI_PRACTICE_DAY_SECONDS
