"""Transactions (and batches) capped at MAX_ENTRIES entries: larger ones refused with 400 + OperationOutcome."""

from __future__ import annotations

from ..errors import issue, operation_outcome
from ..rest import Answer
from .base import Behaviour, Call, Variant

MAX_ENTRIES = 50


class CappedTransactions(Behaviour):
    async def before(self, call: Call) -> Answer | None:
        if call.method != "POST" or call.path not in ("", "/"):
            return None
        body = await call.json()
        entries = body.get("entry") if isinstance(body, dict) else None
        if isinstance(entries, list) and len(entries) > MAX_ENTRIES:
            text = (f"a {body.get('type', 'Bundle')} of {len(entries)} entries exceeds this server's limit of "
                    f"{MAX_ENTRIES} entries per Bundle")
            return Answer(400, operation_outcome(issue("error", "too-costly", text)))
        return None


TRANSACTIONS_CAPPED = Variant(
    "transactions-capped-50",
    f"transaction and batch Bundles of more than {MAX_ENTRIES} entries are refused (400 + OperationOutcome)",
    "R4 http.html#transaction: a server may refuse a transaction it cannot process, with an OperationOutcome",
    CappedTransactions,
)
