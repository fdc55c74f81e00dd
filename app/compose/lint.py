"""`mou templates check`: find syntax errors, unknown variables, missing parts and unsafe constructs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, TemplateSyntaxError, meta, nodes

from app.compose.context import SAMPLES, known_variables
from app.compose.environment import TEMPLATES_DIR, file_environment, sandbox_environment
from app.compose.errors import ComposeError
from app.compose.render import PARTS, TemplateSource, builtin_templates, render_internal, render_mou_email
from app.compose.render import render_source as render_admin

# Names Jinja provides itself; templates may use them without the context supplying them.
_JINJA_GLOBALS = frozenset(
    {"range", "dict", "cycler", "joiner", "namespace", "loop", "self", "super", "varargs"}
)


@dataclass(frozen=True)
class Problem:
    """One finding: where it is and what is wrong, in words an admin can act on."""

    template: str
    part: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.template}/{self.part}" + (f":{self.line}" if self.line else "")
        return f"{where}: {self.message}"


def _unsafe_constructs(ast: nodes.Template) -> Iterable[tuple[int, str]]:
    """`|safe` and `{% autoescape false %}` would let memo text become markup."""
    for node in ast.find_all(nodes.Filter):
        if node.name == "safe":
            yield node.lineno, "the 'safe' filter turns off escaping; memo text must stay escaped"
    for node in ast.find_all(nodes.ScopedEvalContextModifier):
        if any(kw.key == "autoescape" for kw in node.options):
            yield node.lineno, "autoescape blocks are not allowed; memo text must stay escaped"


def _imported_names(ast: nodes.Template) -> set[str]:
    """Names bound by imports and macros; blocks of an extending template use them from the top level."""
    names = {node.target for node in ast.find_all(nodes.Import)}
    names |= {node.name for node in ast.find_all(nodes.Macro)}
    for node in ast.find_all(nodes.FromImport):
        names |= {item[1] if isinstance(item, tuple) else item for item in node.names}
    return names


def lint_part(
    env: Environment, template: str, part: str, source: str, kind: str, admin: bool
) -> list[Problem]:
    """Check one part's source: syntax, variables the kind does not provide, unsafe constructs."""
    if not source.strip():
        return [Problem(template, part, "this part is missing or empty; every template needs all three")]
    try:
        ast = env.parse(source)
    except TemplateSyntaxError as exc:
        return [Problem(template, part, f"syntax error: {exc.message}", exc.lineno)]
    problems = []
    unknown = (
        meta.find_undeclared_variables(ast) - known_variables(kind) - _JINJA_GLOBALS - _imported_names(ast)
    )
    for name in sorted(unknown):
        problems.append(Problem(template, part, f"unknown variable '{name}' (not in the {kind} context)"))
    if admin:
        problems += [Problem(template, part, msg, line) for line, msg in _unsafe_constructs(ast)]
    return problems


def _read_parts(directory: Path) -> dict[str, str]:
    return {
        part: (directory / part).read_text("utf-8") if (directory / part).exists() else "" for part in PARTS
    }


def _render_problem(template: str, exc: ComposeError) -> Problem:
    return Problem(template, "render", f"rendering the sample context failed: {exc.message}")


def lint_builtin(name: str) -> list[Problem]:
    """Lint a shipped template directory and render it with its sample context."""
    info = builtin_templates()[name]
    parts = _read_parts(TEMPLATES_DIR / name)
    problems = [
        p
        for part, src in parts.items()
        for p in lint_part(file_environment(), name, part, src, info.kind, False)
    ]
    if not problems:
        try:
            if info.kind == "customer":
                render_mou_email(SAMPLES["customer"], name)
            else:
                render_internal(info.kind, SAMPLES[info.kind])
        except ComposeError as exc:
            problems.append(_render_problem(name, exc))
    return problems


def lint_source(source: TemplateSource, kind: str = "customer") -> list[Problem]:
    """Lint an admin template (sources from the database or files) and render it in the sandbox."""
    env = sandbox_environment()
    parts = dict(zip(PARTS, (source.subject, source.html, source.text), strict=True))
    problems = [p for part, src in parts.items() for p in lint_part(env, source.name, part, src, kind, True)]
    if not problems:
        try:
            render_admin(source, SAMPLES[kind])
        except ComposeError as exc:
            problems.append(_render_problem(source.name, exc))
    return problems


def source_from_directory(directory: Path) -> TemplateSource:
    """Read subject.txt, body.html and body.txt from a directory as an admin template."""
    parts = _read_parts(directory)
    return TemplateSource(directory.name, parts["subject.txt"], parts["body.html"], parts["body.txt"])


def lint_template(target: str | TemplateSource | Path) -> list[Problem]:
    """Problems in a shipped template (by name), an admin template, or a directory of template files."""
    if isinstance(target, TemplateSource):
        return lint_source(target)
    if isinstance(target, Path):
        return lint_source(source_from_directory(target))
    if target in builtin_templates():
        return lint_builtin(target)
    return [Problem(target, "-", "no such template")]


def admin_templates(session: Any) -> list[TemplateSource]:
    """The admin-added templates stored in the database, for `templates_check(admin=...)`."""
    from sqlmodel import select

    from app.models import EmailTemplate

    rows = session.exec(select(EmailTemplate).order_by(EmailTemplate.name))
    return [TemplateSource(r.name, r.subject, r.html, r.text, r.description) for r in rows]


def templates_check(
    admin: Iterable[TemplateSource] = (),
    paths: Iterable[Path] = (),
    echo: Callable[[str], object] = print,
) -> int:
    """Lint every shipped template, the given admin templates and directories; exit code 0 when clean."""
    targets: list[str | TemplateSource | Path] = [*builtin_templates(), *admin, *paths]
    failed = 0
    for target in targets:
        label = target.name if isinstance(target, TemplateSource | Path) else target
        problems = lint_template(target)
        failed += bool(problems)
        echo(f"ok    {label}" if not problems else f"FAIL  {label}")
        for problem in problems:
            echo(f"      {problem}")
    echo(f"{len(targets) - failed} of {len(targets)} templates ok")
    return 1 if failed else 0
