using Akka.Configuration;

namespace Evaluator.Node.Http;

/// <summary>The <c>evaluator.metrics { }</c> section: which runs /metrics keeps series for, and its bounds.</summary>
internal sealed record MetricsSettings(int FinishedRuns, TimeSpan ClusterStatsTimeout, TimeSpan JournalBucketStart, int JournalBuckets)
{
    public static MetricsSettings From(Config config)
    {
        var c = config.GetConfig("evaluator.metrics") ?? throw new ConfigurationException("missing the evaluator.metrics { } section");
        var s = new MetricsSettings(c.GetInt("finished-runs"), c.GetTimeSpan("cluster-stats-timeout"),
            c.GetTimeSpan("journal-buckets-from"), c.GetInt("journal-buckets"));
        if (s.FinishedRuns < 0) throw new ConfigurationException("evaluator.metrics.finished-runs must be >= 0");
        if (s.ClusterStatsTimeout <= TimeSpan.Zero) throw new ConfigurationException("evaluator.metrics.cluster-stats-timeout must be > 0");
        if (s.JournalBucketStart <= TimeSpan.Zero || s.JournalBuckets <= 0)
            throw new ConfigurationException("evaluator.metrics.journal-buckets-from and journal-buckets must be > 0");
        return s;
    }
}
