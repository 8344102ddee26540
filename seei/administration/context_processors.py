from django.utils.functional import SimpleLazyObject

DISMISSED = "administration_dismissed"  # the session's list of announcements its person has closed


def announcements(request):
    """The announcements of the page's top (``base.html``), read only if the page shows them; those
    this browser's person dismissed are left out (a critical one cannot be dismissed)."""
    from seei.administration.announcements import live

    def shown():
        dismissed = set(request.session.get(DISMISSED, ())) if hasattr(request, "session") else set()
        return [a for a in live() if a.pk not in dismissed or a.severity == a.Severity.CRITICAL]

    return {"announcements": SimpleLazyObject(shown)}
