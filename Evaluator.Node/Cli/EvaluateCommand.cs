using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Inputs;
using Evaluator.Node.Runtime;
using Spectre.Console;

namespace Evaluator.Node.Cli;

/// <summary>
/// <c>evaluate</c>: the main job. Starts an embedded one-node cluster, runs the dataset through
/// the actor pipeline with live progress, and prints (and writes) the report.
/// </summary>
public static class EvaluateCommand
{
    public sealed record Options(
        string GroundTruth, string Prediction, int Classes, string? ClassNames, long[] Ignore, string? LabelMap,
        bool MapPredictions, OutOfRangePolicy OutOfRange, int[] TargetClasses, string? Categories, double Beta,
        string? Report, string? Csv, string? RunId, string? DataDir, int? Partitions, int? BatchPixels, bool SkipBad,
        string Layout, string? GtSuffix, string? PredSuffix, string? Shape, string? DType);

    public static Command Create()
    {
        var cmd = new Command("evaluate", "Evaluate predictions against ground truth on an embedded one-node cluster.");
        var bind = AddRunOptions(cmd);
        cmd.SetAction((r, cancel) => RunAsync(bind(r), cancel));
        return cmd;
    }

    /// <summary>Adds the options of a run (shared by evaluate and submit) and returns their binder.</summary>
    public static Func<ParseResult, Options> AddRunOptions(Command cmd)
    {
        var gt = new Option<string>("--gt") { Description = "Ground-truth file or directory.", Required = true };
        var pred = new Option<string>("--pred") { Description = "Prediction file or directory.", Required = true };
        var classes = new Option<int>("--classes") { Description = "Number of classes C (1..4096).", Required = true };
        var names = new Option<string?>("--class-names") { Description = "File with one class name per line, or 'cityscapes'." };
        var ignore = new Option<long[]>("--ignore") { Description = "Ignore label(s) of the ground truth (any number).", AllowMultipleArgumentsPerToken = true };
        var labelMap = new Option<string?>("--label-map") { Description = "cityscapes | ade20k | FILE.json, applied to ground truth before counting." };
        var mapPred = new Option<bool>("--map-predictions") { Description = "Apply the label map to predictions too." };
        var oor = new Option<OutOfRangePolicy>("--out-of-range") { Description = "error (default) or ignore: labels outside [0, C) that are not ignored.", DefaultValueFactory = _ => OutOfRangePolicy.Error };
        var targets = new Option<int[]>("--target-classes") { Description = "Take the means over these classes only.", AllowMultipleArgumentsPerToken = true };
        var categories = new Option<string?>("--categories") { Description = "cityscapes | FILE.json ({\"name\": [class ids], ...}): category IoU." };
        var beta = new Option<double>("--beta") { Description = "Beta of the per-class F-beta score.", DefaultValueFactory = _ => 1.0 };
        var report = new Option<string?>("--report") { Description = "Write the JSON report here." };
        var csv = new Option<string?>("--csv") { Description = "Write the per-class CSV here." };
        var runId = new Option<string?>("--run-id") { Description = "Run id; rerun with the same id to resume an interrupted run." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Journal directory (default: evaluator-data, or EVALUATOR_DATA_DIR)." };
        var partitions = new Option<int?>("--partitions") { Description = "Partitions (default: one per core)." };
        var batch = new Option<int?>("--batch-pixels") { Description = "Images larger than this travel in slices of this many pixels." };
        var skipBad = new Option<bool>("--skip-bad") { Description = "Record unreadable or invalid pairs in the report and go on." };
        var layout = new Option<string>("--layout") { Description = "plain (same relative path) or cityscapes (*_gtFine_labelTrainIds.png <-> *_leftImg8bit.png).", DefaultValueFactory = _ => "plain" };
        var gtSuffix = new Option<string?>("--gt-suffix") { Description = "Ground-truth file suffix (overrides --layout)." };
        var predSuffix = new Option<string?>("--pred-suffix") { Description = "Prediction file suffix (overrides --layout)." };
        var shape = new Option<string?>("--shape") { Description = "Shape of raw label files, e.g. 1024,2048." };
        var dtype = new Option<string?>("--dtype") { Description = "dtype of raw label files: uint8, uint16, int32, int64." };
        layout.AcceptOnlyFromAmong("plain", "cityscapes");

        foreach (var o in new Option[]
                 {
                     gt, pred, classes, names, ignore, labelMap, mapPred, oor, targets, categories, beta, report, csv,
                     runId, dataDir, partitions, batch, skipBad, layout, gtSuffix, predSuffix, shape, dtype,
                 })
            cmd.Options.Add(o);
        return r => new Options(
            r.GetValue(gt)!, r.GetValue(pred)!, r.GetValue(classes), r.GetValue(names), r.GetValue(ignore) ?? [],
            r.GetValue(labelMap), r.GetValue(mapPred), r.GetValue(oor), r.GetValue(targets) ?? [], r.GetValue(categories),
            r.GetValue(beta), r.GetValue(report), r.GetValue(csv), r.GetValue(runId), r.GetValue(dataDir),
            r.GetValue(partitions), r.GetValue(batch), r.GetValue(skipBad), r.GetValue(layout)!, r.GetValue(gtSuffix),
            r.GetValue(predSuffix), r.GetValue(shape), r.GetValue(dtype));
    }

    public static RunSpec BuildSpec(Options o)
    {
        IEnumerable<string>? names = o.ClassNames switch
        {
            null => null,
            "cityscapes" => ClassCategory.CityscapesClassNames,
            var path => RunSpec.ReadClassNames(path),
        };
        return new RunSpec(o.Classes, names, o.Ignore, o.LabelMap is null ? null : LabelMap.Resolve(o.LabelMap),
            o.MapPredictions, o.OutOfRange, o.TargetClasses, ReadCategories(o.Categories), o.Beta);
    }

    private static IEnumerable<ClassCategory>? ReadCategories(string? spec)
    {
        if (spec is null) return null;
        if (spec == "cityscapes") return ClassCategory.Cityscapes;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(spec));
            return doc.RootElement.EnumerateObject()
                .Select(p => new ClassCategory(p.Name, [.. p.Value.EnumerateArray().Select(v => v.GetInt32())])).ToList();
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidRunSpecException($"categories file '{spec}': {e.Message}");
        }
    }

    public static RawLayout? BuildRaw(Options o)
    {
        if (o.Shape is null && o.DType is null) return null;
        if (o.Shape is null || o.DType is null)
            throw new InvalidRunSpecException("raw label files need both --shape and --dtype");
        if (!LabelDTypes.TryParse(o.DType, out var dtype))
            throw new InvalidRunSpecException($"--dtype '{o.DType}' is not one of uint8, uint16, int32, int64");
        var dims = o.Shape.Split(',', 'x').Select(s =>
            long.TryParse(s.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var d) && d > 0
                ? d
                : throw new InvalidRunSpecException($"--shape '{o.Shape}' must be positive integers like 1024,2048")).ToArray();
        return new RawLayout([.. dims], dtype);
    }

    /// <summary>
    /// The process's peak resident set size: VmHWM of /proc/self/status on Linux, else the
    /// runtime's peak working set.
    /// </summary>
    public static long PeakMemoryBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
                var kb = line["VmHWM:".Length..].Trim();
                if (kb.EndsWith(" kB", StringComparison.Ordinal)
                    && long.TryParse(kb[..^3].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v))
                    return v * 1024;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // no /proc (not Linux): fall through
        }
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }

    /// <summary>
    /// Runs a dataset: on an embedded one-node cluster (evaluate), or, with role "cluster" and
    /// client overrides, on a running cluster that this process joins as a client (submit).
    /// </summary>
    public static async Task<int> RunAsync(Options o, CancellationToken cancel, string role = "single-node",
        string clusterOverrides = "")
    {
        var console = AnsiConsole.Console;
        var spec = BuildSpec(o);
        var raw = BuildRaw(o);
        var runId = o.RunId ?? RunClient.NewRunId();
        RunClient.ValidateRunId(runId);
        var preset = o.Layout == "cityscapes" ? PairLayout.Cityscapes : PairLayout.Plain;
        var layout = new PairLayout(o.GtSuffix ?? preset.GroundTruthSuffix, o.PredSuffix ?? preset.PredictionSuffix);

        var overrides = new StringBuilder(clusterOverrides);
        if (o.DataDir is not null) overrides.AppendLine($"evaluator.data-dir = {NodeConfig.Quote(o.DataDir)}");
        if (o.Partitions is { } np) overrides.AppendLine(CultureInfo.InvariantCulture, $"evaluator.partitions = {np}");
        if (o.BatchPixels is { } bp) overrides.AppendLine(CultureInfo.InvariantCulture, $"evaluator.batch-pixels = {bp}");
        var config = NodeConfig.Load(role, overrides.ToString());
        var settings = EvaluatorSettings.From(config);
        var pairs = PairDiscovery.Discover(o.GroundTruth, o.Prediction, layout);
        var expected = PairDiscovery.ExpectedPixels(pairs, raw);

        await using var node = await EvaluatorNode.StartAsync(config);
        // Default partitions: one per core of every worker (cores of this machine, as a guess for the others).
        var workers = Math.Max(1, Akka.Cluster.Cluster.Get(node.System).State.Members
            .Count(m => m.Status == Akka.Cluster.MemberStatus.Up && m.HasRole(EvaluatorNode.WorkerRole)));
        var count = settings.Partitions > 0 ? settings.Partitions : workers * Environment.ProcessorCount;
        var partitions = PairDiscovery.Partition(pairs, count, settings.BatchPixels, raw);
        var start = new StartRun(runId, spec, partitions, expected, RunClient.Fingerprint(spec, partitions), o.SkipBad);
        console.MarkupLine(Markup.Escape(
            $"run {runId}: {pairs.Length:N0} pairs, {expected:N0} pixels, {partitions.Length} partitions on {workers} worker(s), {spec.NumClasses} classes"));
        var progress = new RunProgress(console, RunProgress.IsInteractive);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var startup = TimeSpan.Zero;
        long alreadyCounted = -1;
        var final = await progress.RunAsync(p => RunClient.RunAsync(node, start, (s, resumed) =>
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
        var (decodedPairs, mappedPairs, decodedPixels, decodeBusy) = Streams.DecodeStats.Snapshot();
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
            $"peak memory: {PeakMemoryBytes() / (1024 * 1024):N0} MiB")));
        if (o.Report is not null) await File.WriteAllTextAsync(o.Report, ReportOutput.Json(final), cancel);
        if (o.Csv is not null) await File.WriteAllTextAsync(o.Csv, ReportOutput.Csv(reportModel), cancel);

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
