"""Guardrail policies and their checks (the deterministic detectors are under ``checks/``)."""
