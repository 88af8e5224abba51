"""The version of the client, which is the version of the Evaluator server it is made for.

The server has no version of its own yet (no <Version> in Evaluator.Node/*.csproj or
Directory.Build.props): when it gets one, it must carry this same string (a unit test checks
that any <Version> found in the repository's C# projects equals it)."""

__version__ = "0.1.0"
