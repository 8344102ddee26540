from django.utils.functional import SimpleLazyObject


def announcements(request):
    """The announcements of the page's top (``base.html``), read only if the page shows them."""
    from seei.administration.announcements import live

    return {"announcements": SimpleLazyObject(live)}
