from django.urls import path

from seei.applications import views

app_name = "applications"
urlpatterns = [
    # The company
    path("", views.mine, name="mine"),
    path("notices/<int:pk>/apply/", views.apply, name="apply"),
    path("notices/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("documents/<int:pk>/", views.own_document, name="document"),
    path("requests/<int:pk>/", views.supply, name="supply"),
    path("receipts/<int:pk>/", views.receipt, name="receipt"),
    path("receipts/<int:pk>/pdf/", views.receipt_pdf, name="receipt_pdf"),
    # The buyer
    path("buyer/notices/<int:pk>/commission/", views.commission, name="commission"),
    # The commission
    path("commission/", views.commission_list, name="commission_list"),
    path("commission/notices/<int:pk>/", views.examination, name="examination"),
    path("commission/notices/<int:pk>/declare/", views.declare, name="declare"),
    path("commission/notices/<int:pk>/open/", views.open_examination, name="open"),
    path(
        "commission/notices/<int:pk>/applications/<int:application_pk>/request/",
        views.request_document,
        name="request_document",
    ),
    path("commission/notices/<int:pk>/approve/", views.approve, name="approve"),
    path(
        "commission/notices/<int:pk>/applications/<int:application_pk>/decide/", views.decide, name="decide"
    ),
    path("commission/notices/<int:pk>/close/", views.close_examination, name="close"),
    path(
        "commission/notices/<int:pk>/documents/<int:document_pk>/",
        views.sealed_document,
        name="sealed_document",
    ),
    # The commission and the buyer
    path("notices/<int:pk>/minutes/", views.minutes, name="minutes"),
]
