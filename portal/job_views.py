"""The pages of a background job: live progress, the results, and their CSV."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse

from portal.engine import DOMAIN_ADMINS
from portal.jobs import job_check, job_progress
from portal.models import Job
from portal.navigation import Crumb


def _job_for(request: HttpRequest, job_id) -> Job:
    """The job, if the user started it or is a DomainAdmin; otherwise 404 (its existence is private)."""
    job = Job.objects.filter(pk=job_id).select_related("created_by").first()
    if job is None:
        raise Http404("No such job.")
    if job.created_by_id != request.user.pk and not request.user.groups.filter(name=DOMAIN_ADMINS).exists():
        raise Http404("No such job.")
    return job


@login_required
def job_detail(request: HttpRequest, job_id) -> HttpResponse:
    """Progress while the job runs, then its summary and per-row results; what happened when a
    worker running it stopped. A job whose worker died is recovered on load (resumed or failed)."""
    job = job_check(_job_for(request, job_id))
    job.done, job.total = job_progress(job)
    status = request.GET.get("status", "")
    items = job.items.all()
    if status:
        items = items.filter(status=status)
    page = Paginator(items, 100).get_page(request.GET.get("page"))
    statuses = job.items.order_by("status").values_list("status", flat=True).distinct()
    crumbs = [Crumb("Home", reverse("home")), Crumb(job.title or f"Job {job.pk}")]
    return render(
        request,
        "portal/job.html",
        {"job": job, "page": page, "status": status, "statuses": statuses, "crumbs": crumbs},
    )


@login_required
def job_status(request: HttpRequest, job_id) -> JsonResponse:
    """The job's progress as JSON (polled by the job page); a job whose worker died is recovered
    here too (resumed or marked failed)."""
    job = job_check(_job_for(request, job_id))
    job.done, job.total = job_progress(job)
    return JsonResponse(
        {
            "status": job.status,
            "done": job.done,
            "total": job.total,
            "percent": job.percent,
            "finished": job.finished,
            "summary": job.summary,
            "error": job.error,
            "interruptions": job.interruption_lines,
        }
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def job_results_csv(request: HttpRequest, job_id) -> StreamingHttpResponse:
    """Every result row as CSV, streamed."""
    job = _job_for(request, job_id)
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(["line", "status", "subject", "message"])
        for item in job.items.all().iterator(chunk_size=2000):
            yield writer.writerow([item.line, item.status, item.subject, item.message])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{job.kind}-{job.pk}.csv"'
    return response
