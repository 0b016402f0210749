"""Results: run records with their test predictions (``records``, ``predictions``), summary tables and plots
(``report``), paired statistics (``stats``, ``compare``), the test-access ledger (``ledger``) and figures
published elsewhere (``published``)."""

from __future__ import annotations

from .ledger import log_test_access, read_ledger
from .predictions import decode_predictions, encode_predictions
from .records import append_record, config_hash, environment, read_records, record_key

__all__ = ["config_hash", "environment", "append_record", "read_records", "record_key", "encode_predictions",
           "decode_predictions", "log_test_access", "read_ledger"]
