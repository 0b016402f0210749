"""Results: run records with their test predictions (``records``, ``predictions``), summary tables and plots
(``report``), paired statistics (``stats``, ``compare``), the test-access ledger (``ledger``) and figures
published elsewhere (``published``). Only the light modules are imported here: listing commands read
``published`` without loading NumPy."""

from __future__ import annotations

from .ledger import log_test_access, read_ledger
from .records import append_record, config_hash, environment, read_records, record_key

__all__ = ["config_hash", "environment", "append_record", "read_records", "record_key", "log_test_access",
           "read_ledger"]
