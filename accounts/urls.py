from django.contrib.auth import views as auth_views
from django.urls import path


def get_and_post(view_class):
    # Django's form views also answer PUT; Hindsight's pages take GET and POST only.
    return view_class.as_view(http_method_names=["get", "post", "head", "options"])


urlpatterns = [
    path("login/", get_and_post(auth_views.LoginView), name="login"),
    path(
        "logout/",
        auth_views.LogoutView.as_view(http_method_names=["post", "options"]),
        name="logout",
    ),
    path(
        "password/",
        get_and_post(auth_views.PasswordChangeView),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(http_method_names=["get", "head"]),
        name="password_change_done",
    ),
]
