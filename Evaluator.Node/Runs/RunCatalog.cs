using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Actors;
using Evaluator.Node.Runtime;

namespace Evaluator.Node.Runs;

/// <summary>
/// The runs a journal holds and their state, read from the persisted events (no coordinator is
/// started, so listing never resumes a run). A node's catalog keeps its list for a short time,
/// so that frequent readers (GET /runs, /metrics) do not re-read the journal every request.
/// </summary>
internal sealed class RunCatalog(EvaluatorNode node, TimeSpan cacheFor)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SemaphoreSlim _idsGate = new(1, 1);
    private volatile Listing? _cached;
    private volatile IdListing? _ids;

    public RunCatalog(EvaluatorNode node) : this(node, TimeSpan.FromSeconds(1))
    {
    }

    /// <summary>The runs of the node's journal, at most <c>cacheFor</c> old.</summary>
    public async Task<IReadOnlyList<RunSummary>> ListAsync(CancellationToken cancel = default)
    {
        await _gate.WaitAsync(cancel);
        try
        {
            if (_cached is { } c && DateTime.UtcNow - c.Time < cacheFor) return c.Runs;
            var runs = await ListAsync(node.System, cancel);
            _cached = new Listing(DateTime.UtcNow, runs);
            return runs;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets the cached list (e.g. after this node started a run), so that the next listing reads the journal.</summary>
    public void Invalidate()
    {
        _cached = null;
        _ids = null;
    }

    /// <summary>
    /// Whether the journal holds the run, from its persistence ids only (no events are read and no
    /// coordinator is started). A known id is remembered; a miss re-reads the ids at most once per
    /// <c>cacheFor</c>, so a flood of requests for unknown runs costs one cheap query a period.
    /// </summary>
    public async Task<bool> ExistsAsync(string runId, CancellationToken cancel = default)
    {
        if (!RunIds.IsValid(runId)) return false;
        if (_ids is { } known && (known.Ids.Contains(runId) || DateTime.UtcNow - known.Time < cacheFor))
            return known.Ids.Contains(runId);
        await _idsGate.WaitAsync(cancel);
        try
        {
            if (_ids is { } again && (again.Ids.Contains(runId) || DateTime.UtcNow - again.Time < cacheFor))
                return again.Ids.Contains(runId);
            var query = PersistenceQuery.Get(node.System).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
            var ids = await query.CurrentPersistenceIds().Where(id => id.StartsWith(EntityIds.RunPrefix, StringComparison.Ordinal))
                .Select(id => id[EntityIds.RunPrefix.Length..])
                .RunWith(Sink.Seq<string>(), node.System.Materializer()).WaitAsync(cancel);
            var listing = new IdListing(DateTime.UtcNow, ids.ToHashSet(StringComparer.Ordinal));
            _ids = listing;
            return listing.Ids.Contains(runId);
        }
        finally
        {
            _idsGate.Release();
        }
    }

    /// <summary>One run of the node's journal, or null.</summary>
    public async Task<RunSummary?> FindAsync(string runId, CancellationToken cancel = default) =>
        (await ListAsync(cancel)).FirstOrDefault(r => r.RunId == runId);

    /// <summary>
    /// The runs of a journal read without a node: the local SQLite journal of
    /// <paramref name="dataDir"/>, or the journal the environment names.
    /// </summary>
    public static async Task<IReadOnlyList<RunSummary>> ListAsync(string? dataDir, CancellationToken cancel = default)
    {
        var overrides = new ConfigOverrides();
        if (dataDir is not null) overrides.Set("evaluator.data-dir", dataDir);
        var config = new ConfigOverrides()
            .Set("akka.actor.provider", "local")
            .Set("akka.extensions", [])
            .ToConfig(NodeConfig.Load("single-node", overrides));
        var system = ActorSystem.Create(NodeConfig.SystemName, config);
        try
        {
            return await ListAsync(system, cancel);
        }
        finally
        {
            await system.Terminate();
        }
    }

    private static async Task<IReadOnlyList<RunSummary>> ListAsync(ActorSystem system, CancellationToken cancel)
    {
        var runs = new List<RunSummary>();
        foreach (var (runId, run, error) in await JournalRuns.FoldAllAsync(system, cancel))
        {
            if (run is null) runs.Add(RunSummary.OfUnreadable(runId, $"its journal events cannot be read by this node: {error}"));
            else if (Summarize(runId, run) is { } summary) runs.Add(summary);
        }
        return runs;
    }

    /// <summary>The coordinator's state from its events, through the coordinator's own fold (<see cref="RunState"/>).</summary>
    public static RunSummary? Fold(string runId, IEnumerable<object> events) =>
        Fold(runId, events.Select(e => (e, (DateTimeOffset?)null)));

    /// <summary>The coordinator's state from its events and the times they were written (see <see cref="FoldedRun"/>).</summary>
    public static RunSummary? Fold(string runId, IEnumerable<(object Event, DateTimeOffset? Time)> events)
    {
        var run = new FoldedRun();
        foreach (var (e, time) in events) run.Apply(e, time, 0);
        return Summarize(runId, run);
    }

    private static RunSummary? Summarize(string runId, FoldedRun run)
    {
        var state = run.State;
        if (state.Start is not { } start) return null;
        var (matrix, pixels) = state.Total();
        var done = state.Partials.Sum(p => p.Watermark);
        return new RunSummary(runId, state.Status, start.Partitions.Sum(p => p.Pairs.Length),
            done, pixels, start.ExpectedPixels,
            MetricReport.Compute(start.Spec, matrix, pixels).MeanIou, state.Partials.Sum(p => p.BadPairs.Length),
            state.Error, start.Ingest, start.Ingest ? done : 0, run.Created, run.Finished);
    }

    /// <summary>An event envelope's timestamp as a time (see <see cref="JournalTime.Of"/>).</summary>
    public static DateTimeOffset? Time(long timestamp) => JournalTime.Of(timestamp);

    private sealed record Listing(DateTime Time, IReadOnlyList<RunSummary> Runs);

    private sealed record IdListing(DateTime Time, HashSet<string> Ids);
}
