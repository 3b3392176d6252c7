"""Shared test set-up: AWS credentials that reach nothing, and the service's table names."""

import os

# Set before any service module is imported: models read table names at import time.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_SESSION_TOKEN", "testing")
os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"] = "us-east-1"
os.environ["TABLE_NAME"] = "SegmentsTable"
os.environ["HISTORY_TABLE_NAME"] = "HistoryTable"
os.environ.pop("AWS_ENDPOINT_URL", None)
