"""Reads the sim's HTML the way a test needs it: elements by id, and a CSP audit."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    text: str = ""
    children: list[Element] = field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[Element] = [Element("#document", {})]
        self.all: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        self.all.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.stack:
            element.text += data


class Doc:
    def __init__(self, html: str) -> None:
        parser = _Parser()
        parser.feed(html)
        parser.close()
        self.elements = parser.all

    def by_id(self, element_id: str) -> Element:
        found = [e for e in self.elements if e.attrs.get("id") == element_id]
        assert len(found) == 1, f"expected one #{element_id}, found {len(found)}"
        return found[0]

    def has_id(self, element_id: str) -> bool:
        return any(e.attrs.get("id") == element_id for e in self.elements)

    def all(self, tag: str) -> list[Element]:
        return [e for e in self.elements if e.tag == tag]

    def position(self, element_id: str) -> int:
        return self.elements.index(self.by_id(element_id))

    def inline_code(self) -> list[str]:
        """What a strict CSP would block: inline scripts, handlers, style attributes."""
        problems = []
        for element in self.elements:
            if element.tag == "script" and not element.attrs.get("src"):
                problems.append("inline <script>")
            if element.tag == "style":
                problems.append("<style> element")
            for name, value in element.attrs.items():
                if name.startswith("on") or name == "style":
                    problems.append(f"{element.tag}[{name}]")
                if value and value.strip().lower().startswith("javascript:"):
                    problems.append(f"{element.tag}[{name}=javascript:]")
        return problems


def text_of(element: Element) -> str:
    return " ".join(element.text.split())
