using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Configuration;
using Akka.Streams;
using Evaluator.Node.Actors;

namespace Evaluator.Node.Runtime;

/// <summary>
/// One node: an ActorSystem with provider = cluster (joining itself when no seed nodes are
/// configured: the embedded default), the two sharded entity types (coordinator per run,
/// shard per partition) and the DistributedPubSub mediator.
/// </summary>
public sealed class EvaluatorNode : IAsyncDisposable
{
    private EvaluatorNode(ActorSystem system, EvaluatorSettings settings, IActorRef coordinators, IActorRef shards,
        IActorRef mediator)
    {
        System = system;
        Settings = settings;
        Coordinators = coordinators;
        Shards = shards;
        Mediator = mediator;
    }

    public ActorSystem System { get; }
    public EvaluatorSettings Settings { get; }

    /// <summary>The coordinator region: send it any IRunMessage.</summary>
    public IActorRef Coordinators { get; }

    /// <summary>The shard region: send it any IPartitionMessage.</summary>
    public IActorRef Shards { get; }

    public IActorRef Mediator { get; }

    public static async Task<EvaluatorNode> StartAsync(Config config, TimeSpan? joinTimeout = null)
    {
        var settings = EvaluatorSettings.From(config);
        var system = ActorSystem.Create(NodeConfig.SystemName, config);
        try
        {
            var cluster = Cluster.Get(system);
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            cluster.RegisterOnMemberUp(() => up.TrySetResult());
            if (config.GetStringList("akka.cluster.seed-nodes").Count == 0) cluster.Join(cluster.SelfAddress);
            await up.Task.WaitAsync(joinTimeout ?? TimeSpan.FromSeconds(60));

            var mediator = DistributedPubSub.Get(system).Mediator;
            var sharding = ClusterSharding.Get(system);
            var shardingSettings = ClusterShardingSettings.Create(system);
            var maxShards = Math.Max(10, Environment.ProcessorCount * 10);
            var materializer = system.Materializer();

            // The regions reference each other: the shard region is started first with a proxy to
            // the coordinator region's name, which ShardRegion(...) resolves once it exists.
            IActorRef? coordinators = null;
            var shards = await sharding.StartAsync(EntityIds.ShardRegion,
                _ => ShardActor.Props(settings, coordinators!, materializer),
                shardingSettings, new EntityIds.PartitionExtractor(maxShards));
            coordinators = await sharding.StartAsync(EntityIds.CoordinatorRegion,
                runId => CoordinatorActor.Props(runId, settings, shards, mediator),
                shardingSettings, new EntityIds.RunExtractor(maxShards));
            return new EvaluatorNode(system, settings, coordinators, shards, mediator);
        }
        catch
        {
            await system.Terminate();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);
    }
}
