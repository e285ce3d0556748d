"""SQL of dashboard sign-in throttling: attempts per subject (an email, a viewer address).

An attempt is counted *before* its password is checked, by one statement that also decides whether
it may be checked at all, so concurrent attempts cannot all pass a check made before any of them is
counted. A right password then gives its attempt back.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from psycopg.rows import class_row

from gateway.adapters.postgres import Tx


class Subject(NamedTuple):
    key: str  # "email:…" or "address:…"
    lock_at: int  # the attempt that reaches this count in one window starts a lockout


class _Counted(NamedTuple):
    """A subject as its attempt found it: whether a lockout was running, and for how long still."""

    locked: bool
    seconds: Decimal  # extract(epoch …) is numeric


_COUNTED = class_row(_Counted)


def reserve(tx: Tx, subjects: list[Subject], window_seconds: int, lockout_seconds: int) -> float:
    """Counts one attempt for every subject and returns how long the longest lockout that was
    already running still runs (0: the attempt may check its password).

    The rows are created first, then updated under their row locks by one UPDATE that reads each
    row's previous lockout from a locking subquery: attempts to one email wait for each other there,
    and each sees the count the one before it left. A locked subject's row is left as it is."""
    keys = [subject.key for subject in subjects]
    tx.execute(
        "INSERT INTO sign_in_failures (subject, failures, first_failed_at)"
        " SELECT unnest(%s::text[]), 0, now() ON CONFLICT (subject) DO NOTHING",
        (keys,),
    )
    rows = tx.all_as(
        _COUNTED,
        "UPDATE sign_in_failures AS f SET"
        "  failures = CASE WHEN was.locked THEN f.failures"
        "   WHEN f.first_failed_at < now() - make_interval(secs => %(window)s) THEN 1 ELSE f.failures + 1 END,"
        "  first_failed_at = CASE WHEN was.locked THEN f.first_failed_at"
        "   WHEN f.first_failed_at < now() - make_interval(secs => %(window)s) THEN now() ELSE f.first_failed_at END,"
        "  locked_until = CASE WHEN was.locked THEN f.locked_until"
        "   WHEN f.first_failed_at >= now() - make_interval(secs => %(window)s) AND f.failures + 1 >= limits.lock_at"
        "   THEN now() + make_interval(secs => %(lockout)s) ELSE NULL END"
        " FROM (SELECT subject, coalesce(locked_until > now(), false) AS locked,"
        "   greatest(extract(epoch FROM locked_until - now()), 0) AS seconds"
        "   FROM sign_in_failures WHERE subject = ANY(%(keys)s) FOR UPDATE) AS was,"
        "  unnest(%(keys)s::text[], %(lock_ats)s::int[]) AS limits(subject, lock_at)"
        " WHERE f.subject = was.subject AND f.subject = limits.subject"
        " RETURNING was.locked, was.seconds",
        {
            "keys": keys,
            "lock_ats": [subject.lock_at for subject in subjects],
            "window": window_seconds,
            "lockout": lockout_seconds,
        },
    )
    return max((float(row.seconds) for row in rows if row.locked), default=0.0)


def give_back(tx: Tx, subject: Subject) -> None:
    """A right password's attempt is no failure: uncounted, and the lockout it started (by reaching
    the count) undone."""
    tx.execute(
        "UPDATE sign_in_failures SET failures = greatest(failures - 1, 0),"
        " locked_until = CASE WHEN failures - 1 < %s THEN NULL ELSE locked_until END WHERE subject = %s",
        (subject.lock_at, subject.key),
    )


def clear(tx: Tx, subject: Subject) -> None:
    tx.execute("DELETE FROM sign_in_failures WHERE subject = %s", (subject.key,))
