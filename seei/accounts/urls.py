from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from seei.accounts import password_views, people_views, views
from seei.accounts.twofactor import views as second_factor

app_name = "accounts"
urlpatterns = [
    path("register/", views.register, name="register"),
    path("verify/<uidb64>/<token>/", views.verify_email, name="verify"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("switch/", views.switch_membership, name="switch"),
    path("tokens/", views.api_tokens, name="tokens"),
    path("people/", people_views.people_page, name="people"),
    path("organisation/", people_views.organisation_page, name="organisation"),
    path("invitation/<str:key>/", people_views.invitation_page, name="invitation"),
    path("password/change/", password_views.PasswordChangeView.as_view(), name="password_change"),
    path("two-factor/", second_factor.verify, name="second_factor"),
    path("two-factor/setup/", second_factor.setup, name="second_factor_setup"),
    path("two-factor/recovery-codes/", second_factor.recovery_codes, name="recovery_codes"),
    path("two-factor/off/", second_factor.turn_off, name="second_factor_off"),
    path(
        "password/reset/",
        views.PasswordResetView.as_view(
            success_url=reverse_lazy("accounts:password_reset_done"),
            email_template_name="accounts/password_reset_email.txt",
            subject_template_name="accounts/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        password_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"
    ),
]
