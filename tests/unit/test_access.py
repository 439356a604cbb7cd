"""Roles are ordered and every action needs a least role: a higher role may do all a
lower one may; an unknown action nobody may."""

from hypothesis import given
from hypothesis import strategies as st

from services.domain.access import ACTIONS, Role, allowed


@given(st.sampled_from(list(Role)), st.sampled_from(list(Role)), st.sampled_from(sorted(ACTIONS)))
def test_a_higher_role_may_do_all_a_lower_one_may(low, high, action):
    if low <= high and allowed(low, action):
        assert allowed(high, action)


def test_who_may_do_what():
    assert [r.name for r in Role if allowed(r, "adjustments.approve")] == ["APPROVER", "ADMIN"]
    assert [r.name for r in Role if allowed(r, "exceptions.resolve")] == ["OPERATOR", "APPROVER", "ADMIN"]
    assert [r.name for r in Role if allowed(r, "operators.manage")] == ["ADMIN"]
    assert all(allowed(r, "read") for r in Role)
    assert not any(allowed(r, "journal.rewrite") for r in Role)
    assert Role.named("Approver") is Role.APPROVER
