"""User management under /quan-tri/nguoi-dung/ (Quản trị only), and every user's own password change."""

from django.urls import include, path

from . import views

management = [
    path("", views.user_list, name="user_list"),
    path("them/", views.user_create_page, name="user_create"),
    path("nhap-tep/", views.users_import_page, name="users_import"),
    path("mau.csv", views.users_template, name="users_template"),
    path("<int:pk>/", views.user_edit, name="user_edit"),
    path("<int:pk>/dat-lai-mat-khau/", views.user_reset_password, name="user_reset_password"),
    path("<int:pk>/lich-su/", views.user_history_page, name="user_history"),
]

urlpatterns = [
    path("quan-tri/nguoi-dung/", include(management)),
    path("doi-mat-khau/", views.password_change, name="password_change"),
]
