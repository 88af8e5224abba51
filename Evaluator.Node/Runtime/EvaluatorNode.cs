using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using Akka.Streams;
using Evaluator.Node.Actors;

namespace Evaluator.Node.Runtime;

/// <summary>The node did not become a member of the cluster in time (its seed nodes are down or unreachable).</summary>
internal sealed class ClusterJoinTimeoutException(string message) : TimeoutException(message);

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

    /// <summary>
    /// Starts the node and waits until it is up in the cluster. Cancelling (a signal while
    /// joining) or a join timeout shuts the ActorSystem down and throws
    /// (<see cref="OperationCanceledException"/>, <see cref="ClusterJoinTimeoutException"/>).
    /// </summary>
    /// <param name="logging">Where Akka's events go (<see cref="Logs.LoggingSetup"/>); none: human lines on stderr.</param>
    /// <param name="systemCreated">
    /// Called once the ActorSystem exists, before the node joins (serve: the HTTP server that
    /// answers the probes while it joins). Throwing stops the node as a failed join does.
    /// </param>
    public static async Task<EvaluatorNode> StartAsync(Config config, TimeSpan? joinTimeout = null,
        CancellationToken cancel = default, Microsoft.Extensions.Logging.ILoggerFactory? logging = null,
        Func<ActorSystem, Task>? systemCreated = null)
    {
        cancel.ThrowIfCancellationRequested();
        var settings = EvaluatorSettings.From(config);
        CheckPortFree(config);
        var setup = Akka.Actor.BootstrapSetup.Create().WithConfig(config);
        var systemSetup = logging is null ? Akka.Actor.Setup.ActorSystemSetup.Create(setup) : setup.And(new Logs.LoggingSetup(logging));
        if (SqliteBusyTimeout.SetupFor(config) is { } sqlite) systemSetup = systemSetup.And(sqlite);
        var system = ActorSystem.Create(NodeConfig.SystemName, systemSetup);
        try
        {
            if (systemCreated is not null) await systemCreated(system);
            var cluster = Cluster.Get(system);
            var worker = cluster.SelfRoles.Contains(WorkerRole);
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            cluster.RegisterOnMemberUp(() => up.TrySetResult());
            var discovery = ClusterDiscovery.ModeOf(config);
            if (discovery != DiscoveryMode.Seeds)
            {
                // No seed nodes: Akka.Management's cluster bootstrap finds the others and joins or forms the cluster.
                await ClusterBootstrapStart.StartAsync(system, discovery);
            }
            else if (config.GetStringList("akka.cluster.seed-nodes").Count == 0)
            {
                if (!worker)
                    throw new ConfigurationException("a client node needs seed nodes (--seed-nodes or EVALUATOR_SEED_NODES)");
                // A node that joins itself (the embedded `evaluate`) runs its first run at once, and
                // that run recovers from the journal. The journal's plugins start lazily, with the
                // first persistent actor; started now, they open the database (creating the tables
                // of a new one) while the node joins itself and starts sharding, instead of after.
                // (A node joining seeds keeps the lazy start: it may wait long, or be stopped, first.)
                StartJournal(system);
                cluster.Join(cluster.SelfAddress);
            }
            var timeout = joinTimeout ?? TimeSpan.FromSeconds(60);
            try
            {
                await up.Task.WaitAsync(timeout, cancel);
            }
            catch (TimeoutException)
            {
                var seeds = config.GetStringList("akka.cluster.seed-nodes");
                var how = discovery == DiscoveryMode.Seeds
                    ? $"seed nodes: {(seeds.Count == 0 ? "itself" : string.Join(", ", seeds))}"
                    : ClusterDiscovery.Describe(config);
                throw new ClusterJoinTimeoutException(
                    $"could not join the cluster within {timeout.TotalSeconds:0.#} s ({how}): are they up and reachable from {cluster.SelfAddress}?");
            }

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
            if (settings.Sweeps)
            {
                // One sweep for the cluster (retention, abandoned ingest runs): a singleton on the workers.
                system.ActorOf(ClusterSingletonManager.Props(RunSweeperActor.Props(settings, coordinators),
                    PoisonPill.Instance, ClusterSingletonManagerSettings.Create(system).WithRole(WorkerRole)), "run-sweeper");
            }
            return new EvaluatorNode(system, settings, coordinators, shards, mediator);
        }
        catch
        {
            // Bounded: a node that never joined has nothing to hand over.
            await Task.WhenAny(system.Terminate(), Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None));
            throw;
        }
    }

    /// <summary>Starts the journal and snapshot-store plugins (they initialise in the background).</summary>
    private static void StartJournal(ActorSystem system)
    {
        var persistence = Akka.Persistence.Persistence.Instance.Apply(system);
        persistence.JournalFor(null);
        persistence.SnapshotStoreFor(null);
    }

    /// <summary>
    /// Refuses a configured port that something already listens on. Akka's transport binds with
    /// SO_REUSEADDR (which on Linux is SO_REUSEPORT as well), so a second node on a port in use
    /// would start without an error and two clusters could mix (akkadotnet/akka.net#2477).
    /// A probe listener without address reuse fails on such a port. Port 0 needs no probe.
    /// </summary>
    internal static void CheckPortFree(Config config)
    {
        var port = config.GetInt("akka.remote.dot-netty.tcp.port", 0);
        if (port <= 0) return;
        var host = config.GetString("akka.remote.dot-netty.tcp.hostname", "");
        if (string.IsNullOrWhiteSpace(host)) host = "0.0.0.0";
        IPAddress address;
        try
        {
            address = IPAddress.TryParse(host, out var parsed) ? parsed : Dns.GetHostAddresses(host)[0];
        }
        catch (Exception e) when (e is SocketException or IndexOutOfRangeException)
        {
            return; // Akka reports a name it cannot bind
        }
        var probe = new TcpListener(address, port);
        try
        {
            if (OperatingSystem.IsWindows()) probe.ExclusiveAddressUse = true;
            probe.Start();
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new ConfigurationException(
                $"{host}:{port} is already in use (another node, or another program, listens there): choose another port (--port or EVALUATOR_PORT)");
        }
        catch (SocketException)
        {
            // e.g. an address of another machine: Akka reports it
        }
        finally
        {
            probe.Stop();
        }
    }

    public Address Address => Cluster.Get(System).SelfAddress;

    public async ValueTask DisposeAsync()
    {
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);
    }

    /// <summary>
    /// Leaves the cluster and stops (CoordinatedShutdown), waiting at most <paramref name="limit"/>:
    /// true when it finished. What the shards committed is in the journal either way.
    /// </summary>
    public async Task<bool> ShutdownAsync(TimeSpan limit)
    {
        var done = CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);
        return await Task.WhenAny(done, Task.Delay(limit)) == done;
    }
}
