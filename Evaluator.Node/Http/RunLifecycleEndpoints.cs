using Evaluator.Node.Runs;
using Evaluator.Node.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Evaluator.Node.Http;

/// <summary>A run's end of life: cancel it (POST /runs/{id}/cancel) and delete it (DELETE /runs/{id}).</summary>
internal static class RunLifecycleEndpoints
{
    public static void Map(WebApplication app, EvaluatorNode node, RunCatalog catalog)
    {
        app.MapPost("/runs/{id}/cancel", async Task<IResult> (string id, HttpRequest req, CancellationToken cancel) =>
        {
            // No body; one with a type must be JSON (a form post is no way to cancel a run).
            if ((req.ContentType is not null || req.ContentLength > 0) && Problems.UnsupportedMediaType(req, "application/json") is { } unsupported)
                return unsupported;
            // Unknown runs are answered from the catalog: asking would start a coordinator for nothing.
            if (!await catalog.ExistsAsync(id, cancel)) return Problems.UnknownRun(id);
            var result = await RunControl.CancelAsync(node, id, cancel);
            catalog.Invalidate();
            return result switch
            {
                { Outcome: RunControlOutcome.Done, Snapshot: { } s } => Results.Json(new
                {
                    run_id = id, status = s.Status.ToString().ToLowerInvariant(), snapshot = s.Number, pixels = s.Pixels.Total,
                }),
                { Outcome: RunControlOutcome.Refused } => Problems.Problem(409, "run finished", result.Message),
                _ => Problems.UnknownRun(id),
            };
        }).WithName("CancelRun").WithSummary("Cancel a running run: its partitions stop, what was committed stays, status cancelled.");

        app.MapDelete("/runs/{id}", async Task<IResult> (string id, CancellationToken cancel) =>
        {
            if (!await catalog.ExistsAsync(id, cancel)) return Problems.UnknownRun(id);
            var result = await RunControl.DeleteAsync(node, id, cancel);
            catalog.Invalidate();
            return result.Outcome switch
            {
                RunControlOutcome.Done => Results.NoContent(),
                RunControlOutcome.Refused => Problems.Problem(409, "run running", result.Message),
                _ => Problems.UnknownRun(id),
            };
        }).WithName("DeleteRun").WithSummary("Delete a finished run: its journal events and snapshots; refused (409) while it runs.");
    }
}
