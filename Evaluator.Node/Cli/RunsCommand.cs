using System.CommandLine;
using System.Globalization;
using Evaluator.Node.Runs;
using Spectre.Console;

namespace Evaluator.Node.Cli;

/// <summary>
/// <c>runs</c>: lists the runs a journal holds and their state, read from the persisted events
/// (no coordinator is started, so listing never resumes a run). Works on the local SQLite
/// journal (<c>--data-dir</c>) and on a cluster's PostgreSQL (EVALUATOR_JOURNAL_* variables).
/// </summary>
internal static class RunsCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string?>("--data-dir") { Description = "Journal directory of a SQLite journal (EVALUATOR_DATA_DIR)." };
        var cmd = new Command("runs", "List the runs in the journal with their state.") { dataDir };
        cmd.SetAction(async (r, cancel) =>
        {
            var runs = await RunCatalog.ListAsync(r.GetValue(dataDir), cancel);
            Print(AnsiConsole.Console, runs);
            return EvaluatorCli.ExitOk;
        });
        return cmd;
    }

    private static void Print(IAnsiConsole console, IReadOnlyList<RunSummary> runs)
    {
        if (runs.Count == 0)
        {
            console.WriteLine("no runs");
            return;
        }
        var table = new Table().AddColumn("run").AddColumn("status").AddColumn(new TableColumn("pairs").RightAligned())
            .AddColumn(new TableColumn("pixels").RightAligned()).AddColumn(new TableColumn("mean IoU").RightAligned())
            .AddColumn("error");
        foreach (var r in runs)
        {
            table.AddRow(Markup.Escape(r.RunId), r.Status.ToString().ToLowerInvariant(),
                string.Create(CultureInfo.InvariantCulture, $"{r.PairsDone:N0}/{r.Pairs:N0}"),
                string.Create(CultureInfo.InvariantCulture, $"{r.Pixels.Total:N0}/{r.ExpectedPixels:N0}"),
                ReportOutput.Fmt(r.MeanIou), Markup.Escape(r.Error ?? ""));
        }
        console.Write(table);
    }
}
