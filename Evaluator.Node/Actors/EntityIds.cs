using Akka.Cluster.Sharding;
using Evaluator.Messages.Protocol;

namespace Evaluator.Node.Actors;

/// <summary>Entity ids of the two sharded entity types, and their message extractors.</summary>
internal static class EntityIds
{
    public const string CoordinatorRegion = "coordinator";
    public const string ShardRegion = "shard";

    /// <summary>A run's coordinator persists under this prefix and the run id.</summary>
    public const string RunPrefix = "run-";

    public static string RunPersistenceId(string runId) => RunPrefix + runId;

    public static string Shard(string runId, int partition) => $"{runId}~{partition}";

    public static (string RunId, int Partition) ParseShard(string entityId)
    {
        var i = entityId.LastIndexOf('~');
        return (entityId[..i], int.Parse(entityId[(i + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Coordinator entities: one per run, keyed by run id.</summary>
    public sealed class RunExtractor(int maxShards) : HashCodeMessageExtractor(maxShards)
    {
        public override string? EntityId(object message) => message is IRunMessage m ? m.RunId : null;
    }

    /// <summary>Shard entities: one per (run, partition).</summary>
    public sealed class PartitionExtractor(int maxShards) : HashCodeMessageExtractor(maxShards)
    {
        public override string? EntityId(object message) =>
            message is IPartitionMessage m ? Shard(m.RunId, m.Partition) : null;
    }
}
