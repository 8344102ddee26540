"""What each red flag is called and what its rule says, in the reader's language.

The rule's text names the guide's identifier (or says the flag is the platform's own) and its
thresholds as set (``seei.redflags.selectors.thresholds``); the figures are labelled here too.
"""

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from seei.redflags import rules

TITLES = {
    rules.SHORT_PUBLICITY: _("Short publicity period"),
    rules.LATE_ERRATUM: _("Substantive erratum close to the deadline"),
    rules.EXCLUDED_SHARE: _("High share of excluded applications"),
    rules.SINGLE_BIDDER: _("A single bidder"),
    rules.DISCOUNTED: _("Winning price far below the estimate or the second price"),
    rules.IDENTICAL_BIDS: _("Identical bids"),
    rules.NARROW_BAND: _("All bids within a narrow band"),
    rules.PASSED_DOWN: _("Award passed down the ranking"),
    rules.REPEAT_WINNER: _("Same winner for the same buyer again and again"),
}

RULES = {
    rules.SHORT_PUBLICITY: _(
        "The notice was public for less than %(publicity_days)s days before the application deadline "
        "(OCP red flag R003, “Short submission period”)."
    ),
    rules.LATE_ERRATUM: _(
        "A substantive erratum was published less than %(erratum_days)s days before the application "
        "deadline then in force (a flag of this platform: the OCP guide has no identifier for it)."
    ),
    rules.EXCLUDED_SHARE: _(
        "The commission excluded %(excluded_percent)s %% or more of the applications to the lot, out "
        "of at least %(excluded_min)s (OCP red flag R038, “Excessive disqualified bids”)."
    ),
    rules.SINGLE_BIDDER: _(
        "Only one company bid in the auction of the lot (OCP red flag R018, “Single bid received”)."
    ),
    rules.DISCOUNTED: _(
        "The best price is more than %(estimate_percent)s %% below the estimate, or more than "
        "%(second_percent)s %% below the second price (OCP red flag R058, “Heavily discounted bid”)."
    ),
    rules.IDENTICAL_BIDS: _(
        "Two or more bidders ended the auction on the same price (OCP red flag R028, “Identical bid prices”)."
    ),
    rules.NARROW_BAND: _(
        "At least %(band_bidders)s bidders, and every final price within %(band_percent)s %% of the best "
        "one, a sign of cover bidding or rotation (OCP red flag R024, “Price close to winning bid”)."
    ),
    rules.PASSED_DOWN: _(
        "The final award went to a bidder ranked below the best price, although price is the only "
        "criterion (OCP red flag R036, “Lowest bid disqualified”)."
    ),
    rules.REPEAT_WINNER: _(
        "The winner received at least %(repeat_wins)s final awards from the same buyer within "
        "%(repeat_days)s days (a flag of this platform: the OCP guide has no identifier for it)."
    ),
}

FIGURES = {
    "publicity_days": _("publicity (days)"),
    "threshold_days": _("threshold (days)"),
    "erratum": _("erratum number"),
    "days_before_deadline": _("days before the deadline"),
    "deadline_moved": _("deadline moved"),
    "applications": _("applications"),
    "excluded": _("excluded"),
    "excluded_percent": _("excluded (%)"),
    "threshold_percent": _("threshold (%)"),
    "bidders": _("bidders"),
    "admitted": _("admitted companies"),
    "price": _("price"),
    "estimate": _("estimated amount"),
    "below_estimate_percent": _("below the estimate (%)"),
    "estimate_threshold_percent": _("threshold below the estimate (%)"),
    "second_price": _("second price"),
    "below_second_percent": _("below the second price (%)"),
    "second_threshold_percent": _("threshold below the second price (%)"),
    "lowest": _("lowest price"),
    "highest": _("highest price"),
    "spread_percent": _("spread (%)"),
    "awarded_rank": _("rank awarded"),
    "best_price": _("best price"),
    "awarded_price": _("price awarded"),
    "extra_percent": _("above the best price (%)"),
    "wins": _("awards to the winner"),
    "buyer_awards": _("awards by the buyer"),
    "share_percent": _("winner's share (%)"),
    "days": _("period (days)"),
    "threshold_wins": _("threshold (awards)"),
}


def _number(value) -> str:
    return number_format(value, use_l10n=True, force_grouping=True)


def rule_text(code: str, t: rules.Thresholds) -> str:
    hundred = rules.HUNDRED
    return str(RULES[code]) % {
        "publicity_days": _number(t.publicity_days),
        "erratum_days": _number(t.erratum_days),
        "excluded_percent": _number(t.excluded_share * hundred),
        "excluded_min": t.excluded_min_applications,
        "estimate_percent": _number((1 - t.below_estimate) * hundred),
        "second_percent": _number((1 - t.below_second) * hundred),
        "band_bidders": t.band_min_bidders,
        "band_percent": _number(t.band * hundred),
        "repeat_wins": t.repeat_wins,
        "repeat_days": t.repeat_days,
    }


def figure_value(value) -> str:
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, Decimal | int):
        return _number(value)
    return "" if value is None else str(value)


def labelled(figures: dict) -> list[tuple[str, str]]:
    """The figures as (label, value) pairs, in the reader's language, empty ones left out."""
    return [(str(FIGURES[key]), figure_value(value)) for key, value in figures.items() if value is not None]
