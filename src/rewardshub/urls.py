from django.urls import include, path

from rewardshub import views
from rewardshub.integrations.api import api
from rewardshub.monitoring import metrics, readiness

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", readiness.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("favicon.ico", views.favicon, name="favicon"),
    # First: the PMS calls it most, and every pattern before it is tried in turn.
    path("api/v1/", api.urls),
    path("", include("rewardshub.practices.urls")),
    path("", include("rewardshub.patients.urls_tags")),
    path("patients/", include("rewardshub.patients.urls")),
    path("patients/", include("rewardshub.merges.urls")),
    path("patients/", include("rewardshub.families.urls")),
    path("cards/", include("rewardshub.cards.urls")),
    path("audit/", include("rewardshub.patients.urls_audit")),
    path("", include("rewardshub.points.urls")),
    path("orders/", include("rewardshub.points.urls_orders")),
    path("reports/", include("rewardshub.points.urls_reports")),
    path("reports/automatic/", include("rewardshub.automations.urls_reports")),
    path("reports/campaigns/", include("rewardshub.campaigns.urls_reports")),
    path("reports/contests/", include("rewardshub.contests.urls_reports")),
    path("contests/", include("rewardshub.contests.urls")),
    path("reports/leads/", include("rewardshub.leads.urls_reports")),
    path("settings/prizes/", include("rewardshub.points.urls_prizes")),
    path("settings/campaigns/", include("rewardshub.campaigns.urls")),
    path("", include("rewardshub.automations.urls")),
    path("", include("rewardshub.integrations.urls")),
    path("portal/collect/", include("rewardshub.campaigns.urls_portal")),
    path("leads/", include("rewardshub.leads.urls")),
    path("portal/refer/", include("rewardshub.leads.urls_portal")),
    path("portal/mail/", include("rewardshub.notify.urls_portal")),
    path("portal/", include("rewardshub.branding.urls_portal")),
    path("portal/family/", include("rewardshub.families.urls_portal")),
    path("portal/", include("rewardshub.portal.urls")),
    path("mail/", include("rewardshub.notify.urls_public")),
    path("settings/jobs/", include("rewardshub.jobs.urls")),
    path("settings/branding/", include("rewardshub.branding.urls")),
    path("", include("rewardshub.notify.urls")),
]

handler400 = "rewardshub.views.bad_request"
handler404 = "rewardshub.views.not_found"
handler403 = "rewardshub.views.forbidden"
handler500 = "rewardshub.views.server_error"
