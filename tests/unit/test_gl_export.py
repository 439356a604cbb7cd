"""The general-ledger export, without I/O: a day's postings become one balanced entry
per currency by GL account, every posting's sequence under its line, the same bytes
whatever order the postings come in, and an unmapped family or a bad mapping refused
in one line."""

import random
from datetime import date

import pytest

from services.adapters.avro import SchemaRegistry
from services.closing import gl_export as gl
from services.domain.accounts import family_of
from services.domain.errors import ConfigError
from tests.helpers import posted_day

REGISTRY = SchemaRegistry.from_dir()
DAY = date(2026, 11, 21)
MAPPING = gl.load_mapping()


def postings_of_a_day() -> list[tuple[int, str, str, int]]:
    return [(seq, *p) for seq, t in enumerate(posted_day(DAY, 200, 12, seed=3), 1) for p in t.postings]


POSTINGS = postings_of_a_day()


def test_one_balanced_entry_per_currency_with_every_posting_under_its_line():
    export = gl.summarise(DAY, POSTINGS, MAPPING)
    assert [e["currency"] for e in export["entries"]] == sorted({p[2] for p in POSTINGS})
    for e in export["entries"]:
        assert e["balanced"] and e["debit_minor"] == e["credit_minor"] > 0
        net = {}
        for seq, account, currency, amount in POSTINGS:
            if currency == e["currency"]:
                code = MAPPING.gl_of(family_of(account)).code
                net[code] = net.get(code, 0) + amount
        assert {x["gl_account"]: x["debit_minor"] - x["credit_minor"] for x in e["lines"]} == {
            k: v for k, v in net.items() if v}
        for x in e["lines"]:
            seqs = {p[0] for p in POSTINGS if p[2] == e["currency"] and MAPPING.gl_of(family_of(p[1])).code == x["gl_account"]}
            covered = {s for a, b in x["sequences"] for s in range(a, b + 1)}
            assert covered == seqs and (x["first_seq"], x["last_seq"], x["transactions"]) == (min(seqs), max(seqs), len(seqs))


def test_the_same_day_gives_the_same_bytes_whatever_order_its_postings_come_in():
    shuffled = POSTINGS[:]
    random.Random(7).shuffle(shuffled)
    a, b = gl.summarise(DAY, POSTINGS, MAPPING), gl.summarise(DAY, shuffled, MAPPING)
    assert gl.render_csv(a) == gl.render_csv(b) and gl.render_json(a) == gl.render_json(b)
    header, *rows = gl.render_csv(a).decode().splitlines()
    assert header.split(",") == list(gl.CSV_COLUMNS) and len(rows) == sum(len(e["lines"]) for e in a["entries"])


def test_the_family_totals_tie_to_the_trial_balance_movement_and_a_difference_is_named():
    export = gl.summarise(DAY, POSTINGS, MAPPING)
    after = gl.by_family([(a, c, max(m, 0), max(-m, 0)) for _, a, c, m in POSTINGS])
    assert gl.ties(export, {}, after) == []
    key = next(iter(after))
    off = {**after, key: (after[key][0] + 1, after[key][1])}
    assert gl.ties(export, {}, off) == [f"{key[0]} {key[1]}: export {after[key]}, trial balance {off[key]}"]


def test_an_unmapped_family_and_a_bad_mapping_file_are_one_line(tmp_path):
    partial = tmp_path / "partial.toml"
    partial.write_text('[[account]]\nfamily = "ops:*"\ngl = "1000"\nname = "Everything ops"\n')
    with pytest.raises(ConfigError) as e:
        gl.summarise(DAY, POSTINGS, gl.load_mapping(partial))
    assert "leaves account family order:*:escrow:" in str(e.value) and "\n" not in str(e.value)
    for text in ("not toml [[", '[[account]]\nfamily = "x"\n', '[[account]]\nfamily = ""\ngl = "1"\nname = "n"\n', ""):
        bad = tmp_path / "bad.toml"
        bad.write_text(text)
        with pytest.raises(ConfigError) as e:
            gl.load_mapping(bad)
        assert "\n" not in str(e.value)
    with pytest.raises(ConfigError, match="no such GL mapping file"):
        gl.load_mapping(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="cannot read the GL mapping file .*: Is a directory"):
        gl.load_mapping(tmp_path)


def test_the_default_mapping_maps_every_family_the_ledger_makes():
    families = {family_of(a) for a in ("ops:pool:card", "ops:bank:main", "order:O:escrow:seller:S",
                                       "order:O:escrow:shipping", "order:O:escrow:platform", "order:O:dispute:hold",
                                       "seller:S:payable", "payout:B:in_flight", "ops:payable:shipping",
                                       "ops:tax:withholding", "ops:revenue:takerate", "ops:expense:mdr:card",
                                       "ops:expense:chargeback:card", "ops:pool:payouts")}
    assert all(MAPPING.gl_of(f) is not None for f in families)
    assert MAPPING.gl_of("order:*:escrow:seller:*").code == "2100" and MAPPING.gl_of("ops:revenue:takerate").code == "4000"
