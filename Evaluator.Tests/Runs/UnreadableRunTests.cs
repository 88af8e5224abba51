using Evaluator.Node.Actors;
using Evaluator.Node.Runs;
using Evaluator.Node.Runtime;
using Evaluator.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Evaluator.Tests.Runs;

/// <summary>
/// A journal holding one run this node cannot read (here: an event whose manifest a newer release
/// would write) still lists its other runs: the unreadable one is listed as "unreadable" with the
/// serializer's reason, not a failed listing (GET /runs, `runs`, /metrics all list through it).
/// </summary>
public sealed class UnreadableRunTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "evaluator-tests", $"unreadable-{Guid.NewGuid():N}");

    [Fact]
    public async Task A_run_with_an_unknown_manifest_is_listed_as_unreadable_and_the_others_as_before()
    {
        Directory.CreateDirectory(_dir);
        var db = Path.Combine(_dir, "evaluator.db");
        File.Copy(Path.Combine(RepoFiles.RepoRoot(), "Evaluator.Tests", "Fixtures", "journal-v1", "evaluator.db"), db);
        var before = await RunCatalog.ListAsync(_dir);

        using (var connection = new SqliteConnection($"Data Source={db};Pooling=False"))
        {
            connection.Open();
            using var update = connection.CreateCommand();
            update.CommandText = "UPDATE journal SET manifest = 'E-PR99' WHERE persistence_id = 'run-v1-interrupted' AND sequence_number = 2";
            Assert.Equal(1, update.ExecuteNonQuery());
        }
        var after = await RunCatalog.ListAsync(_dir);

        Assert.Equal(before.Select(r => r.RunId), after.Select(r => r.RunId));
        var complete = Assert.Single(after, r => r.RunId == "v1-complete");
        Assert.Equal(Assert.Single(before, r => r.RunId == "v1-complete"), complete);
        Assert.Equal("completed", complete.StatusName);
        var unreadable = Assert.Single(after, r => r.RunId == "v1-interrupted");
        Assert.True(unreadable.Unreadable);
        Assert.Equal("unreadable", unreadable.StatusName);
        Assert.Contains("unknown manifest 'E-PR99'", unreadable.Error);
        Assert.Contains("upgrade this node", unreadable.Error);
        Assert.Equal(0, unreadable.Pixels.Total);
    }

    [Fact]
    public async Task The_resume_of_unfinished_runs_passes_over_a_run_it_cannot_read()
    {
        Directory.CreateDirectory(_dir);
        var db = Path.Combine(_dir, "evaluator.db");
        File.Copy(Path.Combine(RepoFiles.RepoRoot(), "Evaluator.Tests", "Fixtures", "journal-v1", "evaluator.db"), db);
        Assert.Equal(["v1-interrupted"], await UnfinishedRunsOf(_dir));

        // The unfinished run itself unreadable: nothing to resume, and no failure either.
        using (var connection = new SqliteConnection($"Data Source={db};Pooling=False"))
        {
            connection.Open();
            using var update = connection.CreateCommand();
            update.CommandText = "UPDATE journal SET manifest = 'E-PR99' WHERE persistence_id = 'run-v1-interrupted' AND sequence_number = 2";
            Assert.Equal(1, update.ExecuteNonQuery());
        }
        Assert.Empty(await UnfinishedRunsOf(_dir));
    }

    private static async Task<IReadOnlyList<string>> UnfinishedRunsOf(string dataDir)
    {
        var config = new ConfigOverrides().Set("akka.actor.provider", "local").Set("akka.extensions", [])
            .ToConfig(NodeConfig.Load("single-node", new ConfigOverrides().Set("evaluator.data-dir", dataDir), _ => null));
        var system = Akka.Actor.ActorSystem.Create("unfinished", config);
        try
        {
            return await UnfinishedRuns.FindAsync(system);
        }
        finally
        {
            await system.Terminate();
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
