using Evaluator.Node.Runtime.Logs;

namespace Evaluator.Tests.Ops;

/// <summary>The run and partition fields of Akka's log events, read from the sharded entity that logged.</summary>
public sealed class LogFieldTests
{
    [Theory]
    [InlineData("akka.tcp://evaluator@127.0.0.1:4053/system/sharding/coordinator/57/run-a.1", "run-a.1", null)]
    [InlineData("akka://evaluator/system/sharding/shard/12/r7~3", "r7", 3)]
    [InlineData("akka://evaluator/system/sharding/shard/12/r7~3/stream#123", "r7", 3)]
    [InlineData("akka://evaluator/system/sharding/coordinator", null, null)]
    [InlineData("akka://evaluator/system/cluster/core/daemon", null, null)]
    [InlineData(null, null, null)]
    public void Entity_paths_give_run_and_partition(string? source, string? run, int? partition) =>
        Assert.Equal((run, partition), AkkaLoggerBridge.Entity(source));

    [Theory]
    [InlineData("Information", Microsoft.Extensions.Logging.LogLevel.Information, "INFO")]
    [InlineData("debug", Microsoft.Extensions.Logging.LogLevel.Debug, "DEBUG")]
    [InlineData("WARN", Microsoft.Extensions.Logging.LogLevel.Warning, "WARNING")]
    [InlineData("None", Microsoft.Extensions.Logging.LogLevel.None, "OFF")]
    public void Log_levels_read_any_case_and_map_to_akkas(string name, Microsoft.Extensions.Logging.LogLevel level, string akka)
    {
        Assert.Equal(level, NodeLogging.ParseLevel(name));
        Assert.Equal(akka, NodeLogging.AkkaLevel(level));
    }

    [Fact]
    public void An_unknown_level_or_format_is_refused_naming_the_key()
    {
        var e = Assert.Throws<Akka.Configuration.ConfigurationException>(() => NodeLogging.ParseLevel("loud"));
        Assert.Contains("evaluator.log.level 'loud'", e.Message);
        var f = Assert.Throws<Akka.Configuration.ConfigurationException>(() =>
            NodeLogging.From(Akka.Configuration.ConfigurationFactory.ParseString("evaluator.log.format = xml")));
        Assert.Contains("evaluator.log.format 'xml'", f.Message);
    }
}
