using System.Text.Json;
using Evaluator.Messages;
using Evaluator.Node.Runs;
using Evaluator.Node.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Evaluator.Node.Http;

/// <summary>
/// <c>GET /runs/{id}/bootstrap?resamples=1000&amp;seed=0&amp;confidence=0.95</c>: the bootstrap
/// confidence intervals of a final per-image run, the <c>bootstrap</c> object of the CLI's report
/// (<c>evaluate --per-image F --bootstrap B</c>), computed by the same <see cref="Bootstrap"/> code
/// from the run's per-image rows read back from the journal (<see cref="IPerImageRuns"/>, checked
/// to add up to the run's matrix). An unknown run is a 404; a run still running, or one without
/// per-image results, a 409 (the intervals are of the final report, as report.json); a bad query,
/// or more resamples than <c>evaluator.http.max-bootstrap-resamples</c>, a 400.
/// </summary>
internal static class BootstrapEndpoints
{
    public static void Map(WebApplication app, EvaluatorNode node, RunCatalog catalog, IPerImageRuns perImage, int maxResamples)
    {
        app.MapGet("/runs/{id}/bootstrap", async Task<IResult> (string id, HttpRequest req, CancellationToken cancel) =>
        {
            var (options, bad) = BootstrapQuery.Parse(req.Query, "resamples", allowNone: false, maxResamples);
            if (options is null) return Problems.Problem(400, "bad query", bad!);
            if (!await catalog.ExistsAsync(id, cancel) || await SnapshotFeed.GetAsync(node, id, cancel) is not { } snapshot)
                return Problems.UnknownRun(id);
            if (!snapshot.Final)
                return Problems.Problem(409, "run not final",
                    $"run '{id}' is {snapshot.Status.ToString().ToLowerInvariant()}: its intervals are computed once it is final");
            PerImageSource? source;
            try
            {
                source = await perImage.FindAsync(id, cancel);
            }
            catch (PerImageMismatchException e)
            {
                return Problems.Problem(409, "per-image results do not match", e.Message);
            }
            if (source is null)
                return Problems.Problem(409, "no per-image results",
                    $"run '{id}' was started without per-image results (evaluate/submit --per-image FILE.jsonl records them)");
            var spec = snapshot.Spec;
            try
            {
                var intervals = await Task.Run(() =>
                {
                    using var stream = source.Open();
                    var (stats, _, _) = Bootstrap.Load(PerImageReader.Read(stream, id, spec.NumClasses), id, spec.NumClasses);
                    return Bootstrap.Intervals(stats, spec, options);
                }, cancel);
                using var buffer = new MemoryStream();
                using (var w = new Utf8JsonWriter(buffer)) MetricReportJson.Bootstrap(w, intervals);
                return Problems.Json(buffer.ToArray());
            }
            catch (EvaluatorException e)
            {
                // A run that counted no image ("nothing to resample"), or rows that break their contract.
                return Problems.Problem(409, "no intervals", e.Message);
            }
        })
        .WithName("GetRunBootstrap").WithTags("per-image")
        .WithSummary("Bootstrap confidence intervals of a final per-image run's IoUs (the report's bootstrap object).")
        .Query("resamples", $"bootstrap resamples (default {BootstrapQuery.DefaultResamples}; at most evaluator.http.max-bootstrap-resamples)")
        .Query("seed", "the resampling seed (default 0)").Query("confidence", "interval level, strictly between 0 and 1 (default 0.95)")
        .Produces(200, contentType: "application/json").ProducesProblem(400).ProducesProblem(404).ProducesProblem(409);
    }
}
