"""The fake server's tokens, named once: the fake server (``hubspot_commprefs.testing``) accepts them and
the conformance report prints them in its reproduce commands, without importing the fake server."""

DEFAULT_TOKEN = "fake-hubspot-token"
DEFAULT_TOKEN_WITHOUT_SCOPE = "fake-hubspot-token-without-scope"
