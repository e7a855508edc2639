"""The write journal: every write to a member is an intent before it is sent, and is completed
after, together with its link, so that a crash in between is found and repaired on restart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncd.errors import StoreError
from syncd.model import Kind, Values
from syncd.state import IntentAction, IntentStatus
from syncd.store import schema as t
from syncd.store.base import IntegrityFailure, StoreBase, taken
from syncd.store.bulk import insert_for
from syncd.store.codec import dump_json, utcnow
from syncd.store.values import dump_values


class IntentSide(StoreBase):
    """Journaling writes and settling them."""

    def add_intent(
        self,
        group: str,
        run_id: int | None,
        member: str,
        uid: str,
        kind: Kind,
        action: IntentAction,
        payload: Mapping[str, Any],
    ) -> int:
        """Journal a write before it is sent (committed on return).

        Args:
            payload: the write's JSON form (``syncd.model.encode``), kept as is.

        Returns:
            The intent's id, for ``complete_intent`` or ``set_intent_status``.

        Raises:
            ValueError: an unknown action.
            StoreError: the database cannot be written.
        """
        if action not in get_args(IntentAction):
            raise ValueError(f"unknown intent action {action!r}")
        row = {"group": group, "run_id": run_id, "member": member, "uid": uid, "kind": kind}
        row |= {"action": action, "payload": dump_json(dict(payload)), "status": "pending"}
        with self._write() as conn:
            insert = sa.insert(t.journal).returning(t.journal.c.id)
            return int(conn.execute(insert, {**row, "created_at": utcnow()}).scalar_one())

    def complete_intent(
        self,
        intent_id: int,
        *,
        group: str,
        uid: str,
        member: str,
        external_id: str | None,
        shadow: Values | None,
        kind: Kind,
        status: Literal["done", "adopted"] = "done",
    ) -> None:
        """Mark a sent write done and update its link, in one transaction.

        With an ``external_id`` (create, update, adoption) the link (group, uid, member) is
        upserted with it, untombstoned, and with ``shadow`` (``None`` keeps the stored shadow);
        a missing record row is created with an empty base and ``kind``. Without one (delete),
        the link is deleted.

        Raises:
            StoreError: no such intent; the external id is linked to another uid in that member
                (naming group, member and external id); or the database failed.
        """
        values = {"status": status, "finished_at": utcnow(), "external_id": external_id}
        try:
            with self._write() as conn:
                update = sa.update(t.journal).where(t.journal.c.id == intent_id).values(values)
                if conn.execute(update).rowcount == 0:
                    raise StoreError(f"no intent {intent_id} in {self.location}")
                link = {"group": group, "uid": uid, "member": member}
                if external_id is None:
                    conn.execute(
                        sa.delete(t.links).where(*(t.links.c[k] == v for k, v in link.items()))
                    )
                else:
                    self._link(conn, link, kind, external_id, shadow)
        except IntegrityFailure as err:
            raise self._explain_link(group, member, external_id, uid, err) from err

    def _link(
        self,
        conn: Connection,
        link: dict[str, str],
        kind: Kind,
        external_id: str,
        shadow: Values | None,
    ) -> None:
        record = {"group": link["group"], "uid": link["uid"], "kind": kind, "deleted": False}
        record |= {"base": dump_values(kind, {}), "updated_at": utcnow()}
        conn.execute(insert_for(conn, t.records).on_conflict_do_nothing(), record)
        values = {"external_id": external_id, "tombstone": False}
        if shadow is not None:
            values["shadow"] = dump_values(kind, shadow)
        insert = insert_for(conn, t.links).values(
            {**link, "shadow": dump_values(kind, {}), **values}
        )
        keys = ["group", "uid", "member"]
        conn.execute(insert.on_conflict_do_update(index_elements=keys, set_=values))

    def _explain_link(
        self, group: str, member: str, external_id: str | None, uid: str, err: IntegrityFailure
    ) -> StoreError:
        if external_id is not None:
            c = t.links.c
            where = sa.and_(c.group == group, c.member == member, c.external_id == external_id)
            with self._read() as conn:
                holder = conn.scalar(sa.select(c.uid).where(where))
            if holder is not None and holder != uid:
                return taken(group, (member, external_id), holder, uid)
        return StoreError(f"group {group!r}: intent not completed: {err}")

    def set_intent_status(
        self, intent_id: int, status: IntentStatus, error: str | None = None
    ) -> None:
        """Settle an intent without touching links: 'failed', 'adopted' or 'abandoned'.

        Args:
            error: what went wrong, for ``syncd status``.

        Raises:
            ValueError: an unknown status.
            StoreError: no such intent, or the database cannot be written.
        """
        if status not in get_args(IntentStatus):
            raise ValueError(f"unknown intent status {status!r}")
        finished = None if status == "pending" else utcnow()
        values = {"status": status, "error": error, "finished_at": finished}
        with self._write() as conn:
            update = sa.update(t.journal).where(t.journal.c.id == intent_id).values(values)
            if conn.execute(update).rowcount == 0:
                raise StoreError(f"no intent {intent_id} in {self.location}")
