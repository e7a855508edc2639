"""The Microsoft Project adapter under the shared adapter contract, over a copy of our own plan."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from adapters.base import Adapter
from adapters.msproject.mapping import status_of
from syncd.model import Kind, Values
from tests.contract.adapter_suite import AdapterContract
from tests.unit.msproject.helpers import FIXTURES, adapter_for


class TestMSProjectFile(AdapterContract):
    """An MSPDI file holding only the project summary task, written to and read back."""

    @contextlib.asynccontextmanager
    async def open_adapter(self) -> AsyncIterator[Adapter]:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "plan.xml"
            shutil.copyfile(FIXTURES / "empty.xml", path)
            async with adapter_for(path) as adapter:
                yield adapter

    def representable(self, kind: Kind, values: Values) -> bool:
        # One element holds both status and percent complete; a finish never precedes the
        # start; an estimate is kept to the minute's precision Project gives Work a second.
        if "status" in values and status_of(values.get("percent_complete", 0)) != values["status"]:
            return False
        start, due = values.get("start"), values.get("due")
        return not (start is not None and due is not None and due < start)


class TestMSProjectSubtree(AdapterContract):
    """A member scoped to one summary task's subtree of our plan with its own records."""

    @contextlib.asynccontextmanager
    async def open_adapter(self) -> AsyncIterator[Adapter]:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "plan.xml"
            shutil.copyfile(FIXTURES / "website.xml", path)
            # Build (2) has records of its own; the contract's rules look only at what they made.
            async with adapter_for(path, outline="2") as adapter:
                yield adapter

    def representable(self, kind: Kind, values: Values) -> bool:
        return TestMSProjectFile.representable(self, kind, values)  # type: ignore[arg-type]
