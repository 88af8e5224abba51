using System.Collections.Immutable;
using Akka.Actor;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Inputs;
using Evaluator.Node.Runtime;

namespace Evaluator.Node.Runs;

/// <summary>Thrown when the coordinator refuses a run (e.g. a run id reused for another dataset).</summary>
internal sealed class RunRejectedException(string reason) : EvaluatorException(reason);

/// <summary>A run over files, checked and discovered before any node starts.</summary>
/// <param name="Notice">What the plan chose that the user should hear of (the layout --layout auto picked), or null.</param>
/// <param name="PerImage">Record every pair's own result (per-image runs), named relative to <paramref name="Roots"/>.</param>
internal sealed record RunPlan(string RunId, RunSpec Spec, RawLayout? Raw, ImmutableArray<FilePair> Pairs,
    long ExpectedPixels, int? Partitions, bool SkipBad, string? Notice = null, bool PerImage = false,
    (string GroundTruth, string Prediction) Roots = default)
{
    /// <summary>Boundary IoU runs: the dilation ratio (null: no boundary IoU).</summary>
    public double? BoundaryDilation { get; init; }

    /// <summary>Cityscapes protocol runs (--protocol cityscapes).</summary>
    public bool CityscapesProtocol { get; init; }
}

/// <summary>
/// Starts (or resumes) runs: over files (evaluate, submit: discover the pairs, partition them,
/// fingerprint, start, follow to the final snapshot) and over ingested data (POST /runs).
/// </summary>
internal static class RunLauncher
{
    /// <summary>The spec, run id and pairs of a run over files: every input error before a node starts.</summary>
    public static RunPlan Plan(RunRequest request)
    {
        if (request.CityscapesProtocol) return PlanCityscapes(request);
        if (!RunRequest.ProtocolNames.Contains(request.Protocol))
            throw new InvalidRunSpecException($"unknown protocol '{request.Protocol}': one of {string.Join(", ", RunRequest.ProtocolNames)}");
        var spec = RunSpecBuilder.Build(request);
        var raw = RunSpecBuilder.Raw(request);
        if (request.BoundaryDilation is { } dilation && (!(dilation > 0) || double.IsInfinity(dilation)))
            throw new InvalidRunSpecException($"boundary dilation is {dilation}: it must be a finite number > 0");
        var runId = request.RunId ?? RunIds.New();
        RunIds.Validate(runId);
        var directories = Directory.Exists(request.GroundTruth) && Directory.Exists(request.Prediction);
        string? notice = null;
        PairLayout? auto = null;
        // How the user asked for the layout, as options (for the explanation of a bad pairing).
        var options = $"--layout {request.Layout}";
        if (request.Layout == "auto" && directories)
        {
            var chosen = PairingCheck.Auto(request.GroundTruth, request.Prediction);
            auto = chosen?.Layout;
            if (chosen is not null) options = chosen.Options;
            notice = chosen is null
                ? "layout auto: no layout pairs any files, trying plain"
                : $"layout auto: chose {chosen.Options["--layout ".Length..]} ({chosen.Pairs} of {chosen.GroundTruthFiles} ground-truth files pair up)";
        }
        var layout = RunSpecBuilder.Layout(request, auto);
        if (request.GroundTruthSuffix is { } gs) options += $" --gt-suffix {gs}";
        if (request.PredictionSuffix is { } ps) options += $" --pred-suffix {ps}";
        ImmutableArray<FilePair> pairs;
        try
        {
            pairs = PairDiscovery.Discover(request.GroundTruth, request.Prediction, layout, request.AllowDuplicateFiles);
        }
        catch (BadInputException e) when (directories && e.Message.Contains("no ground-truth files", StringComparison.Ordinal))
        {
            // Nothing of the layout at all: say what is there and which layout would pair it (a usage error).
            throw new InvalidRunSpecException(PairingCheck.Explain(request.GroundTruth, request.Prediction, options, layout));
        }
        if (directories && PairingCheck.TooFewPairs(pairs.Length, pairs.Count(p => p.Prediction.Length == 0)))
            throw new InvalidRunSpecException(PairingCheck.Explain(request.GroundTruth, request.Prediction, options, layout));
        return new RunPlan(runId, spec, raw, pairs, PairDiscovery.ExpectedPixels(pairs, raw), request.Partitions,
            request.SkipBad, notice, request.PerImage, (Root(request.GroundTruth), Root(request.Prediction)))
        {
            BoundaryDilation = request.BoundaryDilation,
        };
    }

    /// <summary>
    /// A run under cityscapesScripts' protocol: the 34-labelId spec and its own discovery; the options it
    /// implies cannot be given too (a usage error naming them).
    /// </summary>
    private static RunPlan PlanCityscapes(RunRequest request)
    {
        var conflicts = new List<string>();
        if (request.Classes != 0 && request.Classes != Messages.Cityscapes.CityscapesLabels.NumIds) conflicts.Add("--classes");
        if (request.ClassNames is not null) conflicts.Add("--class-names");
        if (request.Ignore.Count > 0) conflicts.Add("--ignore");
        if (request.LabelMap is not null) conflicts.Add("--label-map");
        if (request.MapPredictions) conflicts.Add("--map-predictions");
        if (request.OutOfRange != OutOfRangePolicy.Error) conflicts.Add("--out-of-range");
        if (request.TargetClasses.Count > 0) conflicts.Add("--target-classes");
        if (request.Categories is not null) conflicts.Add("--categories");
        if (request.Layout != "plain") conflicts.Add("--layout");
        if (request.GroundTruthSuffix is not null) conflicts.Add("--gt-suffix");
        if (request.PredictionSuffix is not null) conflicts.Add("--pred-suffix");
        if (request.Shape is not null || request.DType is not null) conflicts.Add("--shape/--dtype");
        if (request.Beta != 1.0) conflicts.Add("--beta");
        if (conflicts.Count > 0)
            throw new InvalidRunSpecException(
                $"--protocol cityscapes sets the classes (34 labelIds), the ignore rules and the file layout itself: it cannot be used with {string.Join(", ", conflicts)}");
        if (request.BoundaryDilation is { } dilation && (!(dilation > 0) || double.IsInfinity(dilation)))
            throw new InvalidRunSpecException($"boundary dilation is {dilation}: it must be a finite number > 0");
        var runId = request.RunId ?? RunIds.New();
        RunIds.Validate(runId);
        var pairs = CityscapesDiscovery.Discover(request.GroundTruth, request.Prediction);
        return new RunPlan(runId, Messages.Cityscapes.CityscapesLabels.Spec(), null, pairs, PairDiscovery.ExpectedPixels(pairs, null),
            request.Partitions, request.SkipBad, null, request.PerImage, (Root(request.GroundTruth), Root(request.Prediction)))
        {
            BoundaryDilation = request.BoundaryDilation,
            CityscapesProtocol = true,
        };
    }

    /// <summary>The directory a per-image file names a run's files relative to: --gt (--pred) itself, or a single file's directory.</summary>
    private static string Root(string path)
    {
        var full = Path.GetFullPath(path);
        return Directory.Exists(full) ? full : Path.GetDirectoryName(full) ?? "";
    }

    /// <summary>The workers of the cluster the node sees up (at least one).</summary>
    public static int Workers(EvaluatorNode node) =>
        Math.Max(1, Akka.Cluster.Cluster.Get(node.System).State.Members
            .Count(m => m.Status == Akka.Cluster.MemberStatus.Up && m.HasRole(EvaluatorNode.WorkerRole)));

    /// <summary>
    /// The plan's pairs partitioned for the node's cluster: the requested partitions, else the
    /// node's setting, else one per core of every worker (this machine's cores, as a guess for the others).
    /// </summary>
    public static StartRun Partition(EvaluatorNode node, RunPlan plan)
    {
        var count = plan.Partitions is > 0 ? plan.Partitions.Value
            : node.Settings.Partitions > 0 ? node.Settings.Partitions
            : Workers(node) * Environment.ProcessorCount;
        var partitions = PairDiscovery.Partition(plan.Pairs, count, node.Settings.BatchPixels, plan.Raw);
        CheckMemory(node.Settings, plan.Spec, partitions.Length);
        return new StartRun(plan.RunId, plan.Spec, partitions, plan.ExpectedPixels,
            RunIds.Fingerprint(plan.Spec, partitions, plan.PerImage, plan.BoundaryDilation, plan.CityscapesProtocol), plan.SkipBad, Stamps: Stamps(partitions), PerImage: plan.PerImage)
        {
            BoundaryDilation = plan.BoundaryDilation,
            CityscapesProtocol = plan.CityscapesProtocol,
            GroundTruthRoot = plan.PerImage ? plan.Roots.GroundTruth ?? "" : "",
            PredictionRoot = plan.PerImage ? plan.Roots.Prediction ?? "" : "",
        };
    }

    /// <summary>
    /// The most memory a run can take on its coordinator's node: a dense C×C int64 partial per
    /// partition once every partition has counted, plus the total and one snapshot being built.
    /// </summary>
    public static long WorstCaseMemory(int numClasses, int partitions) =>
        (long)Int128.Min((Int128)(partitions + 2) * numClasses * numClasses * 8, long.MaxValue);

    /// <summary>Refuses a run whose worst case exceeds evaluator.max-run-memory.</summary>
    public static void CheckMemory(EvaluatorSettings settings, RunSpec spec, int partitions)
    {
        var worst = WorstCaseMemory(spec.NumClasses, partitions);
        if (worst <= settings.MaxRunMemory) return;
        throw new InvalidRunSpecException(
            $"a run of {spec.NumClasses} classes in {partitions} partitions may need {Bytes(worst)} on its coordinator's node " +
            $"((partitions + 2) × classes² × 8 bytes), over the limit evaluator.max-run-memory = {Bytes(settings.MaxRunMemory)} " +
            "(EVALUATOR_MAX_RUN_MEMORY): use fewer partitions or classes, or raise the limit");
    }

    private static string Bytes(long n) =>
        n >= 1L << 30 ? $"{n / (double)(1L << 30):0.#} GiB ({n} bytes)" : $"{n / (double)(1L << 20):0.#} MiB ({n} bytes)";

    /// <summary>What identifies the content of every pair now, in the order of the partitions' pairs.</summary>
    public static ImmutableArray<PairStamp> Stamps(ImmutableArray<PartitionAssignment> partitions)
    {
        var pairs = partitions.SelectMany(p => p.Pairs).ToArray();
        var stamps = new PairStamp[pairs.Length];
        Parallel.For(0, pairs.Length, i =>
        {
            var (gtLength, gtTicks) = Stamp(pairs[i].GroundTruth);
            var (predLength, predTicks) = Stamp(pairs[i].Prediction);
            stamps[i] = new PairStamp(gtLength, gtTicks, predLength, predTicks);
        });
        return [.. stamps];
    }

    private static (long Length, long Ticks) Stamp(string path)
    {
        if (path.Length == 0) return (0, 0);
        try
        {
            var info = new FileInfo(path);
            return info.Exists ? (info.Length, info.LastWriteTimeUtc.Ticks) : (-1, -1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return (-1, -1);
        }
    }

    /// <summary>Starts or resumes a run; throws <see cref="RunRejectedException"/> when refused.</summary>
    public static async Task<RunAccepted> StartAsync(EvaluatorNode node, StartRun start, CancellationToken cancel = default)
    {
        var reply = await node.Coordinators.Ask<IRunMessage>(start, node.Settings.AskTimeout, cancel);
        return reply switch
        {
            RunAccepted a => a,
            RunRejected r => throw new RunRejectedException(r.Reason),
            // Bad input (exit 3): the files are not those the run counted.
            RunInputsChanged c => throw new BadInputException($"run '{c.RunId}'", c.Reason),
            _ => throw new InvalidOperationException($"unexpected reply {reply.GetType().Name}"),
        };
    }

    /// <summary>Starts or resumes a run whose data is posted to it (POST /runs): its partitions are empty.</summary>
    /// <exception cref="InvalidRunSpecException">the run's worst-case memory exceeds evaluator.max-run-memory</exception>
    public static Task<RunAccepted> StartIngestAsync(EvaluatorNode node, string runId, RunSpec spec, int partitions,
        CancellationToken cancel = default)
    {
        CheckMemory(node.Settings, spec, partitions);
        var parts = Enumerable.Range(0, partitions)
            .Select(i => new PartitionAssignment(i, [], node.Settings.BatchPixels, null)).ToImmutableArray();
        var start = new StartRun(runId, spec, parts, 0, "ingest:" + RunIds.Fingerprint(spec, parts), false, Ingest: true);
        return StartAsync(node, start, cancel);
    }

    /// <summary>
    /// Subscribes to the run's snapshots, starts the run, and calls <paramref name="onSnapshot"/>
    /// with each newer snapshot (and whether the run was resumed) until the final one, which it returns.
    /// </summary>
    public static async Task<RunSnapshot> RunAsync(EvaluatorNode node, StartRun start,
        Action<RunSnapshot, bool> onSnapshot, CancellationToken cancel = default)
    {
        var resumed = false;
        RunSnapshot? last = null;
        await foreach (var s in SnapshotFeed.FollowAsync(node, start.RunId, async c =>
                       {
                           var accepted = await StartAsync(node, start, c);
                           resumed = accepted.Resumed;
                           return accepted.Snapshot;
                       }, null, cancel))
        {
            onSnapshot(s, last is null && resumed);
            last = s;
        }
        cancel.ThrowIfCancellationRequested();
        return last ?? throw new InvalidOperationException($"run {start.RunId} gave no snapshot");
    }
}
