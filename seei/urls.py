from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from seei.accounts.views import set_language
from seei.api.urls import api
from seei.auctions.trusted_key import WELL_KNOWN_PATH
from seei.auctions.views import public_key_pem
from seei.core.audit_page import audit_log

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path(WELL_KNOWN_PATH.lstrip("/"), public_key_pem, name="ledger_key_pem"),  # seei verify --site
]
# Files are never served from MEDIA_ROOT directly: every download goes through a view that
# checks who may have it (sealed applications, minutes, award documents).
urlpatterns += i18n_patterns(
    path("", include("seei.portal.urls")),
    path("accounts/", include("seei.accounts.urls")),
    path("buyer/", include("seei.tenders.urls")),
    path("applications/", include("seei.applications.urls")),
    path("auctions/", include("seei.auctions.urls")),
    path("awards/", include("seei.awards.urls")),
    path("statistics/", include("seei.opendata.urls")),
    path("red-flags/", include("seei.redflags.urls")),
    path("practice/", include("seei.practice.urls")),
    path("help/", include("seei.help.urls")),
    path("watch/", include("seei.alerts.urls")),
    path("company/", include("seei.companies.urls")),
    path("audit/", audit_log, name="audit_log"),
    path("administration/", include("seei.administration.urls")),
)
