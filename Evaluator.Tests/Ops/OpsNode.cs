using System.Net;
using System.Text;
using System.Text.Json;
using Evaluator.Tests.Http;

namespace Evaluator.Tests.Ops;

/// <summary>A one-node cluster with the HTTP API that keeps per-run series for 3 finished runs (evaluator.metrics.finished-runs).</summary>
public sealed class OpsNode() : IAsyncLifetime
{
    public const int FinishedRuns = 3;

    public HttpNode Inner { get; } = new(null, 1 << 20, o => o.Set("evaluator.metrics.finished-runs", FinishedRuns));

    public Task InitializeAsync() => Inner.InitializeAsync();

    public Task DisposeAsync() => Inner.DisposeAsync();

    /// <summary>An ingest run of 2 classes with one batch of 4 pixels (3 on the diagonal) posted; completed when asked, and awaited final.</summary>
    public async Task<string> RunAsync(string id, bool complete)
    {
        var http = Inner.Client;
        var created = await http.PostAsync("/runs", new StringContent($$"""{"run_id":"{{id}}","num_classes":2}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var pushed = await http.PostAsync($"/runs/{id}/partitions/0/batches/0?shape=4&dtype=uint8",
            HttpApiTests.Bin([0, 1, 1, 0, 0, 1, 0, 0]));
        Assert.Equal(HttpStatusCode.OK, pushed.StatusCode);
        if (!complete) return id;
        Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsync($"/runs/{id}/complete", null)).StatusCode);
        await Support.Poll.UntilAsync(async () =>
            {
                var r = await http.GetAsync($"/runs/{id}");
                return r.IsSuccessStatusCode && JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("final").GetBoolean();
            }, done => done, TimeSpan.FromSeconds(30), $"run {id} final");
        return id;
    }
}
