"""Jinja2 templates of prompts, parsed once in a sandbox, with their positions in the YAML file."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from typing import TYPE_CHECKING

from llmops_ci.artifacts.model import Artifact
from llmops_ci.artifacts.yamlsource import JsonPath
from llmops_ci.findings import Position

if TYPE_CHECKING:
    from jinja2 import nodes
    from jinja2.sandbox import SandboxedEnvironment

#: Variables every prompt template may use without declaring them.
RESERVED_VARIABLES = frozenset({"examples", "context"})


@dataclass(frozen=True)
class ParsedTemplate:
    source: str
    tree: nodes.Template | None
    error_line: int = 0
    error_message: str = ""

    @cached_property
    def variables(self) -> dict[str, int]:
        """Undeclared (free) variable name -> the template line where it is first used."""
        if self.tree is None:
            return {}
        from jinja2 import meta, nodes

        free = meta.find_undeclared_variables(self.tree)
        lines: dict[str, int] = {}
        for name_node in self.tree.find_all(nodes.Name):
            if name_node.name in free and name_node.ctx == "load":
                lines.setdefault(name_node.name, name_node.lineno)
        return lines


@cache
def sandbox() -> SandboxedEnvironment:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


@cache
def parse(source: str) -> ParsedTemplate:
    from jinja2 import TemplateSyntaxError

    try:
        return ParsedTemplate(source, sandbox().parse(source))
    except TemplateSyntaxError as error:
        return ParsedTemplate(source, None, error.lineno or 1, error.message or str(error))


def prompt_templates(artifact: Artifact) -> Iterator[tuple[JsonPath, ParsedTemplate]]:
    for index, message in enumerate(artifact.spec.get("messages", [])):
        content = message.get("content")
        if isinstance(content, str):
            yield ("spec", "messages", index, "content"), parse(content)


def line_in_file(artifact: Artifact, path: JsonPath, template_line: int) -> Position:
    """Where line ``template_line`` (1-based) of the template at ``path`` is written."""
    source = artifact.data_at(path)
    lines = source.split("\n") if isinstance(source, str) else []
    offset = sum(len(line) + 1 for line in lines[: max(template_line - 1, 0)])
    return artifact.position_in_string(path, offset)
