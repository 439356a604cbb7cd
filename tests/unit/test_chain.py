"""The hash chain's canonical lines: COPY text that any field's content survives."""

import json
import uuid
from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from services.adapters.postgres.chain import GENESIS, head, link, posting_lines
from services.domain.journal import Posting, Transaction, transaction_id_for

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)
_UNESCAPE = {"\\\\": "\\", "\\t": "\t", "\\n": "\n", "\\r": "\r"}


def copy_fields(line: str) -> list[str | None]:
    """Parse one line of COPY text the way PostgreSQL does (tab-separated, \\N, escapes)."""
    out: list[str | None] = []
    for raw in line.split("\t"):
        if raw == "\\N":
            out.append(None)
            continue
        text, i = [], 0
        while i < len(raw):
            if raw[i] == "\\":
                text.append(_UNESCAPE[raw[i:i + 2]])
                i += 2
            else:
                text.append(raw[i])
                i += 1
        out.append("".join(text))
    return out


def txn(event_id: str, order_id: str | None, note: str, account: str) -> Transaction:
    return Transaction(transaction_id_for(event_id), "adjustment", event_id, T0,
                       (Posting(account, "BRL", 150), Posting("ops:pool:pix", "BRL", -150)),
                       order_id=order_id, metadata={"note": note, "by": "ana"})


texts = st.text(alphabet=st.sampled_from("ab\\\t\n\r\"ç{}N "), min_size=1, max_size=12)


@given(texts, st.one_of(st.none(), texts), texts, texts)
def test_every_field_reads_back_as_it_was(event_id, order_id, note, account):
    t = txn(event_id, order_id, note, account)
    fields = copy_fields(head(7, t, b"\x01" * 32))
    assert len(fields) == 10
    assert fields[0] == "7" and fields[1] == str(t.transaction_id) and fields[2] == "adjustment"
    assert fields[3] == event_id and fields[5] == order_id and fields[6] is None and fields[7] is None
    assert fields[4] == "\\x" + "01" * 32
    assert datetime.fromisoformat(fields[8]) == T0
    assert fields[9] == '{"by":"ana","note":' + json.dumps(note, ensure_ascii=False) + "}"
    lines = posting_lines(7, t)
    assert [copy_fields(ln.rstrip("\n")) for ln in lines] == [["7", account, "BRL", "150"],
                                                               ["7", "ops:pool:pix", "BRL", "-150"]]


def test_the_link_depends_on_content_not_on_posting_order_or_time_zone():
    t = txn("evt_1", "O_1", "x", "ops:bank:itau")
    same = Transaction(t.transaction_id, t.kind, t.event_id, T0.astimezone(timezone(timedelta(hours=-3))),
                       tuple(reversed(t.postings)), t.order_id, metadata=dict(reversed(list(t.metadata.items()))))
    assert link(GENESIS, 1, t, b"d" * 32) == link(GENESIS, 1, same, b"d" * 32)
    other = Transaction(t.transaction_id, t.kind, t.event_id, T0, t.postings, t.order_id,
                        metadata={**t.metadata, "note": "y"})
    assert link(GENESIS, 1, t, b"d" * 32) != link(GENESIS, 1, other, b"d" * 32)
    assert link(GENESIS, 1, t, b"d" * 32) != link(GENESIS, 2, t, b"d" * 32)
    assert link(GENESIS, 1, t, b"d" * 32) != link(bytes([1]) * 32, 1, t, b"d" * 32)
    assert uuid.UUID(str(t.transaction_id)).version == 5
