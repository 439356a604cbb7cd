"""The compiled Avro codec (services/native/src/avro.rs) against its reference, the
Python functions avro_codec compiles (themselves held to fastavro in test_avro_codec):
every schema we publish, the same bytes and the same records; on changed bytes and odd
values, either the same answer or a refusal that hands the input to the reference, so
that the registry's answer (native in front, reference behind) is always the reference's."""

from collections import OrderedDict
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.adapters import avro_codec
from services.adapters.avro import SchemaRegistry
from services.adapters.avro_codec import _Compiler, compile_reader, compile_writer
from tests.unit.test_avro_codec import EVERYTHING, IDS, SCHEMAS, schema_and_record

splitbook_native = avro_codec.splitbook_native


def codecs(schema):
    """(compiled codec, reference reader, reference writer, registry's reader, registry's writer)."""
    read, write = compile_reader(schema), compile_writer(schema)
    native_read, native_write = avro_codec.native(schema, read, write)
    return splitbook_native.AvroCodec(_Compiler(schema).program(schema)), read, write, native_read, native_write


CODECS = {id(s): codecs(s) for s in SCHEMAS}


def answer(f, *args):
    try:
        return ("ok", f(*args))
    except Exception as e:
        return ("raised", type(e).__name__, str(e))


def test_the_extension_is_built_and_every_schema_we_publish_takes_the_compiled_codec():
    assert splitbook_native is not None, "deploy/scripts/env.sh builds services/native"
    registry = SchemaRegistry.from_dir()
    for schema, name in zip(SCHEMAS, IDS):
        if name == "everything":
            continue
        known = registry.version(schema["name"], int(schema.get("splitbook.version", 1)))
        assert known.read.reference is not None and known.write.reference is not None, name


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema_and_record())
def test_the_compiled_codec_writes_and_reads_what_the_reference_does(case):
    schema, record = case
    codec, read, write, _, _ = CODECS[id(schema)]
    data = write(record)
    assert codec.write(record, b"") == data  # answered, not handed over
    assert codec.write(record, b"\xc3\x01") == b"\xc3\x01" + data
    assert codec.read(data, 0) == read(data, 0) == (record, len(data))
    assert codec.read(b"xy" + data, 2) == (record, len(data) + 2)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema_and_record(), st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4),
       st.integers(0, 10_000))
def test_changed_bytes_are_read_alike_or_left_to_the_reference(case, changes, cut):
    schema, record = case
    codec, read, write, native_read, _ = CODECS[id(schema)]
    data = bytearray(write(record))
    for at, byte in changes:
        if data:
            data[at % len(data)] = byte
    data = bytes(data[: max(cut, len(data) // 2)])
    ours = answer(codec.read, data, 0)
    if ours[0] == "ok":
        assert ours == answer(read, data, 0)
    else:
        assert ours[1] == "ValueError"
    assert answer(native_read, data, 0) == answer(read, data, 0)


class Kind(StrEnum):
    CAPTURE = "capture"


ODD = [  # (field of EVERYTHING, value): the reference's answer, whatever it is, is the registry's
    ("big", 1.5), ("big", True), ("big", 2**63), ("small", 2**31), ("small", False), ("text", Kind.CAPTURE),
    ("text", b"bytes"), ("text", "\ud800"), ("raw", bytearray(b"ab")), ("raw", "str"), ("raw", 3),
    ("at", datetime(2026, 11, 26, 12, 30, 1, 999_999)), ("at", 1_700_000_000_000),
    ("at", datetime(2026, 11, 26, tzinfo=timezone(timedelta(hours=-3)))), ("at", datetime(1, 1, 1)),
    ("at", datetime(2026, 11, 26, 1, 2, 3, 4567, tzinfo=ZoneInfo("Etc/UTC"))),
    ("at", datetime(2026, 3, 1, 23, 59, tzinfo=ZoneInfo("America/Sao_Paulo"))),
    ("at", datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=3)))),
    ("colour", "PURPLE"), ("colour", Kind.CAPTURE), ("grid", ({"a": 1},)), ("grid", [OrderedDict(a=1)]),
    ("grid", [{1: 2}]), ("grid", "ab"), ("either", True), ("either", ("a", "b")), ("either", 2.5),
    ("either", Kind.CAPTURE), ("first", OrderedDict(a="x", b="RED")), ("first", {"a": "x"}),
    ("nothing", 0), ("flag", "yes"), ("flag", []), ("second", None),
]
BASE = {"flag": True, "small": 1, "big": 2, "text": "t", "raw": b"r", "nothing": None,
        "at": datetime(2026, 11, 26, tzinfo=timezone.utc), "colour": "RED", "grid": [{"k": 1}], "either": None,
        "first": {"a": "x", "b": "GREEN"}, "second": {"a": "y", "b": "BLUE"}}


@pytest.mark.parametrize("field, value", ODD, ids=[f"{f}={v!r}"[:40] for f, v in ODD])
def test_odd_values_are_written_as_the_reference_writes_them_or_refused_as_it_refuses(field, value):
    _, _, write, _, native_write = CODECS[id(EVERYTHING)]
    record = {**BASE, field: value}
    assert answer(native_write, record) == answer(write, record)


def test_times_in_any_zone_are_written_by_the_compiled_codec_as_the_reference_writes_them():
    """PostgreSQL hands timestamps in Etc/UTC, not timezone.utc: the relay's every record."""
    codec, _, write, _, _ = CODECS[id(EVERYTHING)]
    for tz in (ZoneInfo("Etc/UTC"), ZoneInfo("Asia/Kolkata"), timezone(timedelta(hours=-3, minutes=-30)), None):
        record = {**BASE, "at": datetime(2026, 11, 26, 23, 59, 59, 999_999, tzinfo=tz)}
        assert codec.write(record, b"") == write(record)


def test_a_missing_field_takes_its_default_or_is_refused_as_the_reference_refuses():
    _, _, write, _, native_write = CODECS[id(EVERYTHING)]
    without_default = {k: v for k, v in BASE.items() if k != "text"}
    without_optional = {k: v for k, v in BASE.items() if k != "second"}
    assert answer(native_write, without_default) == answer(write, without_default)
    assert answer(native_write, without_default)[0] == "raised"
    assert native_write(without_optional) == write(without_optional)


@pytest.mark.parametrize("data", [
    bytes([0x7F]) + b"x" * 10,                 # a block of -64 items whose size never ends
    bytes([0xFE, 0xFF, 0xFF, 0xFF, 0x0F]),     # a count of 2^31 - 1 items in five bytes
    bytes([0x80] * 11 + [0x01]),               # a varint of twelve bytes
    bytes([0x02]),                             # one item, then nothing
    bytes([0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]),  # a count past 64 bits
])
def test_hostile_counts_and_varints_are_refused_by_both(data):
    schema = {"type": "record", "name": "R", "fields": [{"name": "xs", "type": {"type": "array", "items": "long"}}]}
    codec, read, _, native_read, _ = codecs(schema)
    assert answer(codec.read, data, 0)[:2] == ("raised", "ValueError")
    assert answer(native_read, data, 0) == answer(read, data, 0)
    assert answer(read, data, 0)[0] == "raised"
