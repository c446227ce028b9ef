"""Quotes kept as records: one table ``quotes`` in the run store's SQLite database.

Each quote has an id (``q<YYYYMMDD-HHMMSS-6 hex>``), the plan run it was made on, that run's
scenario name, the request and the answer (JSON, :class:`fabnet.quote.QuoteAnswer`), a status
and its times. The arrival order (``seq``) is the order quotes consume a plan's
available-to-promise.

Statuses: ``proposed`` (made, not yet taken: it holds its supply on its plan run), ``accepted``
(a contract: later plans made with :func:`fabnet.quote.scenario_with_quotes` honour it) and
``expired`` (released). A proposed quote may be accepted or expired; an accepted one may be
expired (the contract is cancelled); an expired one stays expired. A quote that promises nothing
cannot be accepted.

The table is created on first use (``CREATE TABLE IF NOT EXISTS``), beside the store's own
tables; the store's schema version is not changed.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from fabnet.errors import StoreError, UsageError
from fabnet.quote import QuoteAnswer
from fabnet.store._db import transaction
from fabnet.store._ids import new_run_id
from fabnet.store.records import utc_now_iso
from fabnet.store.store import RunStore

__all__ = ["QUOTE_STATUSES", "QuoteRecord", "QuoteStatus", "QuoteStore"]

QuoteStatus = Literal["proposed", "accepted", "expired"]
QUOTE_STATUSES: tuple[QuoteStatus, ...] = ("proposed", "accepted", "expired")
_MOVES: dict[str, tuple[str, ...]] = {
    "proposed": ("accepted", "expired"),
    "accepted": ("expired",),
    "expired": (),
}
_ID_PREFIX = re.compile(r"^q?[0-9a-f-]{1,22}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS quotes (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL UNIQUE,
    plan_run       TEXT NOT NULL,
    scenario_name  TEXT NOT NULL DEFAULT '',
    buyer          TEXT NOT NULL,
    product        TEXT NOT NULL,
    quantity       REAL NOT NULL,
    mode           TEXT NOT NULL CHECK (mode IN ('atp', 'ctp')),
    status         TEXT NOT NULL CHECK (status IN ('proposed', 'accepted', 'expired')),
    answer_json    TEXT NOT NULL,
    created        TEXT NOT NULL,
    updated        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS quotes_by_run ON quotes (plan_run, seq);
CREATE INDEX IF NOT EXISTS quotes_by_scenario ON quotes (scenario_name, status)
"""


@dataclass(frozen=True)
class QuoteRecord:
    """One stored quote (``answer.request`` is the request)."""

    id: str
    seq: int
    plan_run: str
    scenario_name: str
    status: QuoteStatus
    created: str
    updated: str
    answer: QuoteAnswer

    @property
    def mode(self) -> str:
        """``ctp`` when the answer has a capable-to-promise part, else ``atp``."""
        return "ctp" if self.answer.ctp is not None else "atp"

    def to_dict(self) -> dict[str, Any]:
        """JSON form: the answer's keys (``atp``, ``promised_quantity``, ``complete_by``,
        ``ctp`` …) plus ``id``, ``status``, ``plan_run``, ``scenario``, ``created``, ``updated``."""
        return {
            "id": self.id,
            "status": self.status,
            "plan_run": self.plan_run,
            "scenario": self.scenario_name,
            "mode": self.mode,
            "created": self.created,
            "updated": self.updated,
            **self.answer.to_dict(),
        }

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> QuoteRecord:
        return cls(
            id=row["id"],
            seq=int(row["seq"]),
            plan_run=row["plan_run"],
            scenario_name=row["scenario_name"],
            status=cast(QuoteStatus, row["status"]),
            created=row["created"],
            updated=row["updated"],
            answer=QuoteAnswer.from_dict(json.loads(row["answer_json"])),
        )


class QuoteStore:
    """The quotes of a :class:`RunStore` (same database file, own table).

    Example::

        quotes = QuoteStore(RunStore())
        rec = quotes.add(run_id, "ai-fab-network-2024", answer)   # status 'proposed'
        quotes.accept(rec.id)
        quotes.list(plan_run=run_id)                              # arrival order
    """

    def __init__(self, store: RunStore):
        self.store = store
        with store._connect() as conn:
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'quotes'"
            ).fetchone()
        if found:
            return
        with store._connect() as conn, transaction(conn):
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)

    # -- writing ----------------------------------------------------------------------------
    def add(
        self, plan_run: str, scenario_name: str, answer: QuoteAnswer, status: str = "proposed"
    ) -> QuoteRecord:
        """Keep a new quote; returns its record."""
        return self.add_many(plan_run, scenario_name, [answer], status)[0]

    def add_many(
        self,
        plan_run: str,
        scenario_name: str,
        answers: Iterable[QuoteAnswer],
        status: str = "proposed",
    ) -> list[QuoteRecord]:
        """Keep several quotes in arrival order, in one transaction (a batch)."""
        if status not in ("proposed", "accepted"):
            raise UsageError(f"a new quote is 'proposed' or 'accepted' (got {status!r})")
        answers = list(answers)
        if status == "accepted":
            for answer in answers:
                _check_acceptable(answer, "new quote")
        now = utc_now_iso()
        ids: list[str] = []
        with self.store._connect() as conn, transaction(conn):
            for answer in answers:
                req = answer.request
                text = json.dumps(answer.to_dict())
                for _attempt in range(20):
                    quote_id = "q" + new_run_id()
                    try:
                        conn.execute(
                            "INSERT INTO quotes (id, plan_run, scenario_name, buyer, product, "
                            "quantity, mode, status, answer_json, created, updated) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (
                                quote_id,
                                plan_run,
                                scenario_name,
                                req.buyer,
                                req.product,
                                req.quantity,
                                "ctp" if answer.ctp is not None else "atp",
                                status,
                                text,
                                now,
                                now,
                            ),
                        )
                    except sqlite3.IntegrityError:
                        continue  # the same id drawn twice in one second: draw again
                    ids.append(quote_id)
                    break
                else:
                    raise StoreError("could not draw a unique quote id after 20 attempts")
        return [self.get(i) for i in ids] if len(ids) < 20 else self._many(ids)

    def set_status(self, quote_id: str, status: str) -> QuoteRecord:
        """Move a quote to ``accepted`` or ``expired`` (see the module docstring)."""
        if status not in QUOTE_STATUSES:
            raise UsageError(f"status must be one of {', '.join(QUOTE_STATUSES)} (got {status!r})")
        record = self.get(quote_id)
        if status == record.status:
            return record
        if status not in _MOVES[record.status]:
            raise UsageError(
                f"quote {record.id} is {record.status}; it cannot become {status} "
                f"(allowed: {', '.join(_MOVES[record.status]) or 'nothing'})"
            )
        if status == "accepted":
            _check_acceptable(record.answer, f"quote {record.id}")
        with self.store._connect() as conn, transaction(conn):
            conn.execute(
                "UPDATE quotes SET status = ?, updated = ? WHERE id = ?",
                (status, utc_now_iso(), record.id),
            )
        return self.get(record.id)

    def accept(self, quote_id: str) -> QuoteRecord:
        """Accept a proposed quote: it becomes a contract."""
        return self.set_status(quote_id, "accepted")

    def expire(self, quote_id: str) -> QuoteRecord:
        """Release a quote's supply (and cancel it if it was accepted)."""
        return self.set_status(quote_id, "expired")

    # -- reading ----------------------------------------------------------------------------
    def get(self, quote_id: str) -> QuoteRecord:
        """The quote with this id or a unique prefix of it."""
        text = str(quote_id).strip().lower()
        if not _ID_PREFIX.match(text):
            raise StoreError(f"no quote with id {quote_id!r}; `fabnet quotes list` shows them")
        if not text.startswith("q"):
            text = "q" + text
        with self.store._connect() as conn:
            rows = conn.execute(
                "SELECT * FROM quotes WHERE substr(id, 1, ?) = ? ORDER BY seq LIMIT 6",
                (len(text), text),
            ).fetchall()
        exact = [r for r in rows if r["id"] == text]
        if exact:
            return QuoteRecord.from_row(exact[0])
        if not rows:
            raise StoreError(
                f"no quote with id {quote_id!r} in {self.store.home}; "
                "`fabnet quotes list` shows them"
            )
        if len(rows) > 1:
            shown = ", ".join(r["id"] for r in rows[:5])
            raise StoreError(f"quote id prefix {quote_id!r} is ambiguous: it matches {shown}")
        return QuoteRecord.from_row(rows[0])

    def _many(self, ids: Sequence[str]) -> list[QuoteRecord]:
        with self.store._connect() as conn:
            rows = conn.execute(
                "SELECT * FROM quotes WHERE seq >= (SELECT seq FROM quotes WHERE id = ?) "
                "ORDER BY seq",
                (ids[0],),
            ).fetchall()
        wanted = set(ids)
        return [QuoteRecord.from_row(r) for r in rows if r["id"] in wanted]

    def list(
        self,
        plan_run: str | None = None,
        scenario_name: str | None = None,
        status: str | Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[QuoteRecord]:
        """Quotes in arrival order, filtered by plan run, scenario and status(es)."""
        where, params = [], []
        if plan_run is not None:
            where.append("plan_run = ?")
            params.append(plan_run)
        if scenario_name is not None:
            where.append("scenario_name = ?")
            params.append(scenario_name)
        if status is not None:
            statuses = [status] if isinstance(status, str) else list(status)
            bad = [s for s in statuses if s not in QUOTE_STATUSES]
            if bad:
                raise UsageError(
                    f"status must be one of {', '.join(QUOTE_STATUSES)} (got {', '.join(bad)})"
                )
            where.append(f"status IN ({', '.join('?' * len(statuses))})")
            params.extend(statuses)
        sql = "SELECT * FROM quotes" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY seq"
        if limit is not None:
            if limit < 1:
                raise UsageError(f"limit must be at least 1 (got {limit})")
            sql = f"SELECT * FROM ({sql} DESC LIMIT {int(limit)}) ORDER BY seq"
        with self.store._connect() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [QuoteRecord.from_row(r) for r in rows]


def _check_acceptable(answer: QuoteAnswer, what: str) -> None:
    if not any(line.quantity > 0 for line in answer.lines):
        raise UsageError(
            f"{what} promises nothing (promised quantity 0"
            + ("; the buyer's max price is below the price" if not answer.atp.price_ok else "")
            + "): there is nothing to accept"
        )
