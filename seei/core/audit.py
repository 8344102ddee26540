from seei.core import clock
from seei.core.models import AuditEvent


def record(action: str, obj, actor=None, organisation=None, **data) -> AuditEvent:
    return AuditEvent.objects.create(
        at=clock.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        organisation=organisation,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        data=data,
    )
