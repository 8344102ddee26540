from django.urls import path

from seei.awards import accountant_views, views

app_name = "awards"
urlpatterns = [
    # The buyer, the commission and the candidates
    path("", views.award_list, name="list"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/documents/", views.submit_documents, name="submit"),
    path("<int:pk>/documents/<int:document_pk>/", views.document, name="document"),
    path("<int:pk>/confirm/", views.confirm, name="confirm"),
    path("<int:pk>/fail/", views.fail, name="fail"),
    path("<int:pk>/minutes/", views.minutes, name="minutes"),
    # Anyone
    path("lots/<int:lot_id>/", views.result, name="result"),
    # The accountant
    path("accountant/", accountant_views.accountant, name="accountant"),
    path("accountant/export.csv", accountant_views.accountant_csv, name="accountant_csv"),
    path("accountant/statistics/", accountant_views.statistics, name="accountant_statistics"),
    path("accountant/<int:pk>/", accountant_views.accountant_award, name="accountant_award"),
    path("accountant/<int:pk>/ledger/", accountant_views.ledger, name="ledger"),
    path("accountant/<int:pk>/verify/", accountant_views.verify, name="verify"),
    path(
        "accountant/<int:pk>/documents/<int:document_pk>/",
        accountant_views.document,
        name="accountant_document",
    ),
    path(
        "accountant/<int:pk>/admission-minutes/",
        accountant_views.admission_minutes,
        name="accountant_admission_minutes",
    ),
    path("accountant/<int:pk>/visa/", accountant_views.visa, name="visa"),
    path("accountant/<int:pk>/payments/", accountant_views.payment, name="payment"),
    path("accountant/<int:pk>/payments/reversal/", accountant_views.reverse, name="reversal"),
]
