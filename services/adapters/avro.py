"""Avro single-object encoding (C3 01 + 8-byte CRC-64-AVRO fingerprint + body).

Every `.avsc` under schemas/ is a known writer schema, found by fingerprint. The
highest `splitbook.version` of each record name is the reader schema, so messages
from producers on older or newer compatible versions resolve into the current shape.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastavro
from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

from services.adapters import avro_codec
from services.domain.errors import Reason, Rejected

MAGIC = b"\xc3\x01"
HEADER_LEN = 10
SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"


@dataclass(frozen=True)
class KnownSchema:
    name: str  # unqualified record name, e.g. "OrderCaptured"
    version: int
    fingerprint: bytes  # 8 bytes, little-endian CRC-64-AVRO
    parsed: Any
    path: Path
    read: Callable[[bytes, int], tuple[dict, int]]  # (data, offset) -> (record, offset after it)
    write: Callable[[dict], bytes]

    def __reduce__(self):  # to a helper process: loaded again there (compiled functions do not pickle)
        return _load, (self.path,)


def _load(path: Path) -> KnownSchema:
    raw = json.loads(path.read_text())
    parsed = parse_schema(raw, named_schemas={})
    fp = bytes.fromhex(fingerprint(to_parsing_canonical_form(raw), "CRC-64-AVRO"))

    def fastavro_read(data: bytes, offset: int) -> tuple[dict, int]:
        buf = io.BytesIO(data)
        buf.seek(offset)
        return fastavro.schemaless_reader(buf, parsed, None), buf.tell()

    def fastavro_write(record: dict) -> bytes:
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, parsed, record)
        return buf.getvalue()

    read, write = avro_codec.native(raw, avro_codec.compile_reader(raw), avro_codec.compile_writer(raw))
    return KnownSchema(raw["name"], int(raw.get("splitbook.version", 1)), fp, parsed, path,
                       read or fastavro_read, write or fastavro_write)


class SchemaRegistry:
    """The schemas this build knows, from files; no registry server."""

    def __init__(self, schemas: list[KnownSchema], readers: dict[str, int] | None = None):
        """readers pins the reader version of a record (default: the highest known), e.g. a
        consumer built for v2 that already knows a producer's v3 writer schema."""
        self._by_fp = {s.fingerprint: s for s in schemas}
        self._latest: dict[str, KnownSchema] = {}
        for s in schemas:
            cur = self._latest.get(s.name)
            if cur is None or s.version > cur.version:
                self._latest[s.name] = s
        for name, version in (readers or {}).items():
            self._latest[name] = self.version(name, version)

    @classmethod
    def from_dir(cls, *directories: Path, readers: dict[str, int] | None = None) -> "SchemaRegistry":
        dirs = directories or (SCHEMAS_DIR,)
        return cls([_load(p) for d in dirs for p in sorted(d.rglob("*.avsc"))], readers)

    def latest(self, name: str) -> KnownSchema:
        return self._latest[name]

    def version(self, name: str, version: int) -> KnownSchema:
        for s in self._by_fp.values():
            if s.name == name and s.version == version:
                return s
        raise KeyError(f"{name} v{version}")

    def encode(self, name: str, record: dict, version: int | None = None) -> bytes:
        return self.encoder(name, version)(record)

    def encoder(self, name: str, version: int | None = None) -> Callable[[dict], bytes]:
        """record -> single-object encoded bytes, the schema looked up once (for loops)."""
        schema = self.latest(name) if version is None else self.version(name, version)
        header, write = MAGIC + schema.fingerprint, schema.write
        return lambda record: header + write(record)

    def decode(self, data: bytes | None) -> tuple[str, dict]:
        """-> (record name, record in the reader's shape). Raises Rejected(SCHEMA_INVALID)."""
        if data is None or len(data) < HEADER_LEN or data[:2] != MAGIC:
            raise Rejected(Reason.SCHEMA_INVALID, "not Avro single-object encoded (no C3 01 header)")
        writer = self._by_fp.get(data[2:HEADER_LEN])
        if writer is None:
            raise Rejected(
                Reason.SCHEMA_INVALID, f"unknown writer schema fingerprint {data[2:HEADER_LEN].hex()}"
            )
        reader = self._latest[writer.name]
        try:
            if reader is writer:
                record, end = writer.read(data, HEADER_LEN)
            else:  # an older writer read into the newer reader's shape: fastavro resolves them
                buf = io.BytesIO(data)
                buf.seek(HEADER_LEN)
                record, end = fastavro.schemaless_reader(buf, writer.parsed, reader.parsed), buf.tell()
        except Exception as e:  # corrupt or unresolvable input raises many types
            raise Rejected(
                Reason.SCHEMA_INVALID, f"{writer.name} v{writer.version}: {type(e).__name__}: {e}"
            ) from e
        if end != len(data):
            raise Rejected(Reason.SCHEMA_INVALID, f"{len(data) - end} trailing bytes after record")
        return writer.name, record
