from django.urls import path

from seei.alerts import views as alerts
from seei.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("notices/", views.tender_list, name="tenders"),
    path("notices/<int:pk>/", views.tender_detail, name="tender"),
    path("notices/<int:pk>/documents/<int:document_pk>/", views.document_download, name="document"),
    path("notices/<int:pk>/ask/", views.ask, name="ask"),
    path("results/", views.results_list, name="results"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("notifications/", alerts.notifications, name="notifications"),
]
