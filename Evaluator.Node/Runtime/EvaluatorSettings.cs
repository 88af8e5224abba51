using Akka.Configuration;

namespace Evaluator.Node.Runtime;

/// <summary>The <c>evaluator { }</c> section of the HOCON configuration, typed.</summary>
internal sealed record EvaluatorSettings(
    string DataDir,
    TimeSpan SnapshotInterval,
    TimeSpan PartialInterval,
    TimeSpan RestartPartitionsInterval,
    int BatchPixels,
    int Partitions,
    int DecodeParallelism,
    int CoordinatorSnapshotEvery,
    TimeSpan AskTimeout,
    double ThrottlePairsPerSecond,
    bool MemoryMapFiles = true,
    int MaxShards = EvaluatorSettings.DefaultMaxShards,
    long MaxRunMemory = EvaluatorSettings.DefaultMaxRunMemory,
    bool ResumeUnfinishedRuns = false,
    long DecodeMemoryBudget = EvaluatorSettings.DefaultDecodeMemoryBudget,
    long PerImageMaxCellsInFlight = EvaluatorSettings.DefaultPerImageMaxCellsInFlight)
{
    public const long DefaultPerImageMaxCellsInFlight = 500_000;

    /// <summary>Finished runs older than this are deleted by the sweep (infinite: kept for ever).</summary>
    public TimeSpan Retention { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>An ingest run with no batch for this long is abandoned by the sweep (infinite: never).</summary>
    public TimeSpan IngestIdleTimeout { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>How often the sweep (retention, abandoned ingest runs) reads the journal.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromMinutes(1);

    public const int DefaultMaxShards = 100;
    public const long DefaultMaxRunMemory = 4L << 30;
    public const long DefaultDecodeMemoryBudget = 2L << 30;

    public static EvaluatorSettings From(Config config)
    {
        var c = config.GetConfig("evaluator") ?? throw new ConfigurationException("missing the evaluator { } section");
        var s = new EvaluatorSettings(
            c.GetString("data-dir"),
            c.GetTimeSpan("snapshot-interval"),
            c.GetTimeSpan("partial-interval"),
            c.GetTimeSpan("restart-partitions-interval"),
            c.GetInt("batch-pixels"),
            c.GetInt("partitions"),
            c.GetInt("decode-parallelism"),
            c.GetInt("coordinator-snapshot-every"),
            c.GetTimeSpan("ask-timeout"),
            c.GetDouble("throttle-pairs-per-second"),
            c.GetBoolean("memory-map-files", true),
            c.GetInt("sharding.max-shards", DefaultMaxShards),
            c.GetByteSize("max-run-memory") ?? DefaultMaxRunMemory,
            c.GetBoolean("resume-unfinished-runs", false),
            c.GetByteSize("decode-memory-budget", null) ?? DefaultDecodeMemoryBudget,
            c.GetLong("per-image-max-cells-in-flight", DefaultPerImageMaxCellsInFlight))
        {
            Retention = c.GetTimeSpan("retention", Timeout.InfiniteTimeSpan),
            IngestIdleTimeout = c.GetTimeSpan("ingest-idle-timeout", Timeout.InfiniteTimeSpan),
            SweepInterval = c.GetTimeSpan("sweep-interval", TimeSpan.FromMinutes(1)),
        };
        if (s.BatchPixels <= 0) throw new ConfigurationException("evaluator.batch-pixels must be > 0");
        if (s.DecodeParallelism <= 0) throw new ConfigurationException("evaluator.decode-parallelism must be > 0");
        if (s.Partitions < 0) throw new ConfigurationException("evaluator.partitions must be >= 0");
        if (s.MaxShards is <= 0 or > 100_000) throw new ConfigurationException("evaluator.sharding.max-shards must be between 1 and 100000");
        if (s.MaxRunMemory <= 0) throw new ConfigurationException("evaluator.max-run-memory must be > 0");
        if (s.DecodeMemoryBudget <= 0) throw new ConfigurationException("evaluator.decode-memory-budget must be > 0");
        if (s.PerImageMaxCellsInFlight <= 0) throw new ConfigurationException("evaluator.per-image-max-cells-in-flight must be > 0");
        if (s.CoordinatorSnapshotEvery <= 0) throw new ConfigurationException("evaluator.coordinator-snapshot-every must be > 0");
        if (s.Retention <= TimeSpan.Zero && s.Retention != Timeout.InfiniteTimeSpan)
            throw new ConfigurationException("evaluator.retention must be a positive duration or infinite");
        if (s.IngestIdleTimeout <= TimeSpan.Zero && s.IngestIdleTimeout != Timeout.InfiniteTimeSpan)
            throw new ConfigurationException("evaluator.ingest-idle-timeout must be a positive duration or infinite");
        if (s.SweepInterval <= TimeSpan.Zero) throw new ConfigurationException("evaluator.sweep-interval must be a positive duration");
        return s;
    }

    /// <summary>Whether the sweep has anything to do.</summary>
    public bool Sweeps => Retention != Timeout.InfiniteTimeSpan || IngestIdleTimeout != Timeout.InfiniteTimeSpan;

    public int EffectivePartitions => Partitions > 0 ? Partitions : Environment.ProcessorCount;
}
