using Evaluator.Node.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Evaluator.Node.Http;

/// <summary><c>GET /status</c> (the node's cluster address; needs the token when one is set) and <c>GET /metrics</c> (Prometheus).</summary>
internal static class MetricsEndpoint
{
    /// <summary>The Prometheus text exposition format's media type.</summary>
    public const string PrometheusText = "text/plain; version=0.0.4; charset=utf-8";

    public static void Map(WebApplication app, EvaluatorNode node, PrometheusMetrics metrics)
    {
        app.MapGet("/status", () => Results.Json(new StatusBody("ok", node.Address.ToString())))
            .WithName("Status").WithTags("operations")
            .WithSummary("The node's cluster address.")
            .Produces<StatusBody>().ProducesProblem(401);
        app.MapGet("/metrics", async Task<IResult> (CancellationToken cancel) =>
            {
                using var buffer = new MemoryStream();
                await metrics.Registry.CollectAndExportAsTextAsync(buffer, cancel);
                return Results.Bytes(buffer.ToArray(), PrometheusText);
            })
            .WithName("Metrics").WithTags("operations")
            .WithSummary("Prometheus metrics: runs (running and the last finished), cluster, sharding, journal, HTTP, .NET runtime.")
            .Produces(200, contentType: PrometheusText).ProducesProblem(401);
    }
}
