"""The durable journal of directory intent: one row per batch that wrote to the directory, and
its steps (``portal/engine/journal.py`` says how they are written and repaired)."""

from __future__ import annotations

from django.db import models


class JournalBatch(models.Model):
    """A batch that wrote (or was about to write) to the directory and has not been known to end
    well yet. A batch that commits deletes its row; a row that stays is repaired by the directory
    recovery (``Portal::DirectoryRecover``)."""

    class State(models.TextChoices):
        #: running, or its process died before it ended (the recovery looks at its owner)
        OPEN = "open"
        #: ended without finishing: an undo failed, the commit was lost; waits for the recovery
        REPAIR = "repair"
        #: the recovery finished it (kept for the record)
        REPAIRED = "repaired"

    id = models.UUIDField(primary_key=True, help_text="The batch's id (AuditRecord.batch).")
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN, db_index=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(help_text="The batch's last journal write or repair attempt.")
    door = models.CharField(max_length=32)
    caller = models.CharField(max_length=150)
    procedure = models.CharField(max_length=260, help_text="The batch's first call.")
    owner_host = models.CharField(max_length=255)
    owner_pid = models.PositiveIntegerField()
    owner_started = models.CharField(max_length=32, help_text="When the owner process started (its id).")
    rolled_back = models.BooleanField(
        null=True, help_text="Whether the database transaction is known to have rolled back."
    )
    audit = models.JSONField(
        null=True, blank=True, help_text="The batch's audit records, when they could not be written."
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    outcome = models.JSONField(default=list, blank=True, help_text="What the undo and the recovery did.")
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = "directory batch"
        verbose_name_plural = "directory batches"

    def __str__(self) -> str:
        return f"{self.procedure} by {self.caller} ({self.state})"


class JournalChunk(models.Model):
    """What one journal write added to a batch: undo steps (before their directory write), steps
    withdrawn (writes the server refused), GUIDs learned, and the calls started since."""

    batch = models.ForeignKey(JournalBatch, on_delete=models.CASCADE, related_name="chunks")
    sequence = models.PositiveIntegerField()
    steps = models.JSONField(default=list)
    withdrawn = models.JSONField(default=list)
    learned = models.JSONField(default=dict)
    calls = models.JSONField(default=list)

    class Meta:
        ordering = ["batch", "sequence"]
        constraints = [models.UniqueConstraint(fields=["batch", "sequence"], name="journal_chunk_once")]

    def __str__(self) -> str:
        return f"{self.batch_id} #{self.sequence}: {len(self.steps)} step(s)"
