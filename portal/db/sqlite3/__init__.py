"""SQLite with transactions that take the write lock at their first statement (``base.py``)."""
