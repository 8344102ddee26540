"""The auction's pages: a bidder's room, the watch page, the replay, the public key, and the
administrator's incident suspension.

The pages are rendered once by Django; ``static/seei/room.js`` keeps them live through the
room app (``seei.room.app``: the WebSocket, the snapshot, the bids, the clock). Who may see a
room is ``seei.auctions.selectors.watchable_room``, and every page shows the same anonymous
picture: pseudonyms, never a company or a person.
"""

from decimal import Decimal
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from seei.accounts.decorators import role_required
from seei.accounts.models import Role
from seei.auctions import bidding, reasons, rules, selectors, services, signing, trusted_key
from seei.auctions.models import LedgerEntry, Room, Suspension
from seei.core.views import flash_refusal
from seei.portal.selectors import auction_rules
from seei.room import history as room_history


def watcher(view):
    """Pass the lot's room and the visitor's role (bidder, buyer, commission, public) to the view;
    refuse anyone else (an anonymous visitor is asked to log in first)."""

    @wraps(view)
    def wrapped(request, lot_id):
        try:
            room, role = selectors.watchable_room(getattr(request, "membership", None), lot_id)
        except PermissionDenied:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            raise
        return view(request, room, role)

    return wrapped


def _entries(room) -> list[dict]:
    return list(LedgerEntry.objects.filter(room=room).order_by("seq").values("seq", "type", "at", "data"))


def _strings() -> dict:
    """What room.js writes on the page, in the page's language."""
    return {
        "status": {
            "scheduled": _("Not open yet"),
            "open": _("Open for bids"),
            "suspended": _("Suspended (platform incident)"),
            "closed": _("Closed"),
        },
        "opens_in": _("Opens in"),
        "remaining": _("Time remaining"),
        "rank": _("%(rank)s of %(count)s"),
        "rank_now": _("Your rank is now %(rank)s of %(count)s."),
        "unranked": _("No bid yet"),
        "you": _("%(pseudonym)s (you)"),
        "no_bid": _("No bid yet"),
        "extensions": _("extended %(count)s time(s)"),
        "extended": _("The closing time moved to %(time)s."),
        "range": _("Your bid must be between %(low)s and %(high)s."),
        "no_range": _("No lower bid is possible for you."),
        "no_bid_now": _("Bidding is possible only while the auction is open."),
        "sending": _("Sending your bid…"),
        "refused": _("Your bid was refused."),
        "network": _("The bid could not reach the server. Check your connection and send it again."),
        "connected": _("Live"),
        "reconnecting": _("Connection lost; reconnecting…"),
        "forbidden": _("You may not see this room."),
        "session_ended": _("Your session has ended: log in again to follow the room."),
        "history": {
            "bid": _("%(time)s — %(pseudonym)s bid"),
            "bid_amount": _("%(time)s — %(pseudonym)s bid %(amount)s"),
            "bid_best": _("%(time)s — %(pseudonym)s bid; best price %(best)s"),
            "suspend": _("%(time)s — auction suspended (platform incident)"),
            "resume": _("%(time)s — auction resumed"),
            "close": _("%(time)s — auction closed"),
        },
    }


def _live_context(request, room, role: str) -> dict:
    lot = room.lot
    if role == "bidder":  # the snapshot also says who the bidder is ("me")
        snapshot = bidding.snapshot_sync(lot.pk, user_id=request.user.pk, membership_id=request.membership.pk)
    else:
        snapshot = bidding.snapshot_sync(lot.pk)
    me = snapshot.pop("me", None)
    pseudonym = me["pseudonym"] if me else None
    # Closed by the room's own status (the close entry written), never by the clock: past closes_at,
    # an extending bid may still be committing, and the amounts stay hidden until the close.
    closed = room.status == Room.Status.CLOSED
    visibility = room.params.get("visibility", lot.visibility)
    entries = room_history.history(_entries(room), visibility, viewer=pseudonym, closed=closed)
    urls = {
        "ws": f"/room/lots/{lot.pk}/ws",
        "snapshot": f"/room/lots/{lot.pk}/snapshot",
        "history": f"/room/lots/{lot.pk}/history",
        "time": "/room/time",
        "bids": f"/room/lots/{lot.pk}/bids",
    }
    config = {
        "lot": lot.pk,
        "lang": get_language(),
        "currency": lot.tender.currency,
        "time_zone": settings.TIME_ZONE,
        "pseudonym": pseudonym,
        "show_best": visibility in ("best", "all") or closed,
        "show_amounts": visibility == "all" or closed,
        "live": True,
        "urls": urls,
        "strings": _strings(),
        "snapshot": snapshot,
        "me": me,
        "history": entries,
    }
    strings = config["strings"]
    language = get_language()
    money = lambda amount: reasons.format_amount(Decimal(amount), lot.tender.currency, language)  # noqa: E731
    ranking = [
        {
            "rank": entry["rank"],
            "pseudonym": entry["pseudonym"],
            "mine": entry["pseudonym"] == pseudonym,
            "amount": money(entry["amount"]) if "amount" in entry else None,
            "at": rules.parse_time(entry["at"]),
        }
        for entry in snapshot.get("ranking", [])
    ]
    own_rank = next((entry["rank"] for entry in ranking if entry["mine"]), None)
    return {
        "lot": lot,
        "tender": lot.tender,
        "room": room,
        "viewer_role": role,
        "pseudonym": pseudonym,
        "snapshot": snapshot,
        "closes_at": rules.parse_time(snapshot["closes_at"]),
        "countdown": _hms(snapshot.get("remaining_ms") or 0),
        "ranking": ranking,
        "own_rank": own_rank,
        "best": money(snapshot["best"]) if snapshot.get("best") else None,
        "me": me,
        "allowed": (money(me["lowest_allowed"]), money(me["highest_allowed"]))
        if me and me.get("lowest_allowed")
        else None,
        "history": [_history_line(item, strings, money) for item in reversed(entries)],
        "show_best": config["show_best"],
        "show_amounts": config["show_amounts"],
        "status_label": strings["status"].get(snapshot.get("status"), snapshot.get("status")),
        "rules": auction_rules(lot),
        "config": config,
        "closed": closed,
    }


def _hms(milliseconds: int) -> str:
    seconds = -(-milliseconds // 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


def _history_line(item: dict, strings: dict, money) -> dict:
    """One line of the history, worded as room.js words the lines it adds."""
    at = rules.parse_time(item["at"])
    values = {
        "time": date_format(localtime(at), "H:i:s"),
        "pseudonym": item.get("pseudonym", ""),
        "amount": money(item["amount"]) if "amount" in item else "",
        "best": money(item["best"]) if "best" in item else "",
    }
    templates = strings["history"]
    if item["type"] != "bid":
        template = templates.get(item["type"], item["type"])
    elif "amount" in item:
        template = templates["bid_amount"]
    elif "best" in item:
        template = templates["bid_best"]
    else:
        template = templates["bid"]
    return {"text": template % values, "pseudonym": item.get("pseudonym"), "at": at}


@watcher
def enter(request, room, role):
    """The one link to a lot's room (from an invitation or the lot's page): each visitor lands
    on the page it may see; once the room is closed, everyone gets the replay."""
    if room.status == Room.Status.CLOSED:
        return redirect("auctions:replay", lot_id=room.lot_id)
    return redirect("auctions:room" if role == "bidder" else "auctions:watch", lot_id=room.lot_id)


@watcher
def room(request, room, role):
    """An admitted bidder's room, reached through its own login only (no link to share)."""
    if role != "bidder":
        return redirect("auctions:watch", lot_id=room.lot_id)
    return render(request, "auctions/room.html", _live_context(request, room, role))


@watcher
def watch(request, room, role):
    """The buyer's and the commission's view, or anyone's when the lot is publicly watchable or
    closed: the same anonymous picture as the bidders', without a bid form."""
    if role == "bidder":
        return redirect("auctions:room", lot_id=room.lot_id)
    return render(request, "auctions/watch.html", _live_context(request, room, role))


def replay(request, lot_id):
    """After the close, anyone can replay the auction: the price curve and the bids over time."""
    room = selectors.room_of(lot_id)
    if room.status != Room.Status.CLOSED:
        raise Http404(_("The replay is available once the auction is closed."))
    lot = room.lot
    entries = _entries(room)
    bids = [item for item in room_history.history(entries, "all", closed=True) if item["type"] == "bid"]
    params, state = services.rules_of(room)  # Room.state is a checkpoint: the head is replayed
    return render(
        request,
        "auctions/replay.html",
        {
            "lot": lot,
            "tender": lot.tender,
            "room": room,
            "bids": [{**bid, "at": rules.parse_time(bid["at"])} for bid in bids],
            "ranking": state.ranking(),
            "winner": state.winner(),
            "curve": room_history.price_curve(bids, params.starting_price, params.opens_at, state.closes_at),
            "state": state,
            "ledger_url": f"/api/v1/lots/{lot.pk}/ledger",
            "verify_command": signing.verify_command(f"ledger-lot-{lot.pk}.json"),
        },
    )


def public_key(request):
    """The server's Ed25519 public key: anyone can check the receipts and the published ledgers."""
    return render(
        request,
        "auctions/public_key.html",
        {
            "pem": signing.public_key_pem(),
            "b64": signing.public_key_b64(),
            "fingerprint": signing.fingerprint(),
            "api_url": "/api/v1/ledger/public-key",
            "pem_url": trusted_key.WELL_KNOWN_PATH,
            "verify_command": signing.verify_command("LEDGER.json"),
        },
    )


def public_key_pem(request):
    """The key as a bare PEM at the platform's stable address (``trusted_key.WELL_KNOWN_PATH``), where
    ``seei verify --site`` fetches it: outside the language prefixes, so it never moves."""
    return HttpResponse(signing.public_key_pem(), content_type="application/x-pem-file; charset=ascii")


@role_required(Role.ADMINISTRATOR)
def incident(request):
    """The platform administrator's incident page: suspend every running room, then resume."""
    active = Suspension.objects.filter(ended_at__isnull=True).first()
    return render(
        request,
        "auctions/incident.html",
        {
            "active": active,
            "open_rooms": Room.objects.filter(status__in=[Room.Status.OPEN, Room.Status.SUSPENDED])
            .select_related("lot__tender")
            .order_by("closes_at"),
            "history": Suspension.objects.select_related("started_by", "ended_by")[:20],
        },
    )


@require_POST
@role_required(Role.ADMINISTRATOR)
def suspend(request):
    reason = request.POST.get("reason", "").strip()
    if not reason:
        messages.error(request, _("Say why the auctions are suspended: everyone will be told."))
        return redirect("auctions:incident")
    try:
        services.suspend_all(request.membership, reason)
    except ValidationError as error:
        flash_refusal(request, error)
    else:
        messages.success(request, _("Every running auction is suspended; everyone was notified."))
    return redirect("auctions:incident")


@require_POST
@role_required(Role.ADMINISTRATOR)
def resume(request):
    try:
        services.resume_all(request.membership)
    except ValidationError as error:
        flash_refusal(request, error)
    else:
        messages.success(request, _("The auctions resumed; the remaining time was credited."))
    return redirect("auctions:incident")
