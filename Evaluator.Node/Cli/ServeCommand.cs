using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Akka.Actor;
using Akka.Cluster;
using Evaluator.Node.Http;
using Evaluator.Node.Runtime;

namespace Evaluator.Node.Cli;

/// <summary>
/// <c>serve</c>: a long-running node of a cluster (hocon/cluster.conf + environment + options).
/// Runs until SIGTERM or Ctrl-C, then leaves the cluster gracefully (CoordinatedShutdown):
/// its shards and coordinators hand over to the other nodes.
/// </summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var hostname = new Option<string?>("--hostname") { Description = "Address other nodes reach this one at (EVALUATOR_HOSTNAME)." };
        var port = new Option<int?>("--port") { Description = "TCP port (EVALUATOR_PORT; default 4053)." };
        var seeds = new Option<string?>("--seed-nodes") { Description = "Comma-separated seed node addresses, e.g. akka.tcp://evaluator@127.0.0.1:4053 (EVALUATOR_SEED_NODES)." };
        var roles = new Option<string?>("--roles") { Description = "Comma-separated roles (EVALUATOR_ROLES; default worker)." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Journal directory for a SQLite journal (EVALUATOR_DATA_DIR)." };
        var httpUrl = new Option<string?>("--http") { Description = "Serve the HTTP API and dashboard here, e.g. http://127.0.0.1:8080 (EVALUATOR_HTTP_URL; default none)." };
        var token = new Option<string?>("--token") { Description = "Bearer token for write endpoints (EVALUATOR_HTTP_TOKEN); required off loopback." };
        var cmd = new Command("serve", "Run a cluster node until stopped (SIGTERM or Ctrl-C leaves gracefully).")
        {
            hostname, port, seeds, roles, dataDir, httpUrl, token,
        };
        cmd.SetAction((r, cancel) =>
        {
            var overrides = ClusterOverrides(r.GetValue(hostname), r.GetValue(port), r.GetValue(seeds), r.GetValue(roles),
                r.GetValue(dataDir));
            if (r.GetValue(httpUrl) is { } url) overrides += $"evaluator.http.url = {NodeConfig.Quote(url)}\n";
            if (r.GetValue(token) is { } t) overrides += $"evaluator.http.token = {NodeConfig.Quote(t)}\n";
            return RunAsync(overrides, cancel);
        });
        return cmd;
    }

    /// <summary>HOCON overrides from command-line options (each one optional).</summary>
    public static string ClusterOverrides(string? hostname, int? port, string? seeds, string? roles, string? dataDir)
    {
        var sb = new StringBuilder();
        if (hostname is not null) sb.AppendLine($"akka.remote.dot-netty.tcp.hostname = {NodeConfig.Quote(hostname)}");
        if (port is { } p) sb.AppendLine(CultureInfo.InvariantCulture, $"akka.remote.dot-netty.tcp.port = {p}");
        if (seeds is not null) sb.AppendLine($"akka.cluster.seed-nodes = [{List(seeds)}]");
        if (roles is not null) sb.AppendLine($"akka.cluster.roles = [{List(roles)}]");
        if (dataDir is not null) sb.AppendLine($"evaluator.data-dir = {NodeConfig.Quote(dataDir)}");
        return sb.ToString();
    }

    private static string List(string csv) =>
        string.Join(", ", csv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(NodeConfig.Quote));

    private static async Task<int> RunAsync(string overrides, CancellationToken cancel)
    {
        var config = NodeConfig.Load("cluster", overrides);
        var http = HttpSettings.From(config); // refuses a non-loopback URL without a token before anything starts
        var node = await EvaluatorNode.StartAsync(config, TimeSpan.FromMinutes(5));
        var cluster = Cluster.Get(node.System);
        Console.WriteLine($"evaluator node up at {cluster.SelfAddress} (roles: {string.Join(",", cluster.SelfRoles)})");
        HttpApi? api = null;
        try
        {
            if (http.Enabled) api = await HttpApi.StartAsync(node, http);
        }
        catch (IOException e)
        {
            await CoordinatedShutdown.Get(node.System).Run(CoordinatedShutdown.ClrExitReason.Instance);
            throw new Akka.Configuration.ConfigurationException($"cannot listen on {http.Url}: {e.Message}");
        }
        await using var apiScope = api;
        if (api is not null) Console.WriteLine($"http api and dashboard at {api.Address}");

        void Leave() => _ = CoordinatedShutdown.Get(node.System).Run(CoordinatedShutdown.ClrExitReason.Instance);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true; // let CoordinatedShutdown finish before the process exits
            Leave();
        });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx =>
        {
            ctx.Cancel = true;
            Leave();
        });
        await using var onCancel = cancel.Register(Leave);
        await node.System.WhenTerminated;
        Console.WriteLine("evaluator node left the cluster");
        return EvaluatorCli.ExitOk;
    }
}
