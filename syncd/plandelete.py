"""Planning deletions: only after complete listings, behind the mass-delete breaker.

A record missing from a member's complete listing was deleted there. Unless another member
edited it meanwhile (the edit wins: it is re-created), the group's delete policy applies:
``archive`` or ``delete`` it everywhere, or ``ignore`` (keep a tombstone link so it is never
re-created in the member that deleted it).
"""

from __future__ import annotations

from adapters.base import DeleteMode
from syncd.actions import Delete, Notice
from syncd.planbase import PlannerState
from syncd.state import LinkState, RecordState


class Deleting(PlannerState):
    """Finding and planning deletions."""

    def _find_deletions(self) -> None:
        """After complete listings, linked records a member no longer has were deleted there."""
        gone: dict[str, list[str]] = {n: sorted(uids) for n, uids in self.replaced.items()}
        for name, view in self.members.items():
            obs = view.observation
            if obs is None or not obs.complete:
                continue
            failed = {e.external_id for e in obs.errors}
            seen = self.seen[name]
            absent = {
                uid
                for ext, uid in self.ext_to_uid[name].items()
                if uid not in seen and ext not in failed
            }
            gone[name] = sorted(absent | self.replaced[name])
        if not self.policy.force_delete and self._breaker_trips(gone):
            return
        for name, uids in gone.items():
            for uid in uids:
                self.deleted_in[uid].add(name)

    def _breaker_trips(self, gone: dict[str, list[str]]) -> bool:
        for name, uids in gone.items():
            linked = len(self.ext_to_uid[name])
            if uids and len(uids) > self.policy.max_delete_ratio * linked:
                self.out.notices.append(
                    Notice(
                        "mass_delete_refused",
                        f"{name}'s listing lacks {len(uids)} of its {linked} linked records, more "
                        f"than max_delete_ratio {self.policy.max_delete_ratio:.0%}: no record of "
                        "this group is deleted this run (check the member's scope; "
                        "--force-delete overrides)",
                        member=name,
                    )
                )
                return True
        return False

    def _vanished(self, uid: str) -> None:
        """Settle a record some members no longer list, before any record is merged.

        Deciding every deletion first lets the merge treat references to deleted records as
        cleared, as the systems themselves do when a record is deleted.
        """
        rec = self.out.records.get(uid) or self.records[uid]
        if rec.deleted:  # its deletion was under way: those members are done with it
            touched = self._touch(uid)
            for name in self.deleted_in[uid]:
                touched.links.pop(name, None)
        elif self._deleted(uid):
            self.dead.add(uid)
            self.deleting.add(uid)

    def _deleted(self, uid: str) -> bool:
        """Apply a deletion seen in some members; False when the record lives on."""
        rec = self._touch(uid)
        vanished = sorted(self.deleted_in[uid])
        stored_links = {name: rec.links.pop(name) for name in vanished}
        if self._edited_elsewhere(uid, rec):
            self.out.notices.append(
                Notice(
                    "resurrected",
                    f"{rec.kind} {uid} was deleted in {', '.join(vanished)} but edited "
                    "elsewhere since the last sync: the edit wins and it is re-created there",
                    uid=uid,
                )
            )
            return False
        if self.policy.deletes == "ignore":
            for name, link in stored_links.items():
                rec.links[name] = LinkState(name, link.external_id, link.shadow, tombstone=True)
            return False
        rec.deleted = True
        self._plan_deletes(rec)
        return True

    def _edited_elsewhere(self, uid: str, rec: RecordState) -> bool:
        for name, link in rec.links.items():
            obs = self.seen.get(name, {}).get(uid)
            if obs is not None and self._canonical(name, rec.kind, obs) != link.shadow:
                return True
        return False

    def _plan_deletes(self, rec: RecordState) -> None:
        mode: DeleteMode = "delete" if self.policy.deletes == "delete" else "archive"
        live = [(m, ln) for m, ln in rec.links.items() if not ln.tombstone]
        for name, link in live:
            view = self.members.get(name)
            if view is None or view.observation is None:
                continue
            if mode not in view.capabilities.delete_modes:
                self.out.notices.append(
                    Notice(
                        "delete_unsupported",
                        f"{name} cannot {mode} records: {rec.kind} {rec.uid} stays there, unlinked",
                        member=name,
                        uid=rec.uid,
                    )
                )
                del rec.links[name]
                continue
            self.out.deletes.append(Delete(name, rec.uid, rec.kind, link.external_id, mode))
