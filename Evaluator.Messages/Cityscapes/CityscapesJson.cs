using System.Globalization;
using System.Text;

namespace Evaluator.Messages.Cityscapes;

/// <summary>
/// The result file of cityscapesScripts' <c>evaluateImgLists</c> (<c>createResultDict</c> written by
/// <c>writeDict2JSON</c>: <c>json.dumps(…, sort_keys=True, indent=4)</c>): the same keys and layout,
/// NaN written as Python writes it (<c>NaN</c>, which Python's json module reads back). Written by
/// hand because System.Text.Json refuses NaN. <c>perImageScores</c> is absent, as in the script
/// (its per-image statistics are off).
/// </summary>
public static class CityscapesJson
{
    public static string Write(CityscapesScores s)
    {
        var m = s.Matrix;
        var names = CityscapesLabels.ClassNames;
        var total = m.Total;
        var root = new SortedDictionary<string, object>(StringComparer.Ordinal)
        {
            ["averageScoreCategories"] = s.AverageScoreCategories,
            ["averageScoreClasses"] = s.AverageScoreClasses,
            ["averageScoreInstCategories"] = s.AverageScoreInstCategories,
            ["averageScoreInstClasses"] = s.AverageScoreInstClasses,
            ["categoryInstScores"] = Dict(CityscapesLabels.Categories, s.CategoryInstScores),
            ["categoryScores"] = Dict(CityscapesLabels.Categories, s.CategoryScores),
            ["classInstScores"] = Dict(names, s.ClassInstScores),
            ["classScores"] = Dict(names, s.ClassScores),
            ["confMatrix"] = Enumerable.Range(0, m.NumClasses)
                .Select(t => (object)Enumerable.Range(0, m.NumClasses).Select(p => (object)m[t, p]).ToList()).ToList(),
            ["labels"] = new SortedDictionary<string, object>(
                names.Select((n, i) => (n, i)).ToDictionary(x => x.n, x => (object)(long)x.i), StringComparer.Ordinal),
            // getPrior: float(row sum) / confMatrix.sum() (NaN for an empty matrix, as numpy gives)
            ["priors"] = Dict(names, [.. Enumerable.Range(0, m.NumClasses).Select(k => total == 0 ? double.NaN : (double)m.RowSum(k) / total)]),
        };
        var sb = new StringBuilder();
        Value(sb, root, 0);
        return sb.ToString();
    }

    private static SortedDictionary<string, object> Dict(IReadOnlyList<string> keys, IReadOnlyList<double> values) =>
        new(keys.Select((k, i) => (k, i)).ToDictionary(x => x.k, x => (object)values[x.i]), StringComparer.Ordinal);

    private static void Value(StringBuilder sb, object v, int depth)
    {
        switch (v)
        {
            case double d:
                sb.Append(Float(d));
                break;
            case long n:
                sb.Append(n.ToString(CultureInfo.InvariantCulture));
                break;
            case SortedDictionary<string, object> dict:
                if (dict.Count == 0)
                {
                    sb.Append("{}");
                    break;
                }
                sb.Append('{');
                var first = true;
                foreach (var (k, x) in dict)
                {
                    sb.Append(first ? "\n" : ",\n").Append(' ', 4 * (depth + 1));
                    first = false;
                    sb.Append(System.Text.Json.JsonSerializer.Serialize(k)).Append(": ");
                    Value(sb, x, depth + 1);
                }
                sb.Append('\n').Append(' ', 4 * depth).Append('}');
                break;
            case List<object> list:
                if (list.Count == 0)
                {
                    sb.Append("[]");
                    break;
                }
                sb.Append('[');
                for (var i = 0; i < list.Count; i++)
                {
                    sb.Append(i == 0 ? "\n" : ",\n").Append(' ', 4 * (depth + 1));
                    Value(sb, list[i], depth + 1);
                }
                sb.Append('\n').Append(' ', 4 * depth).Append(']');
                break;
            default:
                throw new ArgumentException($"no JSON form for {v.GetType()}");
        }
    }

    /// <summary>A double as Python's repr writes it (shortest round trip; NaN, 1.0, 1e-05).</summary>
    public static string Float(double d)
    {
        if (double.IsNaN(d)) return "NaN";
        if (double.IsPositiveInfinity(d)) return "Infinity";
        if (double.IsNegativeInfinity(d)) return "-Infinity";
        var s = d.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
        return s.Contains('.') || s.Contains('e') ? s : s + ".0";
    }
}
