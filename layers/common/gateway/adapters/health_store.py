"""SQL of the health check and the job counts."""

from __future__ import annotations

from typing import NamedTuple

from psycopg.rows import class_row

from gateway.adapters.postgres import Tx


class JobCounts(NamedTuple):
    pending: int
    processing: int
    completed: int
    failed: int


_JOB_COUNTS = class_row(JobCounts)


def ping(tx: Tx) -> None:
    tx.one("SELECT 1")


def job_counts(tx: Tx) -> JobCounts:
    row = tx.one_as(
        _JOB_COUNTS,
        "SELECT"
        " (SELECT count(*) FROM payments WHERE status = 'pending')"
        "   + (SELECT count(*) FROM refunds WHERE status = 'pending')"
        "   + (SELECT count(*) FROM webhook_logs WHERE status = 'pending') AS pending,"
        " (SELECT count(*) FROM payments WHERE status = 'processing') AS processing,"
        " (SELECT count(*) FROM payments WHERE status IN ('success', 'failed'))"
        "   + (SELECT count(*) FROM refunds WHERE status = 'processed')"
        "   + (SELECT count(*) FROM webhook_logs WHERE status IN ('success', 'skipped')) AS completed,"
        " (SELECT count(*) FROM webhook_logs WHERE status = 'failed') AS failed",
    )
    assert row is not None
    return row
