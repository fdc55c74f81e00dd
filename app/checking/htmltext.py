"""HTML email bodies as text: headings, list items and table cells on their own lines, quotes marked."""

from __future__ import annotations

import re
from typing import Final

from selectolax.lexbor import LexborHTMLParser

_BLOCK_TAGS: Final = frozenset(
    [
        "p",
        "div",
        "section",
        "article",
        "header",
        "footer",
        "main",
        "aside",
        "nav",
        "form",
        "fieldset",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "pre",
        "address",
        "center",
        "dl",
        "dt",
        "dd",
        "figure",
        "figcaption",
        "hr",
    ]
)
_CELL_TAGS: Final = frozenset(("td", "th"))
_BOLD_TAGS: Final = frozenset(("b", "strong", "u"))
_SKIP_TAGS: Final = frozenset(("script", "style", "head", "title", "template", "noscript", "svg", "xml"))
_VOID_TAGS: Final = frozenset(
    ["br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "source", "track", "wbr"]
)
_HIDDEN_STYLE: Final = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
# Each run of spacing becomes one space. A run that is one space already is left alone (matching it would
# replace every gap between words of a paragraph with an equal one).
_WS: Final = re.compile(r"[ \t\r\f\v\u00a0\u200b]{2,}|[\t\r\f\v\u00a0\u200b]")
_MAX_DEPTH: Final = 2000


class _TextBuilder:
    """Collect text with line structure; quoted blocks get '> ' so strip_quoted can drop them."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.cur: list[str] = []
        self.skip = 0
        self.quote = 0
        self.pre = 0
        self.lists: list[list[int]] = []  # per open list: [ordered flag, counter]
        self.bold_start = -1  # index in cur where a leading bold run began
        self.bold_depth = 0
        self.break_after_bold = False
        self.stack: list[str] = []

    # -- line handling -------------------------------------------------
    def _flush(self, blank: bool = False) -> None:
        text = "".join(self.cur).strip() if not self.pre else "".join(self.cur).rstrip()
        self.cur = []
        self.bold_start = -1
        if text:
            prefix = "> " * self.quote
            for part in text.split("\n"):
                self.lines.append(prefix + part if prefix else part)
        if blank and self.lines and self.lines[-1] != "":
            self.lines.append("")

    def _has_text(self) -> bool:
        return any(s.strip() for s in self.cur)

    # -- tree events ------------------------------------------------------
    def start(self, tag: str, style: str | None) -> None:
        """An element opens (its style attribute can hide it)."""
        hidden = bool(style and _HIDDEN_STYLE.search(style))
        self.stack.append(tag)
        if tag in _SKIP_TAGS or hidden or self.skip:
            self.skip += 1
            return
        self._open(tag)

    def _void(self, tag: str) -> None:
        if self.skip:
            return
        if tag == "br":
            self.break_after_bold = False
            blank = not self._has_text()  # <br><br> is a paragraph break
            self._flush(blank=blank)
        elif tag == "hr":
            self._flush(blank=True)

    def _open(self, tag: str) -> None:
        if tag == "blockquote":
            self._flush(blank=True)
            self.quote += 1
        elif tag in ("ul", "ol"):
            self._flush()
            self.lists.append([1 if tag == "ol" else 0, 0])
        elif tag == "li":
            self._flush()
            depth = max(len(self.lists) - 1, 0)
            marker = "- "
            if self.lists and self.lists[-1][0]:
                self.lists[-1][1] += 1
                marker = f"{self.lists[-1][1]}. "
            self.cur.append("  " * depth + marker)
        elif tag in _CELL_TAGS:
            self._flush()
        elif tag in _BLOCK_TAGS:
            self._flush(blank=tag in ("p", "table", "h1", "h2", "h3", "h4", "h5", "h6"))
            if tag == "pre":
                self.pre += 1
        elif tag in _BOLD_TAGS:
            if self.bold_depth == 0 and not self._has_text_after_marker():
                self.bold_start = len(self.cur)
            self.bold_depth += 1

    def _has_text_after_marker(self) -> bool:
        text = "".join(self.cur).strip()
        return bool(text) and not re.fullmatch(r"(?:-|\d+\.)", text)

    def end(self) -> None:
        """The element opened last closes."""
        top = self.stack.pop()
        if self.skip:
            self.skip -= 1
        else:
            self._close(top)

    def _close(self, tag: str) -> None:
        if tag == "blockquote":
            self._flush(blank=True)
            self.quote = max(self.quote - 1, 0)
        elif tag in ("ul", "ol"):
            self._flush(blank=True)
            if self.lists:
                self.lists.pop()
        elif tag == "li" or tag in _CELL_TAGS:
            self._flush()
        elif tag in _BLOCK_TAGS:
            self._flush(blank=tag in ("p", "table", "h1", "h2", "h3", "h4", "h5", "h6"))
            if tag == "pre":
                self.pre = max(self.pre - 1, 0)
        elif tag in _BOLD_TAGS:
            self.bold_depth = max(self.bold_depth - 1, 0)
            if self.bold_depth == 0 and self.bold_start >= 0:
                self._end_leading_bold()

    def _end_leading_bold(self) -> None:
        # A short bold run opening a block is a label ("Goals:", "Current state."): give it its own line.
        label = "".join(self.cur[self.bold_start :]).strip()
        self.bold_start = -1
        if label and len(label.split()) <= 10:
            if label[-1] in ":.?":
                self._flush()
            else:
                self.break_after_bold = True

    def data(self, data: str) -> None:
        """A run of text."""
        if self.skip:
            return
        if not self.pre:
            data = data.replace("\n", " ")
            # only a double space or a character that is not printable (a tab, a no-break or zero-width
            # space) can be replaced: most runs hold neither
            if "  " in data or not data.isprintable():
                data = _WS.sub(" ", data)
        if self.break_after_bold:
            self.break_after_bold = False
            stripped = data.lstrip()
            if stripped[:1] in (":", ".", "?", "\u2014", "-", "\u2013"):
                self.cur.append(stripped[:1])
                data = stripped[1:]
                self._flush()
            elif stripped:
                # Bold followed by ordinary text is emphasis inside a sentence, not a heading.
                pass
        self.cur.append(data)


def _walk(root: object, builder: _TextBuilder) -> None:
    """Feed the document tree to the builder in document order (iteratively: nesting can be deep)."""
    todo: list = [root]  # a node to enter, or None: the element entered last closes
    while todo:
        node = todo.pop()
        if node is None:
            builder.end()
            continue
        tag = node.tag
        if tag == "-text":
            builder.data(node.text_content)
            continue
        if tag in _VOID_TAGS:
            builder._void(tag)
            continue
        if tag[0] == "-":  # comment, doctype, processing instruction
            continue
        deep = len(builder.stack) >= _MAX_DEPTH
        if not deep:
            builder.start(tag, node.attributes.get("style"))
            todo.append(None)
        kids = []
        child = node.child
        while child is not None:
            kids.append(child)
            child = child.next
        todo.extend(reversed(kids))


_TAG: Final = re.compile(r"<(/?)([a-zA-Z][^\s/>]*)[^>]*?(/?)>")
_DEEP_CHECK_CHARS: Final = 20_000  # below this, even the deepest nesting parses in well under a second


def _shallow(html: str) -> str:
    """The markup without the tags nested deeper than _MAX_DEPTH (tags counted as written, closed or not):
    the HTML5 tree builder's scope checks make a parse slow in the nesting depth."""
    if len(html) < _DEEP_CHECK_CHARS:
        return html
    depth, parts, last = 0, [], 0
    for m in _TAG.finditer(html):
        if m.group(3) or m.group(2).lower() in _VOID_TAGS:
            continue
        if m.group(1):
            drop = depth > _MAX_DEPTH
            depth = max(depth - 1, 0)
        else:
            depth += 1
            drop = depth > _MAX_DEPTH
        if drop:
            parts.append(html[last : m.start()])
            last = m.end()
    if not parts:
        return html
    parts.append(html[last:])
    return "".join(parts)


def html_to_text(html: str) -> str:
    """Render an HTML email body as text; headings, list items and table cells get their own lines."""
    builder = _TextBuilder()
    root = LexborHTMLParser(_shallow(html)).root
    if root is not None:
        _walk(root, builder)
    builder._flush()
    text = "\n".join(builder.lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
