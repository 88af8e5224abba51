using System.CommandLine;
using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence.Query;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Actors;
using Evaluator.Node.Runtime;
using Spectre.Console;

namespace Evaluator.Node.Cli;

/// <summary>
/// <c>runs</c>: lists the runs a journal holds and their state, read from the persisted events
/// (no coordinator is started, so listing never resumes a run). Works on the local SQLite
/// journal (<c>--data-dir</c>) and on a cluster's PostgreSQL (EVALUATOR_JOURNAL_* variables).
/// </summary>
public static class RunsCommand
{
    public sealed record RunSummary(string RunId, RunStatus Status, long Pairs, long PairsDone, PixelCounts Pixels,
        long ExpectedPixels, double? MeanIou, int BadPairs, string? Error);

    public static Command Create()
    {
        var dataDir = new Option<string?>("--data-dir") { Description = "Journal directory of a SQLite journal (EVALUATOR_DATA_DIR)." };
        var cmd = new Command("runs", "List the runs in the journal with their state.") { dataDir };
        cmd.SetAction(async (r, cancel) =>
        {
            var runs = await ListAsync(r.GetValue(dataDir), cancel);
            Print(AnsiConsole.Console, runs);
            return EvaluatorCli.ExitOk;
        });
        return cmd;
    }

    /// <summary>The runs of a running node's own journal.</summary>
    public static async Task<IReadOnlyList<RunSummary>> ListAsync(EvaluatorNode node)
    {
        var query = PersistenceQuery.Get(node.System).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
        return await ListAsync(query, node.System.Materializer());
    }

    private static async Task<IReadOnlyList<RunSummary>> ListAsync(SqlReadJournal query, IMaterializer mat)
    {
        var ids = await query.CurrentPersistenceIds().Where(id => id.StartsWith("run-", StringComparison.Ordinal))
            .RunWith(Sink.Seq<string>(), mat);
        var runs = new List<RunSummary>();
        foreach (var id in ids.Order(StringComparer.Ordinal))
        {
            var events = await query.CurrentEventsByPersistenceId(id, 0, long.MaxValue)
                .Select(e => e.Event).RunWith(Sink.Seq<object>(), mat);
            if (Fold(id["run-".Length..], events) is { } summary) runs.Add(summary);
        }
        return runs;
    }

    public static async Task<IReadOnlyList<RunSummary>> ListAsync(string? dataDir, CancellationToken cancel = default)
    {
        var overrides = dataDir is null ? "" : $"evaluator.data-dir = {NodeConfig.Quote(dataDir)}";
        var node = NodeConfig.Load("single-node", overrides);
        var config = ConfigurationFactory.ParseString("""
            akka.actor.provider = local
            akka.extensions = []
            """).WithFallback(node);
        var system = ActorSystem.Create(NodeConfig.SystemName, config);
        try
        {
            var query = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
            return await ListAsync(query, system.Materializer());
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>The coordinator's state from its events, through the coordinator's own fold (<see cref="RunState"/>).</summary>
    public static RunSummary? Fold(string runId, IEnumerable<object> events)
    {
        var state = new RunState();
        foreach (var e in events) state.Apply(e);
        if (state.Start is not { } start) return null;
        var (matrix, pixels) = state.Total();
        return new RunSummary(runId, state.Status, start.Partitions.Sum(p => p.Pairs.Length),
            state.Partials.Sum(p => p.Watermark), pixels, start.ExpectedPixels,
            MetricReport.Compute(start.Spec, matrix, pixels).MeanIou, state.Partials.Sum(p => p.BadPairs.Length),
            state.Error);
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
