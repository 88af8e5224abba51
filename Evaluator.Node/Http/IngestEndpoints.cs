using Akka.Actor;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Evaluator.Node.Http;

/// <summary>Data posted into an ingest run: label batches, confusion matrices, and the run's completion.</summary>
internal static class IngestEndpoints
{
    public static void Map(WebApplication app, EvaluatorNode node, HttpSettings settings)
    {
        app.MapPost("/runs/{id}/partitions/{p:int}/batches/{seq:long}", async Task<IResult> (string id, int p, long seq, HttpRequest req) =>
        {
            if (Refused(req, seq) is { } refused) return refused;
            var batch = await IngestBodies.ReadBatchAsync(req, id, p, seq, settings.MaxBodyBytes);
            if (batch.Problem is { } bad) return bad;
            return await Ingest(node, batch.Message!);
        })
        .WithName("PostBatch").WithTags("ingest")
        .WithSummary("Count a batch of labels: ground truth then prediction, raw little-endian, C order.")
        .BinaryBody("Ground-truth labels then prediction labels of the query's shape and dtypes.")
        .Query("shape", "The labels' shape, e.g. 512,1024 (H,W) or N,H,W.", required: true)
        .Query("dtype", "uint8, uint16, int32 or int64 (both arrays), unless gt_dtype and pred_dtype are given.")
        .Query("gt_dtype", "The ground truth's dtype.")
        .Query("pred_dtype", "The prediction's dtype.")
        .Produces<IngestAckBody>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(409).ProducesProblem(413)
        .ProducesProblem(415).ProducesProblem(422);

        app.MapPost("/runs/{id}/partitions/{p:int}/matrices/{seq:long}", async Task<IResult> (string id, int p, long seq, HttpRequest req) =>
        {
            if (Refused(req, seq) is { } refused) return refused;
            var matrix = await IngestBodies.ReadMatrixAsync(req, id, p, seq, settings.MaxBodyBytes);
            if (matrix.Problem is { } bad) return bad;
            return await Ingest(node, matrix.Message!);
        })
        .WithName("PostMatrix").WithTags("ingest")
        .WithSummary("Add a confusion matrix counted elsewhere.")
        .BinaryBody("classes x classes int64 counts, little-endian, row = ground truth.")
        .Query("ignored", "Pixels ignored besides the matrix (a non-negative integer).")
        .Query("out_of_range", "Out-of-range pixels besides the matrix (a non-negative integer).")
        .Produces<IngestAckBody>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(409).ProducesProblem(413)
        .ProducesProblem(415).ProducesProblem(422);

        app.MapPost("/runs/{id}/complete", async Task<IResult> (string id, HttpRequest req) =>
        {
            // No body; one with a type must be JSON (a form post is no way to complete a run).
            if ((req.ContentType is not null || req.ContentLength > 0) && Problems.UnsupportedMediaType(req, "application/json") is { } unsupported)
                return unsupported;
            var reply = await node.Coordinators.Ask<IRunMessage>(new CompleteRun(id), node.Settings.AskTimeout);
            return reply switch
            {
                RunSnapshot { Status: RunStatus.Cancelled or RunStatus.Abandoned } closed => Problems.Problem(409, "run closed",
                    $"run '{id}' is {closed.Status.ToString().ToLowerInvariant()} ({closed.Error}): there is nothing to complete"),
                RunSnapshot s => Results.Json(new { run_id = id, status = "completing", snapshot = s.Number }, statusCode: 202),
                _ => Problems.UnknownRun(id),
            };
        })
        .WithName("CompleteRun").WithTags("ingest")
        .WithSummary("Declare an ingest run complete: its final report follows (202).")
        .Produces<CompleteAcceptedBody>(202).ProducesProblem(404).ProducesProblem(409).ProducesProblem(415);
    }

    /// <summary>Why a closed run refuses a batch: cancelled or abandoned runs say so (a shard knows only "closed").</summary>
    private static async Task<string> ClosedReason(EvaluatorNode node, IngestResult r)
    {
        var reply = await node.Coordinators.Ask<IRunMessage>(new GetSnapshot(r.RunId), node.Settings.AskTimeout);
        return reply is RunSnapshot { Status: RunStatus.Cancelled or RunStatus.Abandoned } s
            ? $"run '{r.RunId}' is {s.Status.ToString().ToLowerInvariant()} ({s.Error}): batch {r.Seq} was not counted; start a new run"
            : r.Error ?? $"run '{r.RunId}' is closed";
    }

    /// <summary>A binary body of the wrong type, or a negative sequence number.</summary>
    private static IResult? Refused(HttpRequest req, long seq) =>
        Problems.UnsupportedMediaType(req, "application/octet-stream")
        ?? (seq < 0 ? Problems.Problem(400, "bad seq", $"seq is {seq}: sequence numbers start at 0") : null);

    private static async Task<IResult> Ingest(EvaluatorNode node, IPartitionMessage message)
    {
        var r = await node.Shards.Ask<IngestResult>(message, node.Settings.AskTimeout);
        var body = new Dictionary<string, object?>
        {
            ["run_id"] = r.RunId, ["partition"] = r.Partition, ["seq"] = r.Seq,
            ["status"] = r.Outcome.ToString().ToLowerInvariant(), ["watermark"] = r.Watermark,
        };
        return r.Outcome switch
        {
            IngestOutcome.Counted or IngestOutcome.Duplicate => Results.Json(body),
            IngestOutcome.Gap => Problems.Problem(409, "gap", r.Error ?? "", new() { ["expected_seq"] = r.Watermark, ["watermark"] = r.Watermark }),
            IngestOutcome.Invalid => Problems.Problem(422, "invalid batch", r.Error ?? "", new() { ["watermark"] = r.Watermark }),
            IngestOutcome.Closed => Problems.Problem(409, "run closed", await ClosedReason(node, r), new() { ["watermark"] = r.Watermark }),
            _ => Problems.Problem(404, "unknown run", r.Error ?? $"run '{r.RunId}' not found"),
        };
    }
}
