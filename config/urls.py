from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from core.login_throttle import LoginForm

# Nothing under MEDIA_ROOT has a URL: every stored file (uploads, exports, certificates) is
# served by a view that checks access first (core.files.serve_file). Do not add
# static(settings.MEDIA_URL, ...) here, and keep the reverse proxy from serving the media folder.
urlpatterns = [
    path("", include("core.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=LoginForm
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("accounts.urls")),
    path("plans/", include("plans.urls")),
    path("programs/", include("programs.urls")),
    path("enrollment/", include("enrollment.urls")),
    path("attendance/", include("attendance.urls")),
    path("evaluation/", include("evaluation.urls")),
    path("credits/", include("credits.urls")),
    path("reports/", include("reports.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
if settings.LECTERN_ENV != "production":  # development tools (the devtools app), never deployed
    urlpatterns.append(path("dev/", include("devtools.urls")))
