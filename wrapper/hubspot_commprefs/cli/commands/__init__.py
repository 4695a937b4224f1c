"""Sub-commands of ``hubspot-commprefs``, one module each, found by ``hubspot_commprefs.cli``.

A command module defines ``ORDER`` (an int: its place in ``--help``) and ``register(subparsers)``, which
adds its parser and sets ``run`` (a function ``(argparse.Namespace) -> int``, the exit code) as a default.
At import a command module uses only the standard library; what it needs to run is imported inside
``run``, so that ``hubspot-commprefs --help`` stays fast.
"""
