using System.CommandLine;
using Evaluator.Node.Runtime;

namespace Evaluator.Node.Cli;

/// <summary>
/// <c>submit</c>: runs a dataset on a running cluster. This process joins as a client (no
/// shards of its own), starts or resumes the run, prints live progress and the final table.
/// Paths must be valid on the workers: they read the files where they lie (shared storage).
/// </summary>
internal static class SubmitCommand
{
    public static Command Create()
    {
        var cmd = new Command("submit", "Run a dataset on a running cluster (same options as evaluate).");
        var options = new RunOptions(cmd);
        var seeds = new Option<string?>("--seed-nodes") { Description = "Comma-separated seed nodes of the cluster (EVALUATOR_SEED_NODES)." };
        var hostname = new Option<string?>("--hostname") { Description = "Address the cluster reaches this client at (EVALUATOR_HOSTNAME)." };
        var joinTimeout = new Option<int>("--join-timeout")
        {
            Description = "Seconds to wait for joining the cluster before giving up (exit 2).",
            DefaultValueFactory = _ => 20,
        };
        joinTimeout.Validators.Add(v =>
        {
            if (v.GetValueOrDefault<int>() <= 0) v.AddError("--join-timeout must be a positive number of seconds");
        });
        cmd.Options.Add(seeds);
        cmd.Options.Add(hostname);
        cmd.Options.Add(joinTimeout);
        cmd.SetAction((r, cancel) => EvaluateCommand.RunAsync(options.Bind(r), cancel, "cluster",
            ConfigOverrides.Cluster(r.GetValue(hostname), 0, r.GetValue(seeds), "client", null),
            TimeSpan.FromSeconds(r.GetValue(joinTimeout))));
        return cmd;
    }
}
