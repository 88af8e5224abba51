using Akka.Configuration;
using Akka.Persistence.Sql;

namespace Evaluator.Node.Runtime;

/// <summary>
/// Builds a node's configuration: explicit overrides (command-line options, tests) over the
/// HOCON files of <c>hocon/</c> (a role file such as single-node.conf over base.conf), with
/// environment variables substituted inside those files, over Akka's own defaults.
/// </summary>
internal static class NodeConfig
{
    public const string SystemName = "evaluator";

    /// <summary>The hocon/ folder: beside the executable (copied at build), else up from it.</summary>
    public static string HoconDirectory()
    {
        var env = Environment.GetEnvironmentVariable("EVALUATOR_HOCON_DIR");
        if (!string.IsNullOrEmpty(env)) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "hocon");
            if (File.Exists(Path.Combine(candidate, "base.conf"))) return candidate;
        }
        throw new ConfigurationException($"hocon/base.conf not found from {AppContext.BaseDirectory} (set EVALUATOR_HOCON_DIR)");
    }

    /// <summary>
    /// Environment variables and the HOCON keys they override (Akka.NET's HOCON does not
    /// honour optional substitutions of unset variables, so the node applies them itself).
    /// </summary>
    public static IReadOnlyList<(string Variable, string Key)> EnvironmentOverrides { get; } =
    [
        ("EVALUATOR_DATA_DIR", "evaluator.data-dir"),
        ("EVALUATOR_SNAPSHOT_INTERVAL", "evaluator.snapshot-interval"),
        ("EVALUATOR_PARTIAL_INTERVAL", "evaluator.partial-interval"),
        ("EVALUATOR_PER_IMAGE_MAX_CELLS_IN_FLIGHT", "evaluator.per-image-max-cells-in-flight"),
        ("EVALUATOR_RESTART_PARTITIONS_INTERVAL", "evaluator.restart-partitions-interval"),
        ("EVALUATOR_BATCH_PIXELS", "evaluator.batch-pixels"),
        ("EVALUATOR_PARTITIONS", "evaluator.partitions"),
        ("EVALUATOR_DECODE_PARALLELISM", "evaluator.decode-parallelism"),
        ("EVALUATOR_COORDINATOR_SNAPSHOT_EVERY", "evaluator.coordinator-snapshot-every"),
        ("EVALUATOR_ASK_TIMEOUT", "evaluator.ask-timeout"),
        ("EVALUATOR_MAX_SHARDS", "evaluator.sharding.max-shards"),
        ("EVALUATOR_MAX_RUN_MEMORY", "evaluator.max-run-memory"),
        ("EVALUATOR_RESUME_UNFINISHED_RUNS", "evaluator.resume-unfinished-runs"),
        ("EVALUATOR_THROTTLE_PAIRS_PER_SECOND", "evaluator.throttle-pairs-per-second"),
        ("EVALUATOR_MEMORY_MAP_FILES", "evaluator.memory-map-files"),
        ("EVALUATOR_DECODE_MEMORY_BUDGET", "evaluator.decode-memory-budget"),
        ("EVALUATOR_LOGLEVEL", "akka.loglevel"),
        ("EVALUATOR_HOSTNAME", "akka.remote.dot-netty.tcp.hostname"),
        ("EVALUATOR_PORT", "akka.remote.dot-netty.tcp.port"),
        ("EVALUATOR_JOURNAL_PROVIDER", "akka.persistence.journal.sql.provider-name"),
        ("EVALUATOR_JOURNAL_CONNECTION", "akka.persistence.journal.sql.connection-string"),
        ("EVALUATOR_DOWN_AFTER", "akka.cluster.split-brain-resolver.stable-after"),
        ("EVALUATOR_HTTP_URL", "evaluator.http.url"),
        ("EVALUATOR_HTTP_TOKEN", "evaluator.http.token"),
        ("EVALUATOR_HTTP_MAX_BODY_BYTES", "evaluator.http.max-body-bytes"),
        ("EVALUATOR_HTTP_MAX_REQUESTS_IN_FLIGHT", "evaluator.http.max-requests-in-flight"),
        ("EVALUATOR_HTTP_PUBLIC_READS", "evaluator.http.public-reads"),
        ("EVALUATOR_HTTP_MAX_BOOTSTRAP_RESAMPLES", "evaluator.http.max-bootstrap-resamples"),
        ("EVALUATOR_DISCOVERY", "evaluator.cluster.discovery"),
        ("EVALUATOR_DISCOVERY_SERVICE", "evaluator.cluster.service-name"),
        ("EVALUATOR_MANAGEMENT_HOSTNAME", "akka.management.http.hostname"),
        ("EVALUATOR_MANAGEMENT_PORT", "akka.management.http.port"),
        ("EVALUATOR_REQUIRED_CONTACT_POINTS", "akka.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr"),
        ("EVALUATOR_BOOTSTRAP_STABLE_MARGIN", "akka.management.cluster.bootstrap.contact-point-discovery.stable-margin"),
        ("EVALUATOR_LOG_LEVEL", "evaluator.log.level"),
        ("EVALUATOR_LOG_FORMAT", "evaluator.log.format"),
        ("EVALUATOR_METRICS_FINISHED_RUNS", "evaluator.metrics.finished-runs"),
        ("EVALUATOR_HEALTH_JOURNAL_TIMEOUT", "evaluator.health.journal-timeout"),
        ("EVALUATOR_RETENTION", "evaluator.retention"),
        ("EVALUATOR_INGEST_IDLE_TIMEOUT", "evaluator.ingest-idle-timeout"),
        ("EVALUATOR_SWEEP_INTERVAL", "evaluator.sweep-interval"),
        ("EVALUATOR_SQLITE_BUSY_TIMEOUT", "evaluator.sqlite-busy-timeout"),
    ];

    /// <summary>Environment variables holding comma-separated HOCON lists.</summary>
    public static IReadOnlyList<(string Variable, string Key)> EnvironmentListOverrides { get; } =
    [
        ("EVALUATOR_SEED_NODES", "akka.cluster.seed-nodes"),
        ("EVALUATOR_ROLES", "akka.cluster.roles"),
        ("EVALUATOR_HTTP_ALLOWED_HOSTS", "evaluator.http.allowed-hosts"),
        ("EVALUATOR_CONTACT_POINTS", "evaluator.cluster.contact-points"),
        ("EVALUATOR_DATA_ROOTS", "evaluator.http.data-roots"),
    ];

    /// <summary>Every environment variable the node reads.</summary>
    public static IEnumerable<string> EnvironmentVariables =>
        EnvironmentOverrides.Concat(EnvironmentListOverrides).Select(o => o.Variable).Append("EVALUATOR_HOCON_DIR");

    /// <summary>The overrides set in <paramref name="environment"/>.</summary>
    public static ConfigOverrides FromEnvironment(Func<string, string?> environment)
    {
        var overrides = new ConfigOverrides();
        foreach (var (variable, key) in EnvironmentOverrides)
        {
            if (environment(variable) is { Length: > 0 } value) overrides.Set(key, value);
        }
        foreach (var (variable, key) in EnvironmentListOverrides)
        {
            if (environment(variable) is { Length: > 0 } value) overrides.SetCommaSeparated(key, value);
        }
        return overrides;
    }

    public static Config Load(string role = "single-node", ConfigOverrides? overrides = null,
        Func<string, string?>? environment = null)
    {
        var dir = HoconDirectory();
        var baseConf = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(dir, "base.conf")));
        var roleConf = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(dir, role + ".conf")));
        var config = roleConf.WithFallback(baseConf);
        config = FromEnvironment(environment ?? Environment.GetEnvironmentVariable).ToConfig(config);
        if (overrides is not null) config = overrides.ToConfig(config);

        // evaluator.log.level, when set, sets Akka's level too (Akka filters before the pipeline sees an event).
        if (config.GetString("evaluator.log.level", "") is { Length: > 0 } level)
            config = new ConfigOverrides().Set("akka.loglevel", Logs.NodeLogging.AkkaLevel(Logs.NodeLogging.ParseLevel(level))).ToConfig(config);

        // The journal's connection string defaults to a SQLite file in the data directory;
        // the snapshot store always uses the journal's database.
        var connection = config.GetString("akka.persistence.journal.sql.connection-string");
        if (string.IsNullOrEmpty(connection))
        {
            var dataDir = Path.GetFullPath(config.GetString("evaluator.data-dir"));
            Directory.CreateDirectory(dataDir);
            connection = $"Data Source={Path.Combine(dataDir, "evaluator.db")};Pooling=True";
        }
        var provider = config.GetString("akka.persistence.journal.sql.provider-name");
        // Every node carries its entity placement as a role, so that members can compare it.
        var roles = config.GetStringList("akka.cluster.roles")
            .Where(r => !r.StartsWith(ShardingAgreement.RolePrefix, StringComparison.Ordinal))
            .Append(ShardingAgreement.Role(config.GetInt("evaluator.sharding.max-shards", EvaluatorSettings.DefaultMaxShards)));
        config = new ConfigOverrides()
            .Set("akka.cluster.roles", [.. roles])
            .Set("akka.persistence.journal.sql.connection-string", connection)
            .Set("akka.persistence.snapshot-store.sql.connection-string", connection)
            .Set("akka.persistence.snapshot-store.sql.provider-name", provider)
            .Set("akka.persistence.query.journal.sql.connection-string", connection)
            .Set("akka.persistence.query.journal.sql.provider-name", provider)
            .ToConfig(config);
        config = ClusterDiscovery.Configure(config);

        // Akka.Persistence.Sql does not inject its defaults into a plain ActorSystem; pub-sub,
        // singletons and sharding do, but only when they start: too late for their serializer
        // bindings to apply to the local messages that serialize-messages = on checks, and, for
        // singletons (the sharding coordinator's), to the first messages a restarted node gets
        // ("Cannot find serializer with id [14]").
        return config
            .WithFallback(SqlPersistence.DefaultConfiguration)
            .WithFallback(SqlPersistence.DefaultQueryConfiguration)
            .WithFallback(Akka.Cluster.Tools.PublishSubscribe.DistributedPubSub.DefaultConfig())
            .WithFallback(Akka.Cluster.Tools.Singleton.ClusterSingleton.DefaultConfig())
            .WithFallback(Akka.Cluster.Sharding.ClusterSharding.DefaultConfig());
    }
}
