"""Settings of the Microsoft Project adapter: one member per MSPDI file (or a subtree of it).

A connection needs no credentials: the plan is a file that the project manager opens and saves in
Microsoft Project ("Save as: XML"). Binary ``.mpp`` files are read through MPXJ, read-only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from adapters.base import ConnectionSettings, MemberSettings

_OUTLINE = re.compile(r"[1-9]\d*(\.[1-9]\d*)*")
_TEXT_FIELD = re.compile(r"Text([1-9]|[12]\d|30)")


class MSProjectConnection(ConnectionSettings):
    """Microsoft Project files on this machine: nothing to authenticate."""

    type: Literal["msproject"] = "msproject"


class MSProjectMember(MemberSettings):
    """One plan file (optionally one summary task's subtree) in a group."""

    path: Path = Field(description="The MSPDI .xml file (or a read-only .mpp file).")
    outline: str | None = Field(
        default=None,
        description="Only the tasks under this summary task, by outline number (e.g. '2').",
    )
    uid_field: str = Field(
        default="Text30",
        description="The task text field (Text1..Text30) that keeps syncd's uid on each task.",
    )
    backup_suffix: str | None = Field(
        default=".bak",
        description="Keep the previous version of the file under this suffix (null: none).",
    )
    max_bytes: int = Field(
        default=64 * 2**20, ge=1024, description="Refuse files larger than this many bytes."
    )

    @field_validator("outline")
    @classmethod
    def _outline(cls, value: str | None) -> str | None:
        if value is not None and not _OUTLINE.fullmatch(value.strip()):
            raise ValueError(f"outline must be an outline number such as 2 or 1.3, got {value!r}")
        return None if value is None else value.strip()

    @field_validator("uid_field")
    @classmethod
    def _uid_field(cls, value: str) -> str:
        if not _TEXT_FIELD.fullmatch(value.strip()):
            raise ValueError(f"uid_field must be a task text field Text1..Text30, got {value!r}")
        return value.strip()

    @field_validator("backup_suffix")
    @classmethod
    def _suffix(cls, value: str | None) -> str | None:
        if value is not None and (not value or "/" in value or "\\" in value):
            raise ValueError("backup_suffix must be a plain file-name suffix such as .bak")
        return value

    @property
    def read_only(self) -> bool:
        """Whether the file is a binary project file syncd can only read."""
        return self.path.suffix.lower() != ".xml"
