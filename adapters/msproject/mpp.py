"""Binary project files (.mpp, .mpx, ...) read through MPXJ, in a Java subprocess.

Microsoft Project's own ``.mpp`` format is undocumented; MPXJ (https://www.mpxj.org, the
``mpxj`` package with its Java jars, driven through JPype) reads it and almost every other
project format, and writes MSPDI XML, which the rest of the adapter understands. Such members
are read-only: syncd never writes a binary file.

The JVM runs in a child process (``python -m adapters.msproject.mpp IN OUT``), never in the
daemon: a JVM cannot be unloaded once started, a crash or hang in it would take the daemon
down, and its memory is only returned when its process ends. The child reports a failure as one
line that names the problem without quoting the file (MPXJ's exception messages may quote its
contents); its stderr, with Java's stack trace, is discarded, and shows when a person runs the
command by hand.

Needs ``pip install 'syncd[mpp]'`` (mpxj and JPype1) and a Java runtime, 11 or newer.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from syncd.errors import MemberError

MIN_JAVA = 11  # what JPype1's packages require (MPXJ's own jar still targets Java 8)
_PACKAGES = ("mpxj", "jpype")  # the import names of the ``mpp`` extra (mpxj, JPype1)
_MODULE = "adapters.msproject.mpp"  # run with -m; __name__ is "__main__" in the child
_MARK = "syncd-mpp-error: "  # the child's one-line failure report, on stdout
_ROOT = Path(__file__).resolve().parents[2]  # the folder holding the ``adapters`` package
_NOT_A_PROJECT = 3
_MPXJ_FAILED = 4
_JVM_OPTIONS = (
    "-Djava.awt.headless=true",
    "-Dlog4j2.statusLoggerLevel=OFF",  # MPXJ ships log4j's API only: mute "no logging provider"
)
_VERSION = re.compile(r'version "(\d+)(?:\.(\d+))?')


def java_problem() -> str | None:
    """Why binary project files cannot be read here (for ``syncd check``), or None.

    Runs ``java -version`` once, so a broken or too old runtime is reported too.
    """
    problem = _setup_problem()
    java = _find_java()
    if problem or java is None:
        return problem
    return _version_problem(java)


def read_as_mspdi(path: Path, *, timeout: float = 120) -> bytes:
    """The project file at ``path``, in any format MPXJ reads, as MSPDI XML bytes.

    Raises `MemberError` naming the file when it is missing, is not a project file MPXJ can
    read, MPXJ fails, or the conversion takes longer than ``timeout`` seconds.
    """
    problem = _setup_problem()
    if problem:
        raise MemberError(f"{path}: {problem}")
    _check_input(path)
    with tempfile.TemporaryDirectory(prefix="syncd-mpp-") as folder:
        output = Path(folder) / "plan.xml"
        _run_child(path, output, timeout)
        try:
            return output.read_bytes()
        except OSError as exc:
            raise MemberError(f"{path}: MPXJ wrote no MSPDI output ({exc.strerror})") from exc


# -- the daemon's side ----------------------------------------------------------------------------


def _setup_problem() -> str | None:
    """What is missing to start a conversion (cheap: nothing is run)."""
    if any(importlib.util.find_spec(name) is None for name in _PACKAGES):
        return (
            "reading binary project files (.mpp) needs the mpxj and JPype1 packages: "
            "pip install 'syncd[mpp]', or save the plan as XML"
        )
    if _find_java() is None:
        return (
            "reading binary project files (.mpp) needs a Java runtime (java not found on PATH "
            f"or in JAVA_HOME): install a JRE {MIN_JAVA}+, or save the plan as XML"
        )
    return None


def _find_java() -> Path | None:
    """The ``java`` launcher: JAVA_HOME's when set (as JPype would use), else PATH's."""
    launcher = "java.exe" if sys.platform == "win32" else "java"
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / launcher).is_file():
        return Path(home) / "bin" / launcher
    found = shutil.which("java")
    return Path(found) if found else None


def _version_problem(java: Path) -> str | None:
    try:
        done = subprocess.run(  # noqa: S603 - a fixed command, no shell
            [str(java), "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"the Java runtime {java} does not run ({exc}): install a JRE {MIN_JAVA}+"
    match = _VERSION.search(done.stderr + done.stdout)
    if done.returncode != 0 or match is None:
        # e.g. macOS's /usr/bin/java stub when no runtime is installed
        return f"the Java runtime {java} does not run: install a JRE {MIN_JAVA}+"
    major = int(match[1]) if match[1] != "1" else int(match[2] or 0)  # "1.8.0" is Java 8
    if major < MIN_JAVA:
        return f"the Java runtime {java} is Java {major}: reading .mpp needs {MIN_JAVA}+"
    return None


def _check_input(path: Path) -> None:
    """Name a missing or unreadable file here, rather than through a JVM's error."""
    try:
        with open(path, "rb"):
            pass
    except FileNotFoundError as exc:
        raise MemberError(f"{path} does not exist") from exc
    except IsADirectoryError as exc:
        raise MemberError(f"{path} is not a regular file") from exc
    except OSError as exc:
        raise MemberError(f"{path} cannot be read: {exc.strerror or exc}") from exc


def _run_child(path: Path, output: Path, timeout: float) -> None:
    # -P: the daemon's working folder must not shadow a module (a stray jpype.py, say)
    command = [sys.executable, "-P", "-m", _MODULE, os.fspath(path), os.fspath(output)]
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and module, no shell
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,  # the child (and its JVM) is killed when it expires
            env=_child_env(),
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise MemberError(f"{path}: MPXJ did not finish reading it within {timeout:g} s") from None
    except OSError as exc:
        raise MemberError(f"{path}: cannot start the MPXJ converter: {exc.strerror}") from exc
    if done.returncode != 0:
        raise MemberError(f"{path}: {_failure(done.returncode, done.stdout)}")


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_ROOT), env.get("PYTHONPATH")]))
    java = _find_java()
    if java is not None and "JAVA_HOME" not in env:
        # Point JPype at the runtime java_problem() checked (JPype's own search on Linux
        # looks at /usr/bin/java, not PATH). Every JRE 9+ has a "release" file in its home.
        home = Path(os.path.realpath(java)).parent.parent
        if (home / "release").is_file():
            env["JAVA_HOME"] = str(home)
    return env


def _failure(returncode: int, stdout: str) -> str:
    """The child's reported problem; never its stderr, which may quote the file."""
    for line in stdout.splitlines():
        if line.startswith(_MARK):
            return line.removeprefix(_MARK).strip()
    how = f"killed by signal {-returncode}" if returncode < 0 else f"exit code {returncode}"
    return (
        f"the MPXJ converter failed ({how}); run `python -m {_MODULE} <file> <out.xml>` "
        "to see its error"
    )


# -- the child's side (python -m adapters.msproject.mpp IN OUT) -----------------------------------


class _NotAProject(Exception):
    """MPXJ recognised no project format in the file."""


class _NoJava(Exception):
    """The JVM (or MPXJ's jars) could not be loaded."""


def main(argv: Sequence[str] | None = None) -> int:
    """Convert ``IN`` to MSPDI XML at ``OUT`` (in this process's JVM); 0 when it worked."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print(f"usage: python -m {_MODULE} IN OUT.xml", file=sys.stderr)
        return 2
    try:
        _convert(args[0], args[1])
    except _NoJava as exc:
        _report(f"cannot start Java for MPXJ ({exc})")
        return _MPXJ_FAILED
    except _NotAProject:
        _report("it is not a project file MPXJ can read (.mpp, .mpx, MSPDI .xml, ...)")
        return _NOT_A_PROJECT
    except Exception as exc:  # noqa: BLE001 - Java's exceptions arrive as Python ones
        traceback.print_exc()  # for a person running this by hand; syncd discards stderr
        _report(f"MPXJ could not read it ({_describe(exc)})")
        return _MPXJ_FAILED
    return 0


def _convert(source: str, target: str) -> None:
    jpype = _start_jvm()
    # MPXJ 13+ lives in org.mpxj (net.sf.mpxj before); the mpp extra requires mpxj>=16
    reader = jpype.JClass("org.mpxj.reader.UniversalProjectReader")()
    project = reader.read(source)
    if project is None:  # no format recognised
        raise _NotAProject
    jpype.JClass("org.mpxj.mspdi.MSPDIWriter")().write(project, target)


def _start_jvm() -> Any:
    try:
        # import_module: mpxj and jpype ship no type information; their modules are typed Any
        jpype = importlib.import_module("jpype")
        importlib.import_module("mpxj")  # puts MPXJ's jars on the class path
        jpype.startJVM(*_JVM_OPTIONS, convertStrings=False)
    except Exception as exc:  # JPype's errors about the JVM are plain ones (OSError, ...)
        raise _NoJava(f"{type(exc).__name__}: {exc}") from exc
    return jpype


def _describe(exc: Exception) -> str:
    """The exception's class, and MPXJ's message only when it is one of MPXJ's fixed texts
    (such as "File is password protected"): other messages may quote the file."""
    name = type(exc).__name__
    message = str(exc.args[0]) if exc.args else ""
    if name.endswith("MPXJException") and message in _mpxj_messages(exc):
        return f"{name}: {message}"
    return name


def _mpxj_messages(exc: Exception) -> set[str]:
    """MPXJException's public String constants: its fixed messages."""
    try:
        fields = exc.getClass().getFields()  # type: ignore[attr-defined]
        return {
            str(f.get(None)) for f in fields if str(f.getType().getName()) == "java.lang.String"
        }
    except Exception:  # noqa: BLE001 - a description must never fail the report
        return set()


def _report(message: str) -> None:
    print(_MARK + message, flush=True)


if __name__ == "__main__":
    sys.exit(main())
