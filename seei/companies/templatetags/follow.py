"""``{% follow_button tender_id %}``: the "Follow" / "Stop following" form on a notice's page.

The notice's page keeps its public parts in a cache shared by every visitor (``seei.portal.cache``);
this tag is rendered at every request, outside those parts, with the visitor's own state and CSRF
token, so one company's choice never reaches another's page. Nothing for anyone but a company member.
"""

from django import template

from seei.accounts.models import Role
from seei.alerts import follow

register = template.Library()


@register.inclusion_tag("companies/_follow_button.html", takes_context=True)
def follow_button(context, tender_id):
    request = context.get("request")
    membership = getattr(request, "membership", None)
    if membership is None or membership.role != Role.COMPANY_MEMBER:
        return {"show": False}
    tender_id = int(tender_id)
    return {
        "show": True,
        "tender_id": tender_id,
        "following": follow.is_following(membership.organisation_id, tender_id),
        "next": request.get_full_path(),
    }
