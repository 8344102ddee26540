"""The site's URLs plus an API that mounts the statistics router.

Until seei/api/urls.py adds the router to the site's API, the tests mount it here, in front of
the site's own /api/v1/ (Django falls through to the site's routes for any other path).
"""

from django.urls import path
from ninja import NinjaAPI

from seei.api import errors
from seei.api.statistics import router
from seei.urls import urlpatterns as site_urlpatterns

api = NinjaAPI(title="SEEI statistics (tests)", urls_namespace="statistics-api-tests")
errors.install(api)
api.add_router("", router)

urlpatterns = [path("api/v1/", api.urls), *site_urlpatterns]
