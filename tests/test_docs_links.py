"""The repository explains itself: its documents link only to what exists, and the code cites them.

Two checks. Every relative link in README.md and docs/*.md (a file, a file and an anchor, or an
anchor in the same page) points at a file of the repository and, where an anchor is named, at a
heading or an explicit ``<a id>`` of that file, with GitHub's rules for turning a heading into an
anchor. And every ``docs/<name>.md`` that a comment or docstring names in the code, the tests or
the benchmark is a file under ``docs/``; where such a reference names a section (``§4.3``) or a
row of the API facts (``L11``), that section or row is there.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
CODE_DIRS = ("offcloud_api", "plugins", "hooks", "tests", "bench")
CODE_SUFFIXES = {".py", ".md", ".json", ".cfg", ".toml", ".txt"}
#: The README is the user's path: about 300 lines (issue 20), with a little room.
README_MAX_LINES = 320

_FENCE = re.compile(r"^\s*(```|~~~)")
_INLINE_CODE = re.compile(r"`+[^`]*`+")
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_EXPLICIT_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"")
# What a comment cites: a file name under docs/, then optionally sections and rows.
_REFERENCE = re.compile(
    r"(?<![\w./-])docs/([A-Za-z0-9_-]+\.md)"
    r"((?:[ ,;]*(?:§\s?[0-9][0-9.]*|L[0-9]+(?:[-\u2013]L[0-9]+)?))*)"
)
_SECTION = re.compile(r"§\s?([0-9]+(?:\.[0-9]+)*)")
_ROW = re.compile(r"\bL([0-9]+)\b")


def _prose_lines(text: str) -> Iterator[Tuple[int, str]]:
    """The lines of a Markdown text outside fenced code blocks, numbered from 1."""
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"<[^>]+>", "", heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link in a heading keeps its text
    text = text.replace("`", "").strip().lower()
    kept = [char for char in text if char in " -_" or char.isalnum()]
    return "".join(kept).replace(" ", "-")


def anchors(page: Path) -> Set[str]:
    """Every anchor a page offers: its headings (repeats numbered as GitHub does) and <a id>s."""
    found: Set[str] = set()
    seen: Dict[str, int] = {}
    text = page.read_text(encoding="utf-8")
    for _, line in _prose_lines(text):
        match = _HEADING.match(line)
        if match:
            base = slug(match.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
        found.update(_EXPLICIT_ANCHOR.findall(line))
    return found


def links(page: Path) -> Iterator[Tuple[int, str]]:
    """The link targets of a page, outside code, with their line numbers."""
    for number, line in _prose_lines(page.read_text(encoding="utf-8")):
        for target in _LINK.findall(_INLINE_CODE.sub("", line)):
            yield number, target


def broken_links(page: Path, root: Path = ROOT) -> List[str]:
    """What is wrong with a page's relative links, one line per broken link."""
    problems = []
    for number, target in links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # https:, mailto: …
            continue
        path_part, _, anchor = target.partition("#")
        destination = (page.parent / path_part).resolve() if path_part else page
        where = f"{page.relative_to(root)}:{number}: {target}"
        if not destination.exists():
            problems.append(f"{where}: no such file")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            problems.append(f"{where}: no heading or <a id> for #{anchor}")
        elif root not in destination.parents and destination != root:
            problems.append(f"{where}: points outside the repository")
    return problems


def code_files() -> Iterator[Path]:
    for directory in CODE_DIRS:
        for path in sorted((ROOT / directory).rglob("*")):
            if path.is_file() and path.suffix in CODE_SUFFIXES and path != Path(__file__).resolve():
                yield path


def missing_references(text: str, source: str) -> List[str]:
    """The ``docs/…`` references in a text that name no file, section or row of our docs."""
    problems = []
    for match in _REFERENCE.finditer(text):
        name, tail = match.group(1), match.group(2)
        line = text.count("\n", 0, match.start()) + 1
        where = f"{source}:{line}: docs/{name}{tail.rstrip(' ,;')}"
        document = DOCS / name
        if not document.exists():
            problems.append(f"{where}: docs/{name} is not in the repository")
            continue
        content = document.read_text(encoding="utf-8")
        problems.extend(
            f"{where}: docs/{name} has no section {section}"
            for section in _SECTION.findall(tail)
            if not re.search(rf"^#+\s+§?{re.escape(section)}\.?\s", content, re.M)
        )
        problems.extend(
            f"{where}: docs/{name} has no row L{row}"
            for row in _ROW.findall(tail)
            if not re.search(rf"^\|\s*(?:<a id=\"[^\"]*\"></a>)?L{row}\s*\|", content, re.M)
        )
    return problems


def test_slug_follows_github() -> None:
    heading = "Offcloud's 2026 API: what it means for you"
    assert slug(heading) == "offclouds-2026-api-what-it-means-for-you"
    assert slug("The `offcloud` command line") == "the-offcloud-command-line"
    assert slug("(a) The linuxserver.io Docker image") == "a-the-linuxserverio-docker-image"
    assert slug("4.3 Loopback / private addresses") == "43-loopback--private-addresses"


def test_broken_links_are_found(tmp_path: Path) -> None:
    """The checker itself can fail: a page with a dead file link and a dead anchor."""
    page = tmp_path / "page.md"
    page.write_text(
        "# Title\n\n## Real heading\n\n[ok](#real-heading) [bad](#nowhere) [gone](missing.md)\n"
        "```\n[in code](ignored.md)\n```\n[web](https://example.com)\n",
        encoding="utf-8",
    )
    problems = broken_links(page, root=tmp_path)
    assert len(problems) == 2, problems
    assert "#nowhere" in problems[0]
    assert "missing.md" in problems[1]


def test_missing_references_are_found() -> None:
    """A reference to a document, section or row that is not there is reported; one that is, not."""
    text = (
        "# docs/no-such-file.md §1\n# docs/api.md L999\n# docs/pyload.md §99.9\n"
        "# docs/api.md L1\n# docs/api.md §4.1\n"
    )
    problems = missing_references(text, "probe.py")
    assert len(problems) == 3, problems
    assert [problem.split(": ")[1] for problem in problems] == [
        "docs/no-such-file.md §1",
        "docs/api.md L999",
        "docs/pyload.md §99.9",
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    assert broken_links(page) == []


def test_code_cites_only_docs_in_the_repository() -> None:
    """Every docs/… reference in code, tests and benchmark names a document, section, row we have.

    A reference to notes kept outside the repository (or to a section our docs lack) fails it.
    """
    problems = [
        problem
        for path in code_files()
        for problem in missing_references(
            path.read_text(encoding="utf-8", errors="replace"), str(path.relative_to(ROOT))
        )
    ]
    assert problems == [], "\n".join(problems)


def test_readme_stays_the_users_path() -> None:
    """The README keeps to the user's path (about 300 lines); reference material goes to docs/."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; move reference into docs/"


def test_every_document_is_linked() -> None:
    """Each Markdown page under docs/ is reachable: the README or another page links to it."""
    linked = {
        (page.parent / target.partition("#")[0]).resolve()
        for page in PAGES
        for _, target in links(page)
        if target.partition("#")[0] and not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I)
    }
    orphans = [page.name for page in sorted(DOCS.glob("*.md")) if page.resolve() not in linked]
    assert orphans == []
