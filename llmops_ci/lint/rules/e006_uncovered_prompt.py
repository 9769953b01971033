"""## What it does
Notes a prompt that no eval suite covers, directly (`target: {prompt: ...}`) or through a RAG
pipeline whose `answer.prompt` it is.

## Why is this bad?
A change to an uncovered prompt cannot be measured in a pull request: the diff has nothing to compare.
This is the step from maturity Level 0 to Level 1 (seed §4.4).

## Example
`prompts/summarizer.yaml` exists and no file under `evals/` targets `summarizer`.

## Use instead
```yaml
kind: EvalSuite
metadata: {name: summarizer-regression}
spec:
  target: {prompt: summarizer}
  cases: [{vars: {document: "..."}, assert: [{type: contains, value: "total"}]}]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_ci.lint.rule import Hit, LintContext, Severity, hit

CODE = "E006"
NAME = "uncovered-prompt"
SEVERITY = Severity.INFO
SUMMARY = "No eval suite covers this prompt"


def check(context: LintContext) -> Iterator[Hit]:
    graph = context.graph
    covered: set[str] = set()
    for suite in graph.of_kind("EvalSuite", valid_only=False, everywhere=True):
        target = suite.spec.get("target")
        if not isinstance(target, dict):
            continue
        if isinstance(target.get("prompt"), str):
            covered.add(target["prompt"])
        agent = graph.get("Agent", target["agent"]) if isinstance(target.get("agent"), str) else None
        if agent is not None and isinstance(agent.spec.get("prompt"), str):
            covered.add(agent.spec["prompt"])  # an agent suite evaluates the agent's system prompt
        pipeline = graph.get("RagPipeline", target["rag"]) if isinstance(target.get("rag"), str) else None
        if pipeline is not None:
            answer = pipeline.spec.get("answer")
            if isinstance(answer, dict) and isinstance(answer.get("prompt"), str):
                covered.add(answer["prompt"])
    for prompt in graph.of_kind("Prompt"):
        if prompt.name not in covered:
            yield hit(
                prompt,
                ("metadata", "name"),
                f"no eval suite covers prompt {prompt.name!r}",
                "add an EvalSuite with target: {prompt: " + str(prompt.name) + "}",
            )
