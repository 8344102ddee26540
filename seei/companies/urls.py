from django.urls import path

from seei.companies import views

app_name = "companies"
urlpatterns = [
    path("followed/", views.followed, name="followed"),
    path("notices/<int:pk>/follow/", views.follow, name="follow"),
    path("documents/", views.documents, name="documents"),
    path("bids/<int:pk>/receipt/", views.bid_receipt, name="bid_receipt"),
    path("applications/<int:pk>/admission/", views.admission, name="admission"),
]
