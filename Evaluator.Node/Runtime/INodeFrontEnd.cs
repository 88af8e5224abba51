using Akka.Configuration;

namespace Evaluator.Node.Runtime;

/// <summary>
/// A front end that a long-running node serves beside the cluster (the HTTP API and dashboard),
/// handed to the command line by the program's composition root, so that the command line
/// never depends on a front end's code.
/// </summary>
internal interface INodeFrontEnd
{
    /// <summary>Checks the front end's configuration before the node starts (throws ConfigurationException).</summary>
    void Check(Config config);

    /// <summary>
    /// Starts what answers while the node joins the cluster (liveness, readiness saying it is
    /// joining, everything else "joining"), or returns null when no front end is configured.
    /// Handed to <see cref="StartAsync"/> once the node is up, or disposed when the join fails.
    /// </summary>
    Task<IRunningFrontEnd?> StartJoiningAsync(Akka.Actor.ActorSystem system, Config config);

    /// <summary>Starts serving <paramref name="node"/>, or returns null when the configuration enables no front end.</summary>
    /// <param name="joining">What <see cref="StartJoiningAsync"/> started: stopped (disposed) just before listening.</param>
    Task<IRunningFrontEnd?> StartAsync(EvaluatorNode node, Config config, IRunningFrontEnd? joining);
}

/// <summary>A started front end: stops when disposed.</summary>
internal interface IRunningFrontEnd : IAsyncDisposable
{
    /// <summary>What it serves and where, for the console (e.g. "http api and dashboard at http://...").</summary>
    string Description { get; }
}
