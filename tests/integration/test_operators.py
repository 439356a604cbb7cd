"""Every operator is who their token says: the first admin is added on the server, the
rest by an admin; a write without a token, with an unknown or revoked one is refused
(unauthenticated), one beyond the role is forbidden; the proposer of an adjustment cannot
approve it whatever they type; the audit log records the token's operator."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def cli(env, *args, token=None):
    env = {**env, **({"SPLITBOOK_TOKEN": token} if token is not None else {})}
    if token == "":
        env.pop("SPLITBOOK_TOKEN")
    return subprocess.run([sys.executable, "-m", "services.entrypoints.cli.main", *args], capture_output=True,
                          text=True, env=env, timeout=60)


def added(env, name, role, token=None):
    r = cli(env, "operators", "add", name, "--role", role, token=token)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()[-1]


def test_operators_tokens_roles_and_four_eyes(settings, conn):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPLITBOOK_")}
    env.update(DATABASE_URL=settings.database_url, KAFKA_BOOTSTRAP_SERVERS=settings.kafka_bootstrap_servers,
               SPLITBOOK_TOPIC_PREFIX=settings.topic_prefix)
    # no admin yet: whoever runs the server's CLI adds the first one; then only an admin may
    r = cli(env, "operators", "add", "ops", "--role", "operator", token="")
    assert r.returncode == 77 and "unauthenticated: no operator token" in r.stderr
    root = added(env, "root", "admin", token="")
    assert root.startswith("sbk_") and len(root) > 40
    assert conn.execute("SELECT count(*) FROM operators WHERE token_sha256 = sha256(%s::bytea)",
                        (root.encode(),)).fetchone()[0] == 1  # only the hash is kept
    assert conn.execute("SELECT count(*) FROM operators WHERE encode(token_sha256, 'escape') LIKE '%%sbk_%%'"
                        ).fetchone()[0] == 0
    alice, bob, vera = (added(env, n, role, root) for n, role in
                        (("alice", "approver"), ("bob", "approver"), ("vera", "viewer")))
    r = cli(env, "operators", "add", "mallory", "--role", "admin", token=alice)
    assert r.returncode == 77 and "forbidden: alice (approver) may not operators manage" in r.stderr

    # maker-checker: alice proposes; alice cannot approve her own, whatever she types; bob can
    propose = ("adjust", "propose", "--posting", "ops:platform:goodwill=500", "--posting",
               "seller:S_1:payable=-500", "--currency", "BRL", "--reason-code", "GOODWILL", "--reason", "late")
    r = cli(env, *propose, token=vera)
    assert r.returncode == 77 and "forbidden: vera (viewer) may not adjustments propose" in r.stderr
    r = cli(env, *propose, token=alice)
    assert r.returncode == 0, r.stderr
    adj = r.stdout.split()[0]
    assert "proposed by alice" in r.stdout
    r = cli(env, "adjust", "approve", adj, "--by", "bob", token=alice)
    assert r.returncode == 2 and "unrecognized arguments: --by" in r.stderr  # no typed names any more
    r = cli(env, "adjust", "approve", adj, token=alice)
    assert r.returncode != 0 and "alice proposed" in r.stderr and "cannot approve it" in r.stderr
    r = cli(env, "adjust", "approve", adj, token=bob)
    assert r.returncode == 0 and f"{adj} approved by bob" in r.stdout, r.stderr

    # a revoked token, an unknown one
    assert cli(env, "operators", "revoke", "bob", token=root).returncode == 0
    r = cli(env, "adjust", "approve", adj, token=bob)
    assert r.returncode == 77 and "unknown or revoked" in r.stderr
    r = cli(env, "exceptions", "resolve", "1", "--note", "x", token="sbk_made-up")
    assert r.returncode == 77 and "unknown or revoked" in r.stderr

    actors = conn.execute("SELECT actor, action FROM audit_log WHERE subject = %s ORDER BY audit_id",
                          (adj,)).fetchall()
    assert actors == [("alice", "adjustment_proposed"), ("alice", "adjustment_approval_refused"),
                      ("bob", "adjustment_approved"), ("bob", "adjustment_submitted")]
    listed = cli(env, "operators", "list", token=vera)
    assert listed.returncode == 0 and "bob" in listed.stdout and "root" in listed.stdout
