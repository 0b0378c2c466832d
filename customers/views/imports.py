"""The bulk import page: a CSV or LDIF file of users, run as a background job."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from customers.bulk import import_file_check
from customers.forms import ImportForm
from customers.jobs import uploads_dir
from portal.errors import PortalError
from portal.jobs import job_start


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload a CSV or LDIF file of users; the import runs as a background job whose page shows
    its progress live and then each row's result (downloadable as CSV)."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            import_file_check(upload.file, upload.name)
        except PortalError as err:
            form.add_error("file", err.text)
        else:
            stored = uploads_dir() / f"{uuid.uuid4().hex}{Path(upload.name).suffix.lower()[:8]}"
            with open(stored, "wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            job = job_start(
                "users-import",
                user=request.user,
                params={"path": str(stored), "name": upload.name},
                title=f"Import of {upload.name}",
            )
            return redirect("job", job.pk)
    return render(request, "customers/import_form.html", {"form": form})
