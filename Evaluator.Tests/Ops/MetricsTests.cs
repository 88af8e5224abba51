namespace Evaluator.Tests.Ops;

/// <summary>
/// GET /metrics on real Kestrel (prometheus-net): the text format parses; per-run series are
/// counters and kept only for running runs and the last evaluator.metrics.finished-runs
/// finished ones; cluster, sharding, journal, HTTP and runtime metrics are there.
/// </summary>
public sealed class MetricsTests(OpsNode fixture) : IClassFixture<OpsNode>
{
    private readonly HttpClient _http = fixture.Inner.Client;

    [Fact]
    public async Task Per_run_series_are_kept_for_running_runs_and_the_last_finished_ones_only()
    {
        var prefix = "cap-" + Guid.NewGuid().ToString("N")[..6];
        var finished = new List<string>();
        for (var i = 0; i < 12; i++) finished.Add(await fixture.RunAsync($"{prefix}-f{i:00}", complete: true));
        var running = await fixture.RunAsync($"{prefix}-running", complete: false);

        var text = await _http.GetStringAsync("/metrics");
        var (samples, types) = PrometheusText.Parse(text);
        var exported = samples.Where(s => s.Name == "evaluator_class_iou").Select(s => s.Label("run")).ToHashSet();
        // Other tests of this class may have runs of their own: look at this test's runs only.
        // The other test of this class finished its run before these 12, if it ran first.
        var newest = finished.TakeLast(OpsNode.FinishedRuns).ToList();
        Assert.Equal(newest.Append(running).Order(), exported.Order());
        // Each exported run: 2 classes of IoU, mean IoU, and the exact pixel counters; the others none at all.
        foreach (var run in finished.Take(finished.Count - OpsNode.FinishedRuns))
            Assert.DoesNotContain(samples, s => s.Label("run") == run);
        foreach (var run in newest.Append(running))
        {
            Assert.Equal(2, samples.Count(s => s.Name == "evaluator_class_iou" && s.Label("run") == run));
            Assert.Equal(4, samples.Single(s => s.Name == "evaluator_pixels_counted_total" && s.Label("run") == run).Value);
            Assert.Equal(4, samples.Single(s => s.Name == "evaluator_pixels_processed_total" && s.Label("run") == run).Value);
            // 0 0 | 1 1 | 1 0 | 0 0 → class 0: tp 2, fp 1, fn 0 → 2/3; class 1: tp 1, fn 1 → 1/2
            Assert.Equal(2.0 / 3, samples.Single(s => s.Name == "evaluator_class_iou" && s.Label("run") == run && s.Label("class") == "class_0").Value, 12);
        }
        Assert.Equal("counter", types["evaluator_pixels_counted_total"]);
        Assert.Equal("counter", types["evaluator_pixels_processed_total"]);
        Assert.Equal("gauge", types["evaluator_class_iou"]);
        Assert.DoesNotContain(samples, s => s.Name == "evaluator_pixels_per_second");
        Assert.True(samples.Single(s => s.Name == "evaluator_runs" && s.Label("status") == "completed").Value >= 12);
    }

    [Fact]
    public async Task Cluster_sharding_journal_http_and_runtime_metrics_are_exported()
    {
        await fixture.RunAsync("m-" + Guid.NewGuid().ToString("N")[..8], complete: true);
        var (samples, types) = PrometheusText.Parse(await _http.GetStringAsync("/metrics"));
        // A second scrape (another scraper) sees the same counters: nothing is computed per scrape.
        var (again, _) = PrometheusText.Parse(await _http.GetStringAsync("/metrics"));
        Assert.Equal(samples.Where(s => s.Name == "evaluator_pixels_counted_total").Select(s => (s.Label("run"), s.Value)).Order(),
            again.Where(s => s.Name == "evaluator_pixels_counted_total").Select(s => (s.Label("run"), s.Value)).Order());

        Assert.Equal(1, samples.Single(s => s.Name == "evaluator_cluster_members" && s.Label("status") == "up").Value);
        Assert.Equal(0, samples.Single(s => s.Name == "evaluator_cluster_unreachable_members").Value);
        var address = fixture.Inner.Node.Address.ToString();
        Assert.True(samples.Single(s => s.Name == "evaluator_sharding_shards" && s.Label("region") == "coordinator" && s.Label("node") == address).Value >= 1);
        Assert.True(samples.Single(s => s.Name == "evaluator_sharding_shards" && s.Label("region") == "shard" && s.Label("node") == address).Value >= 1);
        Assert.Equal("histogram", types["evaluator_journal_write_seconds"]);
        // Every persisted coordinator event is timed: a run writes at least its start and a partial.
        Assert.True(samples.Single(s => s.Name == "evaluator_journal_write_seconds_count").Value >= 2);
        Assert.Contains(samples, s => s.Name == "http_requests_received_total" && s.Label("endpoint") == "/runs/{id}/complete");
        Assert.Contains(samples, s => s.Name == "process_cpu_seconds_total");
        Assert.Contains(samples, s => s.Name == "dotnet_total_memory_bytes");
    }
}
