from django.urls import path

from . import (
    account,
    appeals,
    audit,
    board,
    coverage,
    dashboard,
    documents,
    forecasts,
    imports,
    lifecycle,
    nominations,
    reports,
    support,
    views,
)

urlpatterns = [
    path("", views.home, name="home"),
    path("tai-khoan/", account.account, name="account"),
    path("dot/<slug:code>/", views.campaign_detail, name="campaign_detail"),
    path("dot/<slug:code>/don-vi/<str:unit>/", views.unit_detail, name="unit_detail"),
    path("dot/<slug:code>/xep-hang/", views.standings, name="standings"),
    path("dot/<slug:code>/xep-hang/bang-xep-hang.xlsx", views.standings_xlsx, name="standings_xlsx"),
    path("dot/<slug:code>/xep-hang/<str:unit>/", views.standing_detail, name="standing_detail"),
    # issue 11: forecast
    path("dot/<slug:code>/du-bao/", forecasts.forecast_page, name="forecast"),
    path("dot/<slug:code>/du-bao/du-bao.xlsx", forecasts.forecast_xlsx_download, name="forecast_xlsx"),
    # end forecast
    path("dot/<slug:code>/bao-cao/", reports.reports, name="reports"),
    path("dot/<slug:code>/bao-cao/xac-nhan/", reports.reports_verify_page, name="reports_verify"),
    path("dot/<slug:code>/bao-cao/tong-hop/", reports.daily_summary, name="daily_summary"),
    path("dot/<slug:code>/bao-cao/tong-hop.xlsx", reports.daily_summary_xlsx, name="daily_summary_xlsx"),
    path("dot/<slug:code>/bao-cao/<str:team>/<str:day>/", reports.report_day, name="report_day"),
    path("dot/<slug:code>/bao-cao/<str:team>/<str:day>/kiem-tra/", reports.report_cell, name="report_cell"),
    path("dot/<slug:code>/bao-cao/<str:team>/<str:day>/lich-su/", audit.team_day_history_page,
         name="team_day_history"),
    path("dot/<slug:code>/lich-su/", audit.record_history_page, name="record_history"),
    path("nhat-ky/", audit.audit_list, name="audit_list"),
    path("nhat-ky/kiem-tra/", audit.audit_verify, name="audit_verify"),
    path("nhat-ky/<int:pk>/", audit.audit_act, name="audit_act"),
    path("dot/<slug:code>/nhap-tep/", imports.import_upload, name="import_upload"),
    path("dot/<slug:code>/nhap-tep/xac-nhan/", imports.import_confirm, name="import_confirm"),
    path("dot/<slug:code>/nhap-tep/loi/<str:sha>.csv", imports.import_errors, name="import_errors"),
    path("dot/<slug:code>/nhap-tep/mau.xlsx", imports.import_template, name="import_template"),
    # issue 11: charts
    path("dot/<slug:code>/bieu-do/", dashboard.dashboard, name="dashboard"),
    path("dot/<slug:code>/bieu-do/tien-do.xlsx", dashboard.dashboard_progress_xlsx, name="dashboard_progress_xlsx"),
    path("dot/<slug:code>/bieu-do/may-theo-ngay.xlsx", dashboard.dashboard_machines_xlsx,
         name="dashboard_machines_xlsx"),
    # end charts
    # issue 10: lifecycle
    path("dot/<slug:code>/buoc/", lifecycle.campaign_step, name="campaign_step"),
    path("dot/<slug:code>/duyet-thang-diem/", lifecycle.scale_approve, name="scale_approve"),
    path("dot/<slug:code>/dong-hang/", lifecycle.ties, name="ties"),
    path("dot/<slug:code>/khen-thuong/", lifecycle.rewards, name="rewards"),
    # issue 10: appeals
    path("dot/<slug:code>/khieu-nai/", appeals.appeal_list, name="appeal_list"),
    path("dot/<slug:code>/khieu-nai/gui/", appeals.appeal_file, name="appeal_file"),
    path("dot/<slug:code>/khieu-nai/<int:number>/", appeals.appeal_detail, name="appeal_detail"),
    path("dot/<slug:code>/khieu-nai/<int:number>/giai-quyet/", appeals.appeal_decide, name="appeal_decide"),
    path("dot/<slug:code>/khieu-nai/<int:number>/bang-chung/<int:pk>/", appeals.appeal_evidence,
         name="appeal_evidence"),
    path("dot/<slug:code>/ket-qua-chot/", appeals.snapshot_list, name="snapshot_list"),
    path("dot/<slug:code>/ket-qua-chot/<int:version>.json", appeals.snapshot_json, name="snapshot_json"),
    # issue 10: docx — the documents of a campaign, their drafts and the register of issued versions
    path("dot/<slug:code>/van-ban/", documents.documents, name="documents"),
    path("dot/<slug:code>/van-ban/ban-hanh/", documents.document_issue, name="document_issue"),
    path("dot/<slug:code>/van-ban/ban-thao/<str:kind>/", documents.document_draft, name="document_draft"),
    path("dot/<slug:code>/van-ban/da-ban-hanh/<int:pk>/", documents.document_issued, name="document_issued"),
    # issue 10: nominations
    path("dot/<slug:code>/de-nghi/", nominations.nominations_page, name="nominations"),
    path("dot/<slug:code>/de-nghi/them/", nominations.nomination_create, name="nomination_create"),
    path("dot/<slug:code>/de-nghi/nhap-tep/", nominations.nominations_upload, name="nominations_upload"),
    path("dot/<slug:code>/de-nghi/<int:pk>/", nominations.nomination_detail, name="nomination_detail"),
    path("dot/<slug:code>/de-nghi/<int:pk>/tep/<int:evidence>/", nominations.nomination_evidence,
         name="nomination_evidence"),
    path("dot/<slug:code>/de-nghi/<int:pk>/<slug:action>/", nominations.nomination_act, name="nomination_act"),
    # issue 11: board — the operations room's board and the replay of the campaign day by day
    path("dot/<slug:code>/bang-tin/", board.board, name="board"),
    path("dot/<slug:code>/bang-tin/cap-nhat/", board.board_live, name="board_live"),
    path("dot/<slug:code>/dien-bien/", board.replay, name="replay"),
    path("dot/<slug:code>/dien-bien/ngay/", board.replay_fragment, name="replay_day"),
    # end board
    # issue 11: planner
    path("dot/<slug:code>/ho-tro/", support.support_plan, name="support_plan"),
    path("dot/<slug:code>/ho-tro/ap-dung/", support.support_apply, name="support_apply"),
    path("dot/<slug:code>/ho-tro/<int:pk>/ket-thuc/", support.support_end, name="support_end"),
    # end planner
    # issue 11: coverage
    path("dot/<slug:code>/do-phu/", coverage.coverage, name="coverage"),
    path("dot/<slug:code>/do-phu/do-phu.xlsx", coverage.coverage_xlsx, name="coverage_xlsx"),
    path("dot/<slug:code>/su-dung-may/", coverage.machine_use_page, name="machine_use"),
    path("dot/<slug:code>/su-dung-may/su-dung-may.xlsx", coverage.machine_use_xlsx, name="machine_use_xlsx"),
    path("dot/<slug:code>/chua-bao-cao/", coverage.not_reported, name="not_reported"),
    # end coverage
]
