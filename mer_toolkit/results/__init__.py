"""Results: run records (``records``), summary tables and plots (``report``), paired statistics (``stats``) and
figures published elsewhere (``published``)."""

from __future__ import annotations

from .records import append_record, config_hash, environment, read_records, record_key

__all__ = ["config_hash", "environment", "append_record", "read_records", "record_key"]
