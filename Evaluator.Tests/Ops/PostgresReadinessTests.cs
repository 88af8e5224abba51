using System.Data.Common;
using System.Diagnostics;
using System.Net;
using Evaluator.Tests.Http;
using Evaluator.Tests.Support;
using Xunit.Abstractions;

namespace Evaluator.Tests.Ops;

/// <summary>
/// /readyz of a node whose journal is the real PostgreSQL of the suite, reached through a TCP
/// forwarder: 200, then 503 naming the journal within <c>evaluator.health.journal-timeout</c> once
/// the forwarder stops (PostgreSQL gone for the node), then 200 again once it is back.
/// </summary>
// Category=Services: PostgreSQL (./run-tests.sh starts it and sets EVALUATOR_TEST_POSTGRES).
[Trait("Category", "Services")]
public sealed class PostgresReadinessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Readyz_is_503_naming_the_journal_while_postgresql_is_unreachable_and_200_again_when_it_is_back()
    {
        var real = new DbConnectionStringBuilder { ConnectionString = Journals.PostgresConnection };
        var host = real.TryGetValue("Host", out var h) ? $"{h}" : "127.0.0.1";
        var port = real.TryGetValue("Port", out var p) ? int.Parse($"{p}") : 5432;
        using var forwarder = new TcpForwarder(host, port);
        forwarder.Start();
        var through = new DbConnectionStringBuilder { ConnectionString = Journals.PostgresConnection };
        through["Host"] = "127.0.0.1";
        through["Port"] = forwarder.Port;
        var journalTimeout = TimeSpan.FromSeconds(5); // evaluator.health.journal-timeout (its default)
        var node = new HttpNode(null, 1 << 20, o => o.Add(Journals.Overrides(Journals.Postgres))
            .Set("akka.persistence.journal.sql.connection-string", through.ConnectionString)
            .Set("evaluator.health.journal-timeout", $"{journalTimeout.TotalSeconds}s"));
        await node.InitializeAsync();
        try
        {
            var ready = await Get(node.Client, "/readyz");
            Assert.True(ready.Status == HttpStatusCode.OK, ready.Body);

            forwarder.Stop();
            var clock = Stopwatch.StartNew();
            var down = await Poll.UntilAsync(() => Get(node.Client, "/readyz"), r => r.Status != HttpStatusCode.OK,
                journalTimeout, "/readyz with PostgreSQL unreachable");
            output.WriteLine($"503 after {clock.Elapsed.TotalSeconds:F2} s: {down.Body}");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.Status);
            Assert.Contains("journal: journal unreachable", down.Body);
            Assert.DoesNotContain("cluster-member:", down.Body);
            Assert.Equal(HttpStatusCode.OK, (await Get(node.Client, "/healthz")).Status);

            forwarder.Start();
            clock.Restart();
            await Poll.UntilAsync(() => Get(node.Client, "/readyz"), r => r.Status == HttpStatusCode.OK,
                TimeSpan.FromSeconds(30), "/readyz with PostgreSQL back");
            output.WriteLine($"200 again after {clock.Elapsed.TotalSeconds:F2} s");
        }
        finally
        {
            await node.DisposeAsync();
        }
    }

    [Fact]
    public async Task Readyz_is_503_saying_the_journal_did_not_answer_in_time_while_postgresql_accepts_but_never_answers()
    {
        var real = new DbConnectionStringBuilder { ConnectionString = Journals.PostgresConnection };
        var host = real.TryGetValue("Host", out var h) ? $"{h}" : "127.0.0.1";
        var port = real.TryGetValue("Port", out var p) ? int.Parse($"{p}") : 5432;
        using var forwarder = new TcpForwarder(host, port);
        forwarder.Start();
        real["Host"] = "127.0.0.1";
        real["Port"] = forwarder.Port;
        var journalTimeout = TimeSpan.FromSeconds(2);
        var node = new HttpNode(null, 1 << 20, o => o.Add(Journals.Overrides(Journals.Postgres))
            .Set("akka.persistence.journal.sql.connection-string", real.ConnectionString)
            .Set("evaluator.health.journal-timeout", $"{journalTimeout.TotalSeconds}s"));
        await node.InitializeAsync();
        try
        {
            Assert.Equal(HttpStatusCode.OK, (await Get(node.Client, "/readyz")).Status);
            // A partition: the node's connections are cut, new ones are accepted and never answered.
            forwarder.Stop();
            forwarder.StartBlackHole();
            var clock = Stopwatch.StartNew();
            var down = await Poll.UntilAsync(() => Get(node.Client, "/readyz"), r => r.Body.Contains("no answer within"),
                journalTimeout * 3, "/readyz with PostgreSQL not answering");
            output.WriteLine($"'no answer' after {clock.Elapsed.TotalSeconds:F2} s: {down.Body}");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.Status);
            Assert.Contains("journal: journal unreachable: no answer within 2 s", down.Body);

            forwarder.Stop();
            forwarder.Start();
            await Poll.UntilAsync(() => Get(node.Client, "/readyz"), r => r.Status == HttpStatusCode.OK,
                TimeSpan.FromSeconds(30), "/readyz with PostgreSQL back");
        }
        finally
        {
            await node.DisposeAsync();
        }
    }

    private static async Task<(HttpStatusCode Status, string Body)> Get(HttpClient http, string path)
    {
        using var r = await http.GetAsync(path);
        return (r.StatusCode, await r.Content.ReadAsStringAsync());
    }
}
