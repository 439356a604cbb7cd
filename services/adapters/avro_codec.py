"""Avro binary encoding compiled per schema: each schema becomes one straight-line
Python function for reading and one for writing, with no per-value dispatch on types.

fastavro's general reader and writer cost ~40 µs for a journal transaction of six
postings, a third of what the relay and the projection worker spend per transaction;
the functions compiled here do the same work in about half of that (measured in
`docs/performance.md`). fastavro stays the reference: a property test compares both on
generated records and on changed bytes, and the registry falls back to fastavro for any
schema this compiler does not take (`compile_reader`/`compile_writer` return None) and
for reading an older writer's schema into a newer reader's shape.

In front of them, when the `splitbook_native` extension is built (services/native), the
same reading and writing in compiled code (`native`), about ten times faster; these
functions are its reference, compared with it by the same property tests, and answer
wherever it is not sure to answer as they do.

Hostile bytes fail as fastavro's do, by raising: lengths and counts past the end of the
input, a varint past ten bytes, a union branch or enum index out of range. Every item of
an array or map takes at least one byte, so no count can make a loop outrun its input.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

try:
    import splitbook_native
except ImportError:  # not built: the Python functions alone
    splitbook_native = None

PRIMITIVE = frozenset({"null", "boolean", "int", "long", "string", "bytes"})
_LONG_MIN, _LONG_MAX = -(1 << 63), (1 << 63) - 1
_INT_MIN, _INT_MAX = -(1 << 31), (1 << 31) - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_MS = timedelta(milliseconds=1)
_SMALL = [bytes([(n << 1) ^ (n >> 63)]) for n in range(-64, 64)]


class Unsupported(Exception):
    """The schema uses something this compiler does not: use fastavro for it."""


# -- the runtime the compiled functions call ------------------------------------------

def _read_long(b: bytes, i: int) -> tuple[int, int]:
    """A zigzag varint at i -> (value, the offset after it); up to four bytes unrolled."""
    c = b[i]
    n = c & 0x7F
    if c < 0x80:
        return (n >> 1) ^ -(n & 1), i + 1
    c = b[i + 1]
    n |= (c & 0x7F) << 7
    if c < 0x80:
        return (n >> 1) ^ -(n & 1), i + 2
    c = b[i + 2]
    n |= (c & 0x7F) << 14
    if c < 0x80:
        return (n >> 1) ^ -(n & 1), i + 3
    c = b[i + 3]
    n |= (c & 0x7F) << 21
    i += 4
    shift = 28
    while c >= 0x80:
        if shift > 63:
            raise ValueError("varint longer than 10 bytes")
        c = b[i]
        i += 1
        n |= (c & 0x7F) << shift
        shift += 7
    if n >> 64:
        raise ValueError("varint beyond 64 bits")
    return (n >> 1) ^ -(n & 1), i


def _read_bytes(b: bytes, i: int) -> tuple[bytes, int]:
    n, i = _read_long(b, i)
    j = i + n
    if n < 0 or j > len(b):
        raise ValueError(f"a length of {n} runs past the end of the data")
    return b[i:j], j


def _read_string(b: bytes, i: int) -> tuple[str, int]:
    n, i = _read_long(b, i)
    j = i + n
    if n < 0 or j > len(b):
        raise ValueError(f"a length of {n} runs past the end of the data")
    return b[i:j].decode(), j


def _read_count(b: bytes, i: int) -> tuple[int, int]:
    """An array or map block's item count (a negative count is followed by the block's size)."""
    n, i = _read_long(b, i)
    if n < 0:
        n = -n
        _, i = _read_long(b, i)
    if n > len(b) - i:  # every item takes at least a byte
        raise ValueError(f"a block of {n} items runs past the end of the data")
    return n, i


def _long(n: int) -> bytes:
    if -64 <= n < 64:
        return _SMALL[n + 64]
    if not _LONG_MIN <= n <= _LONG_MAX:
        raise OverflowError(f"{n} does not fit an Avro long")
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _int(n: int) -> bytes:
    if not _INT_MIN <= n <= _INT_MAX:
        raise OverflowError(f"{n} does not fit an Avro int")
    return _long(n)


def _millis(value: datetime | int) -> int:
    if isinstance(value, datetime):
        return (value - (_EPOCH if value.tzinfo is not None else _EPOCH_NAIVE)) // _MS
    return value


# how a union's writer tells its branches apart (a type without a test cannot be in a union)
_UNION_TESTS = {"null": "{} is None", "boolean": "type({}) is bool", "int": "type({}) is int",
                "long": "type({}) is int", "string": "type({}) is str", "bytes": "isinstance({}, (bytes, bytearray))",
                "timestamp-millis": "isinstance({}, datetime)", "array": "isinstance({}, (list, tuple))",
                "map": "isinstance({}, dict)", "record": "isinstance({}, dict)"}

_RUNTIME = {"datetime": datetime, "_read_long": _read_long, "_read_bytes": _read_bytes, "_read_string": _read_string,
            "_read_count": _read_count, "_long": _long, "_int": _int, "_millis": _millis, "_EPOCH": _EPOCH,
            "_MS": _MS, "_SMALL": _SMALL}


# -- the compiler ---------------------------------------------------------------------

class _Compiler:
    def __init__(self, schema: dict, namespace: str | None = None):
        self.named: dict[str, Any] = {}
        self.functions: list[str] = []
        self.constants: dict[str, Any] = {}
        self.done: set[str] = set()
        self.counter = 0
        self._collect(schema, namespace)

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"

    def _collect(self, t: Any, namespace: str | None) -> None:
        """Name every named type (record, enum) so references to it resolve."""
        if isinstance(t, list):
            for x in t:
                self._collect(x, namespace)
        elif isinstance(t, dict):
            kind = t.get("type")
            if kind in ("record", "enum", "error", "fixed"):
                name = t["name"]
                ns = t.get("namespace", namespace)
                full = name if "." in name or not ns else f"{ns}.{name}"
                self.named[full] = t
                self.named.setdefault(name, t)
                namespace = full.rsplit(".", 1)[0] if "." in full else None
            if kind in ("record", "error"):
                for f in t["fields"]:
                    self._collect(f["type"], namespace)
            elif kind == "array":
                self._collect(t["items"], namespace)
            elif kind == "map":
                self._collect(t["values"], namespace)
            elif isinstance(kind, (dict, list)):
                self._collect(kind, namespace)

    def resolve(self, t: Any) -> Any:
        if isinstance(t, str) and t not in PRIMITIVE:
            if t not in self.named:
                raise Unsupported(f"unknown type {t}")
            return self.named[t]
        if isinstance(t, dict) and isinstance(t.get("type"), (dict, list)):
            return self.resolve(t["type"])
        if isinstance(t, dict) and t.get("type") in PRIMITIVE and "logicalType" not in t:
            return t["type"]
        return t

    def kind(self, t: Any) -> str:
        t = self.resolve(t)
        if isinstance(t, str):
            return t
        if isinstance(t, list):
            return "union"
        logical = t.get("logicalType")
        if logical is not None:
            if (t["type"], logical) != ("long", "timestamp-millis"):
                raise Unsupported(f"logical type {logical} on {t['type']}")
            return "timestamp-millis"
        if t["type"] in ("record", "error", "array", "map", "enum"):
            return t["type"] if t["type"] != "error" else "record"
        raise Unsupported(f"type {t['type']}")

    def min_size(self, t: Any, seen: frozenset = frozenset()) -> int:
        """The fewest bytes a value of t takes (0 only for null and records of nulls)."""
        k = self.kind(t)
        if k == "null":
            return 0
        if k != "record":
            return 1
        t = self.resolve(t)
        if t["name"] in seen:
            return 1
        return sum(self.min_size(f["type"], seen | {t["name"]}) for f in t["fields"])

    # reading: statements that leave the value in `var` and advance `i`

    def read(self, t: Any, var: str, pad: str) -> list[str]:
        k = self.kind(t)
        t = self.resolve(t)
        if k == "null":
            return [f"{pad}{var} = None"]
        if k == "boolean":
            return [f"{pad}{var} = b[i]", f"{pad}i += 1",
                    f"{pad}if {var} > 1:", f"{pad}    raise ValueError('a boolean byte of ' + str({var}))",
                    f"{pad}{var} = {var} == 1"]
        if k in ("int", "long"):
            return self.read_long(var, pad)
        if k in ("string", "bytes"):  # inline when the length takes one byte (below 64)
            c, j = self.fresh("c"), self.fresh("j")
            value = f"b[i + 1:{j}]" + (".decode()" if k == "string" else "")
            return [f"{pad}{c} = b[i]",
                    f"{pad}if {c} < 0x80 and not {c} & 1:",
                    f"{pad}    {j} = i + 1 + ({c} >> 1)",
                    f"{pad}    if {j} > len(b):",
                    f"{pad}        raise ValueError('a length runs past the end of the data')",
                    f"{pad}    {var} = {value}",
                    f"{pad}    i = {j}",
                    f"{pad}else:",
                    f"{pad}    {var}, i = _read_{k}(b, i)"]
        if k == "timestamp-millis":
            return self.read_long(var, pad) + [f"{pad}{var} = _EPOCH + _MS * {var}"]
        if k == "enum":
            symbols = self.fresh("_SYMBOLS")
            self.constants[symbols] = tuple(t["symbols"])
            return [f"{pad}{var}, i = _read_long(b, i)",
                    f"{pad}if not 0 <= {var} < {len(t['symbols'])}:",
                    f"{pad}    raise ValueError('enum index ' + str({var}) + ' out of range')",
                    f"{pad}{var} = {symbols}[{var}]"]
        if k == "record":
            return [f"{pad}{var}, i = {self.record_reader(t)}(b, i)"]
        if k in ("array", "map"):
            items = t["items"] if k == "array" else t["values"]
            if self.min_size(items) == 0:
                raise Unsupported(f"{k} of values that take no bytes")
            n, x, key = self.fresh("n"), self.fresh("x"), self.fresh("k")
            lines = [f"{pad}{var} = {'[]' if k == 'array' else '{}'}",
                     f"{pad}{n}, i = _read_count(b, i)",
                     f"{pad}while {n}:",
                     f"{pad}    for _ in range({n}):"]
            if k == "map":
                lines.append(f"{pad}        {key}, i = _read_string(b, i)")
            lines += self.read(items, x, pad + "        ")
            lines.append(f"{pad}        {var}.append({x})" if k == "array" else f"{pad}        {var}[{key}] = {x}")
            lines.append(f"{pad}    {n}, i = _read_count(b, i)")
            return lines
        # union
        branch = self.fresh("u")
        lines = [f"{pad}{branch}, i = _read_long(b, i)"]
        for index, option in enumerate(t):
            lines.append(f"{pad}{'if' if index == 0 else 'elif'} {branch} == {index}:")
            lines += self.read(option, var, pad + "    ")
        lines += [f"{pad}else:", f"{pad}    raise ValueError('union branch ' + str({branch}) + ' out of range')"]
        return lines

    def read_long(self, var: str, pad: str) -> list[str]:
        """A long, inline when it takes one byte (-64 to 63)."""
        c = self.fresh("c")
        return [f"{pad}{c} = b[i]",
                f"{pad}if {c} < 0x80:",
                f"{pad}    {var} = ({c} >> 1) ^ -({c} & 1)",
                f"{pad}    i += 1",
                f"{pad}else:",
                f"{pad}    {var}, i = _read_long(b, i)"]

    def record_reader(self, t: dict) -> str:
        fn = "_read_" + t["name"].replace(".", "_")
        if fn not in self.done:
            self.done.add(fn)
            names = [self.fresh("f") for _ in t["fields"]]
            body: list[str] = []
            for f, var in zip(t["fields"], names):
                body += self.read(f["type"], var, "    ")
            fields = ", ".join(f"{f['name']!r}: {v}" for f, v in zip(t["fields"], names))
            self.functions.append("\n".join([f"def {fn}(b, i):", *body, f"    return {{{fields}}}, i"]))
        return fn

    # writing: statements that append the encoding of `var` with `a`

    def write(self, t: Any, var: str, pad: str) -> list[str]:
        k = self.kind(t)
        t = self.resolve(t)
        if k == "null":
            return [f"{pad}if {var} is not None:", f"{pad}    raise TypeError('null expected')"]
        if k == "boolean":
            return [f"{pad}a(b'\\x01' if {var} else b'\\x00')"]
        if k == "int":
            return [f"{pad}a(_int({var}))"]
        if k == "long":
            return [f"{pad}a(_long({var}))"]
        if k in ("string", "bytes"):
            raw = self.fresh("s")
            encoded = f"{var}.encode()" if k == "string" else f"bytes({var})"
            return [f"{pad}{raw} = {encoded}", f"{pad}a(_long(len({raw})))", f"{pad}a({raw})"]
        if k == "timestamp-millis":
            return [f"{pad}a(_long(_millis({var})))"]
        if k == "enum":
            index = self.fresh("_INDEX")
            self.constants[index] = {s: i for i, s in enumerate(t["symbols"])}
            return [f"{pad}a(_long({index}[{var}]))"]
        if k == "record":
            return [f"{pad}{self.record_writer(t)}({var}, a)"]
        if k in ("array", "map"):
            items = t["items"] if k == "array" else t["values"]
            x, key = self.fresh("x"), self.fresh("k")
            lines = [f"{pad}if {var}:", f"{pad}    a(_long(len({var})))"]
            if k == "array":
                lines.append(f"{pad}    for {x} in {var}:")
            else:
                lines += [f"{pad}    for {key}, {x} in {var}.items():"]
                lines += self.write("string", key, pad + "        ")
            lines += self.write(items, x, pad + "        ")
            lines.append(f"{pad}a(b'\\x00')")
            return lines
        # a union: the branch by the value's Python type, each type naming at most one branch
        branches, tests = [], set()
        for index, option in enumerate(t):
            test = _UNION_TESTS.get(self.kind(option), "")
            if not test or test in tests:
                raise Unsupported("a union whose branches a value's type cannot tell apart")
            tests.add(test)
            branches += [f"{pad}{'if' if index == 0 else 'elif'} {test.format(var)}:",
                         f"{pad}    a({_long(index)!r})", *self.write(option, var, pad + "    ")]
        return branches + [f"{pad}else:", f"{pad}    raise TypeError('no branch of the union takes ' + repr(type({var})))"]

    def record_writer(self, t: dict) -> str:
        fn = "_write_" + t["name"].replace(".", "_")
        if fn not in self.done:
            self.done.add(fn)
            body: list[str] = []
            for f in t["fields"]:
                var = self.fresh("v")
                if "default" in f:
                    default = self.fresh("_DEFAULT")
                    self.constants[default] = f["default"]
                    body.append(f"    {var} = r.get({f['name']!r}, {default})")
                else:
                    body.append(f"    {var} = r[{f['name']!r}]")
                body += self.write(f["type"], var, "    ")
            self.functions.append("\n".join([f"def {fn}(r, a):", *body, "    return None"]))
        return fn

    # the compiled codec's program (services/native/src/avro.rs): the schema resolved into nested tuples

    def program(self, t: Any, seen: frozenset = frozenset()) -> tuple:
        k = self.kind(t)
        t = self.resolve(t)
        if k in PRIMITIVE or k == "timestamp-millis":
            return (k,)
        if k == "enum":
            return ("enum", list(t["symbols"]))
        if k == "record":
            if t["name"] in seen:
                raise Unsupported("a recursive record")
            inner = seen | {t["name"]}
            return ("record", [(f["name"], self.program(f["type"], inner), "default" in f, f.get("default"))
                               for f in t["fields"]])
        if k == "array":
            return ("array", self.program(t["items"], seen))
        if k == "map":
            return ("map", self.program(t["values"], seen))
        return ("union", [self.program(x, seen) for x in t])

    def build(self, entry: str) -> Callable:
        namespace = {**_RUNTIME, **self.constants}
        exec("\n\n".join(self.functions), namespace)  # noqa: S102 - source generated above from a schema file
        return namespace[entry]


def compile_reader(schema: dict) -> Callable[[bytes, int], tuple[dict, int]] | None:
    """(data, offset) -> (record, offset after it); None if the schema needs fastavro."""
    try:
        c = _Compiler(schema)
        return c.build(c.record_reader(schema))
    except Unsupported:
        return None


def compile_writer(schema: dict) -> Callable[[dict], bytes] | None:
    """record -> its Avro binary encoding; None if the schema needs fastavro."""
    try:
        c = _Compiler(schema)
        write_record = c.build(c.record_writer(schema))
    except Unsupported:
        return None

    def write(record: dict) -> bytes:
        out: list[bytes] = []
        write_record(record, out.append)
        return b"".join(out)

    return write


def native(schema: dict, read: Callable[[bytes, int], tuple[dict, int]] | None,
           write: Callable[[dict], bytes] | None) -> tuple[Callable | None, Callable | None]:
    """The compiled codec (services/native) in front of the functions compiled above, which
    stay the reference: wherever it is not sure to answer as they do, it raises, and they
    answer (or raise in their own words). Without the extension: the reference alone."""
    if splitbook_native is None or read is None or write is None:
        return read, write
    try:
        codec = splitbook_native.AvroCodec(_Compiler(schema).program(schema))
    except Unsupported:
        return read, write
    fast_read, fast_write = codec.read, codec.write

    def read_native(data: bytes, offset: int) -> tuple[dict, int]:
        try:
            return fast_read(data, offset)
        except (ValueError, TypeError):
            return read(data, offset)

    def write_native(record: dict) -> bytes:
        try:
            return fast_write(record, b"")
        except (ValueError, TypeError):
            return write(record)

    read_native.reference, write_native.reference = read, write
    return read_native, write_native
