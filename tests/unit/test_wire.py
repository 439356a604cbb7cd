"""Avro single-object encoding, fingerprints and schema resolution."""

import json
import struct

import pytest

from services.adapters.avro import SCHEMAS_DIR, SchemaRegistry
from services.domain.errors import Reason, Rejected
from tests.helpers import capture

REGISTRY = SchemaRegistry.from_dir()
EMPTY = 0xC15D213AA4D7A795


def crc64_avro(data: bytes) -> int:
    """The Avro spec's reference Rabin fingerprint, written independently of fastavro."""
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (EMPTY & -(fp & 1))
        table.append(fp)
    fp = EMPTY
    for b in data:
        fp = (fp >> 8) ^ table[(fp ^ b) & 0xFF]
    return fp


def test_header_is_c3_01_and_the_little_endian_crc64_of_the_canonical_schema():
    from fastavro.schema import to_parsing_canonical_form

    raw = json.loads((SCHEMAS_DIR / "marketplace" / "OrderCaptured.v3.avsc").read_text())
    expected = struct.pack("<Q", crc64_avro(to_parsing_canonical_form(raw).encode()))
    data = REGISTRY.encode("OrderCaptured", capture())
    assert data[:2] == b"\xc3\x01"
    assert data[2:10] == expected


def test_a_v1_producer_is_read_into_the_current_shape():
    rec = capture()
    del rec["channel"]
    for ln in rec["lines"]:
        del ln["currency"]
    name, decoded = REGISTRY.decode(REGISTRY.encode("OrderCaptured", rec, version=1))
    assert name == "OrderCaptured"
    assert decoded["channel"] is None and decoded["lines"][0]["currency"] is None
    assert decoded["amount"] == 20000


def test_a_v2_producer_round_trips():
    rec = capture(channel="app")
    _, decoded = REGISTRY.decode(REGISTRY.encode("OrderCaptured", rec, version=2))
    assert decoded["channel"] == "app" and decoded["order_id"] == "O_8821"
    assert decoded["region"] is None and decoded["lines"][0]["category"] is None  # read into v3


def test_a_v3_producer_round_trips_its_dimensions():
    rec = capture(channel="app", region="BR-SP")
    rec["lines"][0]["category"] = "electronics"
    _, decoded = REGISTRY.decode(REGISTRY.encode("OrderCaptured", rec))
    assert (decoded["channel"], decoded["region"], decoded["lines"][0]["category"]) == ("app", "BR-SP", "electronics")


@pytest.mark.parametrize("data", [
    None, b"", b'{"json": true}', b"\xc3\x01" + b"\x00" * 8 + b"body",
])
def test_undecodable_bytes_are_schema_invalid(data):
    with pytest.raises(Rejected) as exc:
        REGISTRY.decode(data)
    assert exc.value.reason is Reason.SCHEMA_INVALID


def test_truncated_and_padded_bodies_are_schema_invalid():
    data = REGISTRY.encode("OrderCaptured", capture())
    for bad in (data[:-5], data + b"\x00\x01"):
        with pytest.raises(Rejected) as exc:
            REGISTRY.decode(bad)
        assert exc.value.reason is Reason.SCHEMA_INVALID


def _schema_file(tmp_path, version, extra_field=None, amount_type="long"):
    raw = json.loads((SCHEMAS_DIR / "marketplace" / "OrderCaptured.v3.avsc").read_text())
    raw["splitbook.version"] = version
    for f in raw["fields"]:
        if f["name"] == "amount":
            f["type"] = amount_type
    if extra_field:
        raw["fields"].append(extra_field)
    path = tmp_path / f"OrderCaptured.v{version}.avsc"
    path.write_text(json.dumps(raw))
    return path


def test_a_newer_producer_with_an_added_optional_field_is_read_by_an_older_reader(tmp_path):
    _schema_file(tmp_path, 4, {"name": "gift_wrap", "type": ["null", "boolean"], "default": None})
    producer = SchemaRegistry.from_dir(SCHEMAS_DIR, tmp_path)  # writes v4
    consumer = SchemaRegistry.from_dir(SCHEMAS_DIR, tmp_path, readers={"OrderCaptured": 3})
    data = producer.encode("OrderCaptured", {**capture(), "gift_wrap": True})
    name, rec = consumer.decode(data)
    assert name == "OrderCaptured" and rec["amount"] == 20000 and "gift_wrap" not in rec


def test_an_incompatible_writer_schema_is_schema_invalid_not_a_crash(tmp_path):
    _schema_file(tmp_path, 4, amount_type="string")  # amount became a string: cannot resolve to long
    producer = SchemaRegistry.from_dir(SCHEMAS_DIR, tmp_path)
    consumer = SchemaRegistry.from_dir(SCHEMAS_DIR, tmp_path, readers={"OrderCaptured": 3})
    data = producer.encode("OrderCaptured", {**capture(), "amount": "200.00"})
    with pytest.raises(Rejected) as exc:
        consumer.decode(data)
    assert exc.value.reason is Reason.SCHEMA_INVALID
