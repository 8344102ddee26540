import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seei.settings")
from seei.ops.endpoints import with_health  # noqa: E402  (/healthz, /readyz before Django)

application = with_health(get_wsgi_application())
