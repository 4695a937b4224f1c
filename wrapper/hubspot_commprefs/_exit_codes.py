"""The exit codes of the ``hubspot-commprefs`` command, named once: the command line, the conformance
suite (``ConformanceResult.exit_code``) and the spec diff (``SpecDiff.exit_code``) all use these.
Standard library only: the command's ``--help`` imports it."""

EXIT_OK = 0
EXIT_FAILED = 1
"""The command ran and found a failure (it says which); ``conformance``: the server does not conform."""
EXIT_USAGE = 2
EXIT_STOPPED = 3
"""``bulk`` stopped early (token refused or daily limit used up; ``--resume`` continues)."""
EXIT_NO_ANSWER = 4
"""``conformance`` got no answer from the server: a verdict of its own, not a list of failures."""
EXIT_INTERRUPTED = 130
"""Interrupted (Ctrl-C), as a shell reports a SIGINT."""
