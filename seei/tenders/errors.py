from django.core.exceptions import ValidationError


class TenderError(ValidationError):
    """A rule of the procedure refused the change; its message is for the user."""
