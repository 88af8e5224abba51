using System.CommandLine;
using System.Globalization;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Runs;
using Evaluator.Node.Runtime;
using Evaluator.Node.Streams;
using Spectre.Console;

namespace Evaluator.Node.Cli;

/// <summary>
/// <c>evaluate</c>: the main job. Starts an embedded one-node cluster, runs the dataset through
/// the actor pipeline with live progress, and prints (and writes) the report.
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var cmd = new Command("evaluate", "Evaluate predictions against ground truth on an embedded one-node cluster.");
        var options = new RunOptions(cmd);
        cmd.SetAction((r, cancel) => RunAsync(options.Bind(r), cancel));
        return cmd;
    }

    /// <summary>
    /// Runs a dataset: on an embedded one-node cluster (evaluate), or, with role "cluster" and
    /// client overrides, on a running cluster that this process joins as a client (submit).
    /// </summary>
    public static async Task<int> RunAsync(EvaluateOptions o, CancellationToken cancel, string role = "single-node",
        ConfigOverrides? clusterOverrides = null)
    {
        var console = AnsiConsole.Console;
        var plan = RunLauncher.Plan(o.Run);
        var runId = plan.RunId;
        var spec = plan.Spec;

        var overrides = new ConfigOverrides();
        if (clusterOverrides is not null) overrides.Add(clusterOverrides);
        if (o.DataDir is not null) overrides.Set("evaluator.data-dir", o.DataDir);
        if (o.Run.Partitions is { } np) overrides.Set("evaluator.partitions", np);
        if (o.Run.BatchPixels is { } bp) overrides.Set("evaluator.batch-pixels", bp);
        var config = NodeConfig.Load(role, overrides);

        await using var node = await EvaluatorNode.StartAsync(config);
        var workers = RunLauncher.Workers(node);
        var start = RunLauncher.Partition(node, plan);
        console.MarkupLine(Markup.Escape(
            $"run {runId}: {plan.Pairs.Length:N0} pairs, {plan.ExpectedPixels:N0} pixels, {start.Partitions.Length} partitions on {workers} worker(s), {spec.NumClasses} classes"));
        var progress = new RunProgress(console, RunProgress.IsInteractive);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var startup = TimeSpan.Zero;
        long alreadyCounted = -1;
        var final = await progress.RunAsync(p => RunLauncher.RunAsync(node, start, (s, resumed) =>
        {
            if (alreadyCounted < 0)
            {
                // The run is accepted: the journal and the cluster are up; counting starts now.
                alreadyCounted = s.Pixels.Total;
                startup = clock.Elapsed;
                clock.Restart();
            }
            if (resumed && s.Pixels.Total > 0)
                console.MarkupLine(Markup.Escape($"resuming run {runId} at {s.Pixels.Total:N0} pixels already counted"));
            p.Update(s);
        }, cancel));

        var reportModel = final.ToReport();
        ReportOutput.PrintTable(console, reportModel);
        ReportOutput.PrintBadPairs(console, final.BadPairs);
        var seconds = clock.Elapsed.TotalSeconds;
        var done = final.Pixels.Total - Math.Max(0, alreadyCounted);
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"throughput: {done:N0} pixels in {seconds:F2} s = {done / Math.Max(seconds, 1e-9) / 1e6:F1} Mpx/s (after {startup.TotalSeconds:F2} s starting the run: journal, cluster)")));
        var (decodedPairs, mappedPairs, decodedPixels, decodeBusy) = DecodeStats.Get(node.System).Snapshot();
        if (decodedPairs > 0 && decodeBusy > TimeSpan.Zero)
        {
            // Reading and decoding files, summed over the parallel decoders (so it can exceed the wall time).
            // A memory-mapped pair costs only its mapping here: its bytes are read by the counting.
            var mapped = mappedPairs == 0 ? ""
                : mappedPairs == decodedPairs ? " (all memory-mapped: their bytes are read by the counting)"
                : $" ({mappedPairs:N0} memory-mapped: their bytes are read by the counting)";
            console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"decode: {decodedPairs:N0} pairs{mapped}, {decodedPixels:N0} labels read in {decodeBusy.TotalSeconds:F2} s of decoder time = {decodedPixels / decodeBusy.TotalSeconds / 1e6:F1} M labels/s per decoder")));
        }
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"peak memory: {PeakMemory.Bytes() / (1024 * 1024):N0} MiB")));
        if (o.Report is not null) await File.WriteAllTextAsync(o.Report, ReportFormats.Json(final), cancel);
        if (o.Csv is not null) await File.WriteAllTextAsync(o.Csv, ReportFormats.Csv(reportModel), cancel);

        if (final.Status == RunStatus.Failed)
        {
            console.MarkupLine($"[red]error:[/] {Markup.Escape(final.Error ?? "run failed")}");
            console.MarkupLine(Markup.Escape(
                $"What was counted is kept: fix the input (or add --skip-bad) and rerun with --run-id {runId} to resume."));
            return EvaluatorCli.ExitBadInput;
        }
        return EvaluatorCli.ExitOk;
    }
}
