using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Actors;
using Evaluator.Node.Cli;
using Evaluator.Node.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Evaluator.Node.Http;

/// <summary>
/// The HTTP API and dashboard, served by Kestrel in the node's process (ASP.NET Core minimal
/// APIs). Bad input is a 4xx with an RFC 7807 problem body; write endpoints take a bearer
/// token when one is configured.
/// </summary>
public sealed class HttpApi : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HttpApi(WebApplication app) => _app = app;

    /// <summary>The address Kestrel listens on (the real port when the URL asked for port 0).</summary>
    public Uri Address { get; private set; } = null!;

    public static async Task<HttpApi> StartAsync(EvaluatorNode node, HttpSettings settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Limits.MaxRequestBodySize = settings.MaxBodyBytes);
        builder.WebHost.UseUrls(settings.Url);
        builder.Services.AddProblemDetails();
        var app = builder.Build();
        var api = new HttpApi(app);
        Map(app, node, settings);
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses;
        api.Address = new Uri(addresses.First());
        return api;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    // ---- endpoints ------------------------------------------------------------------------

    private static void Map(WebApplication app, EvaluatorNode node, HttpSettings settings)
    {
        // Bad input never surfaces as a 500: oversized bodies and malformed requests are 4xx.
        app.Use(async (ctx, next) =>
        {
            try
            {
                await next(ctx);
            }
            catch (BadHttpRequestException e) when (!ctx.Response.HasStarted)
            {
                await Problem(e.StatusCode, "bad request", e.Message).ExecuteAsync(ctx);
            }
            catch (AskTimeoutException) when (!ctx.Response.HasStarted)
            {
                await Problem(503, "busy", "the cluster did not answer in time; retry").ExecuteAsync(ctx);
            }
        });

        var timeout = node.Settings.AskTimeout;
        var dashboard = Path.Combine(AppContext.BaseDirectory, "Dashboard");

        app.MapGet("/healthz", () => Results.Json(new { status = "ok", address = node.Address.ToString() }));

        app.MapGet("/", () => Results.File(Path.Combine(dashboard, "index.html"), "text/html; charset=utf-8"));
        app.MapGet("/runs/{id}", async Task<IResult> (string id, HttpRequest req) =>
            Accepts(req, "text/html")
                ? Results.File(Path.Combine(dashboard, "run.html"), "text/html; charset=utf-8")
                : await RunState(node, id, timeout));
        app.MapGet("/dashboard/{file}", IResult (string file) =>
        {
            var path = Path.Combine(dashboard, Path.GetFileName(file));
            return File.Exists(path) ? Results.File(path, ContentType(path)) : Problem(404, "no such file", file);
        });

        app.MapPost("/runs", async Task<IResult> (HttpRequest req) =>
        {
            if (Unauthorized(req, settings) is { } denied) return denied;
            RunSpecJson.Request r;
            try
            {
                using var doc = await JsonDocument.ParseAsync(req.Body);
                r = RunSpecJson.Parse(doc.RootElement);
            }
            catch (Exception e) when (e is JsonException or EvaluatorException or InvalidOperationException or FormatException)
            {
                return Problem(400, "bad run spec", e.Message);
            }
            var runId = r.RunId ?? RunClient.NewRunId();
            try
            {
                RunClient.ValidateRunId(runId);
            }
            catch (EvaluatorException e)
            {
                return Problem(400, "bad run id", e.Message);
            }
            var parts = Enumerable.Range(0, r.Partitions)
                .Select(i => new PartitionAssignment(i, [], node.Settings.BatchPixels, null)).ToImmutableArray();
            var start = new StartRun(runId, r.Spec, parts, 0, "ingest:" + RunClient.Fingerprint(r.Spec, parts), false, Ingest: true);
            var reply = await node.Coordinators.Ask<IRunMessage>(start, timeout);
            return reply switch
            {
                RunAccepted a => Results.Json(new { run_id = runId, partitions = r.Partitions, resumed = a.Resumed },
                    statusCode: a.Resumed ? 200 : 201),
                RunRejected rej => Problem(409, "run exists", rej.Reason),
                _ => Problem(500, "unexpected reply", reply.GetType().Name),
            };
        });

        app.MapGet("/runs", async () =>
        {
            var runs = await RunsCommand.ListAsync(node);
            return Results.Json(runs.Select(r => new
            {
                run_id = r.RunId, status = r.Status.ToString().ToLowerInvariant(), pairs = r.Pairs, pairs_done = r.PairsDone,
                pixels = r.Pixels.Total, counted = r.Pixels.Counted, expected_pixels = r.ExpectedPixels, mean_iou = r.MeanIou,
                bad_pairs = r.BadPairs, error = r.Error,
            }));
        });

        app.MapGet("/runs/{id}/snapshot", async (string id) =>
            await Snapshot(node, id, timeout) is { } s ? Json(ReportOutput.Json(s, indented: false)) : UnknownRun(id));

        app.MapGet("/runs/{id}/report.json", async (string id) => await Snapshot(node, id, timeout) switch
        {
            null => UnknownRun(id),
            { Final: false } => Problem(409, "run not finished", $"run '{id}' is still running; see /runs/{id}/snapshot"),
            var s => Json(ReportOutput.Json(s)),
        });

        app.MapGet("/runs/{id}/report.csv", async (string id) => await Snapshot(node, id, timeout) switch
        {
            null => UnknownRun(id),
            { Final: false } => Problem(409, "run not finished", $"run '{id}' is still running"),
            var s => Results.Text(ReportOutput.Csv(s.ToReport()), "text/csv; charset=utf-8"),
        });

        app.MapGet("/runs/{id}/events", async Task<IResult> (string id, HttpContext ctx) =>
        {
            await ServerSentEvents.StreamAsync(node, id, ctx, timeout);
            return Results.Empty;
        });

        app.MapPost("/runs/{id}/partitions/{p:int}/batches/{seq:long}", async Task<IResult> (string id, int p, long seq, HttpRequest req) =>
        {
            if (Unauthorized(req, settings) is { } denied) return denied;
            var batch = await IngestBodies.ReadBatchAsync(req, id, p, seq);
            if (batch.Problem is { } bad) return bad;
            return await Ingest(node, batch.Message!, timeout);
        });

        app.MapPost("/runs/{id}/partitions/{p:int}/matrices/{seq:long}", async Task<IResult> (string id, int p, long seq, HttpRequest req) =>
        {
            if (Unauthorized(req, settings) is { } denied) return denied;
            var matrix = await IngestBodies.ReadMatrixAsync(req, id, p, seq);
            if (matrix.Problem is { } bad) return bad;
            return await Ingest(node, matrix.Message!, timeout);
        });

        app.MapPost("/runs/{id}/complete", async Task<IResult> (string id, HttpRequest req) =>
        {
            if (Unauthorized(req, settings) is { } denied) return denied;
            var reply = await node.Coordinators.Ask<IRunMessage>(new CompleteRun(id), timeout);
            return reply is RunSnapshot s ? Results.Json(new { run_id = id, status = "completing", snapshot = s.Number }, statusCode: 202) : UnknownRun(id);
        });

        app.MapGet("/metrics", async () => Results.Text(await PrometheusMetrics.RenderAsync(node, timeout),
            "text/plain; version=0.0.4; charset=utf-8"));
    }

    private static async Task<IResult> Ingest(EvaluatorNode node, IPartitionMessage message, TimeSpan timeout)
    {
        var r = await node.Shards.Ask<IngestResult>(message, timeout);
        var body = new Dictionary<string, object?>
        {
            ["run_id"] = r.RunId, ["partition"] = r.Partition, ["seq"] = r.Seq,
            ["status"] = r.Outcome.ToString().ToLowerInvariant(), ["watermark"] = r.Watermark,
        };
        return r.Outcome switch
        {
            IngestOutcome.Counted or IngestOutcome.Duplicate => Results.Json(body),
            IngestOutcome.Gap => Problem(409, "gap", r.Error ?? "", new() { ["expected_seq"] = r.Watermark, ["watermark"] = r.Watermark }),
            IngestOutcome.Invalid => Problem(422, "invalid batch", r.Error ?? "", new() { ["watermark"] = r.Watermark }),
            IngestOutcome.Closed => Problem(409, "run closed", r.Error ?? "", new() { ["watermark"] = r.Watermark }),
            _ => Problem(404, "unknown run", r.Error ?? $"run '{r.RunId}' not found"),
        };
    }

    private static async Task<IResult> RunState(EvaluatorNode node, string id, TimeSpan timeout)
    {
        if (await Snapshot(node, id, timeout) is not { } s) return UnknownRun(id);
        return Results.Json(new
        {
            run_id = s.RunId, status = s.Status.ToString().ToLowerInvariant(), error = s.Error, final = s.Final,
            snapshot = s.Number, num_classes = s.Spec.NumClasses, pixels = s.Pixels.Total, counted = s.Pixels.Counted,
            ignored = s.Pixels.Ignored, out_of_range = s.Pixels.OutOfRange, expected_pixels = s.ExpectedPixels,
            mean_iou = s.ToReport().MeanIou,
            partitions = s.Partitions.Select(p => new { partition = p.Partition, watermark = p.Watermark, batches = p.Batches, pixels = p.Pixels, final = p.Final }),
            bad_pairs = s.BadPairs.Select(b => new { ground_truth = b.GroundTruth, prediction = b.Prediction, error = b.Error }),
        });
    }

    public static async Task<RunSnapshot?> Snapshot(EvaluatorNode node, string id, TimeSpan timeout)
    {
        try
        {
            RunClient.ValidateRunId(id);
        }
        catch (EvaluatorException)
        {
            return null;
        }
        return await node.Coordinators.Ask<IRunMessage>(new GetSnapshot(id), timeout) as RunSnapshot;
    }

    private static IResult? Unauthorized(HttpRequest req, HttpSettings settings)
    {
        if (settings.Token.Length == 0) return null;
        var header = req.Headers.Authorization.ToString();
        return header == "Bearer " + settings.Token
            ? null
            : Problem(401, "unauthorized", "this endpoint needs 'Authorization: Bearer <token>'");
    }

    public static IResult Problem(int status, string title, string detail, Dictionary<string, object?>? extensions = null) =>
        Results.Problem(detail: detail, statusCode: status, title: title, extensions: extensions);

    private static IResult UnknownRun(string id) => Problem(404, "unknown run", $"run '{id}' not found");

    private static IResult Json(string json) => Results.Text(json, "application/json; charset=utf-8");

    private static bool Accepts(HttpRequest req, string type) =>
        req.Headers.Accept.ToString().Contains(type, StringComparison.OrdinalIgnoreCase);

    private static string ContentType(string path) => Path.GetExtension(path) switch
    {
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".html" => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    };
}
