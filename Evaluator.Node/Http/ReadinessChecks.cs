using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Evaluator.Node.Actors;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Evaluator.Node.Http;

/// <summary>Readiness (<c>/readyz</c>): this node is an Up member of its cluster (not joining, leaving, down or stopped).</summary>
internal sealed class ClusterMemberCheck(ActorSystem system) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancel = default)
    {
        if (system.WhenTerminated.IsCompleted) return Task.FromResult(HealthCheckResult.Unhealthy("the actor system has stopped"));
        var self = Cluster.Get(system).SelfMember;
        return Task.FromResult(self.Status == MemberStatus.Up
            ? HealthCheckResult.Healthy("member up")
            : HealthCheckResult.Unhealthy($"member is {self.Status.ToString().ToLowerInvariant()}, not up"));
    }
}

/// <summary>Readiness: the journal answers a query (a persistence id) within <c>evaluator.health.journal-timeout</c>.</summary>
internal sealed class JournalCheck(ActorSystem system, TimeSpan timeout) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancel = default)
    {
        if (system.WhenTerminated.IsCompleted) return HealthCheckResult.Unhealthy("the actor system has stopped");
        try
        {
            var query = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
            await query.CurrentPersistenceIds().Take(1).RunWith(Sink.Ignore<string>(), system.Materializer())
                .WaitAsync(timeout, cancel);
            return HealthCheckResult.Healthy("journal reachable");
        }
        catch (TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"journal unreachable: no answer within {timeout.TotalSeconds:0.#} s");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The driver's own error (a refused connection, a reset), not the wrappers around it.
            var cause = e.GetBaseException();
            return HealthCheckResult.Unhealthy($"journal unreachable: {cause.GetType().Name}: {cause.Message}");
        }
    }
}

/// <summary>Readiness: the node's sharding regions (or, on a client node, its proxies) for runs and partitions are started.</summary>
internal sealed class ShardingCheck(ActorSystem system) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancel = default)
    {
        if (system.WhenTerminated.IsCompleted) return Task.FromResult(HealthCheckResult.Unhealthy("the actor system has stopped"));
        var started = ClusterSharding.Get(system).ShardTypeNames;
        var missing = new[] { EntityIds.CoordinatorRegion, EntityIds.ShardRegion }.Where(r => !started.Contains(r)).ToList();
        return Task.FromResult(missing.Count == 0
            ? HealthCheckResult.Healthy("sharding regions started")
            : HealthCheckResult.Unhealthy($"sharding regions not started: {string.Join(", ", missing)}"));
    }
}

/// <summary>
/// Readiness while <c>serve</c> joins the cluster (<see cref="JoiningApi"/>): never ready. Its
/// reason says the node is joining and, once the join began, the member's status.
/// </summary>
internal sealed class JoiningCheck(ActorSystem system) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancel = default)
    {
        if (system.WhenTerminated.IsCompleted) return Task.FromResult(HealthCheckResult.Unhealthy("the actor system has stopped"));
        var status = Cluster.Get(system).SelfMember.Status.ToString().ToLowerInvariant();
        return Task.FromResult(HealthCheckResult.Unhealthy($"joining the cluster: member not up (member is {status})"));
    }
}
