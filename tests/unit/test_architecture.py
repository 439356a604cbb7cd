"""The layering holds: the domain imports nothing outside itself, the product never
imports the simulators or the benchmark, SQL lives in the PostgreSQL adapter, and
every event type is registered once."""

import ast
from pathlib import Path

from services.domain import events
from services.posting.registry import BY_NAME, Needs, input_topics

ROOT = Path(__file__).resolve().parents[2]


def imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def product_files() -> list[Path]:
    files = list((ROOT / "services").rglob("*.py")) + list((ROOT / "projections").rglob("*.py"))
    return [f for f in files if not {"simulators", "bench"} & set(f.relative_to(ROOT).parts)]


def test_the_domain_imports_only_the_domain_and_the_standard_library():
    for f in (ROOT / "services" / "domain").rglob("*.py"):
        ours = {m for m in imports(f) if m.split(".")[0] in ("services", "projections", "psycopg", "confluent_kafka",
                                                             "structlog", "fastavro", "pydantic")}
        assert all(m.startswith("services.domain") for m in ours), (f, ours)


def test_only_the_cli_s_simulator_verbs_load_the_simulators_and_nothing_loads_the_benchmark():
    for f in product_files():
        loaded = {m for m in imports(f) if m.startswith(("services.simulators", "services.bench"))}
        if f.name == "simulators.py" and f.parent.name == "cli":
            assert loaded and all(m.startswith("services.simulators") for m in loaded)
        else:
            assert not loaded, (f, loaded)


def test_sql_is_executed_only_in_the_postgresql_adapter():
    adapter = ROOT / "services" / "adapters" / "postgres"
    for f in product_files():
        if adapter in f.parents:
            continue
        text = f.read_text()
        assert ".execute(" not in text and ".copy(" not in text and "cursor(" not in text, f


def test_every_event_class_is_registered_once_with_a_topic_and_a_rule():
    classes = {n for n, c in vars(events).items() if isinstance(c, type) and hasattr(c, "from_record")
               and hasattr(c, "event_id") if n not in ("CaptureLine", "RefundLine", "PayoutResult")}
    assert set(BY_NAME) == classes
    for name, t in BY_NAME.items():
        assert t.name == name and t.topic in input_topics() and callable(t.rule)
        if "order_id" in t.event._fields:  # a rule about an order reads the order's state
            assert Needs.ORDER in t.needs, name
