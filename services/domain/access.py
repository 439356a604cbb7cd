"""Who may do what: operators have one role, roles are ordered (viewer < operator <
approver < admin), and every action the ledger's people can take needs a least role.
Pure: the API and the CLI ask it after authenticating the token."""

from __future__ import annotations

from enum import IntEnum


class Role(IntEnum):
    VIEWER = 1  # reads balances, statements, the queue, the journal
    OPERATOR = 2  # works the exceptions queue, proposes adjustments, imports files, runs payouts
    APPROVER = 3  # and approves (never their own) or refuses adjustments
    ADMIN = 4  # and manages operators

    @classmethod
    def named(cls, name: str) -> Role:
        try:
            return cls[name.upper()]
        except KeyError:
            raise ValueError(f"role {name!r} is not one of {', '.join(r.name.lower() for r in cls)}") from None


# action -> the least role that may take it
ACTIONS: dict[str, Role] = {
    "read": Role.VIEWER,
    "exceptions.assign": Role.OPERATOR,
    "exceptions.resolve": Role.OPERATOR,
    "adjustments.propose": Role.OPERATOR,
    "adjustments.approve": Role.APPROVER,
    "adjustments.refuse": Role.APPROVER,
    "reconcile.import": Role.OPERATOR,
    "payouts.run": Role.OPERATOR,
    "payouts.confirm": Role.OPERATOR,
    "operators.manage": Role.ADMIN,
}


def allowed(role: Role, action: str) -> bool:
    """Whether an operator of role may take action (an unknown action: nobody may)."""
    need = ACTIONS.get(action)
    return need is not None and role >= need
