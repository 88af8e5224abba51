using System.Buffers.Binary;
using System.Globalization;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Microsoft.AspNetCore.Http;

namespace Evaluator.Node.Http;

/// <summary>
/// Reads ingest request bodies. A batch body is the ground-truth labels followed by the
/// prediction labels, little-endian, C order; the query gives <c>shape=H,W</c> and
/// <c>dtype=uint8|uint16|int32|int64</c> (or <c>gt_dtype</c> and <c>pred_dtype</c> apart).
/// A matrix body is C×C int64 little-endian, rows ground truth; <c>ignored</c> and
/// <c>out_of_range</c> may add pixel counts.
/// </summary>
internal static class IngestBodies
{
    public sealed record Parsed(IPartitionMessage? Message, IResult? Problem);

    public static async Task<Parsed> ReadBatchAsync(HttpRequest req, string runId, int partition, long seq, long maxBody)
    {
        var q = req.Query;
        var shapeText = q["shape"].ToString();
        var dtype = q["dtype"].ToString();
        var gtType = q["gt_dtype"].Count > 0 ? q["gt_dtype"].ToString() : dtype;
        var predType = q["pred_dtype"].Count > 0 ? q["pred_dtype"].ToString() : dtype;
        if (!LabelDTypes.TryParse(gtType, out var gtDType) || !LabelDTypes.TryParse(predType, out var predDType))
            return Bad(400, "bad dtype", $"dtype '{gtType}'/'{predType}' must be uint8, uint16, int32 or int64 (query dtype=, or gt_dtype= and pred_dtype=)");
        long[] shape;
        try
        {
            shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => long.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture)).ToArray();
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            return Bad(400, "bad shape", $"shape '{shapeText}' must be positive integers like 512,1024");
        }
        if (shape.Length == 0 || shape.Any(d => d <= 0))
            return Bad(400, "bad shape", $"shape '{shapeText}' must be positive integers like 512,1024");
        long n, expected;
        try
        {
            n = shape.Aggregate(1L, (a, b) => checked(a * b));
            expected = checked(n * (gtDType.Size() + predDType.Size()));
        }
        catch (OverflowException)
        {
            return Bad(413, "body too large", $"shape ({shapeText}) of {gtDType.Name()} + {predDType.Name()} needs more bytes than any body may hold");
        }
        if (req.ContentLength is { } declared && declared != expected)
            return Bad(400, "size mismatch", $"the body is {declared} bytes but shape ({shapeText}) of {gtDType.Name()} + {predDType.Name()} needs {expected}");
        // Checked before anything is allocated: a chunked body declares no length, so its shape must fit.
        if (expected > maxBody || expected > Array.MaxLength)
            return Bad(413, "body too large", $"shape ({shapeText}) of {gtDType.Name()} + {predDType.Name()} needs {expected} bytes; the limit is {Math.Min(maxBody, Array.MaxLength)} (evaluator.http.max-body-bytes)");
        var body = await ReadAllAsync(req, expected);
        if (body is null)
            return Bad(400, "size mismatch", $"the body is not the {expected} bytes that shape ({shapeText}) of {gtDType.Name()} + {predDType.Name()} needs");
        var split = (int)(n * gtDType.Size());
        var gt = LabelArray.FromBytes(gtDType, body.AsSpan(0, split), shape);
        var pred = LabelArray.FromBytes(predDType, body.AsSpan(split), shape);
        return new Parsed(new IngestBatch(runId, partition, seq, gt, pred, $"run {runId} partition {partition} batch {seq}"), null);
    }

    public static async Task<Parsed> ReadMatrixAsync(HttpRequest req, string runId, int partition, long seq, long maxBody)
    {
        if (req.ContentLength is not { } length)
            return Bad(411, "length required", "a matrix body needs a Content-Length (8·C² bytes)");
        if (length > maxBody)
            return Bad(413, "body too large", $"the body is {length} bytes; the limit is {maxBody} (evaluator.http.max-body-bytes)");
        var cells = length / 8;
        var c = (int)Math.Round(Math.Sqrt(cells));
        if (length <= 0 || length % 8 != 0 || (long)c * c != cells || c is < RunSpec.MinClasses or > RunSpec.MaxClasses)
            return Bad(400, "bad matrix", $"the body must be C×C int64 values (8·C² bytes, 1 ≤ C ≤ {RunSpec.MaxClasses}); got {length} bytes");
        var body = await ReadAllAsync(req, length);
        if (body is null) return Bad(400, "bad matrix", "the body is shorter than its Content-Length");
        var m = new ConfusionMatrix(c);
        long sum = 0;
        for (var i = 0; i < cells; i++)
        {
            var v = BinaryPrimitives.ReadInt64LittleEndian(body.AsSpan(i * 8));
            if (v < 0) return Bad(422, "bad matrix", $"cell ({i / c}, {i % c}) is {v}: counts cannot be negative");
            if (long.MaxValue - sum < v) return Bad(422, "bad matrix", "the cells add up to more than an int64 holds");
            sum += v;
            if (v > 0) m.Add(i / c, i % c, v);
        }
        long ignored = 0, oor = 0;
        if (req.Query["ignored"].Count > 0 && !long.TryParse(req.Query["ignored"], NumberStyles.None, CultureInfo.InvariantCulture, out ignored))
            return Bad(400, "bad count", "ignored must be a non-negative integer");
        if (req.Query["out_of_range"].Count > 0 && !long.TryParse(req.Query["out_of_range"], NumberStyles.None, CultureInfo.InvariantCulture, out oor))
            return Bad(400, "bad count", "out_of_range must be a non-negative integer");
        if (long.MaxValue - sum < ignored || long.MaxValue - sum - ignored < oor)
            return Bad(422, "bad matrix", "the cells, ignored and out_of_range add up to more than an int64 holds");
        return new Parsed(new IngestMatrix(runId, partition, seq, m, new PixelCounts(m.Total, ignored, oor)), null);
    }

    /// <summary>Exactly <paramref name="expected"/> bytes, or null if the body holds another amount.</summary>
    private static async Task<byte[]?> ReadAllAsync(HttpRequest req, long expected)
    {
        var buffer = new byte[expected];
        var read = 0;
        while (read < expected)
        {
            var n = await req.Body.ReadAsync(buffer.AsMemory(read));
            if (n == 0) return null;
            read += n;
        }
        var extra = new byte[1];
        return await req.Body.ReadAsync(extra) == 0 ? buffer : null;
    }

    private static Parsed Bad(int status, string title, string detail) => new(null, Problems.Problem(status, title, detail));
}
