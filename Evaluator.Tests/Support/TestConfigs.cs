using Akka.Configuration;
using Evaluator.Node.Runtime;

namespace Evaluator.Tests.Support;

/// <summary>Configurations for TestKit systems built from the node's own HOCON.</summary>
internal static class TestConfigs
{
    public static EvaluatorSettings Settings(int batchPixels = 1 << 20, string dataDir = "unused") =>
        new(dataDir, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), batchPixels,
            1, 2, 200, TimeSpan.FromSeconds(10), 0);

    /// <summary>
    /// A local (non-cluster) system with the project's serializer bindings, and every local
    /// message serialized and deserialized (serialize-messages = on) so the protocol is exercised.
    /// </summary>
    public static Config LocalSerializing() => ConfigurationFactory.ParseString("""
        akka.actor.provider = local
        akka.extensions = []
        akka.actor.serialize-messages = on
        akka.actor.serialization-settings.allow-unregistered-types = on
        akka.loglevel = WARNING
        """).WithFallback(NodeConfig.Load(environment: _ => null));

    /// <summary>A local system whose messages keep their identity (no serialize-messages): for ownership tests.</summary>
    public static Config Local() => ConfigurationFactory.ParseString("""
        akka.actor.provider = local
        akka.extensions = []
        akka.loglevel = WARNING
        """).WithFallback(NodeConfig.Load(environment: _ => null));

    /// <summary>A local system with a real SQLite journal in <paramref name="dataDir"/>.</summary>
    public static Config LocalWithJournal(string dataDir, int snapshotEvery = 200) => NodeConfig.Load(
        overrides: new ConfigOverrides()
            .Set("akka.actor.provider", "local")
            .Set("akka.extensions", [])
            .Set("akka.loglevel", "WARNING")
            .Set("evaluator.coordinator-snapshot-every", snapshotEvery)
            .Set("evaluator.data-dir", dataDir),
        environment: _ => null);
}
