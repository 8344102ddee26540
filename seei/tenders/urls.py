from django.urls import path

from seei.tenders import views

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
]
