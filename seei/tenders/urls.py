from django.urls import path

from seei.tenders import actions_views, views

app_name = "tenders"
urlpatterns = [
    path("notices/", views.tender_list, name="list"),
    path("notices/new/", views.tender_create, name="create"),
    path("notices/<int:pk>/", views.tender_manage, name="manage"),
    path("notices/<int:pk>/edit/", views.tender_edit, name="edit"),
    path("notices/<int:pk>/lots/new/", views.lot_edit, name="lot_create"),
    path("notices/<int:pk>/lots/<int:lot_pk>/", views.lot_edit, name="lot_edit"),
    path("notices/<int:pk>/lots/<int:lot_pk>/delete/", views.lot_delete, name="lot_delete"),
    path("notices/<int:pk>/documents/new/", views.document_add, name="document_add"),
    path("notices/<int:pk>/publish/", views.publish, name="publish"),
    path("notices/<int:pk>/erratum/", views.erratum, name="erratum"),
    path("notices/<int:pk>/clarifications/", views.clarifications, name="clarifications"),
    path("clarifications/<int:pk>/answer/", views.answer, name="answer"),
    # The buyer's everyday actions (seei.tenders.actions_views)
    path("notices/<int:pk>/delete/", actions_views.delete, name="delete"),
    path(
        "notices/<int:pk>/documents/<int:document_pk>/remove/",
        actions_views.document_remove,
        name="document_remove",
    ),
    path("notices/<int:pk>/preview/", actions_views.preview, name="preview"),
    path("notices/<int:pk>/cancel/", actions_views.cancel, name="cancel"),
    path("notices/<int:pk>/exchange-rates/", actions_views.exchange_rates, name="exchange_rates"),
    path("notices/<int:pk>/copy/", actions_views.copy, name="copy"),
    path("notices/<int:pk>/lots/<int:lot_pk>/relaunch/", actions_views.relaunch, name="relaunch"),
]
