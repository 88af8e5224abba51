using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Evaluator.Tests.Support;

/// <summary>
/// A <c>serve</c> node as a child process with its HTTP API on a free loopback port (Kestrel
/// picks it: <c>--http http://127.0.0.1:0</c>; the Akka port is free too: <c>--port 0</c>), a
/// journal in its own directory, and an <see cref="HttpClient"/> for it.
/// </summary>
public sealed class NodeProcess : IDisposable
{
    private const string UrlLine = "http api and dashboard at ";

    private NodeProcess(ChildProcess process, Uri url)
    {
        Process = process;
        Url = url;
        Http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
    }

    public ChildProcess Process { get; }

    /// <summary>The API's base address, ending in '/'.</summary>
    public Uri Url { get; }

    public HttpClient Http { get; }

    public static NodeProcess Start(string dir, TimeSpan? timeout = null)
    {
        var child = ChildProcess.StartEvaluator(
            ["serve", "--port", "0", "--http", "http://127.0.0.1:0", "--data-dir", Path.Combine(dir, "data")]);
        try
        {
            var line = child.WaitForLine(l => l.StartsWith(UrlLine, StringComparison.Ordinal), timeout ?? TimeSpan.FromSeconds(90),
                "the 'http api and dashboard at' line");
            var url = line[UrlLine.Length..].Trim();
            return new NodeProcess(child, new Uri(url.EndsWith('/') ? url : url + "/"));
        }
        catch
        {
            child.Dispose();
            throw;
        }
    }

    /// <summary>POST /runs with a JSON body; returns the answer's JSON (throws on a non-2xx answer).</summary>
    public async Task<JsonElement> CreateRunAsync(string json)
    {
        using var res = await Http.PostAsync("runs", new StringContent(json, Encoding.UTF8, "application/json"));
        return await ReadAsync(res, "POST /runs");
    }

    /// <summary>POST a uint8 batch (ground truth then prediction) of shape H×W; returns the acknowledgement.</summary>
    public async Task<JsonElement> PushBatchAsync(string runId, int partition, long seq, byte[] gt, byte[] pred, int height, int width)
    {
        var body = new ByteArrayContent([.. gt, .. pred]);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var res = await Http.PostAsync($"runs/{runId}/partitions/{partition}/batches/{seq}?shape={height},{width}&dtype=uint8", body);
        return await ReadAsync(res, $"batch {seq} of partition {partition}");
    }

    public async Task<JsonElement> SnapshotAsync(string runId)
    {
        using var res = await Http.GetAsync($"runs/{runId}/snapshot");
        return await ReadAsync(res, "GET snapshot");
    }

    public async Task<JsonElement> CompleteAsync(string runId)
    {
        using var res = await Http.PostAsync($"runs/{runId}/complete", null);
        return await ReadAsync(res, "POST complete");
    }

    public async Task<JsonElement> ReportAsync(string runId)
    {
        using var res = await Http.GetAsync($"runs/{runId}/report.json");
        return await ReadAsync(res, "GET report.json");
    }

    private async Task<JsonElement> ReadAsync(HttpResponseMessage res, string what)
    {
        var text = await res.Content.ReadAsStringAsync();
        if (!res.IsSuccessStatusCode)
            throw new InvalidOperationException($"{what}: HTTP {(int)res.StatusCode} {text}\n{Process.Transcript}");
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    public void Dispose()
    {
        Http.Dispose();
        Process.Dispose();
    }
}
