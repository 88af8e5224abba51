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
internal sealed class EvaluatorNode : IAsyncDisposable
{
    /// <summary>Nodes with this role host shards and coordinators; others are clients.</summary>
    public const string WorkerRole = "worker";

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
            var worker = cluster.SelfRoles.Contains(WorkerRole);
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            cluster.RegisterOnMemberUp(() => up.TrySetResult());
            if (config.GetStringList("akka.cluster.seed-nodes").Count == 0)
            {
                if (!worker)
                    throw new ConfigurationException("a client node needs seed nodes (--seed-nodes or EVALUATOR_SEED_NODES)");
                cluster.Join(cluster.SelfAddress);
            }
            await up.Task.WaitAsync(joinTimeout ?? TimeSpan.FromSeconds(60));

            var mediator = DistributedPubSub.Get(system).Mediator;
            var sharding = ClusterSharding.Get(system);
            var shardingSettings = ClusterShardingSettings.Create(system);
            // Cluster-wide configuration, never derived from this machine: every node must place
            // every entity in the same shard. A node that disagrees with a member refuses to join.
            var maxShards = settings.MaxShards;
            ShardingAgreement.EnsureAgreed(cluster, maxShards);
            var materializer = system.Materializer();

            if (!worker)
            {
                // A client (submit, runs): talks to the entities on the workers through proxies.
                var shardProxy = await sharding.StartProxyAsync(EntityIds.ShardRegion, WorkerRole,
                    new EntityIds.PartitionExtractor(maxShards));
                var coordinatorProxy = await sharding.StartProxyAsync(EntityIds.CoordinatorRegion, WorkerRole,
                    new EntityIds.RunExtractor(maxShards));
                return new EvaluatorNode(system, settings, coordinatorProxy, shardProxy, mediator);
            }

            // The regions reference each other: shard entities look the coordinator region up by
            // name when they first talk to it (a partial, or a RequestStart for a client's batch),
            // not when they are created; it is started next, before this node serves clients.
            var shards = await sharding.StartAsync(EntityIds.ShardRegion,
                _ => ShardActor.Props(settings, materializer),
                shardingSettings, new EntityIds.PartitionExtractor(maxShards));
            var coordinators = await sharding.StartAsync(EntityIds.CoordinatorRegion,
                runId => CoordinatorActor.Props(runId, settings, shards, mediator),
                shardingSettings, new EntityIds.RunExtractor(maxShards));
            if (settings.ResumeUnfinishedRuns) _ = UnfinishedRuns.ResumeAsync(system, coordinators);
            return new EvaluatorNode(system, settings, coordinators, shards, mediator);
        }
        catch
        {
            await system.Terminate();
            throw;
        }
    }

    public Address Address => Cluster.Get(System).SelfAddress;

    public async ValueTask DisposeAsync()
    {
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);
    }
}
