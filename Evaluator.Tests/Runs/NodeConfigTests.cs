using Akka.Actor;
using Evaluator.Node.Runtime;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Runs;

/// <summary>What <see cref="NodeConfig.Load"/> binds before any extension starts.</summary>
public sealed class NodeConfigTests
{
    [Fact]
    public void The_loaded_config_binds_the_cluster_singleton_serializer()
    {
        // A restarted node dropped the sharding coordinator's singleton messages
        // ("Cannot find serializer with id [14] ... ClusterSingletonMessageSerializer").
        var config = NodeConfig.Load(environment: _ => null);
        Assert.Contains("ClusterSingletonMessageSerializer", config.GetString("akka.actor.serializers.akka-singleton"));
        Assert.Equal(14, config.GetInt("akka.actor.serialization-identifiers.\"Akka.Cluster.Tools.Singleton.Serialization.ClusterSingletonMessageSerializer, Akka.Cluster.Tools\""));
        Assert.Equal("akka-singleton",
            config.GetString("akka.actor.serialization-bindings.\"Akka.Cluster.Tools.Singleton.IClusterSingletonMessage, Akka.Cluster.Tools\""));

        using var system = ActorSystem.Create("config-test", TestConfigs.Local());
        var message = Type.GetType("Akka.Cluster.Tools.Singleton.IClusterSingletonMessage, Akka.Cluster.Tools", true)!;
        var serializer = system.Serialization.FindSerializerForType(message);
        Assert.Equal(("ClusterSingletonMessageSerializer", 14), (serializer.GetType().Name, serializer.Identifier));
    }

    [Fact]
    public void Max_shards_is_cluster_wide_configuration_and_every_node_carries_it_as_a_role()
    {
        // Never derived from the machine (it was max(10, cores x 10): nodes with other core
        // counts placed a run's coordinator in different shards, and runs hung forever).
        var config = NodeConfig.Load(environment: _ => null);
        Assert.Equal(EvaluatorSettings.DefaultMaxShards, EvaluatorSettings.From(config).MaxShards);
        Assert.Equal(100, EvaluatorSettings.DefaultMaxShards);
        Assert.Contains("max-shards-100", config.GetStringList("akka.cluster.roles"));

        var fromEnv = NodeConfig.Load(environment: v => v == "EVALUATOR_MAX_SHARDS" ? "64" : null);
        Assert.Equal(64, EvaluatorSettings.From(fromEnv).MaxShards);
        Assert.Contains("max-shards-64", fromEnv.GetStringList("akka.cluster.roles"));
        Assert.DoesNotContain("max-shards-100", fromEnv.GetStringList("akka.cluster.roles"));
        Assert.Contains("worker", fromEnv.GetStringList("akka.cluster.roles"));
    }

    [Fact]
    public void Only_the_one_node_embedded_config_shortens_the_cluster_timers()
    {
        // A fresh one-node cluster waited for these ticks (README, Performance, fixed cost);
        // a real cluster keeps Akka's defaults, tuned for nodes that come and go.
        var local = NodeConfig.Load("single-node", environment: _ => null);
        var cluster = NodeConfig.Load("cluster", environment: _ => null);
        Assert.Equal(TimeSpan.FromMilliseconds(20), local.GetTimeSpan("akka.cluster.sharding.retry-interval"));
        Assert.Equal(TimeSpan.FromSeconds(2), cluster.GetTimeSpan("akka.cluster.sharding.retry-interval"));
        Assert.True(local.GetTimeSpan("akka.cluster.leader-actions-interval") < TimeSpan.FromMilliseconds(100));
        Assert.False(cluster.HasPath("akka.cluster.leader-actions-interval")); // Akka's 1 s, added when the cluster starts
        // The first leader tick waited Akka's 1 s initial delay: a leave sooner than that waited for it.
        Assert.Equal(TimeSpan.Zero, local.GetTimeSpan("akka.cluster.periodic-tasks-initial-delay"));
        Assert.False(cluster.HasPath("akka.cluster.periodic-tasks-initial-delay"));
    }
}
