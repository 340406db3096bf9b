from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from thidua.accounts.security import LoginView, ThrottledAdminAuthenticationForm
from thidua.api.views import api
from thidua.web.health import health

admin.site.login_form = ThrottledAdminAuthenticationForm
admin.site.site_header = admin.site.site_title = "Quản trị hệ thống thi đua"

urlpatterns = [
    path("dang-nhap/", LoginView.as_view(), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("quan-tri-he-thong/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("suc-khoe/", health, name="health"),
    path("", include("thidua.accounts.urls")),
    path("", include("thidua.web.urls")),
]
