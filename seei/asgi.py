"""The ASGI entry point: Django for pages and the API; the live room is mounted beside it."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seei.settings")
application = get_asgi_application()
