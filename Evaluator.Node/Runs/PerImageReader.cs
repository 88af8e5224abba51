using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using Evaluator.Messages;

namespace Evaluator.Node.Runs;

/// <summary>One cell of a pair's confusion matrix: ground-truth row, predicted column, count.</summary>
internal readonly record struct CellCount(int Truth, int Prediction, long Count);

/// <summary>One line of a per-image results file (<c>--per-image FILE.jsonl</c>), as read and checked.</summary>
internal sealed record PerImageLine(
    string Image,
    string Prediction,
    PixelCounts Pixels,
    ImmutableArray<CellCount> Cells,
    double? MeanIou,
    double? PixelAccuracy,
    long Line);

/// <summary>A per-image results file that breaks its contract: names the file, the line and what is wrong.</summary>
internal sealed class PerImageFormatException(string file, long line, string problem)
    : EvaluatorException(line > 0 ? $"{file}:{line}: {problem}" : $"{file}: {problem}")
{
    public string File { get; } = file;
    public long Line { get; } = line;
}

/// <summary>
/// Reads a per-image results file, streaming: one JSON object per line, in pair order, with
/// <c>image</c> (ground-truth path relative to --gt), <c>prediction</c>, <c>pixels</c> (the report's
/// {total, counted, ignored, out_of_range}), <c>confusion</c> (the pair's nonzero cells as
/// [row, column, count], int64), <c>mean_iou</c> and <c>pixel_accuracy</c> (null where undefined).
/// Every line is checked before it is returned: counts are non-negative int64, the pixel total is the
/// sum of its parts, the cells add up to the counted pixels, no cell or image appears twice, and
/// class ids are below the number of classes. Blank lines are skipped; unknown fields are ignored.
/// </summary>
internal static class PerImageReader
{
    /// <summary>The lines of <paramref name="path"/>, checked, one at a time.</summary>
    /// <param name="numClasses">The number of classes, when known: a cell beyond it is an error.</param>
    public static IEnumerable<PerImageLine> Read(string path, int? numClasses = null)
    {
        if (!System.IO.File.Exists(path)) throw new PerImageFormatException(path, 0, "no such file");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        foreach (var line in Read(stream, path, numClasses)) yield return line;
    }

    /// <summary>The lines of a stream (a file, an HTTP body), named <paramref name="name"/> in errors.</summary>
    public static IEnumerable<PerImageLine> Read(Stream stream, string name, int? numClasses = null)
    {
        var maxClasses = numClasses ?? RunSpec.MaxClasses;
        using var reader = new StreamReader(stream, new UTF8Encoding(false, throwOnInvalidBytes: true), false, 1 << 16, leaveOpen: true);
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        long number = 0;
        while (true)
        {
            string? text;
            try
            {
                text = reader.ReadLine();
            }
            catch (DecoderFallbackException)
            {
                throw new PerImageFormatException(name, number + 1, "not UTF-8 text");
            }
            if (text is null) yield break;
            number++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            var line = Parse(text, name, number, maxClasses);
            if (!seen.TryAdd(line.Image, number))
                throw new PerImageFormatException(name, number, $"image '{line.Image}' appears twice (lines {seen[line.Image]} and {number})");
            yield return line;
        }
    }

    /// <summary>One line, checked.</summary>
    public static PerImageLine Parse(string text, string name, long number, int maxClasses)
    {
        PerImageFormatException Bad(string problem) => new(name, number, problem);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw Bad($"not a JSON object ({e.Message})");
        }
        using (doc)
        {
            var o = doc.RootElement;
            if (o.ValueKind != JsonValueKind.Object) throw Bad($"a JSON {o.ValueKind.ToString().ToLowerInvariant()}, not an object");
            var image = Text(o, "image", Bad);
            var prediction = Text(o, "prediction", Bad);
            if (!o.TryGetProperty("pixels", out var px) || px.ValueKind != JsonValueKind.Object) throw Bad("'pixels' is missing or not an object");
            var pixels = new PixelCounts(Count(px, "counted", Bad), Count(px, "ignored", Bad), Count(px, "out_of_range", Bad));
            var total = Count(px, "total", Bad);
            if (!pixels.Representable || pixels.WideTotal != total)
                throw Bad($"pixels: total {total} is not counted + ignored + out_of_range ({pixels.WideTotal})");

            if (!o.TryGetProperty("confusion", out var cf) || cf.ValueKind != JsonValueKind.Array) throw Bad("'confusion' is missing or not an array");
            var cells = ImmutableArray.CreateBuilder<CellCount>(cf.GetArrayLength());
            var at = new HashSet<(int, int)>();
            long sum = 0;
            foreach (var cell in cf.EnumerateArray())
            {
                if (cell.ValueKind != JsonValueKind.Array || cell.GetArrayLength() != 3)
                    throw Bad($"confusion: {Short(cell)} is not a [row, column, count] triple");
                var (row, col, count) = (cell[0], cell[1], cell[2]);
                if (!Int(row, out var t) || !Int(col, out var p) || t < 0 || p < 0 || t >= maxClasses || p >= maxClasses)
                    throw Bad($"confusion: {Short(cell)} has a class id outside [0, {maxClasses})");
                if (count.ValueKind != JsonValueKind.Number || !count.TryGetInt64(out var n) || n < 0)
                    throw Bad($"confusion: {Short(cell)} has a count that is not a non-negative int64");
                if (!at.Add((t, p))) throw Bad($"confusion: cell [{t}, {p}] appears twice");
                try
                {
                    sum = checked(sum + n);
                }
                catch (OverflowException)
                {
                    throw Bad("confusion: the cells add up to more than an int64 holds");
                }
                if (n > 0) cells.Add(new CellCount(t, p, n));
            }
            if (sum != pixels.Counted) throw Bad($"confusion: the cells add up to {sum} pixels but pixels.counted is {pixels.Counted}");
            return new PerImageLine(image, prediction, pixels, cells.ToImmutable(), Fraction(o, "mean_iou", Bad), Fraction(o, "pixel_accuracy", Bad), number);
        }
    }

    private static string Text(JsonElement o, string field, Func<string, PerImageFormatException> bad)
    {
        if (!o.TryGetProperty(field, out var v) || v.ValueKind != JsonValueKind.String || v.GetString() is not { Length: > 0 } s)
            throw bad($"'{field}' is missing or not a non-empty string");
        return s;
    }

    private static long Count(JsonElement o, string field, Func<string, PerImageFormatException> bad)
    {
        if (!o.TryGetProperty(field, out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out var n) || n < 0)
            throw bad($"pixels: '{field}' is missing or not a non-negative int64");
        return n;
    }

    private static double? Fraction(JsonElement o, string field, Func<string, PerImageFormatException> bad)
    {
        if (!o.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var x) || x is < 0 or > 1)
            throw bad($"'{field}' is neither null nor a number in [0, 1]");
        return x;
    }

    private static bool Int(JsonElement e, out int value)
    {
        value = 0;
        return e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out value);
    }

    private static string Short(JsonElement e)
    {
        var raw = e.GetRawText();
        return raw.Length <= 60 ? raw : raw[..57] + "...";
    }
}
