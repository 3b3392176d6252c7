"""The README stays short and the docs stay whole: links resolve, decision records keep their form.

Pure: reads markdown files only.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
DECISIONS = DOCS / "decisions"
README_MAX_LINES = 200
# [text](target) outside code spans; images too. Targets with a scheme are external.
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"`[^`]*`")
RECORD = re.compile(r"^(\d{4})-[a-z0-9-]+\.md$")
RECORD_HEADINGS = ["## Context", "## Decision", "## Consequences"]


@pytest.fixture
def aws() -> None:
    """Replaces the unit suite's autouse moto set-up: these tests read files only."""


def markdown_files() -> list[Path]:
    return [README, *sorted(DOCS.rglob("*.md"))]


def prose(text: str) -> str:
    """The text without fenced code blocks or code spans, where brackets are not links."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return CODE_SPAN.sub("", text)


def anchors(path: Path) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, -N for repeats."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for line in re.sub(r"^```.*?^```", "", path.read_text(), flags=re.S | re.M).splitlines():
        heading = re.match(r"#{1,6} (.+)", line)
        if not heading:
            continue
        slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def relative_links(path: Path) -> list[tuple[Path, str]]:
    links = []
    for target in LINK.findall(prose(path.read_text())):
        if re.match(r"[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        links.append(((path.parent / file_part).resolve() if file_part else path, anchor))
    return links


def test_readme_is_at_most_200_lines() -> None:
    assert len(README.read_text().splitlines()) <= README_MAX_LINES


def test_readme_keeps_the_two_commands() -> None:
    text = README.read_text()
    assert "make run" in text
    assert "make test" in text


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(path: Path) -> None:
    broken = []
    for target, anchor in relative_links(path):
        if not target.exists():
            broken.append(str(target.relative_to(ROOT)))
        elif anchor and target.suffix == ".md" and anchor not in anchors(target):
            broken.append(f"{target.relative_to(ROOT)}#{anchor}")
    assert broken == []


def test_the_link_checker_sees_a_broken_link(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Page\n\n[gone](missing.md) [here](#page) [not a link](`x`) `[x](y.md)`\n")
    assert relative_links(page) == [(tmp_path / "missing.md", ""), (page, "page")]
    assert anchors(page) == {"page"}


def test_the_docs_index_links_every_page() -> None:
    pages = {path for path in DOCS.glob("*.md") if path.name != "README.md"}
    assert pages - {target for target, _ in relative_links(DOCS / "README.md")} == set()


def decision_records() -> list[Path]:
    return sorted(path for path in DECISIONS.glob("*.md") if path.name != "README.md")


def test_decision_records_are_numbered_without_gaps_below_0100() -> None:
    numbers = []
    for path in decision_records():
        match = RECORD.match(path.name)
        assert match, f"{path.name}: name it NNNN-short-title.md"
        numbers.append(int(match.group(1)))
    assert len(numbers) == len(set(numbers))
    below = [n for n in numbers if n < 100]
    assert below == list(range(1, len(below) + 1))


@pytest.mark.parametrize("path", decision_records(), ids=lambda p: p.name)
def test_decision_record_has_the_required_headings(path: Path) -> None:
    lines = path.read_text().splitlines()
    assert lines[0].startswith(f"# {path.name[:4]}. ")
    assert any(line.startswith("Status: ") for line in lines)
    positions = [lines.index(heading) for heading in RECORD_HEADINGS]
    assert positions == sorted(positions)
    for start, end in zip(positions, [*positions[1:], len(lines)], strict=True):
        assert any(line.strip() for line in lines[start + 1 : end]), lines[start]


def test_every_decision_record_is_in_the_index() -> None:
    index = {target for target, _ in relative_links(DECISIONS / "README.md")}
    assert set(decision_records()) <= index
