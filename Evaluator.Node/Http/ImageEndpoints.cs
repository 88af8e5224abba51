using Evaluator.Messages.Protocol;
using Evaluator.Node.Runs;
using Evaluator.Node.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Evaluator.Node.Http;

/// <summary>
/// Per-image results of a run over HTTP: every pair's row (GET /runs/{id}/images.jsonl, streamed
/// as it is read from the journal) and the images with the lowest mean IoU (GET
/// /runs/{id}/worst-images, for the dashboard's run page).
/// </summary>
internal static class ImageEndpoints
{
    public const string NdJson = "application/x-ndjson";

    public static void Map(WebApplication app, EvaluatorNode node, RunCatalog catalog, int defaultWorst)
    {
        // The run as created, or the problem to answer: 404 for an unknown run, 409 for one without per-image results.
        async Task<(StartRun? Start, IResult? Problem)> PerImageRun(string id, CancellationToken cancel)
        {
            if (!await catalog.ExistsAsync(id, cancel) || await PerImageResults.StartOfAsync(node.System, id, cancel) is not { } start)
                return (null, Problems.UnknownRun(id));
            if (!start.PerImage)
                return (null, Problems.Problem(409, "no per-image results",
                    $"run '{id}' was started without per-image results (evaluate/submit --per-image FILE.jsonl records them)"));
            return (start, null);
        }

        app.MapGet("/runs/{id}/images.jsonl", async Task<IResult> (string id, HttpContext ctx) =>
        {
            var cancel = ctx.RequestAborted;
            var (start, problem) = await PerImageRun(id, cancel);
            if (problem is not null) return problem;
            // Rows as committed now (a running run streams what its shards have committed so far).
            ctx.Response.ContentType = NdJson;
            await PerImageWriter.WriteAsync(PerImageResults.ReadAsync(node.System, start!, null, cancel), start!, ctx.Response.Body, 0, cancel);
            return Results.Empty;
        })
        .WithName("GetRunImages").WithTags("per-image")
        .WithSummary("A per-image run's results, one JSON object per pair in pair order (application/x-ndjson, streamed).")
        .Produces(200, contentType: NdJson).ProducesProblem(404).ProducesProblem(409);

        app.MapGet("/runs/{id}/worst-images", async Task<IResult> (string id, int? k, CancellationToken cancel) =>
        {
            var count = k ?? defaultWorst;
            if (count < 0) return Problems.Problem(400, "bad k", $"k={count}: it must be 0 or more images");
            var (start, problem) = await PerImageRun(id, cancel);
            if (problem is not null) return problem;
            var summary = await PerImageWriter.WriteAsync(PerImageResults.ReadAsync(node.System, start!, null, cancel), start!, Stream.Null,
                count, cancel);
            return Results.Json(new
            {
                run_id = id,
                images = summary.Images,
                worst_images = summary.Worst.Select(w => new
                {
                    image = w.Image, prediction = w.Prediction, mean_iou = w.MeanIou, pixel_accuracy = w.PixelAccuracy,
                    pixels = new { total = w.Pixels.Total, counted = w.Pixels.Counted, ignored = w.Pixels.Ignored, out_of_range = w.Pixels.OutOfRange },
                }),
            });
        })
        .WithName("GetWorstImages").WithTags("per-image")
        .WithSummary("A per-image run's k images with the lowest mean IoU (the dashboard's list).")
        .Query("k", "how many images (default 10; 0 or more)")
        .Produces(200, contentType: "application/json").ProducesProblem(400).ProducesProblem(404).ProducesProblem(409);
    }
}
