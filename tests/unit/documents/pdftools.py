"""Read PDFs the way a real reader does: poppler's pdfinfo and pdftotext."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

POINTS_PER_INCH = 72.0


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False, timeout=120)


def pdfinfo(path: Path) -> dict[str, str]:
    """pdfinfo's fields; fails the test when poppler reports any error."""
    proc = _run("pdfinfo", str(path))
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in proc.stdout.splitlines())}


def page_count(path: Path) -> int:
    return int(pdfinfo(path)["Pages"])


def text(path: Path, *, first: int | None = None, last: int | None = None) -> str:
    """``pdftotext -layout``; fails the test on any syntax error poppler reports."""
    args = ["pdftotext", "-layout"]
    if first:
        args += ["-f", str(first)]
    if last:
        args += ["-l", str(last)]
    proc = _run(*args, str(path), "-")
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr
    return proc.stdout


def squashed(s: str) -> str:
    """Text with every run of whitespace (line breaks too) made one space, to compare phrases."""
    return re.sub(r"\s+", " ", s)


@dataclass(frozen=True)
class Word:
    text: str
    x_min: float
    y_min: float
    x_max: float
    y_max: float


def words(path: Path, page: int = 1) -> list[Word]:
    """The words of one page with their boxes in points from the top-left corner (``pdftotext -bbox``)."""
    proc = _run("pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(path), "-")
    assert proc.returncode == 0, proc.stderr
    root = ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", proc.stdout, count=1))
    out = []
    for el in root.iter():
        if el.tag.endswith("word"):
            out.append(Word(el.text or "", *(float(el.attrib[k]) for k in ("xMin", "yMin", "xMax", "yMax"))))
    return out


def fonts(path: Path) -> set[str]:
    proc = _run("pdffonts", str(path))
    assert proc.returncode == 0, proc.stderr
    return {line.split()[0] for line in proc.stdout.splitlines()[2:] if line.strip()}
