using System.Text.Json;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Runs;
using Evaluator.Node.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Evaluator.Node.Http;

/// <summary>Runs: start one (POST /runs), list them, and read one's state, snapshot, report and live events.</summary>
internal static class RunEndpoints
{
    public static void Map(WebApplication app, EvaluatorNode node, RunCatalog catalog, SnapshotBytes bytes, DataRoots dataRoots)
    {
        // An unknown run is answered from the catalog (persistence ids): asking the coordinators
        // would start a persistent entity that replays the journal for every such request.
        async Task<RunSnapshot?> Snapshot(string id, CancellationToken cancel) =>
            await catalog.ExistsAsync(id, cancel) ? await SnapshotFeed.GetAsync(node, id, cancel) : null;

        app.MapPost("/runs", async Task<IResult> (HttpRequest req) =>
        {
            if (Problems.UnsupportedMediaType(req, "application/json") is { } unsupported) return unsupported;
            RunRequest r;
            RunSpec? spec;
            try
            {
                using var doc = await JsonDocument.ParseAsync(req.Body);
                r = RunSpecJson.Parse(doc.RootElement);
                // The Cityscapes protocol sets its spec itself (34 labelIds), when the run is planned.
                spec = r.CityscapesProtocol ? null : RunSpecBuilder.Build(r);
            }
            catch (Exception e) when (e is JsonException or EvaluatorException or InvalidOperationException or FormatException)
            {
                return Problems.Problem(400, "bad run spec", e.Message);
            }
            if (RunSpecJson.IsFileRun(r) || spec is null) return await FileRuns.StartAsync(node, r, dataRoots, catalog, req.HttpContext.RequestAborted);
            var runId = r.RunId ?? RunIds.New();
            try
            {
                RunIds.Validate(runId);
            }
            catch (EvaluatorException e)
            {
                return Problems.Problem(400, "bad run id", e.Message);
            }
            var partitions = r.Partitions ?? 1;
            try
            {
                var accepted = await RunLauncher.StartIngestAsync(node, runId, spec, partitions);
                catalog.Invalidate();
                return Results.Json(new { run_id = runId, partitions, resumed = accepted.Resumed },
                    statusCode: accepted.Resumed ? 200 : 201);
            }
            catch (RunRejectedException e)
            {
                return Problems.Problem(409, "run exists", e.Message);
            }
            catch (InvalidRunSpecException e) { return Problems.Problem(422, "run too large", e.Message); }
        })
        .WithName("CreateRun").WithTags("runs")
        .WithSummary("Start an ingest run (its data is posted to it); 200 when it exists with the same spec.")
        .JsonBody<RunRequestBody>("The run spec (README, HTTP API); num_classes is required.")
        .Produces<RunCreatedBody>(201).Produces<RunCreatedBody>(200)
        .ProducesProblem(400).ProducesProblem(409).ProducesProblem(415).ProducesProblem(422);

        app.MapGet("/runs", async (CancellationToken cancel) =>
        {
            var runs = await catalog.ListAsync(cancel);
            return Results.Json(runs.Select(r => new
            {
                run_id = r.RunId, status = r.StatusName, pairs = r.Pairs, pairs_done = r.PairsDone,
                pixels = r.Pixels.Total, counted = r.Pixels.Counted, expected_pixels = r.ExpectedPixels, mean_iou = r.MeanIou,
                bad_pairs = r.BadPairs, error = r.Error,
            }));
        })
        .WithName("ListRuns").WithTags("runs").WithSummary("The runs of the journal and their state.")
        .Produces<RunListItemBody[]>();

        app.MapGet("/runs/{id}", async Task<IResult> (string id, HttpRequest req, CancellationToken cancel) =>
            req.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase)
                ? DashboardEndpoints.Page("run.html")
                : await Snapshot(id, cancel) is { } s ? State(s) : Problems.UnknownRun(id))
            .WithName("GetRun").WithTags("runs")
            .WithSummary("A run's state (JSON), or its dashboard page when the client accepts text/html.")
            .Produces<RunStateBody>(200, "application/json", "text/html").ProducesProblem(404);

        // ?matrix=sparse: the event stream's form (confusion_cells), for many-class runs.
        app.MapGet("/runs/{id}/snapshot", async Task<IResult> (string id, HttpRequest req, CancellationToken cancel) =>
        {
            var form = req.Query["matrix"].ToString() switch
            {
                "" or "dense" => SnapshotBytes.Form.Report,
                "sparse" => SnapshotBytes.Form.Sparse,
                _ => (SnapshotBytes.Form?)null,
            };
            if (form is null) return Problems.Problem(400, "bad matrix form", $"matrix={req.Query["matrix"]}: it must be dense or sparse");
            return await Snapshot(id, cancel) is { } s ? Problems.Json(bytes.Get(s, form.Value)) : Problems.UnknownRun(id);
        })
        .WithName("GetSnapshot").WithTags("runs")
        .WithSummary("A run's latest metric report, final or not (?matrix=dense|sparse).")
        .Query("matrix", "dense (default: confusion_matrix) or sparse (confusion_cells)")
        .Produces<ReportBody>().ProducesProblem(400).ProducesProblem(404);

        app.MapGet("/runs/{id}/report.json", async (string id, CancellationToken cancel) => await Snapshot(id, cancel) switch
        {
            null => Problems.UnknownRun(id),
            { Final: false } => Problems.Problem(409, "run not finished", $"run '{id}' is still running; see /runs/{id}/snapshot"),
            var s => Problems.Json(bytes.Get(s, SnapshotBytes.Form.Indented)),
        })
        .WithName("GetReportJson").WithTags("runs").WithSummary("A finished run's metric report (JSON).")
        .Produces<ReportBody>().ProducesProblem(404).ProducesProblem(409);

        app.MapGet("/runs/{id}/report.csv", async (string id, CancellationToken cancel) => await Snapshot(id, cancel) switch
        {
            null => Problems.UnknownRun(id),
            { Final: false } => Problems.Problem(409, "run not finished", $"run '{id}' is still running"),
            var s => Results.Text(ReportFormats.Csv(s.ToReport()), "text/csv; charset=utf-8"),
        })
        .WithName("GetReportCsv").WithTags("runs").WithSummary("A finished run's per-class metrics (CSV).")
        .Produces(200, contentType: "text/csv").ProducesProblem(404).ProducesProblem(409);

        // The script's own result file (the bytes --cityscapes-json writes for the run).
        app.MapGet("/runs/{id}/cityscapes.json", async (string id, CancellationToken cancel) => await Snapshot(id, cancel) switch
        {
            null => Problems.UnknownRun(id),
            { Final: false } => Problems.Problem(409, "run not finished", $"run '{id}' is still running; see /runs/{id}/snapshot"),
            var s => s.ToReport().Cityscapes is { } scores
                ? Results.Text(Messages.Cityscapes.CityscapesJson.Write(scores), "application/json; charset=utf-8")
                : Problems.Problem(409, "not a cityscapes-protocol run",
                    $"run '{id}' was not run with the Cityscapes protocol (\"protocol\": \"cityscapes\", --protocol cityscapes); its report is /runs/{id}/report.json"),
        })
        .WithName("GetCityscapesJson").WithTags("runs")
        .WithSummary("A finished Cityscapes-protocol run's result file as cityscapesScripts writes it (the bytes of --cityscapes-json; NaN as Python writes it).")
        .Produces(200, contentType: "application/json").ProducesProblem(404).ProducesProblem(409);

        app.MapGet("/runs/{id}/events", async Task<IResult> (string id, HttpContext ctx) =>
        {
            if (!await catalog.ExistsAsync(id, ctx.RequestAborted)) return Problems.UnknownRun(id);
            await ServerSentEvents.StreamAsync(node, id, bytes, ctx);
            return Results.Empty;
        })
        .WithName("RunEvents").WithTags("runs")
        .WithSummary("Live snapshots as server-sent events (each data: a report with sparse confusion_cells); closes after the final one.")
        .Produces(200, contentType: "text/event-stream").ProducesProblem(404);
    }

    private static IResult State(RunSnapshot s) => Results.Json(new
    {
        run_id = s.RunId, status = s.Status.ToString().ToLowerInvariant(), error = s.Error, final = s.Final,
        snapshot = s.Number, num_classes = s.Spec.NumClasses, pixels = s.Pixels.Total, counted = s.Pixels.Counted,
        ignored = s.Pixels.Ignored, out_of_range = s.Pixels.OutOfRange, expected_pixels = s.ExpectedPixels,
        mean_iou = s.ToReport().MeanIou,
        partitions = s.Partitions.Select(p => new { partition = p.Partition, watermark = p.Watermark, batches = p.Batches, pixels = p.Pixels, final = p.Final }),
        bad_pairs = s.BadPairs.Select(b => new { ground_truth = b.GroundTruth, prediction = b.Prediction, error = b.Error }),
    });
}
