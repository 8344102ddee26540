from django.urls import path

from seei.awards import views

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
    path("accountant/", views.accountant, name="accountant"),
    path("accountant/<int:pk>/", views.accountant_award, name="accountant_award"),
    path("accountant/<int:pk>/ledger/", views.ledger, name="ledger"),
    path("accountant/<int:pk>/verify/", views.verify, name="verify"),
    path("accountant/<int:pk>/visa/", views.visa, name="visa"),
    path("accountant/<int:pk>/payments/", views.payment, name="payment"),
]
