from django.urls import path

from rewardshub.patients import views_audit as views

# The Audit log page reads the audit trail and names patients, so it lives above
# both; the "audit" namespace and the audit/ address stay.
app_name = "audit"
urlpatterns = [
    path("", views.audit_log, name="log"),
]
