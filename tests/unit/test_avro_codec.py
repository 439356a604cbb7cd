"""The compiled Avro codec against fastavro, the reference: the same bytes for every
record of every schema we publish, the same records back, and the same verdict on
bytes that were changed on the way (both read them alike, or both refuse them)."""

import io
import json
from datetime import datetime, timezone

import fastavro
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.adapters.avro import SCHEMAS_DIR, SchemaRegistry
from services.adapters.avro_codec import compile_reader, compile_writer

SCHEMA_FILES = sorted(SCHEMAS_DIR.rglob("*.avsc"))
# everything the compiler takes, in one record: each primitive, a timestamp, an enum,
# nested arrays and maps, a union of several branches, a named type used twice
EVERYTHING = {
    "type": "record", "name": "Everything", "namespace": "test",
    "fields": [
        {"name": "flag", "type": "boolean"},
        {"name": "small", "type": "int"},
        {"name": "big", "type": "long"},
        {"name": "text", "type": "string"},
        {"name": "raw", "type": "bytes"},
        {"name": "nothing", "type": "null"},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "colour", "type": {"type": "enum", "name": "Colour", "symbols": ["RED", "GREEN", "BLUE"]}},
        {"name": "grid", "type": {"type": "array", "items": {"type": "map", "values": "long"}}},
        {"name": "either", "type": ["null", "long", "string", {"type": "array", "items": "string"}]},
        {"name": "first", "type": {"type": "record", "name": "Pair",
                                   "fields": [{"name": "a", "type": "string"}, {"name": "b", "type": "Colour"}]}},
        {"name": "second", "type": ["null", "test.Pair"], "default": None},
    ],
}
SCHEMAS = [json.loads(p.read_text()) for p in SCHEMA_FILES] + [EVERYTHING]
IDS = [p.stem for p in SCHEMA_FILES] + ["everything"]
MILLIS = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1),
                      timezones=st.just(timezone.utc)).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))


def values(t, named):
    """A strategy for the values of Avro type t (named types resolved through `named`)."""
    if isinstance(t, list):
        return st.one_of([values(x, named) for x in t])
    if isinstance(t, str):
        simple = {"null": st.none(), "boolean": st.booleans(), "int": st.integers(-(2**31), 2**31 - 1),
                  "long": st.integers(-(2**63), 2**63 - 1), "string": st.text(max_size=70),
                  "bytes": st.binary(max_size=70)}
        return simple[t] if t in simple else values(named[t], named)
    kind = t["type"]
    if isinstance(kind, (dict, list)):
        return values(kind, named)
    if t.get("logicalType") == "timestamp-millis":
        return MILLIS
    if kind == "enum":
        named[t["name"]] = named[f"{t.get('namespace', 'test')}.{t['name']}"] = t
        return st.sampled_from(t["symbols"])
    if kind == "array":
        return st.lists(values(t["items"], named), max_size=4)
    if kind == "map":
        return st.dictionaries(st.text(max_size=8), values(t["values"], named), max_size=4)
    if kind == "record":
        named[t["name"]] = named[f"{t.get('namespace', 'test')}.{t['name']}"] = t
        return st.fixed_dictionaries({f["name"]: values(f["type"], named) for f in t["fields"]})
    return values(kind, named)


def fastavro_write(schema, record) -> bytes:
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, fastavro.parse_schema(schema, named_schemas={}), record)
    return buf.getvalue()


def fastavro_read(schema, data: bytes):
    buf = io.BytesIO(data)
    try:
        record = fastavro.schemaless_reader(buf, fastavro.parse_schema(schema, named_schemas={}), None)
    except Exception:
        return "refused"
    return record, buf.tell()


def compiled_read(reader, data: bytes):
    try:
        return reader(data, 0)
    except Exception:
        return "refused"


# Where the compiled reader keeps to the spec and fastavro does not: fastavro reads a
# boolean byte other than 0 or 1 as true, a negative enum symbol or union branch index as
# Python's negative indexing does (the last one), and a varint past 64 bits cut to 64.
STRICTER = ("a boolean byte of", "enum index -", "union branch -", "varint beyond 64 bits", "varint longer than")


def _refused_as_stricter(reader, data: bytes) -> bool:
    try:
        reader(data, 0)
    except Exception as e:
        return str(e).startswith(STRICTER)
    return False


@st.composite
def schema_and_record(draw):
    i = draw(st.integers(0, len(SCHEMAS) - 1))
    return SCHEMAS[i], draw(values(SCHEMAS[i], {}))


def test_every_schema_we_publish_compiles_both_ways():
    for schema, name in zip(SCHEMAS, IDS):
        assert compile_reader(schema) is not None and compile_writer(schema) is not None, name


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema_and_record())
def test_the_same_bytes_as_fastavro_and_the_same_record_back(case):
    schema, record = case
    data = fastavro_write(schema, record)
    assert compile_writer(schema)(record) == data
    assert compiled_read(compile_reader(schema), data) == fastavro_read(schema, data) == (record, len(data))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema_and_record(), st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4),
       st.integers(0, 10_000))
def test_changed_bytes_get_the_same_verdict_as_fastavro(case, changes, cut):
    schema, record = case
    data = bytearray(fastavro_write(schema, record))
    for at, byte in changes:
        if data:
            data[at % len(data)] = byte
    data = bytes(data[: max(cut, len(data) // 2)])
    reader = compile_reader(schema)
    ours, theirs = compiled_read(reader, data), fastavro_read(schema, data)
    if ours == "refused" and theirs != "refused":
        assert _refused_as_stricter(reader, data), theirs
    else:
        assert ours == theirs


def test_blocks_with_a_byte_size_and_long_varints_read_as_the_spec_says():
    schema = {"type": "record", "name": "R", "fields": [{"name": "xs", "type": {"type": "array", "items": "long"}},
                                                        {"name": "n", "type": "long"}]}
    # a block of -2 items (so its byte size follows: 2), then 1 and 2, then the end; n = 300
    data = bytes([0x03, 0x04, 0x02, 0x04, 0x00]) + bytes([0xD8, 0x04])
    assert compile_reader(schema)(data, 0) == fastavro_read(schema, data) == ({"xs": [1, 2], "n": 300}, len(data))


@pytest.mark.parametrize("data", [
    bytes([0x7F]) + b"x" * 10,                 # a block of -64 items whose size never ends
    bytes([0xFE, 0xFF, 0xFF, 0xFF, 0x0F]),     # a count of 2^31 - 1 items in five bytes
    bytes([0x80] * 11 + [0x01]),               # a varint of twelve bytes
    bytes([0x02]),                             # one item, then nothing
])
def test_hostile_counts_and_varints_are_refused_not_looped_over(data):
    schema = {"type": "record", "name": "R", "fields": [{"name": "xs", "type": {"type": "array", "items": "long"}}]}
    assert compiled_read(compile_reader(schema), data) == "refused"


def test_what_it_does_not_compile_is_left_to_fastavro():
    fixed = {"type": "record", "name": "F", "fields": [{"name": "f", "type": {"type": "fixed", "name": "X", "size": 4}}]}
    decimal = {"type": "record", "name": "D", "fields": [
        {"name": "d", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}}]}
    nulls = {"type": "record", "name": "N", "fields": [{"name": "xs", "type": {"type": "array", "items": "null"}}]}
    assert compile_reader(fixed) is None and compile_reader(decimal) is None and compile_reader(nulls) is None
    assert compile_writer(fixed) is None and compile_writer(decimal) is None


def test_the_registry_still_pickles_to_a_helper_process():
    import pickle

    registry = SchemaRegistry.from_dir()
    record = {"event_id": "e", "occurred_at": datetime(2026, 11, 26, tzinfo=timezone.utc), "seq": 1,
              "transaction_id": "t", "kind": "capture", "order_id": None, "batch_id": None,
              "reverses_transaction_id": None, "recorded_at": datetime(2026, 11, 26, tzinfo=timezone.utc),
              "metadata": {}, "postings": []}
    data = registry.encode("JournalTransaction", record)
    assert pickle.loads(pickle.dumps(registry)).decode(data) == ("JournalTransaction", record)
