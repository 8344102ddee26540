"""The receipt of a submission, change or withdrawal: what it says, its hash, its PDF.

The content is JSON hashed in a canonical form (sorted keys, no spaces, UTF-8), so anyone
holding the receipt can recompute its SHA-256. It lists documents by id, kind, size and the
SHA-256 of their plain content; their names stay sealed in the database and are shown only
to the company itself (``names`` below).
"""

import hashlib
import json

from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from seei.documents.pdf import PdfBuilder

FORMAT = "seei-application-receipt/1"


def canonical_json(content: dict) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest(content: dict) -> str:
    return hashlib.sha256(canonical_json(content)).hexdigest()


def receipt_content(*, number, action, issued_at, application, lots, documents) -> dict:
    company = application.company
    return {
        "format": FORMAT,
        "number": number,
        "action": action,
        "issued_at": issued_at.isoformat(),
        "tender": {"id": application.tender_id, "reference": application.tender.reference},
        "company": {
            "id": company.pk,
            "name": company.name,
            "ice": company.ice or "",
            "national_registration": company.national_registration,
        },
        "application": application.pk,
        "declaration_on_honour": application.declaration,
        "lots": [{"id": lot.pk, "number": lot.number} for lot in sorted(lots, key=lambda lot: lot.number)],
        "documents": [
            {"id": d.pk, "kind": d.kind, "content_type": d.content_type, "size": d.size, "sha256": d.sha256}
            for d in documents
        ],
    }


def _when(value: str) -> str:
    from django.utils.dateparse import parse_datetime

    return date_format(localtime(parse_datetime(value)), "DATETIME_FORMAT")


def receipt_pdf(receipt, names: dict[int, str], lang: str) -> bytes:
    """The printable receipt, in the language active when called. ``names``: document id -> name."""
    content = receipt.content
    title = _("Receipt no. %(number)s — %(reference)s") % {
        "number": content["number"],
        "reference": content["tender"]["reference"],
    }
    doc = PdfBuilder(title, lang=lang, created_at=receipt.issued_at, footer=f"SEEI · {title}")
    doc.title(title, subtitle=str(receipt.get_action_display()))
    doc.fields(
        [
            (_("Notice"), content["tender"]["reference"]),
            (_("Company"), content["company"]["name"]),
            (_("ICE"), content["company"]["ice"] or content["company"]["national_registration"]),
            (_("Issued at"), _when(content["issued_at"])),
            (_("Lots"), ", ".join(str(lot["number"]) for lot in content["lots"]) or "—"),
            (_("Declaration on honour"), _("Accepted") if content["declaration_on_honour"] else "—"),
        ]
    )
    doc.heading(_("Documents"))
    doc.table(
        [_("Document"), _("Kind"), _("Size (bytes)"), "SHA-256"],
        [
            [names.get(d["id"], f"#{d['id']}"), _kind_label(d["kind"]), str(d["size"]), d["sha256"]]
            for d in content["documents"]
        ],
        widths=(28, 17, 12, 43),
        size=8,
    )
    doc.heading(_("Fingerprint of this receipt"))
    doc.paragraph(_("SHA-256 of the canonical JSON of the receipt:"), muted=True)
    doc.paragraph(receipt.sha256, bold=True)
    return doc.output()


def _kind_label(kind: str) -> str:
    from seei.applications.models import ApplicationDocument

    return str(ApplicationDocument.Kind(kind).label)
