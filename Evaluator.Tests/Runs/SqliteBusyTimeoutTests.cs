using Evaluator.Node.Runtime;
using Evaluator.Tests.Support;
using LinqToDB.Data;

namespace Evaluator.Tests.Runs;

/// <summary>
/// The journal plugins' SQLite connections wait for a lock inside SQLite (README, Performance,
/// "Fixed cost, the leave": without it, Microsoft.Data.Sqlite's 150 ms retry sleeps).
/// </summary>
public sealed class SqliteBusyTimeoutTests
{
    [Fact]
    public void Every_connection_to_the_sqlite_journal_gets_the_configured_busy_timeout()
    {
        var config = NodeConfig.Load("single-node",
            new ConfigOverrides().Set("evaluator.data-dir", TestEnvironment.TempDir("busy-timeout")), environment: _ => null);
        Assert.Equal(TimeSpan.FromSeconds(5), config.GetTimeSpan(SqliteBusyTimeout.Key));
        var options = SqliteBusyTimeout.OptionsFor(config);
        Assert.NotNull(options);
        Assert.NotNull(SqliteBusyTimeout.SetupFor(config));

        // The journal's own connection string (a file in the data directory), opened as the plugins do: through linq2db.
        using var first = new DataConnection(options);
        Assert.Equal(5000L, first.Execute<long>("PRAGMA busy_timeout"));
        using var second = new DataConnection(options);
        Assert.Equal(5000L, second.Execute<long>("PRAGMA busy_timeout"));
    }

    [Fact]
    public void Other_databases_and_a_timeout_of_zero_keep_the_plugins_own_options()
    {
        var fromEnv = NodeConfig.Load("single-node",
            new ConfigOverrides().Set("evaluator.data-dir", TestEnvironment.TempDir("busy-timeout-off")),
            environment: v => v == "EVALUATOR_SQLITE_BUSY_TIMEOUT" ? "0s" : null);
        Assert.Null(SqliteBusyTimeout.SetupFor(fromEnv));

        var postgres = NodeConfig.Load("cluster", new ConfigOverrides()
            .Set("akka.persistence.journal.sql.provider-name", "PostgreSQL.15")
            .Set("akka.persistence.journal.sql.connection-string", "Host=127.0.0.1;Database=unused"), environment: _ => null);
        Assert.Null(SqliteBusyTimeout.SetupFor(postgres));
    }
}
