using System.CommandLine;
using Akka.Actor;
using Akka.Cluster;
using Evaluator.Node.Runtime;
using Evaluator.Node.Runtime.Logs;
using Microsoft.Extensions.Logging;

namespace Evaluator.Node.Cli;

/// <summary>
/// <c>serve</c>: a long-running node of a cluster (hocon/cluster.conf + environment + options).
/// Runs until SIGTERM or Ctrl-C, then leaves the cluster gracefully (CoordinatedShutdown):
/// its shards and coordinators hand over to the other nodes.
/// </summary>
internal static class ServeCommand
{
    /// <param name="frontEnd">What the node serves beside the cluster when configured (the HTTP API), if anything.</param>
    public static Command Create(INodeFrontEnd? frontEnd)
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
            var overrides = ConfigOverrides.Cluster(r.GetValue(hostname), r.GetValue(port), r.GetValue(seeds),
                r.GetValue(roles), r.GetValue(dataDir));
            if (r.GetValue(httpUrl) is { } url) overrides.Set("evaluator.http.url", url);
            if (r.GetValue(token) is { } t) overrides.Set("evaluator.http.token", t);
            return RunAsync(overrides, frontEnd, cancel);
        });
        return cmd;
    }

    private static async Task<int> RunAsync(ConfigOverrides overrides, INodeFrontEnd? frontEnd, CancellationToken cancel)
    {
        var config = NodeConfig.Load("cluster", overrides);
        frontEnd?.Check(config); // e.g. refuses a non-loopback URL without a token before anything starts
        // One logging pipeline for the node's lines, Akka's events and Kestrel's (evaluator.log:
        // JSON lines on stdout by default). Disposed last: it flushes what is queued.
        var fields = new LogFields();
        using var logging = NodeLogging.From(config).CreateFactory(fields);
        var log = logging.CreateLogger("Evaluator.Serve");
        log.LogInformation("evaluator node joining the cluster ({Discovery})", ClusterDiscovery.Describe(config));
        EvaluatorNode node;
        // The HTTP server answers from the moment the ActorSystem exists (liveness 200, readiness
        // 503 "joining"): a join may take minutes, and a liveness probe must not kill a joining pod.
        IRunningFrontEnd? joining = null;
        try
        {
            // SIGTERM and Ctrl-C cancel the join too (Interrupt is registered before any command starts).
            node = await EvaluatorNode.StartAsync(config, TimeSpan.FromMinutes(5), cancel, logging,
                frontEnd is null ? null : async system =>
                {
                    joining = await frontEnd.StartJoiningAsync(system, config);
                    if (joining is not null) log.LogInformation("{FrontEnd}", joining.Description);
                });
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            if (joining is not null) await joining.DisposeAsync();
            log.LogInformation("evaluator node stopped while joining the cluster ({Signal})", EvaluatorCli.Interrupt?.SignalName ?? "cancelled");
            return EvaluatorCli.ExitOk;
        }
        catch
        {
            if (joining is not null) await joining.DisposeAsync();
            throw;
        }
        var cluster = Cluster.Get(node.System);
        fields.Node = cluster.SelfAddress.ToString();
        log.LogInformation("evaluator node up at {Address} (roles: {Roles})", cluster.SelfAddress, string.Join(",", cluster.SelfRoles));
        IRunningFrontEnd? served = null;
        try
        {
            // The full front end stops the joining server just before it binds the URL.
            if (frontEnd is not null) served = await frontEnd.StartAsync(node, config, joining);
        }
        catch (Akka.Configuration.ConfigurationException)
        {
            await CoordinatedShutdown.Get(node.System).Run(CoordinatedShutdown.ClrExitReason.Instance);
            throw;
        }
        finally
        {
            if (joining is not null) await joining.DisposeAsync(); // no-op once the full front end stopped it
        }
        await using var servedScope = served;
        if (served is not null) log.LogInformation("{FrontEnd}", served.Description);

        var asked = false;
        await using var onCancel = cancel.Register(() =>
        {
            asked = true;
            _ = CoordinatedShutdown.Get(node.System).Run(CoordinatedShutdown.ClrExitReason.Instance);
        });
        await node.System.WhenTerminated;
        if (!asked)
        {
            // Downed by the split-brain resolver, or removed from the cluster: not asked to stop,
            // so a supervisor must see a failure (and restart the node).
            var reason = CoordinatedShutdown.Get(node.System).ShutdownReason;
            log.LogError("evaluator node was downed or removed from the cluster ({Reason}): exiting {ExitCode}",
                reason?.GetType().Name ?? "terminated", EvaluatorCli.ExitFailure);
            return EvaluatorCli.ExitFailure;
        }
        log.LogInformation("evaluator node left the cluster");
        return EvaluatorCli.ExitOk;
    }
}
