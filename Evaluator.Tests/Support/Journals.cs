using Evaluator.Node.Runtime;

namespace Evaluator.Tests.Support;

/// <summary>The journals cluster tests run against: a shared SQLite file, and a real PostgreSQL.</summary>
internal static class Journals
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    /// <summary>
    /// The PostgreSQL connection string that ./run-tests.sh (and so CI) exports after starting
    /// Debian's PostgreSQL. Without it the PostgreSQL tests fail, saying how to run them.
    /// </summary>
    public static string PostgresConnection =>
        System.Environment.GetEnvironmentVariable("EVALUATOR_TEST_POSTGRES") is { Length: > 0 } cs
            ? cs
            : throw new InvalidOperationException(
                "EVALUATOR_TEST_POSTGRES is not set: run the tests with ./run-tests.sh, which starts PostgreSQL");

    /// <summary>Overrides selecting the journal (SQLite needs nothing: the data directory decides).</summary>
    public static ConfigOverrides Overrides(string journal) => journal == Postgres
        ? new ConfigOverrides()
            .Set("akka.persistence.journal.sql.provider-name", "PostgreSQL.15")
            .Set("akka.persistence.journal.sql.connection-string", PostgresConnection)
        : new ConfigOverrides();

    /// <summary>Environment variables selecting the journal for child processes.</summary>
    public static IReadOnlyDictionary<string, string> Environment(string journal) => journal == Postgres
        ? new Dictionary<string, string>
        {
            ["EVALUATOR_JOURNAL_PROVIDER"] = "PostgreSQL.15",
            ["EVALUATOR_JOURNAL_CONNECTION"] = PostgresConnection,
        }
        : new Dictionary<string, string>();
}
