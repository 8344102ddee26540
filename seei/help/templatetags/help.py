"""``{% help_link %}``: the "?" of every page, to its guide; ``{% shot %}``: a guide's screenshot."""

from django import template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language, ngettext

from seei.help import guides

register = template.Library()


@register.inclusion_tag("help/_help_link.html", takes_context=True)
def help_link(context):
    """The guide of the page being shown (by its URL name, for the visitor's role), else the index."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    guide = guides.for_page(match.view_name if match else None, context.get("role"))
    return {"guide": guide, "url": guide.get_absolute_url() if guide else reverse("help:index")}


@register.inclusion_tag("help/_shot.html")
def shot(name: str, caption: str):
    """The screenshot ``name`` in the page's language, with its caption (also its text alternative)."""
    width, height = guides.SHOT_SIZE
    language = get_language()
    return {
        "src": static(f"help/shots/{language}/{name}.{guides.SHOT_FORMAT}"),
        "caption": caption,
        "width": str(width),  # as is: USE_THOUSAND_SEPARATOR would write an integer "1,100"
        "height": str(height),
    }


@register.filter
def days(count: int) -> str:
    """``10|days``: "10 days", in the page's language and its plural forms."""
    return ngettext("%(count)s day", "%(count)s days", count) % {"count": count}
