using Akka.Configuration;
using Evaluator.Node.Runtime;

namespace Evaluator.Tests.Runs;

/// <summary>Typed overrides render to HOCON that reads back as the values set, whatever characters they hold.</summary>
public class ConfigOverridesTests
{
    [Theory]
    [InlineData("plain")]
    [InlineData("with \"quotes\" and \\backslashes\\")]
    [InlineData("C:\\data\\evaluator dir")]
    [InlineData("line\nbreak\ttab")]
    [InlineData("${not.a.substitution} # not a comment // nor this")]
    [InlineData("ünïcödé, commas = and [brackets]")]
    [InlineData("")]
    public void A_string_reads_back_as_set(string value)
    {
        var config = new ConfigOverrides().Set("evaluator.data-dir", value).ToConfig();
        Assert.Equal(value, config.GetString("evaluator.data-dir"));
    }

    [Fact]
    public void Numbers_booleans_and_lists_read_back_as_set()
    {
        var config = new ConfigOverrides()
            .Set("evaluator.partitions", 12)
            .Set("evaluator.http.max-body-bytes", 1L << 40)
            .Set("evaluator.memory-map-files", false)
            .Set("akka.cluster.roles", ["worker", "with \"quote\"", "back\\slash"])
            .SetCommaSeparated("akka.cluster.seed-nodes", " akka.tcp://evaluator@a:4053 ,akka.tcp://evaluator@b:4053,, ")
            .ToConfig();
        Assert.Equal(12, config.GetInt("evaluator.partitions"));
        Assert.Equal(1L << 40, config.GetLong("evaluator.http.max-body-bytes"));
        Assert.False(config.GetBoolean("evaluator.memory-map-files", true));
        Assert.Equal(["worker", "with \"quote\"", "back\\slash"], config.GetStringList("akka.cluster.roles"));
        Assert.Equal(["akka.tcp://evaluator@a:4053", "akka.tcp://evaluator@b:4053"], config.GetStringList("akka.cluster.seed-nodes"));
    }

    [Fact]
    public void A_key_segment_with_quotes_or_backslashes_is_quoted()
    {
        var overrides = new ConfigOverrides().Set("evaluator.we\"ird\\key.x", "v");
        Assert.Equal("evaluator.\"we\\\"ird\\\\key\".x = \"v\"\n", overrides.ToHocon());
        var evaluator = overrides.ToConfig().GetConfig("evaluator");
        var (key, value) = Assert.Single(evaluator.AsEnumerable());
        Assert.Equal("v", value.GetObject().GetKey("x").GetString());
        Assert.Contains("ird", key);
    }

    [Fact]
    public void A_later_value_wins_and_overrides_fall_back_to_the_files()
    {
        var fallback = ConfigurationFactory.ParseString("evaluator { partitions = 3, batch-pixels = 7 }");
        var config = new ConfigOverrides().Set("evaluator.partitions", 4).Set("evaluator.partitions", 5).ToConfig(fallback);
        Assert.Equal(5, config.GetInt("evaluator.partitions"));
        Assert.Equal(7, config.GetInt("evaluator.batch-pixels"));
    }

    [Fact]
    public void Environment_variables_become_typed_overrides_of_the_node_config()
    {
        var env = new Dictionary<string, string>
        {
            ["EVALUATOR_DATA_DIR"] = Path.Combine(Path.GetTempPath(), "evaluator \"quoted\" dir"),
            ["EVALUATOR_PORT"] = "4100",
            ["EVALUATOR_SEED_NODES"] = "akka.tcp://evaluator@a:4053, akka.tcp://evaluator@b:4053",
            ["EVALUATOR_ROLES"] = "worker,client",
            ["EVALUATOR_HTTP_TOKEN"] = "s3cret\\with\"chars",
        };
        var config = NodeConfig.Load("cluster", environment: v => env.GetValueOrDefault(v));
        Assert.Equal(env["EVALUATOR_DATA_DIR"], config.GetString("evaluator.data-dir"));
        Assert.Equal(4100, config.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(["akka.tcp://evaluator@a:4053", "akka.tcp://evaluator@b:4053"], config.GetStringList("akka.cluster.seed-nodes"));
        // ... and the node's max-shards tag (ShardingAgreement).
        Assert.Equal(["worker", "client", "max-shards-100"], config.GetStringList("akka.cluster.roles"));
        Assert.Equal(env["EVALUATOR_HTTP_TOKEN"], config.GetString("evaluator.http.token"));
        var connection = config.GetString("akka.persistence.journal.sql.connection-string");
        Assert.Contains("evaluator \"quoted\" dir", connection);
        Assert.Equal(connection, config.GetString("akka.persistence.query.journal.sql.connection-string"));
    }
}
