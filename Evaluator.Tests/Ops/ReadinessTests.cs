using System.Net;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Evaluator.Node.Http;
using Evaluator.Node.Runtime;
using Evaluator.Tests.Http;
using Evaluator.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Evaluator.Tests.Ops;

/// <summary>
/// /healthz (liveness) against /readyz (readiness) on real Kestrel: before the member is up,
/// once it is, after it left the cluster, and while its (real SQLite) journal cannot be opened.
/// </summary>
public sealed class ReadinessTests
{
    private static async Task<(HttpStatusCode Status, string Body)> Get(HttpClient http, string path)
    {
        using var r = await http.GetAsync(path);
        return (r.StatusCode, await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Readyz_is_503_until_the_member_is_up_and_its_regions_started_while_healthz_answers()
    {
        var dir = TestEnvironment.TempDir("ready-join");
        var system = ActorSystem.Create(NodeConfig.SystemName, NodeConfig.Load("single-node", new ConfigOverrides().Set("evaluator.data-dir", dir)));
        // The node's health endpoints over a system that has not joined any cluster yet.
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        HealthEndpoints.AddChecks(builder.Services, system, TimeSpan.FromSeconds(5));
        await using var app = builder.Build();
        HealthEndpoints.Map(app);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        try
        {
            Assert.Equal(HttpStatusCode.OK, (await Get(http, "/healthz")).Status);
            var (status, body) = await Get(http, "/readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            var problem = JsonDocument.Parse(body).RootElement;
            Assert.Equal("not ready", problem.GetProperty("title").GetString());
            Assert.Contains("cluster-member: member is", problem.GetProperty("detail").GetString());
            Assert.Equal("failed", problem.GetProperty("checks").GetProperty("cluster-member").GetProperty("status").GetString());

            Akka.Cluster.Cluster.Get(system).Join(Akka.Cluster.Cluster.Get(system).SelfAddress);
            // Up, but no sharding region started (EvaluatorNode starts them after the join): still not ready, for that reason alone.
            var after = await Poll.UntilAsync(() => Get(http, "/readyz"), r => !r.Body.Contains("cluster-member:"),
                TimeSpan.FromSeconds(30), "the member up");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, after.Status);
            Assert.Contains("sharding: sharding regions not started: coordinator, shard", after.Body);
        }
        finally
        {
            await app.StopAsync();
            await system.Terminate();
        }
    }

    [Fact]
    public async Task Readyz_is_200_on_a_started_node_and_503_once_it_left_the_cluster_while_healthz_stays_200()
    {
        var node = new HttpNode();
        await node.InitializeAsync();
        try
        {
            var (status, body) = await Get(node.Client, "/readyz");
            Assert.Equal(HttpStatusCode.OK, status);
            var ready = JsonDocument.Parse(body).RootElement;
            Assert.Equal("ready", ready.GetProperty("status").GetString());
            Assert.All(ready.GetProperty("checks").EnumerateObject(), c => Assert.Equal("ok", c.Value.GetProperty("status").GetString()));

            var cluster = Akka.Cluster.Cluster.Get(node.Node.System);
            cluster.Leave(cluster.SelfAddress);
            var left = await Poll.UntilAsync(() => Get(node.Client, "/readyz"), r => r.Status != HttpStatusCode.OK,
                TimeSpan.FromSeconds(30), "/readyz after leaving");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, left.Status);
            Assert.Contains("cluster-member:", left.Body);
            Assert.Equal(HttpStatusCode.OK, (await Get(node.Client, "/healthz")).Status);
        }
        finally
        {
            await node.DisposeAsync();
        }
    }

    [Fact]
    public async Task Readyz_is_503_naming_the_journal_while_its_database_cannot_be_opened_and_200_again_after()
    {
        var data = Path.Combine(TestEnvironment.TempDir("ready-journal"), "data");
        Directory.CreateDirectory(data);
        // No connection pool: every journal query opens the file, as after a restart.
        var node = new HttpNode(null, 1 << 20, o => o.Set("akka.persistence.journal.sql.connection-string",
            $"Data Source={Path.Combine(data, "evaluator.db")};Pooling=False"));
        await node.InitializeAsync();
        try
        {
            Assert.Equal(HttpStatusCode.OK, (await Get(node.Client, "/readyz")).Status);
            // The database's directory replaced by a plain file: the database cannot be opened
            // (ENOTDIR), even by root, whom file permissions would not stop.
            Directory.Move(data, data + ".away");
            await File.WriteAllTextAsync(data, "not a directory");
            var down = await Poll.UntilAsync(() => Get(node.Client, "/readyz"), r => r.Status != HttpStatusCode.OK,
                TimeSpan.FromSeconds(30), "/readyz with the journal gone");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.Status);
            Assert.Contains("journal: journal unreachable", down.Body);
            Assert.Equal(HttpStatusCode.OK, (await Get(node.Client, "/healthz")).Status);

            File.Delete(data);
            Directory.Move(data + ".away", data);
            await Poll.UntilAsync(() => Get(node.Client, "/readyz"), r => r.Status == HttpStatusCode.OK,
                TimeSpan.FromSeconds(30), "/readyz with the journal back");
        }
        finally
        {
            await node.DisposeAsync();
        }
    }
}
