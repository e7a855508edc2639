"""Binary project files read through MPXJ in a Java subprocess: checks, errors, conversions."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from adapters.msproject import mpp
from syncd.errors import MemberError

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "specs" / "mspdi"
MSPDI = "{http://schemas.microsoft.com/project}"

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="fake java is a shell script")


def fake_java(folder: Path, script: str) -> Path:
    """A ``java`` launcher in ``folder`` that runs ``script`` (a POSIX shell snippet)."""
    folder.mkdir(parents=True, exist_ok=True)
    java = folder / "java"
    java.write_text(f"#!/bin/sh\n{script}\n")
    java.chmod(0o755)
    return java


JAVA_17 = "echo 'openjdk version \"17.0.15\" 2025-04-15' >&2"


@pytest.fixture
def no_java(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Neither JAVA_HOME nor PATH holds a java launcher."""
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))


@pytest.fixture
def packages_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend mpxj and JPype1 are importable, whatever this environment has."""
    monkeypatch.setattr(mpp, "_PACKAGES", ())


@pytest.fixture
def ready(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_java: None, packages_installed: None
) -> Path:
    """Everything looks installed (a fake Java 17); returns an existing input file."""
    fake_java(tmp_path / "bin", JAVA_17)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    plan = tmp_path / "plan.mpp"
    plan.write_bytes(b"\xd0\xcf\x11\xe0 not really a plan")
    return plan


def fake_child(
    monkeypatch: pytest.MonkeyPatch, returncode: int, stdout: str = "", stderr: str = ""
) -> None:
    """Make the converter subprocess end as given, without starting Python or Java."""

    def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, returncode, stdout, stderr)

    monkeypatch.setattr(subprocess, "run", run)


def test_missing_java_is_explained(no_java: None, packages_installed: None) -> None:
    """Without a java launcher, check says a Java runtime is needed, or XML instead."""
    problem = mpp.java_problem()
    assert problem is not None
    assert "needs a Java runtime (java not found on PATH or in JAVA_HOME)" in problem
    assert "save the plan as XML" in problem


def test_missing_mpxj_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the mpxj package, check says which extra to install."""
    monkeypatch.setitem(sys.modules, "mpxj", None)  # makes it unimportable
    problem = mpp.java_problem()
    assert problem is not None
    assert "pip install 'syncd[mpp]'" in problem


@posix_only
def test_a_broken_java_is_reported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_java: None, packages_installed: None
) -> None:
    """A java launcher that fails (macOS's stub without a runtime) is reported as such."""
    java = fake_java(tmp_path / "bin", "echo 'Unable to locate a Java Runtime.' >&2; exit 1")
    monkeypatch.setenv("PATH", str(java.parent))
    assert mpp.java_problem() == f"the Java runtime {java} does not run: install a JRE 11+"


@posix_only
def test_an_old_java_is_reported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_java: None, packages_installed: None
) -> None:
    """Java 8 (which says "1.8.0") is too old for MPXJ through JPype."""
    java = fake_java(tmp_path / "bin", "echo 'java version \"1.8.0_381\"' >&2")
    monkeypatch.setenv("PATH", str(java.parent))
    assert mpp.java_problem() == f"the Java runtime {java} is Java 8: reading .mpp needs 11+"


@posix_only
def test_java_home_is_used_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_java: None, packages_installed: None
) -> None:
    """A runtime in JAVA_HOME is found even when PATH has none."""
    fake_java(tmp_path / "jdk" / "bin", JAVA_17)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))
    assert mpp.java_problem() is None


def test_reading_without_java_names_the_file(
    tmp_path: Path, no_java: None, packages_installed: None
) -> None:
    """A read with no Java runtime fails at once with the file and the reason."""
    with pytest.raises(MemberError, match=r"plan\.mpp: reading binary project files"):
        mpp.read_as_mspdi(tmp_path / "plan.mpp")


@posix_only
def test_a_missing_file_is_named_before_starting_java(ready: Path) -> None:
    """A missing input file is reported by its path, without starting a converter."""
    missing = ready.with_name("gone.mpp")
    with pytest.raises(MemberError, match=re.escape(f"{missing} does not exist")):
        mpp.read_as_mspdi(missing)


@posix_only
def test_the_childs_report_is_used_and_its_stderr_never(
    ready: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The error names the file and gives the child's report, never its stderr (may quote it)."""
    fake_child(
        monkeypatch,
        3,
        stdout=f"{mpp._MARK}it is not a project file MPXJ can read\n",
        stderr="Exception: unexpected 'Confidential merger plan'",
    )
    with pytest.raises(MemberError) as caught:
        mpp.read_as_mspdi(ready)
    assert str(caught.value) == f"{ready}: it is not a project file MPXJ can read"


@posix_only
def test_a_crashed_converter_is_reported(ready: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A converter killed without a report (say, by the OOM killer) still gives a clear error."""
    fake_child(monkeypatch, -9, stderr="# A fatal error has been detected by the JRE")
    with pytest.raises(MemberError, match=r"converter failed \(killed by signal 9\)") as caught:
        mpp.read_as_mspdi(ready)
    assert str(ready) in str(caught.value)


@posix_only
def test_a_hung_converter_is_stopped(ready: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A conversion over the timeout is abandoned (the child is killed) with a clear error."""

    def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        raise subprocess.TimeoutExpired(command, 5)

    monkeypatch.setattr(subprocess, "run", run)
    with pytest.raises(
        MemberError, match=re.escape(f"{ready}: MPXJ did not finish reading it within 5 s")
    ):
        mpp.read_as_mspdi(ready, timeout=5)


def test_the_child_wants_two_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    """The converter's entry point explains its usage instead of starting Java."""
    assert mpp.main(["only-one"]) == 2
    assert "usage: python -m adapters.msproject.mpp IN OUT.xml" in capsys.readouterr().err


# -- real conversions (start a JVM: a couple of seconds each) -------------------------------------


@pytest.fixture(scope="module")
def converter() -> None:
    """Skip unless mpxj, JPype1 and a Java runtime are installed."""
    problem = mpp.java_problem()
    if problem:
        pytest.skip(f"MPXJ is not usable here: {problem}")


def sample(name: str) -> Path:
    path = SAMPLES / name
    if not path.is_file():
        pytest.skip(f"the MSPDI sample {path} is not present")
    return path


def tasks(data: bytes) -> list[tuple[str | None, str | None]]:
    """(UID, Name) of each task of an MSPDI document, checking that it is one."""
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    assert etree.QName(root).localname == "Project"
    return [
        (task.findtext(f"{MSPDI}UID"), task.findtext(f"{MSPDI}Name"))
        for task in root.iterfind(f"{MSPDI}Tasks/{MSPDI}Task")
    ]


@pytest.mark.slow
def test_mpxj_converts_a_real_plan_to_mspdi(converter: None) -> None:
    """A real MSPDI sample read through MPXJ comes back as MSPDI with the same tasks."""
    path = sample("mpxj_sample.xml")
    converted = mpp.read_as_mspdi(path)
    assert tasks(converted) == tasks(path.read_bytes())
    assert len(tasks(converted)) == 20


@pytest.mark.slow
def test_mpxj_reads_other_formats(converter: None, tmp_path: Path) -> None:
    """A plan in another format (MPX, written by MPXJ's own converter) is read too."""
    path = sample("mpxj_sample.xml")
    spec = importlib.util.find_spec("mpxj")
    assert spec is not None
    assert spec.submodule_search_locations is not None
    jars = Path(next(iter(spec.submodule_search_locations))) / "lib" / "*"
    mpx = tmp_path / "plan.mpx"
    java = mpp._find_java()
    assert java is not None
    subprocess.run(  # noqa: S603 - MPXJ's own converter on a sample file
        [java, "-cp", str(jars), "org.mpxj.sample.MpxjConvert", str(path), str(mpx)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert mpx.read_bytes().startswith(b"MPX,")
    names = [name for _, name in tasks(mpp.read_as_mspdi(mpx))]
    assert names == [name for _, name in tasks(path.read_bytes())]


@pytest.mark.slow
def test_a_file_that_is_no_project_is_named(converter: None, tmp_path: Path) -> None:
    """A file MPXJ recognises as no project format gives a clear error naming it."""
    path = tmp_path / "notes.mpp"
    path.write_text("Minutes of the Tuesday meeting\n")
    with pytest.raises(MemberError) as caught:
        mpp.read_as_mspdi(path)
    assert str(caught.value) == (
        f"{path}: it is not a project file MPXJ can read (.mpp, .mpx, MSPDI .xml, ...)"
    )
    assert "Tuesday" not in str(caught.value)
