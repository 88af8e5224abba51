using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Evaluator.Node.Runs;
using Spectre.Console;

namespace Evaluator.Node.Cli;

/// <summary>
/// <c>runs</c>: lists the runs a journal holds and their state, read from the persisted events
/// (no coordinator is started, so listing never resumes a run). Works on the local SQLite
/// journal (<c>--data-dir</c>) and on a cluster's PostgreSQL (EVALUATOR_JOURNAL_* variables).
/// A run over files shows its pairs and expected pixels; an ingest run (POST /runs) only what it
/// knows: the batches posted and their pixels.
/// </summary>
internal static class RunsCommand
{
    /// <summary>The orders --sort accepts.</summary>
    public static readonly string[] SortKeys = ["created", "finished", "id", "status"];

    public static Command Create()
    {
        var dataDir = new Option<string?>("--data-dir") { Description = "Journal directory of a SQLite journal (EVALUATOR_DATA_DIR); it must exist." };
        var sort = new Option<string>("--sort") { Description = "Order: created (default), finished, id or status.", DefaultValueFactory = _ => "created" };
        sort.AcceptOnlyFromAmong(SortKeys);
        var json = new Option<bool>("--json") { Description = "Print a JSON array (run_id, status, kind, pairs, pairs_done, batches, pixels, expected_pixels, mean_iou, created, finished, error)." };
        var cmd = new Command("runs", "List the runs in the journal with their state.") { dataDir, sort, json };
        cmd.SetAction(async (r, cancel) =>
        {
            var dir = r.GetValue(dataDir);
            // Listing must not create a journal where a mistyped path points.
            if (dir is not null && !Directory.Exists(dir))
            {
                await Console.Error.WriteLineAsync($"error: --data-dir '{dir}': no such directory");
                return EvaluatorCli.ExitUsage;
            }
            var runs = Sort(await RunCatalog.ListAsync(dir, cancel), r.GetValue(sort)!);
            if (r.GetValue(json)) Console.Out.WriteLine(Json(runs));
            else Print(CliConsole.Stdout(), runs);
            return EvaluatorCli.ExitOk;
        });
        return cmd;
    }

    /// <summary>The runs in the order <paramref name="key"/> names (unknown times last; ties by id).</summary>
    public static IReadOnlyList<RunSummary> Sort(IEnumerable<RunSummary> runs, string key)
    {
        var byId = runs.OrderBy(r => r.RunId, StringComparer.Ordinal);
        return key switch
        {
            "finished" => [.. runs.OrderBy(r => r.Finished is null).ThenBy(r => r.Finished).ThenBy(r => r.RunId, StringComparer.Ordinal)],
            "id" => [.. byId],
            "status" => [.. runs.OrderBy(r => r.Status.ToString(), StringComparer.Ordinal).ThenBy(r => r.Created).ThenBy(r => r.RunId, StringComparer.Ordinal)],
            _ => [.. runs.OrderBy(r => r.Created is null).ThenBy(r => r.Created).ThenBy(r => r.RunId, StringComparer.Ordinal)],
        };
    }

    /// <summary>
    /// The runs as a JSON array. What a kind of run does not know is null: pairs and expected
    /// pixels of an ingest run, batches of a run over files.
    /// </summary>
    public static string Json(IReadOnlyList<RunSummary> runs) =>
        JsonSerializer.Serialize(runs.Select(r => new Dictionary<string, object?>
        {
            ["run_id"] = r.RunId,
            ["status"] = r.StatusName,
            ["kind"] = r.Kind,
            ["pairs"] = r.Ingest ? null : r.Pairs,
            ["pairs_done"] = r.Ingest ? null : r.PairsDone,
            ["batches"] = r.Ingest ? r.Batches : null,
            ["pixels"] = r.Pixels.Total,
            ["expected_pixels"] = r.Ingest ? null : r.ExpectedPixels,
            ["mean_iou"] = r.MeanIou,
            ["created"] = Iso(r.Created),
            ["finished"] = Iso(r.Finished),
            ["error"] = r.Error,
        }), new JsonSerializerOptions { WriteIndented = true });

    private static string? Iso(DateTimeOffset? t) => t?.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    private static string Date(DateTimeOffset? t) => t?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "";

    private static void Print(IAnsiConsole console, IReadOnlyList<RunSummary> runs)
    {
        if (runs.Count == 0)
        {
            console.WriteLine("no runs");
            return;
        }
        // An ingest run's progress reads "N batches", a run over files' "done/pairs".
        var table = new Table().AddColumn("run").AddColumn("status")
            .AddColumn(new TableColumn("done").RightAligned()).AddColumn(new TableColumn("pixels").RightAligned())
            .AddColumn(new TableColumn("mean IoU").RightAligned()).AddColumn("created UTC").AddColumn("finished UTC")
            .AddColumn("error");
        foreach (var r in runs)
        {
            var done = r.Ingest
                ? string.Create(CultureInfo.InvariantCulture, $"{r.Batches:N0} batches")
                : string.Create(CultureInfo.InvariantCulture, $"{r.PairsDone:N0}/{r.Pairs:N0}");
            var pixels = r.Ingest
                ? string.Create(CultureInfo.InvariantCulture, $"{r.Pixels.Total:N0}")
                : string.Create(CultureInfo.InvariantCulture, $"{r.Pixels.Total:N0}/{r.ExpectedPixels:N0}");
            table.AddRow(Markup.Escape(r.RunId), r.StatusName, done, pixels,
                ReportOutput.Fmt(r.MeanIou), Date(r.Created), Date(r.Finished), Markup.Escape(r.Error ?? ""));
        }
        console.Write(table);
    }
}
