using System.CommandLine;
using System.Globalization;
using Akka.Actor;
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
    /// <param name="joinTimeout">How long a client waits to join the cluster (submit's --join-timeout).</param>
    public static async Task<int> RunAsync(EvaluateOptions o, CancellationToken cancel, string role = "single-node",
        ConfigOverrides? clusterOverrides = null, TimeSpan? joinTimeout = null)
    {
        // Results on stdout; with --json only the report is, the rest goes to stderr (or nowhere with --quiet).
        var console = o.Quiet ? CliConsole.Null() : o.Json ? CliConsole.Stderr() : CliConsole.Stdout();
        var plan = RunLauncher.Plan(o.Run);
        if (plan.Notice is { } notice) Console.Error.WriteLine(notice);
        var runId = plan.RunId;
        var spec = plan.Spec;

        var overrides = new ConfigOverrides();
        if (clusterOverrides is not null) overrides.Add(clusterOverrides);
        if (o.DataDir is not null) overrides.Set("evaluator.data-dir", o.DataDir);
        if (o.Run.Partitions is { } np) overrides.Set("evaluator.partitions", np);
        if (o.Run.BatchPixels is { } bp) overrides.Set("evaluator.batch-pixels", bp);
        var config = NodeConfig.Load(role, overrides);

        var node = await EvaluatorNode.StartAsync(config, joinTimeout, cancel);
        // A finished run leaves the cluster in order; an interrupted or lost one stops promptly
        // (what the shards committed is in the journal, the rest is counted again on resume).
        var shutdownLimit = TimeSpan.FromSeconds(1);
        try
        {
            var exit = await RunOnNodeAsync(console, o, plan, node, cancel);
            if (exit is EvaluatorCli.ExitOk or EvaluatorCli.ExitBadInput) shutdownLimit = TimeSpan.FromSeconds(30);
            return exit;
        }
        finally
        {
            await node.ShutdownAsync(shutdownLimit);
        }
    }

    private static async Task<int> RunOnNodeAsync(IAnsiConsole console, EvaluateOptions o, RunPlan plan, EvaluatorNode node,
        CancellationToken cancel)
    {
        var runId = plan.RunId;
        var spec = plan.Spec;
        var resume = ResumeCommand.For(EvaluatorCli.Arguments, runId);
        // This node's ActorSystem ends under the run when the cluster downs it (unreachable for
        // too long): that ends the run's feed too, instead of waiting for asks to time out.
        using var lost = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        _ = node.System.WhenTerminated.ContinueWith(_ =>
        {
            try
            {
                lost.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // the run was over
            }
        }, TaskScheduler.Default);
        var workers = RunLauncher.Workers(node);
        var start = RunLauncher.Partition(node, plan);
        console.MarkupLine(Markup.Escape(
            $"run {runId}: {plan.Pairs.Length:N0} pairs, {plan.ExpectedPixels:N0} pixels, {start.Partitions.Length} partitions on {workers} worker(s), {spec.NumClasses} classes"));
        var errors = CliConsole.Stderr();
        // The resume command stays one line to copy (not through Spectre): on stdout, unless stdout is the report's.
        var advice = o.Json ? Console.Error : Console.Out;
        var progress = new RunProgress(console, !o.Json && !o.Quiet && RunProgress.IsInteractive);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var startup = TimeSpan.Zero;
        long alreadyCounted = -1;
        RunSnapshot final;
        try
        {
            final = await progress.RunAsync(p => RunLauncher.RunAsync(node, start, (s, resumed) =>
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
            }, lost.Token));
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            var interrupt = EvaluatorCli.Interrupt;
            console.MarkupLine(Markup.Escape(
                $"interrupted ({interrupt?.SignalName ?? "cancelled"}): run {runId} stopped; what was counted and committed is kept."));
            advice.WriteLine($"resume with: {resume}");
            return interrupt?.ExitCode ?? EvaluatorCli.ExitInterrupted;
        }
        catch (Exception e) when (e is OperationCanceledException or AskTimeoutException or TimeoutException)
        {
            var why = node.System.WhenTerminated.IsCompleted
                ? "this node was removed from the cluster (downed after being unreachable)"
                : $"no answer about run {runId} from the cluster within {node.Settings.AskTimeout.TotalSeconds:0.#} s";
            errors.MarkupLine($"[red]error:[/] {Markup.Escape($"lost the cluster: {why}.")}");
            errors.MarkupLine(Markup.Escape("What the cluster committed is kept. Once it is reachable again, resume the run:"));
            advice.WriteLine($"resume with: {resume}");
            return EvaluatorCli.ExitUnavailable;
        }

        var counting = clock.Elapsed; // the throughput's time: the per-image file is timed apart
        IReadOnlyList<Evaluator.Messages.WorstImage>? worst = null;
        Evaluator.Messages.BootstrapIntervals? intervals = null;
        if (o.PerImage is { } perImagePath)
        {
            var writing = System.Diagnostics.Stopwatch.StartNew();
            // The rows of the run as its journal holds them (a resumed run keeps its stored
            // partitioning), checked against the report's matrix before the file appears.
            var stored = await PerImageResults.StartOfAsync(node.System, runId, cancel);
            if (stored is null)
            {
                // submit: the rows are in the cluster's journal, which this client must be configured to read.
                errors.MarkupLine($"[red]error:[/] {Markup.Escape(
                    $"--per-image: run '{runId}' is not in the journal this process reads; submit --per-image reads the cluster's journal: " +
                    "give it the workers' journal settings (EVALUATOR_JOURNAL_PROVIDER and EVALUATOR_JOURNAL_CONNECTION, or their shared EVALUATOR_DATA_DIR)")}");
                return EvaluatorCli.ExitFailure;
            }
            try
            {
                var summary = await PerImageWriter.WriteFileAsync(perImagePath, PerImageResults.ReadAsync(node.System, stored,
                    [.. final.Partitions.Select(p => p.Watermark)], cancel),
                    stored, final.Matrix, o.Worst, cancel);
                if (o.Worst > 0) worst = summary.Worst;
                console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                    $"per-image: {summary.Images:N0} images written to {perImagePath} in {writing.Elapsed.TotalSeconds:F2} s")));
            }
            catch (PerImageMismatchException e)
            {
                errors.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
                return EvaluatorCli.ExitFailure;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.MarkupLine($"[red]error:[/] {Markup.Escape($"--per-image '{perImagePath}': {e.Message}")}");
                return EvaluatorCli.ExitFailure;
            }
            if (o.Bootstrap is { } bootstrap)
            {
                // Resampled from the file just written (its images must add up to the report's matrix), as `bootstrap` does.
                try
                {
                    var resampling = System.Diagnostics.Stopwatch.StartNew();
                    intervals = Bootstrap.Apply(final.ToReport(), perImagePath, bootstrap).Bootstrap;
                    console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                        $"bootstrap: {bootstrap.Resamples:N0} resamples (seed {bootstrap.Seed}) in {resampling.Elapsed.TotalSeconds:F2} s")));
                }
                catch (PerImageFormatException e)
                {
                    errors.MarkupLine($"[red]error:[/] {Markup.Escape($"--bootstrap: {e.Message}")}");
                    return EvaluatorCli.ExitFailure;
                }
            }
        }
        var reportModel = final.ToReport() with { WorstImages = worst is null ? null : [.. worst], Bootstrap = intervals };
        ReportOutput.PrintTable(console, reportModel);
        ReportOutput.PrintWorstImages(console, reportModel.WorstImages);
        ReportOutput.PrintBadPairs(errors, final.BadPairs);
        var seconds = counting.TotalSeconds;
        var done = final.Pixels.Total - Math.Max(0, alreadyCounted);
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"throughput: {done:N0} pixels in {seconds:F2} s = {done / Math.Max(seconds, 1e-9) / 1e6:F1} Mpx/s (after {startup.TotalSeconds:F2} s starting the run: journal, cluster)")));
        var (decodedPairs, mappedPairs, decodedPixels, decodeBusy) = DecodeStats.Get(node.System).Snapshot();
        if (decodedPairs > 0 && decodeBusy > TimeSpan.Zero)
        {
            // Reading and decoding files, summed over the parallel decoders (so it can exceed the wall time).
            // A memory-mapped pair costs its mapping here (its pages populated, see MappedLabelFile): its bytes are read by the counting.
            var mapped = mappedPairs == 0 ? ""
                : mappedPairs == decodedPairs ? " (all memory-mapped: pages mapped here, bytes read by the counting)"
                : $" ({mappedPairs:N0} memory-mapped: their bytes are read by the counting)";
            console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"decode: {decodedPairs:N0} pairs{mapped}, {decodedPixels:N0} labels read in {decodeBusy.TotalSeconds:F2} s of decoder time = {decodedPixels / decodeBusy.TotalSeconds / 1e6:F1} M labels/s per decoder")));
        }
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"peak memory: {PeakMemory.Bytes() / (1024 * 1024):N0} MiB")));
        if (o.Report is not null) await File.WriteAllTextAsync(o.Report, ReportFormats.Json(final, worst: worst, bootstrap: intervals), cancel);
        if (o.Csv is not null) await File.WriteAllTextAsync(o.Csv, ReportFormats.Csv(reportModel), cancel);
        if (o.CityscapesJson is not null && reportModel.Cityscapes is { } scores)
            await File.WriteAllTextAsync(o.CityscapesJson, Messages.Cityscapes.CityscapesJson.Write(scores), cancel);
        if (o.Json) Console.Out.WriteLine(ReportFormats.Json(final, worst: worst, bootstrap: intervals));

        if (final.Status == RunStatus.Failed)
        {
            errors.MarkupLine($"[red]error:[/] {Markup.Escape(final.Error ?? "run failed")}");
            errors.MarkupLine(Markup.Escape("What was counted is kept: fix the input (or add --skip-bad), then resume the run:"));
            Console.Error.WriteLine($"resume with: {resume}");
            return EvaluatorCli.ExitBadInput;
        }
        if (!o.MaxBad.Allows(final.BadPairs.Length, plan.Pairs.Length))
        {
            errors.MarkupLine($"[red]error:[/] {Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"{final.BadPairs.Length:N0} of {plan.Pairs.Length:N0} pairs skipped, more than --max-bad {o.MaxBad} allows: the metrics leave them out (exit {EvaluatorCli.ExitSkipped}; --max-bad N or P% accepts that many)."))}");
            return EvaluatorCli.ExitSkipped;
        }
        return EvaluatorCli.ExitOk;
    }
}
