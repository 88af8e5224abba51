using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Evaluator.Node.Http;

/// <summary>
/// Liveness and readiness on ASP.NET Core health checks. <c>GET /healthz</c>: the process
/// answers (tells nothing about the node). <c>GET /readyz</c>: 200 when every readiness check
/// passes (member up, journal reachable, sharding regions started), else 503 with a problem
/// body naming the failed checks. Both are open (no token, outside the in-flight cap): probes
/// carry no token.
/// </summary>
internal static class HealthEndpoints
{
    public const string ReadyTag = "ready";

    public static void AddChecks(IServiceCollection services, ActorSystem system, TimeSpan journalTimeout) =>
        services.AddHealthChecks()
            .AddCheck("cluster-member", new ClusterMemberCheck(system), tags: [ReadyTag])
            .AddCheck("journal", new JournalCheck(system, journalTimeout), tags: [ReadyTag])
            .AddCheck("sharding", new ShardingCheck(system), tags: [ReadyTag]);

    public static void Map(WebApplication app)
    {
        app.MapGet("/healthz", () => Results.Json(new HealthBody("ok")))
            .WithName("Liveness").WithTags("operations")
            .WithSummary("Liveness: the process answers (always 200 while it runs; tells nothing about the node).")
            .Produces<HealthBody>();

        app.MapGet("/readyz", async Task<IResult> (HealthCheckService health, CancellationToken cancel) =>
            {
                var report = await health.CheckHealthAsync(c => c.Tags.Contains(ReadyTag), cancel);
                var checks = report.Entries.ToDictionary(e => e.Key,
                    e => new ReadyCheck(e.Value.Status == HealthStatus.Healthy ? "ok" : "failed", e.Value.Description ?? ""));
                if (report.Status == HealthStatus.Healthy) return Results.Json(new ReadyBody("ready", checks));
                var reason = string.Join("; ", report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy)
                    .Select(e => $"{e.Key}: {e.Value.Description}"));
                return Problems.Problem(503, "not ready", reason, new() { ["checks"] = checks });
            })
            .WithName("Readiness").WithTags("operations")
            .WithSummary("Readiness: this node is an Up cluster member, its journal answers, its sharding regions are started.")
            .Produces<ReadyBody>()
            .ProducesProblem(503);
    }
}
