using System.Globalization;
using Evaluator.Messages;
using Evaluator.Node.Runs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Evaluator.Node.Http;

/// <summary>
/// <c>GET /compare?a=RUN&amp;b=RUN</c>: two runs compared from their per-image results (the JSON of
/// <c>compare --report</c>); with <c>Accept: text/html</c>, the dashboard's compare page. Query:
/// <c>bootstrap</c> (resamples, default 1000, 0 for point values only, at most
/// <c>evaluator.http.max-bootstrap-resamples</c>), <c>seed</c>, <c>confidence</c>,
/// <c>intersect</c>, <c>top</c>. A run without per-image results is a 409 problem, an unknown run
/// a 404, images in one run only a 422 naming them (unless intersect=true), a bad file a 422.
/// </summary>
internal static class CompareEndpoints
{
    /// <summary>How many unmatched images a problem lists per run.</summary>
    public const int ListedImages = 100;

    public static void Map(WebApplication app, RunCatalog catalog, IPerImageRuns perImage, int maxResamples)
    {
        app.MapGet("/compare", async Task<IResult> (HttpRequest req, CancellationToken cancel) =>
        {
            if (req.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase))
                return DashboardEndpoints.Page("compare.html");
            var query = req.Query;
            string? a = query["a"], b = query["b"];
            if (string.IsNullOrEmpty(a) || string.IsNullOrEmpty(b))
                return Problems.Problem(400, "bad query", "give the two runs: /compare?a=RUN&b=RUN");
            var (options, problem) = Options(query, maxResamples);
            if (options is null) return Problems.Problem(400, "bad query", problem!);

            var sources = new PerImageSource[2];
            foreach (var (id, i) in new[] { (a, 0), (b, 1) })
            {
                if (await perImage.FindAsync(id, cancel) is { } s) sources[i] = s;
                else if (await catalog.ExistsAsync(id, cancel))
                    return Problems.Problem(409, "no per-image results", $"run {id} was not started with per-image results");
                else return Problems.UnknownRun(id);
            }
            var spec = sources[0].Spec ?? sources[1].Spec;
            if (spec is not null) options = options with { Classes = spec.NumClasses, ClassNames = spec.ClassNames, TargetClasses = spec.TargetClasses };
            try
            {
                var result = await Task.Run(() =>
                {
                    using var sa = sources[0].Open();
                    using var sb = sources[1].Open();
                    return RunComparison.Compare(a, PerImageReader.Read(sa, a, options.Classes), b, PerImageReader.Read(sb, b, options.Classes), options);
                }, cancel);
                return Problems.Json(ComparisonFormats.JsonBytes(result, indented: false));
            }
            catch (UnmatchedImagesException e)
            {
                return Problems.Problem(422, "unmatched images", e.Message, new Dictionary<string, object?>
                {
                    ["only_in_a"] = e.OnlyInA.Take(ListedImages).ToArray(),
                    ["only_in_b"] = e.OnlyInB.Take(ListedImages).ToArray(),
                });
            }
            catch (EvaluatorException e)
            {
                return Problems.Problem(422, "bad per-image results", e.Message);
            }
        })
        .WithName("CompareRuns").WithTags("per-image")
        .WithSummary("Two per-image runs compared (compare --report's JSON), or the compare page for text/html.")
        .Query("a", "the baseline run").Query("b", "the run compared with it")
        .Query("bootstrap", "paired-bootstrap resamples (default 1000; 0: point values only; at most evaluator.http.max-bootstrap-resamples)")
        .Query("seed", "the resampling seed (default 0)").Query("confidence", "interval level (default 0.95)")
        .Query("intersect", "true: compare the images both runs have").Query("top", "images listed as most worse/better (default 10)")
        .Produces(200, null, "application/json", "text/html").ProducesProblem(400).ProducesProblem(404).ProducesProblem(409)
        .ProducesProblem(422);
    }

    /// <summary>The comparison the query asks for, or why it cannot be made.</summary>
    private static (ComparisonRequest? Request, string? Problem) Options(IQueryCollection q, int maxResamples)
    {
        var inv = CultureInfo.InvariantCulture;
        var top = ComparisonRequest.DefaultTop;
        var intersect = false;
        var (bootstrap, problem) = BootstrapQuery.Parse(q, "bootstrap", allowNone: true, maxResamples);
        if (problem is not null) return (null, problem);
        if (q["top"].ToString() is { Length: > 0 } t && (!int.TryParse(t, NumberStyles.None, inv, out top) || top > ListedImages))
            return (null, $"top '{t}' is not a number of images up to {ListedImages}");
        if (q["intersect"].ToString() is { Length: > 0 } x && !bool.TryParse(x, out intersect))
            return (null, $"intersect '{x}' is neither true nor false");
        return (new ComparisonRequest { Bootstrap = bootstrap, Intersect = intersect, Top = top }, null);
    }
}
