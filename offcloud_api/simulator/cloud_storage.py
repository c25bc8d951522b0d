"""The accounts' cloud storage (docs/api.md L23): quotas, what the cloud holds, full refusals.

:class:`CloudStorage` is the part of :class:`~.state.SimState` that counts the bytes of an
account's cloud jobs against its quota (``accounts[].storage_bytes``); it shares the state's
lock, jobs and accounts.
"""

from __future__ import annotations

import threading
from typing import Any, Optional

from .records import CLOUD_FULL, Job, Refusal
from .scenario import AccountSpec, Scenario

__all__ = ["CloudStorage"]


class CloudStorage:
    """Quota, usage and full-cloud refusals per account (a part of :class:`~.state.SimState`)."""

    lock: threading.RLock
    scenario: Scenario
    jobs: dict[str, Job]
    #: Cloud storage quota per user id (L23), None: no cap; set by the scenario or control.
    storage_caps: dict[str, Optional[int]]
    #: Adds refused because the cloud was full, per user id.
    cloud_full_refusals: dict[str, int]

    def storage_used(self, account: AccountSpec) -> int:
        """Bytes the account's cloud holds: every cloud job not removed, cached or not, counts
        with its total size (L23), whatever its status."""
        with self.lock:
            return sum(
                job.size
                for job in self.jobs.values()
                if job.user_id == account.user_id and job.kind == "cloud" and not job.removed
            )

    def storage_refusal(self, account: AccountSpec, size: int) -> Optional[Refusal]:
        """``{"not_available": "cloud"}`` (counted) if ``size`` more bytes exceed the quota."""
        with self.lock:
            cap = self.storage_caps.get(account.user_id)
            if cap is None or self.storage_used(account) + size <= cap:
                return None
            self.cloud_full_refusals[account.user_id] = (
                self.cloud_full_refusals.get(account.user_id, 0) + 1
            )
            return Refusal(dict(CLOUD_FULL), cloud_full=True)

    def set_storage(
        self, storage_bytes: Optional[int], account: Optional[str] = None
    ) -> AccountSpec:
        """Change an account's quota (default: the first account's); None removes the cap.

        Raises ``KeyError`` for an unknown account.
        """
        with self.lock:
            if account is not None:
                spec = self.scenario.account(account)
            elif self.scenario.accounts:
                spec = self.scenario.accounts[0]
            else:
                raise KeyError("no account")
            self.storage_caps[spec.user_id] = storage_bytes
            return spec

    def storage_snapshot(self, account: AccountSpec) -> dict[str, Any]:
        """The account's quota, usage and full-cloud refusals (for ``/_sim/state``)."""
        with self.lock:
            return {
                "storage_bytes": self.storage_caps.get(account.user_id),
                "storage_used": self.storage_used(account),
                "cloud_full_refusals": self.cloud_full_refusals.get(account.user_id, 0),
            }
