from seei.accounts.models import Membership

SESSION_KEY = "seei_membership"


class ActiveMembershipMiddleware:
    """Sets ``request.membership``: the one role and organisation the person acts for now."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        if request.user.is_authenticated:
            memberships = Membership.objects.select_related("organisation").filter(user=request.user)
            chosen = request.session.get(SESSION_KEY)
            request.membership = (chosen and memberships.filter(pk=chosen).first()) or memberships.order_by(
                "pk"
            ).first()
        return self.get_response(request)
