using Evaluator.Messages;
using Evaluator.Node.Runs;
using Evaluator.Node.Runtime;
using Microsoft.AspNetCore.Http;

namespace Evaluator.Node.Http;

/// <summary>
/// A run over files started by POST /runs (a body with "gt" and "pred"): planned, partitioned and
/// started as <c>submit</c> does (<see cref="RunLauncher"/>), on the files this server sees (the
/// workers must see the same paths). The server reads files for a request only inside
/// evaluator.http.data-roots: with none configured, file runs over HTTP are off (403); a path, or a
/// file found under it, whose real path is outside every root is refused (403, naming it). Class
/// names, label maps and categories are presets or inline, never files of the server.
/// </summary>
internal static class FileRuns
{
    public static async Task<IResult> StartAsync(EvaluatorNode node, RunRequest request, DataRoots roots, RunCatalog catalog,
        CancellationToken cancel)
    {
        if (!roots.Enabled)
            return Problems.Problem(403, "file runs off",
                "this server reads no files for requests: a run over files (\"gt\", \"pred\") needs evaluator.http.data-roots " +
                "(EVALUATOR_DATA_ROOTS) on the server; or post the data to an ingest run");
        RunPlan plan;
        Messages.Protocol.StartRun start;
        try
        {
            if ((Outside(roots, request.GroundTruth, "gt") ?? Outside(roots, request.Prediction, "pred")) is { } refused) return refused;
            var resolved = request with { GroundTruth = roots.Inside(request.GroundTruth)!, Prediction = roots.Inside(request.Prediction)! };
            plan = await Task.Run(() => RunLauncher.Plan(resolved), cancel);
            // A link below a root may point out of it: every file the run would read is checked.
            foreach (var pair in plan.Pairs)
            {
                if ((Outside(roots, pair.GroundTruth, "a ground-truth file") ?? Outside(roots, pair.Prediction, "a prediction file")) is { } file)
                    return file;
            }
            start = await Task.Run(() => RunLauncher.Partition(node, plan), cancel);
        }
        catch (InvalidRunSpecException e)
        {
            return Problems.Problem(400, "bad run spec", e.Message);
        }
        catch (Exception e) when (e is EvaluatorException or IOException or UnauthorizedAccessException)
        {
            return Problems.Problem(400, "bad input", e.Message);
        }
        try
        {
            var accepted = await RunLauncher.StartAsync(node, start, cancel);
            catalog.Invalidate();
            return new Located(Results.Json(new
            {
                run_id = plan.RunId, kind = "files", pairs = plan.Pairs.Length, partitions = start.Partitions.Length,
                expected_pixels = plan.ExpectedPixels, resumed = accepted.Resumed, notice = plan.Notice,
            }, statusCode: 202), $"/runs/{Uri.EscapeDataString(plan.RunId)}");
        }
        catch (RunRejectedException e)
        {
            return Problems.Problem(409, "run exists", e.Message);
        }
        catch (BadInputException e)
        {
            return Problems.Problem(409, "inputs changed", e.Message);
        }
    }

    /// <summary>A 403 naming <paramref name="path"/> when it is outside every root; null inside (or empty: no file).</summary>
    private static IResult? Outside(DataRoots roots, string path, string what)
    {
        if (path.Length == 0 || roots.Inside(path) is not null) return null;
        return Problems.Problem(403, "path outside the data roots",
            $"{what} '{path}' (real path '{DataRoots.Real(path)}') is outside the data roots the server may read " +
            $"(evaluator.http.data-roots: {string.Join(", ", roots.Configured)})", new() { ["path"] = path });
    }

    /// <summary>A result with a Location header (the run's URL).</summary>
    private sealed class Located(IResult inner, string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
