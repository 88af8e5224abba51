namespace Evaluator.Tests.Processes;

/// <summary>
/// Tests that run the evaluator as a child process: one at a time and alone, so that their
/// timing (throttled runs, kills) and memory figures do not compete with the rest of the suite.
/// </summary>
[CollectionDefinition("processes", DisableParallelization = true)]
public sealed class ProcessCollection;
