"""One module per subcommand: ``run(...) -> int`` (the exit code). No click in here."""
