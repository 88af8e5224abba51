using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Actors;
using Evaluator.Node.Runs;
using Evaluator.Node.Runtime;
using Prometheus;

namespace Evaluator.Node.Http;

/// <summary>
/// <c>GET /metrics</c> (Prometheus text format) with prometheus-net: a stable, widely used
/// client whose registry does the exposition (escaping, HELP/TYPE, histograms) and brings the
/// .NET runtime's and ASP.NET Core's metrics (OpenTelemetry's Prometheus exporter is still a
/// beta). One registry per HTTP server (tests run several nodes in a process), filled before
/// each scrape: per-run series (counters of pixels, users apply rate(); mean and per-class IoU)
/// for the running runs and the last <c>evaluator.metrics.finished-runs</c> finished ones only,
/// the runs by status, cluster membership and shards per node from Akka's state, and the
/// journal's write latency as coordinators see it (<see cref="JournalLatency"/>).
/// </summary>
internal sealed class PrometheusMetrics : IDisposable
{
    private readonly EvaluatorNode _node;
    private readonly RunCatalog _catalog;
    private readonly MetricsSettings _settings;
    private readonly Gauge _meanIou, _classIou, _runs, _members, _unreachable, _shards;
    private readonly Counter _counted, _processed;
    private readonly Histogram _journalWrites;
    private readonly IDisposable _journalSubscription;
    private readonly Dictionary<string, IReadOnlyList<string>> _exported = new(StringComparer.Ordinal);
    private readonly HashSet<(string Region, string Node)> _shardSeries = [];
    private readonly SemaphoreSlim _gate = new(1, 1);

    public PrometheusMetrics(EvaluatorNode node, RunCatalog catalog, MetricsSettings settings)
    {
        _node = node;
        _catalog = catalog;
        _settings = settings;
        Registry = Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);
        var f = Metrics.WithCustomRegistry(Registry);
        _meanIou = f.CreateGauge("evaluator_mean_iou", "Mean IoU of a run (absent classes left out).", "run");
        _classIou = f.CreateGauge("evaluator_class_iou", "IoU of one class of a run.", "run", "class");
        _counted = f.CreateCounter("evaluator_pixels_counted_total", "Pixels counted into the confusion matrix of a run.", "run");
        _processed = f.CreateCounter("evaluator_pixels_processed_total",
            "Pixels processed by a run (counted, ignored or out of range).", "run");
        _runs = f.CreateGauge("evaluator_runs", "Runs in the journal by status.", "status");
        _members = f.CreateGauge("evaluator_cluster_members", "Cluster members by status, as this node sees them.", "status");
        _unreachable = f.CreateGauge("evaluator_cluster_unreachable_members", "Members this node's failure detector marks unreachable.");
        _shards = f.CreateGauge("evaluator_sharding_shards", "Shards hosted per node and entity type (coordinator: runs; shard: partitions).",
            "region", "node");
        _journalWrites = f.CreateHistogram("evaluator_journal_write_seconds",
            "Journal write latency: from a coordinator's Persist to its callback.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(settings.JournalBucketStart.TotalSeconds, 2, settings.JournalBuckets) });
        _journalSubscription = JournalLatency.Get(node.System).Subscribe(t => _journalWrites.Observe(t.TotalSeconds));
        Registry.AddBeforeCollectCallback(UpdateAsync);
    }

    public CollectorRegistry Registry { get; }

    /// <summary>The runs whose series are exported: every running one, and the last finished ones (latest first).</summary>
    public static IReadOnlyList<RunSummary> Exported(IEnumerable<RunSummary> runs, int finishedRuns)
    {
        var all = runs.ToList();
        var finished = all.Where(r => r.Status != RunStatus.Running)
            .OrderByDescending(r => r.Finished ?? r.Created ?? DateTimeOffset.MinValue)
            .ThenByDescending(r => r.RunId, StringComparer.Ordinal)
            .Take(finishedRuns);
        return [.. all.Where(r => r.Status == RunStatus.Running).Concat(finished)];
    }

    private async Task UpdateAsync(CancellationToken cancel)
    {
        await _gate.WaitAsync(cancel);
        try
        {
            await UpdateRunsAsync(cancel);
            UpdateCluster();
            await UpdateShardsAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task UpdateRunsAsync(CancellationToken cancel)
    {
        var runs = await _catalog.ListAsync(cancel);
        foreach (var status in Enum.GetValues<RunStatus>())
            _runs.WithLabels(status.ToString().ToLowerInvariant()).Set(runs.Count(r => r.Status == status));
        var keep = Exported(runs, _settings.FinishedRuns);
        foreach (var gone in _exported.Keys.Except(keep.Select(r => r.RunId)).ToList()) Remove(gone);
        foreach (var r in keep)
        {
            if (await SnapshotFeed.GetAsync(_node, r.RunId, cancel) is not { } s) continue;
            var report = s.ToReport();
            if (report.MeanIou is { } mean) _meanIou.WithLabels(r.RunId).Set(mean);
            var classes = new List<string>();
            foreach (var c in report.PerClass)
            {
                if (c.Iou is not { } iou) continue;
                _classIou.WithLabels(r.RunId, c.Name).Set(iou);
                classes.Add(c.Name);
            }
            _counted.WithLabels(r.RunId).IncTo(s.Pixels.Counted);
            _processed.WithLabels(r.RunId).IncTo(s.Pixels.Total);
            _exported[r.RunId] = classes;
        }
    }

    private void Remove(string run)
    {
        foreach (var c in _exported[run]) _classIou.RemoveLabelled(run, c);
        _meanIou.RemoveLabelled(run);
        _counted.RemoveLabelled(run);
        _processed.RemoveLabelled(run);
        _exported.Remove(run);
    }

    private void UpdateCluster()
    {
        if (_node.System.WhenTerminated.IsCompleted) return;
        var state = Cluster.Get(_node.System).State;
        foreach (var status in Enum.GetValues<MemberStatus>())
            _members.WithLabels(status.ToString().ToLowerInvariant()).Set(state.Members.Count(m => m.Status == status));
        _unreachable.Set(state.Unreachable.Count);
    }

    /// <summary>Shards per node from the sharding coordinators (bounded by <c>evaluator.metrics.cluster-stats-timeout</c>; on no answer the previous values stay).</summary>
    private async Task UpdateShardsAsync()
    {
        if (_node.System.WhenTerminated.IsCompleted) return;
        var seen = new HashSet<(string, string)>();
        foreach (var (name, region) in new[] { (EntityIds.CoordinatorRegion, _node.Coordinators), (EntityIds.ShardRegion, _node.Shards) })
        {
            try
            {
                var stats = await region.Ask<ClusterShardingStats>(new GetClusterShardingStats(_settings.ClusterStatsTimeout),
                    _settings.ClusterStatsTimeout);
                foreach (var (address, regionStats) in stats.Regions)
                {
                    _shards.WithLabels(name, address.ToString()).Set(regionStats.Stats.Count);
                    seen.Add((name, address.ToString()));
                }
            }
            catch (Exception e) when (e is AskTimeoutException or TimeoutException)
            {
                seen.UnionWith(_shardSeries.Where(s => s.Region == name));
            }
        }
        foreach (var (region, address) in _shardSeries.Except(seen).ToList()) _shards.RemoveLabelled(region, address);
        _shardSeries.Clear();
        _shardSeries.UnionWith(seen);
    }

    public void Dispose() => _journalSubscription.Dispose();
}
