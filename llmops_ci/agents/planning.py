"""Opening the Agent an eval suite targets (``target: {agent: NAME}``), with everything that can be wrong
reported before any model call: a missing or invalid agent, its prompt, tool schemas that are not valid
JSON Schema, fixture results for tools the agent does not have."""

from __future__ import annotations

from llmops_ci.agents.task import AgentStep
from llmops_ci.artifacts.digest import artifact_digest, short
from llmops_ci.artifacts.model import Artifact, Graph
from llmops_ci.artifacts.schemas import did_you_mean, embedded_schema


def _where(artifact: Artifact, path: tuple[str | int, ...]) -> str:
    position = artifact.position(path)
    return f"{artifact.rel}:{position.line}:{position.col}"


def open_agent(graph: Graph, suite: Artifact, problems: list[str]) -> AgentStep | None:
    """The suite's agent, or None with the reasons appended to ``problems``."""
    name = suite.spec["target"]["agent"]
    agent = graph.get("Agent", name)
    if agent is None:
        names = [n for kind, n in graph.by_name if kind == "Agent"]
        where = _where(suite, ("spec", "target", "agent"))
        problems.append(f"{where}: no Agent named {name!r}{did_you_mean(name, names)}")
        return None
    if not agent.valid:
        problems.extend(f"{p.path}:{p.line}:{p.col}: {p.code} {p.message}" for p in agent.problems)
        return None
    reported = len(problems)
    for index, tool in enumerate(agent.spec["tools"]):
        validator, path, message = embedded_schema(tool["parameters"])
        if validator is None:
            where = _where(agent, ("spec", "tools", index, "parameters", *path))
            problems.append(f"{where}: tool {tool['name']!r}: invalid parameter schema: {message}")
    step = AgentStep(agent, suite, short(artifact_digest(agent, graph)))
    problems.extend(_fixture_problems(step))
    problems.extend(_policy_problems(graph, agent))
    return step if len(problems) == reported else None


def _fixture_problems(step: AgentStep) -> list[str]:
    suite, found = step.suite, []
    places: list[tuple[tuple[str | int, ...], object]] = [
        (("spec", "tool_results"), suite.spec.get("tool_results"))
    ]
    for index, case in enumerate(suite.spec.get("cases", [])):
        places.append((("spec", "cases", index, "tool_results"), case.get("tool_results")))
    for path, fixtures in places:
        for tool in fixtures if isinstance(fixtures, dict) else {}:
            if tool not in step.tools:
                hint = did_you_mean(str(tool), step.tools)
                found.append(
                    f"{_where(suite, (*path, tool))}: tool_results for {tool!r}, which Agent "
                    f"{step.agent.name!r} does not declare{hint}"
                )
    return found


def _policy_problems(graph: Graph, agent: Artifact) -> list[str]:
    """The agent's guardrails compiled now, so a broken policy stops the run before any model call."""
    from llmops_ci.guardrails.library import PolicyLibrary, PolicyLoadError

    library, found = PolicyLibrary(graph), []
    for index, name in enumerate(agent.spec.get("guardrails", [])):
        try:
            library.get(name)
        except PolicyLoadError as error:
            found.append(f"{_where(agent, ('spec', 'guardrails', index))}: {error}")
    return found
