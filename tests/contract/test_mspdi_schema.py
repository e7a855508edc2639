"""Tests of the MSPDI schema checker itself (`tests.contract.mspdi`).

They use the real samples of ``../shared/specs/mspdi/``, read in place, and small documents of
our own; they skip when the samples or the schema are absent.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.contract import mspdi
from tests.contract.mspdi import (
    MSPDI_2007_NS,
    MSPDI_DIR,
    MSPDI_NS,
    SchemaError,
    new_errors,
    sample_params,
    samples,
    schema_errors,
    schema_or_skip,
)

VALID_SAMPLE = "mpxj_mspdirelations.xml"
N = f"{{{MSPDI_NS}}}"

# A small document of our own that validates strictly.
OURS = b"""<?xml version="1.0" encoding="UTF-8"?>
<Project xmlns="http://schemas.microsoft.com/project">
  <SaveVersion>14</SaveVersion>
  <Name>demo.xml</Name>
  <CurrencyCode>EUR</CurrencyCode>
  <Tasks>
    <Task>
      <UID>1</UID>
      <ID>1</ID>
      <Name>Design</Name>
      <Start>2024-01-08T08:00:00</Start>
      <Finish>2024-01-09T17:00:00</Finish>
      <PercentComplete>50</PercentComplete>
    </Task>
    <Task>
      <UID>2</UID>
      <ID>2</ID>
      <Name>Build</Name>
      <Start>2024-01-10T08:00:00</Start>
      <Finish>2024-01-12T17:00:00</Finish>
      <PercentComplete>0</PercentComplete>
      <PredecessorLink>
        <PredecessorUID>1</PredecessorUID>
        <Type>1</Type>
      </PredecessorLink>
    </Task>
  </Tasks>
  <Resources>
    <Resource><UID>1</UID><Name>Ann</Name></Resource>
  </Resources>
  <Assignments>
    <Assignment><UID>1</UID><TaskUID>2</TaskUID><ResourceUID>1</ResourceUID></Assignment>
  </Assignments>
</Project>
"""


def _parse(data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.fromstring(data, parser)


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _child(element: etree._Element, name: str) -> etree._Element:
    found = element.find(f"{N}{name}")
    assert found is not None, f"no {name} in {element.tag}"
    return found


def _uid_of_task(data: bytes, index: int) -> str:
    """The UID of the document's task at ``index`` (0 is the project summary task)."""
    return _child(_parse(data).findall(f"{N}Tasks/{N}Task")[index], "UID").text or ""


def _task(root: etree._Element, uid: str) -> etree._Element:
    for task in root.iter(f"{N}Task"):
        if task.findtext(f"{N}UID") == uid:
            return task
    raise AssertionError(f"no task with UID {uid}")


def _valid_sample() -> bytes:
    path = MSPDI_DIR / VALID_SAMPLE
    if not path.is_file():
        pytest.skip(f"../shared/specs/mspdi not found: no {VALID_SAMPLE} in {MSPDI_DIR}")
    return path.read_bytes()


def _sample(name: str) -> bytes:
    path = MSPDI_DIR / name
    if not path.is_file():
        pytest.skip(f"../shared/specs/mspdi not found: no {name} in {MSPDI_DIR}")
    return path.read_bytes()


def _valid_documents() -> list[Any]:
    return [
        pytest.param(lambda: OURS, id="ours"),
        pytest.param(_valid_sample, id=VALID_SAMPLE),
    ]


def _edit(data: bytes, uid: str, change: str) -> bytes:
    """The document with one change made to the task ``uid``."""
    root = _parse(data)
    task = _task(root, uid)
    if change == "unknown element":
        _child(task, "Name").addnext(etree.Element(f"{N}Colour"))
    elif change == "Name after Start":
        name = _child(task, "Name")
        task.remove(name)
        _child(task, "Start").addnext(name)
    elif change == "bad PercentComplete":
        _child(task, "PercentComplete").text = "abc"
    elif change == "new Name":
        _child(task, "Name").text = "Renamed: été & <co>"
    elif change == "new Start":
        _child(task, "Start").text = "2024-02-29T09:30:00"
    else:
        raise AssertionError(change)
    return _serialise(root)


# --- the samples ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sample_params())
def test_every_sample_parses_and_its_errors_are_deterministic(path: Path) -> None:
    """Every sample parses and checking it twice gives the same located errors."""
    data = path.read_bytes()
    _parse(data)
    first = schema_errors(data)
    assert first == schema_errors(data)
    assert all(error.path.startswith("Project") for error in first), first


def test_the_valid_sample_has_no_error() -> None:
    """``mpxj_mspdirelations.xml`` validates strictly, as the specs' README says."""
    data = _valid_sample()
    assert schema_or_skip().validate(etree.ElementTree(_parse(data)))
    assert schema_errors(data) == frozenset()


def test_the_other_samples_have_errors() -> None:
    """The samples other than the valid one each have at least one error, none unlocated."""
    others = [path for path in samples() if path.name != VALID_SAMPLE]
    if not others:
        pytest.skip(f"../shared/specs/mspdi not found: no samples in {MSPDI_DIR}")
    for path in others:
        errors = schema_errors(path.read_bytes())
        assert errors, path.name
        assert not [e for e in errors if e.path.startswith("?")], path.name


@pytest.mark.parametrize("path", sample_params())
def test_shifted_lines_give_equal_errors(path: Path) -> None:
    """Blank lines and indentation added at the top shift every line but change no error."""
    data = path.read_bytes()
    root = _parse(data)
    etree.indent(root, space="    ")
    root.text = "\n" * 10 + (root.text or "")
    shifted = _serialise(root)
    assert shifted.count(b"\n") >= data.count(b"\n") + 8
    before, after = schema_errors(data), schema_errors(shifted)
    assert before == after
    assert not new_errors(data, shifted)
    if before:  # the lines did move
        assert min(e.line for e in after) > min(e.line for e in before)


@pytest.mark.parametrize("path", sample_params())
def test_2007_namespace_gives_the_same_errors(path: Path) -> None:
    """A file in the ``.../project/2007`` namespace has the same errors as in the target one."""
    data = path.read_bytes()
    declaration = f'xmlns="{MSPDI_NS}"'.encode()
    assert declaration in data
    moved = data.replace(declaration, f'xmlns="{MSPDI_2007_NS}"'.encode(), 1)
    assert _parse(moved).tag == f"{{{MSPDI_2007_NS}}}Project"
    assert schema_errors(moved) == schema_errors(data)


def test_prefixed_and_2007_documents_give_the_same_errors() -> None:
    """Errors are located alike in a document with a namespace prefix, in either namespace."""
    data = _edit(OURS, "2", "unknown element")
    expected = schema_errors(data)
    assert expected
    for namespace in (MSPDI_NS, MSPDI_2007_NS):
        root = _parse(data)
        prefixed = etree.Element(f"{{{namespace}}}Project", nsmap={"p": namespace})
        for element in root.iter(etree.Element):
            element.tag = f"{{{namespace}}}{etree.QName(element).localname}"
        prefixed[:] = list(root)
        text = _serialise(prefixed)
        assert b"<p:Tasks>" in text
        assert schema_errors(text) == expected


def test_without_the_samples_the_params_skip_with_a_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without ``../shared/specs/mspdi`` there are no samples and one param skips, saying why."""
    monkeypatch.setattr(mspdi, "MSPDI_DIR", tmp_path / "absent")
    assert samples() == []
    (param,) = sample_params()
    (mark,) = param.marks
    assert mark.name == "skip"
    assert mark.kwargs["reason"].startswith("../shared/specs/mspdi not found: ")


# --- edits ------------------------------------------------------------------------------------


@pytest.mark.parametrize("document", _valid_documents())
@pytest.mark.parametrize("change", ["unknown element", "Name after Start", "bad PercentComplete"])
def test_an_invalid_edit_makes_a_new_error(document: Callable[[], bytes], change: str) -> None:
    """An unknown element, a misplaced one or a bad value in a task of a valid file is new."""
    data = document()
    uid = _uid_of_task(data, 1)
    found = new_errors(data, _edit(data, uid, change))
    assert found
    assert all(error.path.startswith(f"Project/Tasks/Task[UID={uid}]/") for error in found)


@pytest.mark.parametrize("document", _valid_documents())
@pytest.mark.parametrize("change", ["new Name", "new Start"])
def test_a_valid_edit_makes_no_new_error(document: Callable[[], bytes], change: str) -> None:
    """Changing a task's Name or Start to another valid value makes no new error."""
    data = document()
    uid = _uid_of_task(data, 1)
    assert new_errors(data, _edit(data, uid, change)) == frozenset()


def test_unknown_element_message_is_normalised() -> None:
    """An error is keyed by the record's UID, with neither line nor list of expected elements."""
    (error,) = new_errors(OURS, _edit(OURS, "2", "unknown element"))
    assert error == SchemaError(
        "Project/Tasks/Task[UID=2]/Colour",
        "SCHEMAV_ELEMENT_CONTENT",
        "This element is not expected.",
    )
    assert "Expected is" in error.raw
    assert error.line > 0


def test_a_new_task_before_an_error_keeps_it_equal() -> None:
    """Inserting a task before one with an error neither moves the error nor makes a new one."""
    broken = _edit(OURS, "2", "bad PercentComplete")
    root = _parse(broken)
    added = _child(_child(_parse(OURS), "Tasks"), "Task")
    _child(added, "UID").text = "9"
    _child(root, "Tasks").insert(0, added)
    grown = _serialise(root)
    assert schema_errors(grown) == schema_errors(broken)


# --- errors libxml2 hides ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["mpxj_sample.xml", "mpxj_sample1.xml", "mpxj_task-costs-project2019-mspdi.xml"]
)
@pytest.mark.parametrize("change", ["unknown element", "bad PercentComplete"])
def test_an_error_behind_an_earlier_one_is_still_seen(name: str, change: str) -> None:
    """In a sample whose Project header already has an error, a task's new error is found."""
    data = _sample(name)
    uid = _uid_of_task(data, 2)
    found = new_errors(data, _edit(data, uid, change))
    assert found
    assert all(error.path.startswith(f"Project/Tasks/Task[UID={uid}]/") for error in found)


def test_an_error_found_behind_another_equals_the_same_error_found_directly() -> None:
    """A bad value compares equal whether libxml2 saw it or it was validated on its own."""
    bad_value = _edit(OURS, "2", "bad PercentComplete")
    root = _parse(bad_value)
    root.insert(0, etree.Element(f"{N}Colour"))  # hides the rest of Project from libxml2
    both = _serialise(root)
    assert schema_errors(bad_value) < schema_errors(both)
    (added,) = schema_errors(both) - schema_errors(bad_value)
    assert added.path == "Project/Colour"


def test_fixing_the_first_error_does_not_make_a_hidden_one_new() -> None:
    """An unknown element behind the first error of a task is reported, and the same once alone."""
    root = _parse(OURS)
    task = _task(root, "2")
    _child(task, "UID").addnext(etree.Element(f"{N}First"))
    task.append(etree.Element(f"{N}Second"))
    both = _serialise(root)
    task.remove(_child(task, "First"))
    second_only = _serialise(root)
    paths = {error.path for error in schema_errors(both)}
    assert paths == {"Project/Tasks/Task[UID=2]/First", "Project/Tasks/Task[UID=2]/Second"}
    assert new_errors(both, second_only) == frozenset()
