using Evaluator.Node.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Evaluator.Node.Http;

/// <summary>
/// <c>GET /healthz</c> (liveness, open, tells nothing about the node), <c>GET /status</c> (the
/// node's cluster address; needs the token when one is set) and <c>GET /metrics</c> (Prometheus).
/// </summary>
internal static class MetricsEndpoint
{
    public static void Map(WebApplication app, EvaluatorNode node, PrometheusMetrics metrics)
    {
        app.MapGet("/healthz", () => Results.Json(new { status = "ok" }));
        app.MapGet("/status", () => Results.Json(new { status = "ok", address = node.Address.ToString() }));
        app.MapGet("/metrics", async (CancellationToken cancel) => Results.Text(await metrics.RenderAsync(cancel),
            "text/plain; version=0.0.4; charset=utf-8"));
    }
}
