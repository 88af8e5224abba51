using System.Globalization;
using Evaluator.Node.Runs;
using Microsoft.AspNetCore.Http;

namespace Evaluator.Node.Http;

/// <summary>
/// The bootstrap parameters of a query (<c>GET /runs/{id}/bootstrap</c>, <c>GET /compare</c>): the
/// resamples under <paramref name="resamplesKey"/>, <c>seed</c> and <c>confidence</c>, parsed and
/// checked once for both routes, the resamples bounded by <c>evaluator.http.max-bootstrap-resamples</c>
/// so that no request can ask the node for unbounded work.
/// </summary>
internal static class BootstrapQuery
{
    /// <summary>The resamples when the query gives none (as the CLI's commands).</summary>
    public const int DefaultResamples = 1000;

    /// <summary>
    /// The options the query asks for; null options with no problem when 0 resamples are allowed
    /// (<paramref name="allowNone"/>) and asked for; or why the query cannot be used.
    /// </summary>
    public static (BootstrapOptions? Options, string? Problem) Parse(IQueryCollection q, string resamplesKey, bool allowNone, int maxResamples)
    {
        var inv = CultureInfo.InvariantCulture;
        var resamples = DefaultResamples;
        var seed = BootstrapOptions.DefaultSeed;
        var confidence = BootstrapOptions.DefaultConfidence;
        if (q[resamplesKey].ToString() is { Length: > 0 } r && !int.TryParse(r, NumberStyles.None, inv, out resamples))
            return (null, $"{resamplesKey} '{r}' is not a number of resamples");
        var min = allowNone ? 0 : 1;
        if (resamples < min || resamples > maxResamples)
            return (null, $"{resamplesKey}={resamples}: it must be between {min} and {maxResamples} (evaluator.http.max-bootstrap-resamples)");
        if (q["seed"].ToString() is { Length: > 0 } s && !long.TryParse(s, NumberStyles.AllowLeadingSign, inv, out seed))
            return (null, $"seed '{s}' is not an integer");
        if (q["confidence"].ToString() is { Length: > 0 } c && !double.TryParse(c, NumberStyles.Float, inv, out confidence))
            return (null, $"confidence '{c}' is not a number");
        if (resamples == 0) return (null, null);
        var options = new BootstrapOptions(resamples, seed, confidence);
        return options.Problem() is { } problem ? (null, problem.Replace("--", "", StringComparison.Ordinal)) : (options, null);
    }
}
