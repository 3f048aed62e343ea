from django.urls import path

from accounts import views, views_sysadmin

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("otp/", views.otp_setup, name="otp_setup"),
    path("otp/verify/", views.otp_verify, name="otp_verify"),
    path("sessions/", views.my_sessions, name="sessions"),
    path("sessions/<int:pk>/end/", views.my_session_end, name="session_end"),
    path("security/roles/", views.security_roles, name="security_roles"),
    path(
        "security/roles/<int:pk>/revoke/",
        views.security_role_revoke,
        name="security_role_revoke",
    ),
    path("security/otp-reset/", views.security_otp_reset, name="security_otp_reset"),
    path("security/lockouts/", views.security_lockouts, name="security_lockouts"),
    path(
        "security/lockouts/<int:pk>/release/",
        views.security_lockout_release,
        name="security_lockout_release",
    ),
    # the system administrator (三员分立): accounts, units, settings (read-only), backups
    path("system/users/", views_sysadmin.users, name="sysadmin_users"),
    path("system/users/new/", views_sysadmin.user_new, name="sysadmin_user_new"),
    path("system/users/<int:pk>/active/", views_sysadmin.user_active, name="sysadmin_user_active"),
    path("system/units/", views_sysadmin.units, name="sysadmin_units"),
    path("system/units/new/", views_sysadmin.unit_new, name="sysadmin_unit_new"),
    path("system/units/<int:pk>/edit/", views_sysadmin.unit_edit, name="sysadmin_unit_edit"),
    path("system/settings/", views_sysadmin.system_settings, name="sysadmin_settings"),
    path("system/backups/", views_sysadmin.backups, name="sysadmin_backups"),
]
