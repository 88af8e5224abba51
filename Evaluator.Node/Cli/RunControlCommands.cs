using System.CommandLine;
using System.Net;
using Evaluator.Node.Runs;
using Evaluator.Node.Runtime;

namespace Evaluator.Node.Cli;

/// <summary>
/// <c>cancel RUN_ID</c> and <c>delete RUN_ID</c>: through a server's HTTP API (<c>--url</c>), a
/// running cluster this process joins as a client (<c>--seed-nodes</c> or EVALUATOR_SEED_NODES), or
/// else the local journal (<c>--data-dir</c>) on an embedded node. Exit 0 done (a cancelled run
/// cancelled again too), 1 refused by the run's state (cancel a finished run, delete a running
/// one), 2 no such run (or bad options), 5 the server or cluster could not be reached.
/// </summary>
internal static class RunControlCommands
{
    public static Command Cancel() => Create("cancel",
        "Cancel a running run: its partitions stop, what was committed stays, its status is cancelled (it cannot be resumed).",
        RunControl.CancelAsync, id => $"/runs/{Uri.EscapeDataString(id)}/cancel", HttpMethod.Post);

    public static Command Delete() => Create("delete",
        "Delete a finished run: its journal events and snapshots (refused while it runs: cancel it first).",
        RunControl.DeleteAsync, id => $"/runs/{Uri.EscapeDataString(id)}", HttpMethod.Delete);

    private static Command Create(string name, string description,
        Func<EvaluatorNode, string, CancellationToken, Task<RunControlResult>> onNode, Func<string, string> path, HttpMethod method)
    {
        var runId = new Argument<string>("RUN_ID") { Description = "The run's id." };
        var url = new Option<string?>("--url") { Description = "A server's HTTP address, e.g. http://127.0.0.1:8080 (token: EVALUATOR_HTTP_TOKEN)." };
        var seeds = new Option<string?>("--seed-nodes") { Description = "Comma-separated seed nodes of a running cluster (EVALUATOR_SEED_NODES)." };
        var hostname = new Option<string?>("--hostname") { Description = "Address the cluster reaches this client at (EVALUATOR_HOSTNAME)." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Without --url or seed nodes: the local SQLite journal's directory (EVALUATOR_DATA_DIR); it must exist." };
        var cmd = new Command(name, description) { runId, url, seeds, hostname, dataDir };
        cmd.SetAction(async (r, cancel) =>
        {
            var id = r.GetValue(runId)!;
            if (r.GetValue(url) is { } u) return await OverHttpAsync(u, path(id), method, cancel);
            var seedNodes = r.GetValue(seeds) ?? Environment.GetEnvironmentVariable("EVALUATOR_SEED_NODES");
            var dir = r.GetValue(dataDir);
            if (dir is not null && !Directory.Exists(dir))
            {
                await Console.Error.WriteLineAsync($"error: --data-dir '{dir}': no such directory");
                return EvaluatorCli.ExitUsage;
            }
            var config = string.IsNullOrEmpty(seedNodes)
                ? NodeConfig.Load("single-node", dir is null ? null : new ConfigOverrides().Set("evaluator.data-dir", dir))
                : NodeConfig.Load("cluster", ConfigOverrides.Cluster(r.GetValue(hostname), 0, seedNodes, "client", null));
            var node = await EvaluatorNode.StartAsync(config, TimeSpan.FromSeconds(20), cancel);
            try
            {
                return Report(await onNode(node, id, cancel));
            }
            finally
            {
                await node.ShutdownAsync(TimeSpan.FromSeconds(10));
            }
        });
        return cmd;
    }

    private static int Report(RunControlResult result)
    {
        switch (result.Outcome)
        {
            case RunControlOutcome.Done:
                Console.Out.WriteLine(result.Message);
                return EvaluatorCli.ExitOk;
            case RunControlOutcome.Refused:
                Console.Error.WriteLine($"error: {result.Message}");
                return EvaluatorCli.ExitFailure;
            default:
                Console.Error.WriteLine($"error: {result.Message}");
                return EvaluatorCli.ExitUsage;
        }
    }

    private static async Task<int> OverHttpAsync(string url, string path, HttpMethod method, CancellationToken cancel)
    {
        using var http = new HttpClient();
        if (Environment.GetEnvironmentVariable("EVALUATOR_HTTP_TOKEN") is { Length: > 0 } token)
            http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(new HttpRequestMessage(method, url.TrimEnd('/') + path), cancel);
        }
        catch (HttpRequestException e)
        {
            Console.Error.WriteLine($"error: cannot reach the server at {url}: {e.Message}");
            return EvaluatorCli.ExitUnavailable;
        }
        catch (Exception e) when (e is UriFormatException or InvalidOperationException)
        {
            Console.Error.WriteLine($"error: --url {url}: {e.Message}");
            return EvaluatorCli.ExitUsage;
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancel);
            var detail = Detail(body);
            switch (response.StatusCode)
            {
                case HttpStatusCode.OK or HttpStatusCode.NoContent:
                    Console.Out.WriteLine(method == HttpMethod.Delete ? "deleted" : "cancelled");
                    return EvaluatorCli.ExitOk;
                case HttpStatusCode.Conflict:
                    Console.Error.WriteLine($"error: {detail}");
                    return EvaluatorCli.ExitFailure;
                case HttpStatusCode.NotFound:
                    Console.Error.WriteLine($"error: {detail}");
                    return EvaluatorCli.ExitUsage;
                default:
                    Console.Error.WriteLine($"error: {(int)response.StatusCode}: {detail}");
                    return EvaluatorCli.ExitFailure;
            }
        }
    }

    /// <summary>A problem body's detail, else the body.</summary>
    private static string Detail(string body)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("detail", out var d) ? d.GetString() ?? body : body;
        }
        catch (System.Text.Json.JsonException)
        {
            return body;
        }
    }
}
