from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.decorators.http import require_http_methods

from . import views


def get_and_post(view_class, **options):
    # Django's form views also answer PUT (and the login view redirects a signed-in
    # person whatever the method); Hindsight's pages take GET and POST only.
    return require_http_methods(["GET", "HEAD", "POST"])(view_class.as_view(**options))


urlpatterns = [
    path(
        "login/",
        get_and_post(auth_views.LoginView, redirect_authenticated_user=True),
        name="login",
    ),
    path(
        "logout/",
        auth_views.LogoutView.as_view(http_method_names=["post", "options"]),
        name="logout",
    ),
    path("profile/", views.profile, name="profile"),
    path("people/", views.people, name="people"),
    path("people/<int:pk>/", views.person_update, name="person-update"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path(
        "password/",
        get_and_post(views.PasswordChangeView),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(http_method_names=["get", "head"]),
        name="password_change_done",
    ),
]
