from django.urls import path

from . import reports, views

urlpatterns = [
    path("", views.home, name="home"),
    path("dot/<slug:code>/", views.campaign_detail, name="campaign_detail"),
    path("dot/<slug:code>/xep-hang/", views.standings, name="standings"),
    path("dot/<slug:code>/xep-hang/<str:unit>/", views.standing_detail, name="standing_detail"),
    path("dot/<slug:code>/bao-cao/", reports.reports, name="reports"),
    path("dot/<slug:code>/bao-cao/<str:team>/<str:day>/", reports.report_day, name="report_day"),
]
