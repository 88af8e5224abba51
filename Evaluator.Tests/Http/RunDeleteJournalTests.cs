using System.Net;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Http;

/// <summary>
/// DELETE /runs/{id} on each journal (SQLite, real PostgreSQL): the run is gone from GET /runs and
/// /metrics, and stays gone when a new node starts on the same journal.
/// </summary>
[Trait("Category", "Services")]
public sealed class RunDeleteJournalTests
{
    [Theory]
    [InlineData(Journals.Sqlite)]
    [InlineData(Journals.Postgres)]
    public async Task A_deleted_run_stays_deleted_after_a_restart(string journal)
    {
        var dir = TestEnvironment.TempDir("delete-" + journal);
        HttpNode Node() => new(null, 1 << 20, o => o.Add(Journals.Overrides(journal)).Set("evaluator.data-dir", dir));
        var id = "del-" + Guid.NewGuid().ToString("N")[..8];
        var kept = id + "-kept";

        var first = Node();
        await first.InitializeAsync();
        try
        {
            var http = first.Client;
            foreach (var run in new[] { id, kept })
            {
                Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("/runs", LifecycleHttp.Json($$"""{"run_id":"{{run}}","num_classes":3}"""))).StatusCode);
                Assert.Equal(HttpStatusCode.OK, (await LifecycleHttp.Push(http, run, 0)).StatusCode);
                Assert.Equal(HttpStatusCode.OK, (await http.PostAsync($"/runs/{run}/cancel", null)).StatusCode);
            }
            Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/runs/{id}")).StatusCode);
            Assert.DoesNotContain(id + "\"", await http.GetStringAsync("/runs"));
            Assert.Contains(kept, await http.GetStringAsync("/runs"));
        }
        finally
        {
            await first.DisposeAsync();
        }

        var second = Node();
        await second.InitializeAsync();
        try
        {
            var http = second.Client;
            var runs = await http.GetStringAsync("/runs");
            Assert.DoesNotContain(id + "\"", runs);
            Assert.Contains(kept, runs);
            Assert.DoesNotContain(id + "\"", await http.GetStringAsync("/metrics"));
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/runs/{id}")).StatusCode);
            Assert.Equal("cancelled", await LifecycleHttp.Status(http, kept));
            // The id can be used again: a new run, from nothing.
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("/runs", LifecycleHttp.Json($$"""{"run_id":"{{id}}","num_classes":2}"""))).StatusCode);
            Assert.Equal("running", await LifecycleHttp.Status(http, id));
        }
        finally
        {
            await second.DisposeAsync();
        }
    }
}
