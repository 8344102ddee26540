from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from seei.accounts.decorators import role_required
from seei.accounts.models import Role
from seei.practice import procedure, services
from seei.practice.forms import StartForm


def _page(request, company, form=None, status=200):
    lots = services.listed(company, live_only=False)
    context = {
        "public_lots": [lot for lot in lots if lot["public"] and lot["status"] != "closed"],
        "own_lots": [lot for lot in lots if not lot["public"]],
        "company": company,
        "form": form or (StartForm() if company else None),
    }
    return render(request, "practice/home.html", context, status=status)


def home(request):
    """The practice page: the public practice auction (anyone may watch it; a company may join it)
    and, for a company, its own practice auctions and the form to start one."""
    membership = getattr(request, "membership", None)
    company = membership.organisation if membership and membership.role == Role.COMPANY_MEMBER else None
    return _page(request, company)


@require_POST
@role_required(Role.COMPANY_MEMBER)
def join(request, lot_id):
    try:
        services.join(lot_id, request.membership.organisation)
    except services.PracticeError as error:
        messages.error(request, str(error))
        return redirect("practice:home")
    return redirect("auctions:room", lot_id=lot_id)


@require_POST
@role_required(Role.COMPANY_MEMBER)
def start(request):
    company = request.membership.organisation
    form = StartForm(request.POST)
    if form.is_valid():
        try:
            lot = services.start(services.PracticeSettings(**form.cleaned_data), owner=company)
        except services.PracticeError as error:
            form.add_error(None, str(error))
        else:
            return redirect("auctions:room", lot_id=lot.pk)
    return _page(request, company, form, status=400)


@require_POST
@role_required(Role.BUYER_AGENT)
def start_procedure(request):
    """A buyer's practice procedure: a practice draft notice to publish and take to its award."""
    tender = procedure.start(request.membership)
    messages.success(
        request,
        _(
            "Your practice procedure is ready: look the draft over, then publish it within a few minutes "
            "(its schedule runs on the compressed clock)."
        ),
    )
    return redirect("tenders:manage", tender.pk)
