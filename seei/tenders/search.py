"""Full-text search over notices: every language of every field, the items, the buyer."""

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import Value

from seei.tenders.models import Tender

CONFIG = "simple"  # several languages in one document: no language-specific stemming


def document_text(tender: Tender) -> str:
    parts = [tender.reference, tender.buyer.name, tender.delivery_place]
    parts += tender.title.texts() + tender.object.texts()
    for lot in tender.lots.prefetch_related("items"):
        parts += lot.title.texts()
        for item in lot.items.all():
            parts += item.designation.texts() + item.specification.texts()
    return " ".join(parts)


def reindex(tender: Tender) -> None:
    Tender.objects.filter(pk=tender.pk).update(
        search=SearchVector(Value(document_text(tender)), config=CONFIG)
    )


def matching(queryset, text: str):
    """A notice's reference finds that notice (through its index); any other text is searched."""
    text = text.strip()
    if not text:
        return queryset
    by_reference = queryset.filter(reference__iexact=text)
    if by_reference.exists():
        return by_reference
    return queryset.filter(search=SearchQuery(text, search_type="websearch", config=CONFIG))
