"""The documents a provisional awardee gives before the award becomes final.

Phase 1 already checked the administrative and technical file; what remains are the documents
that must be current on the day of the award. ``settings.SEEI_AWARD_DOCUMENTS`` may narrow the
list (keys below); each award freezes its list when it starts.
"""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

KINDS = {
    "tax_certificate": _("Tax compliance certificate"),
    "social_security_certificate": _("Social security (CNSS) certificate"),
    "performance_bond": _("Performance bond"),
}

# The minutes are an official record with fixed wording in the three languages (see minutes.py).
MINUTES_LABELS = {
    "tax_certificate": {"fr": "Attestation fiscale", "ar": "شهادة الوضعية الجبائية", "en": "Tax certificate"},
    "social_security_certificate": {
        "fr": "Attestation de la CNSS",
        "ar": "شهادة الصندوق الوطني للضمان الاجتماعي",
        "en": "Social security certificate",
    },
    "performance_bond": {"fr": "Caution définitive", "ar": "الضمان النهائي", "en": "Performance bond"},
}


def required() -> list[str]:
    wanted = getattr(settings, "SEEI_AWARD_DOCUMENTS", None) or list(KINDS)
    return [kind for kind in wanted if kind in KINDS]


def label(kind: str) -> str:
    return str(KINDS.get(kind, kind))
