using Akka.Configuration;
using Akka.Persistence.Sql.Config;
using LinqToDB;

namespace Evaluator.Node.Runtime;

/// <summary>
/// Makes every connection the SQL journal plugins open to a SQLite journal wait for another
/// connection's lock inside SQLite (<c>PRAGMA busy_timeout</c>, <c>evaluator.sqlite-busy-timeout</c>):
/// SQLite then retries after 1, 2, 5, 10 ... 100 ms. Without it a statement that meets a lock
/// fails at once with SQLITE_BUSY, on which Microsoft.Data.Sqlite sleeps 150 ms before trying
/// again: on a new journal file the journal and the snapshot store create their tables at the
/// same time, and one of them slept 150-300 ms in every fresh `evaluate`.
/// Akka.Persistence.Sql takes linq2db options through <see cref="DataOptionsSetup"/> (for the
/// journal, the snapshot store and the read journal, which share one connection string); these
/// are the options it builds itself from provider-name and connection-string, plus the pragma.
/// </summary>
internal static class SqliteBusyTimeout
{
    public const string Key = "evaluator.sqlite-busy-timeout";

    /// <summary>The setup for the node's ActorSystem; null for another database or a timeout of 0.</summary>
    public static DataOptionsSetup? SetupFor(Config config) =>
        OptionsFor(config) is { } options ? new DataOptionsSetup(options) : null;

    /// <summary>The linq2db options with the pragma; null for another database or a timeout of 0.</summary>
    public static DataOptions? OptionsFor(Config config)
    {
        var provider = config.GetString("akka.persistence.journal.sql.provider-name", "");
        var timeout = config.GetTimeSpan(Key, TimeSpan.Zero, allowInfinite: false);
        if (!provider.StartsWith("SQLite", StringComparison.OrdinalIgnoreCase) || timeout <= TimeSpan.Zero) return null;
        var pragma = $"PRAGMA busy_timeout = {(long)timeout.TotalMilliseconds}";
        return new DataOptions()
            .UseConnectionString(provider, config.GetString("akka.persistence.journal.sql.connection-string"))
            .UseAfterConnectionOpened(connection =>
            {
                using var command = connection.CreateCommand();
                command.CommandText = pragma;
                command.ExecuteNonQuery();
            });
    }
}
