"""Settings > Background jobs: the practice's jobs that failed or wait to try again, with
their errors, and the recent ones (owners and admins)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from rewardshub.errors import ActionError
from rewardshub.jobs.actions import retry_now
from rewardshub.jobs.models import Job, JobStatus
from rewardshub.jobs.registry import label_for
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import SETTINGS_ROLES

PAGE_SIZE = 50
PROBLEMS = (JobStatus.FAILED, JobStatus.RETRY)


@require_GET
@staff_view(roles=SETTINGS_ROLES)
def job_list(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    show = "all" if request.GET.get("show") == "all" else "problems"
    jobs = Job.objects.filter(practice=hub.practice)
    problems = jobs.filter(status__in=PROBLEMS)
    page = Paginator(problems if show == "problems" else jobs, PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [{"job": job, "label": label_for(job.kind)} for job in page.object_list]
    context = {
        "nav": "settings",
        "section": "jobs",
        "show": show,
        "page": page,
        "rows": rows,
        "problem_count": problems.count(),
        "waiting_count": jobs.filter(status=JobStatus.QUEUED).count(),
    }
    return render(request, "jobs/settings_jobs.html", context)


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def job_retry(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    job = get_object_or_404(Job, practice=hub.practice, public_id=public_id)
    try:
        retry_now(practice=hub.practice, job=job, actor=hub.actor)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"“{label_for(job.kind)}” will be tried again as soon as a worker is free."
        )
    return redirect("jobs:list")
