"""Models every app shares: the portal user, the append-only audit record, and the base of every
row that names a directory object (with the one scope filter of the portal)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from portal.directory import dn_key, dn_to_path


class RestrictedQuerySet(models.QuerySet):
    """A queryset that knows where its rows sit in the hosting tree.

    The model names, in ``scope_field``, the lookup of the ``dn_key`` its rows are placed by (its
    own, or that of a row it belongs to: ``account__customer_record__dn_key``).
    :meth:`restrict` is the one scope filter of the portal (as NetBox's ``restrict(user)``):
    every scoped list starts from it.
    """

    def _within(self, dn: str) -> models.Q:
        field = self.model.scope_field
        key = dn_key(dn)
        return models.Q(**{field: key}) | models.Q(**{f"{field}__endswith": "," + key})

    def restrict(self, caller) -> RestrictedQuerySet:
        """Rows inside ``caller``'s scope (its organization and everything below it); none for a
        caller whose scope is empty or who holds no role (docs/security.md, "Who reads what")."""
        if caller.read_scope_dn is None:
            return self.none()
        return self.filter(self._within(caller.read_scope_dn))

    def below(self, dn: str) -> RestrictedQuerySet:
        """Rows of the object at ``dn`` and of every object below it."""
        return self.filter(self._within(dn))

    def at_path(self, dn: str) -> RestrictedQuerySet:
        """Rows of the object at ``dn`` (letter case ignored)."""
        return self.filter(**{self.model.scope_field: dn_key(dn)})


class DirectoryLinked(models.Model):
    """A row that names a directory object: where it was last seen (``dn``) and the normalized
    form (``dn_key``) that lookups and the scope filter compare without regard to letter case."""

    dn = models.CharField("distinguished name (last seen)", max_length=1024)
    dn_key = models.CharField(max_length=1024, db_index=True, editable=False)

    objects = RestrictedQuerySet.as_manager()
    scope_field = "dn_key"

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        self.dn_key = dn_key(self.dn)
        super().save(*args, **kwargs)

    @property
    def path(self) -> str:
        """The ``LDAP://`` path where the object was last seen."""
        return dn_to_path(self.dn)


class User(AbstractUser):
    """A person or system that logs in; directory users carry the DN of their entry.

    The DN is kept at each login (``portal.auth.DirectoryBackend``); the caller's scope is derived
    from it, never stored separately, so that moving the entry moves the scope.
    """

    directory_dn = models.CharField(max_length=1024, blank=True, default="")


class AuditRecordQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Audit records are append-only.")

    def delete(self):
        raise TypeError("Audit records are append-only.")


class AuditRecord(models.Model):
    """One procedure call, succeeded or failed: who, as whom, what, with which input and result.

    Append-only: a saved record is never changed or deleted (``save`` of an existing row and
    ``delete`` raise). Secret arguments are masked (``***``) before they get here. Nested calls
    point at the call that made them; the calls of one request share ``batch``.
    """

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        ROLLED_BACK = "rolled back"

    batch = models.UUIDField(db_index=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="nested")
    sequence = models.PositiveIntegerField(help_text="Order of the call within its batch.")
    started_at = models.DateTimeField(db_index=True)
    duration_ms = models.DecimalField(max_digits=12, decimal_places=3)
    door = models.CharField(max_length=32)
    caller = models.CharField(max_length=150, db_index=True)
    caller_dn = models.CharField(max_length=1024, blank=True)
    acting_as = models.CharField(max_length=150)
    impersonate = models.PositiveSmallIntegerField()
    namespace = models.CharField(max_length=128)
    procedure = models.CharField(max_length=128)
    input = models.JSONField(default=dict)
    output = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    error_code = models.CharField(max_length=10, blank=True)
    error_text = models.TextField(blank=True)
    undo_log = models.JSONField(default=list, blank=True, help_text="Directory writes undone.")
    subject = models.CharField(
        max_length=1024, blank=True, db_index=True, help_text="Normalized DN the call named first."
    )

    objects = AuditRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["namespace", "procedure"])]

    def __str__(self) -> str:
        return f"{self.namespace}::{self.procedure} by {self.caller} ({self.status})"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise TypeError("Audit records are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit records are append-only.")

    @property
    def name(self) -> str:
        """``Namespace::Procedure``."""
        return f"{self.namespace}::{self.procedure}"

    @property
    def subject_label(self) -> str:
        """The name of the object the call was about, as the caller spelled it."""
        if not self.subject:
            return ""
        if "=" not in self.subject:
            return self.subject.split(":", 1)[-1]
        from portal.directory import dn_key, dn_rdn_value, path_to_dn

        for value in (self.input or {}).values():
            if isinstance(value, str) and "=" in value:
                try:
                    dn = path_to_dn(value)
                    if dn_key(dn) == self.subject:
                        return dn_rdn_value(dn)
                except Exception:  # noqa: S112 - not a DN: look further
                    continue
        return dn_rdn_value(self.subject)


class Job(models.Model):
    """Long work (a bulk import, a bill run) that runs in the background with visible progress.

    A job is created by a door and run by the task runner (``portal.jobs``); the work itself runs
    through the engine as the user who started it. Progress (``done`` of ``total``) is written as
    the job goes; ``items`` hold its per-row results.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        #: it ran to its end, but some of its result rows failed (``error`` says how many)
        PARTLY_FAILED = "partly failed"
        FAILED = "failed"

    #: the statuses of a job that has ended
    ENDED = (Status.SUCCEEDED, Status.PARTLY_FAILED, Status.FAILED)

    id = models.UUIDField(primary_key=True, editable=False)
    kind = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    params = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="jobs")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The lease of the worker running the job (``portal.jobs``): who holds it ("host pid start"),
    # when it last said so, and until when it holds it without saying so again.
    owner = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Times a worker started the job.")
    interruptions = models.TextField(
        blank=True, help_text="What happened when a worker running the job stopped, in words, one line each."
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "lease_until"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"

    @property
    def percent(self) -> int:
        """Progress in whole percent (100 when finished)."""
        if self.status in self.ENDED:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in self.ENDED

    @property
    def interruption_lines(self) -> list[str]:
        """Each time a worker running the job stopped, and what was done about it."""
        return [line for line in self.interruptions.splitlines() if line.strip()]


class JobItem(models.Model):
    """One result row of a job: a line of an imported file, an account of a bill run."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="items")
    line = models.PositiveIntegerField()
    status = models.CharField(max_length=16)
    subject = models.CharField(max_length=1024, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["line", "id"]
        indexes = [models.Index(fields=["job", "status"])]

    def __str__(self) -> str:
        return f"{self.line}: {self.status}"
