using System.CommandLine;
using Evaluator.Messages;
using Evaluator.Node.Runs;

namespace Evaluator.Node.Cli;

/// <summary>What evaluate and submit were asked for: the run, plus where this process writes and keeps things.</summary>
internal sealed record EvaluateOptions
{
    public required RunRequest Run { get; init; }

    public string? Report { get; init; }

    public string? Csv { get; init; }

    /// <summary>--cityscapes-json: write cityscapesScripts' own result JSON here (--protocol cityscapes).</summary>
    public string? CityscapesJson { get; init; }

    public string? DataDir { get; init; }

    /// <summary>Print the report JSON to stdout and nothing else (messages and progress go to stderr).</summary>
    public bool Json { get; init; }

    /// <summary>No progress and no messages (errors and warnings still go to stderr).</summary>
    public bool Quiet { get; init; }

    /// <summary>--per-image: write one JSON line a pair here (the run records per-image results).</summary>
    public string? PerImage { get; init; }

    /// <summary>--worst: how many of the lowest-mean-IoU images the report lists (per-image runs).</summary>
    public int Worst { get; init; } = RunOptions.DefaultWorst;

    /// <summary>--bootstrap B [--seed S] [--confidence C]: intervals from the per-image file (null: none).</summary>
    public BootstrapOptions? Bootstrap { get; init; }

    /// <summary>How many skipped pairs (--skip-bad) still exit 0.</summary>
    public MaxBad MaxBad { get; init; } = MaxBad.None;
}

/// <summary>--max-bad: a number of pairs, or a percentage of the dataset's pairs.</summary>
internal readonly record struct MaxBad(long Count, double? Percent)
{
    public static MaxBad None => new(0, null);

    public bool Allows(long skipped, long pairs) =>
        Percent is { } p ? skipped * 100.0 <= p * pairs : skipped <= Count;

    public override string ToString() =>
        Percent is { } p ? p.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + "%" : Count.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static bool TryParse(string s, out MaxBad value)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        s = s.Trim();
        if (s.EndsWith('%') && double.TryParse(s[..^1], System.Globalization.NumberStyles.Float, inv, out var p) && p is >= 0 and <= 100)
        {
            value = new MaxBad(0, p);
            return true;
        }
        if (long.TryParse(s, System.Globalization.NumberStyles.None, inv, out var n))
        {
            value = new MaxBad(n, null);
            return true;
        }
        value = None;
        return false;
    }
}

/// <summary>The options of a run (shared by evaluate and submit), bound by name into <see cref="EvaluateOptions"/>.</summary>
internal sealed class RunOptions
{
    public const int DefaultWorst = PerImageWriter.DefaultWorst;

    private readonly Option<string?> _perImage = new("--per-image") { Description = "Write each pair's result here, one JSON object a line in pair order (image, prediction, pixels, confusion cells, mean_iou, pixel_accuracy); the report gains worst_images.", HelpName = "FILE.jsonl" };
    private readonly Option<int> _worst = new("--worst") { Description = "With --per-image: how many images with the lowest mean IoU the report lists (0: none).", DefaultValueFactory = _ => DefaultWorst, HelpName = "K" };
    private readonly Option<bool> _boundaryIou = new("--boundary-iou") { Description = "Also compute boundary IoU (Cheng et al., CVPR 2021): per_class[].boundary_iou and mean_boundary_iou." };
    private readonly Option<double> _boundaryDilation = new("--boundary-dilation") { Description = "With --boundary-iou: the boundary width as a fraction of the image diagonal (d = max(1, round(ratio × diagonal)) pixels).", DefaultValueFactory = _ => RunRequest.DefaultBoundaryDilation, HelpName = "RATIO" };
    private readonly Option<int> _bootstrap = new("--bootstrap") { Description = "With --per-image: B resamples of the images for confidence intervals of the IoUs (0: none).", DefaultValueFactory = _ => 0, HelpName = "B" };
    private readonly Option<long> _seed = new("--seed") { Description = "With --bootstrap: seed of the resampling (the same seed gives the same intervals).", DefaultValueFactory = _ => BootstrapOptions.DefaultSeed, HelpName = "S" };
    private readonly Option<double> _confidence = new("--confidence") { Description = "With --bootstrap: confidence level of the percentile intervals, in (0, 1).", DefaultValueFactory = _ => BootstrapOptions.DefaultConfidence, HelpName = "C" };
    private readonly Option<string> _gt = new("--gt") { Description = "Ground-truth file or directory.", Required = true };
    private readonly Option<string> _pred = new("--pred") { Description = "Prediction file or directory.", Required = true };
    private readonly Option<int> _classes = new("--classes") { Description = "Number of classes C (1..4096); implied by --protocol cityscapes." };
    private readonly Option<string> _protocol = new("--protocol") { Description = "plain, or cityscapes: cityscapesScripts' evalPixelLevelSemanticLabeling over *_gtFine_labelIds.png (+ *_gtFine_instanceIds.png beside them) and predictions <city>_<seq>_<frame>*.png under --pred: 34 labelIds, its ignore rules, iIoU and categories.", DefaultValueFactory = _ => "plain" };
    private readonly Option<string?> _cityscapesJson = new("--cityscapes-json") { Description = "With --protocol cityscapes: write the script's own result JSON (classScores, classInstScores, categoryScores, …, confMatrix) here.", HelpName = "FILE" };
    private readonly Option<string?> _names = new("--class-names") { Description = $"File with one class name per line, or a preset: {ClassNamePresets.List}." };
    private readonly Option<long[]> _ignore = new("--ignore") { Description = "Ignore label(s) of the ground truth (any number).", AllowMultipleArgumentsPerToken = true };
    private readonly Option<string?> _labelMap = new("--label-map") { Description = $"A preset ({string.Join(", ", LabelMap.PresetNames)}) or FILE.json, applied to ground truth before counting." };
    private readonly Option<bool> _mapPred = new("--map-predictions") { Description = "Apply the label map to predictions too." };
    private readonly Option<string> _outOfRange = new("--out-of-range")
    {
        Description = "Labels outside [0, C) that are not ignored: error, or ignore them.",
        HelpName = "error|ignore",
        DefaultValueFactory = _ => "error",
    };
    private readonly Option<int[]> _targets = new("--target-classes") { Description = "Take the means over these classes only.", AllowMultipleArgumentsPerToken = true };
    private readonly Option<string?> _categories = new("--categories") { Description = "cityscapes | FILE.json ({\"name\": [class ids], ...}): category IoU." };
    private readonly Option<double> _beta = new("--beta") { Description = "Beta of the per-class F-beta score.", DefaultValueFactory = _ => 1.0 };
    private readonly Option<string?> _report = new("--report") { Description = "Write the JSON report here." };
    private readonly Option<string?> _csv = new("--csv") { Description = "Write the per-class CSV here." };
    private readonly Option<string?> _runId = new("--run-id") { Description = "Run id; rerun with the same id to resume an interrupted run." };
    private readonly Option<string?> _dataDir = new("--data-dir") { Description = "Journal directory (default: evaluator-data, or EVALUATOR_DATA_DIR)." };
    private readonly Option<int?> _partitions = new("--partitions") { Description = "Partitions (default: one per core)." };
    private readonly Option<int?> _batch = new("--batch-pixels") { Description = "Images larger than this travel in slices of this many pixels." };
    private readonly Option<bool> _skipBad = new("--skip-bad") { Description = "Record unreadable or invalid pairs in the report and go on." };
    private readonly Option<string?> _maxBad = new("--max-bad")
    {
        Description = "With --skip-bad: how many pairs may be skipped (N, or P% of the pairs) before the exit code is 4 (default 0).",
        HelpName = "N|P%",
    };
    private readonly Option<bool> _json = new("--json") { Description = "Print the report JSON to stdout and nothing else (messages and progress to stderr)." };
    private readonly Option<bool> _quiet = new("--quiet", "-q") { Description = "No progress and no messages; errors and warnings still go to stderr." };
    private readonly Option<bool> _allowDuplicates = new("--allow-duplicate-files") { Description = "Count a file found under several names (hard or symbolic links) once per name instead of refusing the dataset." };
    private readonly Option<string> _layout = new("--layout") { Description = "How files pair up: plain (same relative path and name), cityscapes (*_gtFine_labelTrainIds.png <-> *_leftImg8bit.png), ade20k (annotations/**/NAME.png <-> NAME.png), voc (SegmentationClass/NAME.png <-> NAME.png), or auto (the one that pairs the most files).", DefaultValueFactory = _ => "plain" };
    private readonly Option<string?> _gtSuffix = new("--gt-suffix") { Description = "Ground-truth file suffix (overrides --layout)." };
    private readonly Option<string?> _predSuffix = new("--pred-suffix") { Description = "Prediction file suffix (overrides --layout)." };
    private readonly Option<string?> _shape = new("--shape") { Description = "Shape of raw label files, e.g. 1024,2048." };
    private readonly Option<string?> _dtype = new("--dtype") { Description = "dtype of raw label files: uint8, uint16, int32, int64." };

    /// <summary>Adds the options to <paramref name="cmd"/>.</summary>
    public RunOptions(Command cmd)
    {
        _layout.AcceptOnlyFromAmong([.. RunSpecBuilder.LayoutNames]);
        _outOfRange.CompletionSources.Add("error", "ignore");
        _outOfRange.Validators.Add(v =>
        {
            // As typed in help (lowercase), parsed in any case.
            if (v.Tokens.Count > 0 && v.Tokens[0].Value is var t && !t.Equals("error", StringComparison.OrdinalIgnoreCase)
                && !t.Equals("ignore", StringComparison.OrdinalIgnoreCase))
                v.AddError($"--out-of-range: '{t}' is not one of: error, ignore");
        });
        _names.Validators.Add(v =>
        {
            if (v.GetValueOrDefault<string?>() is { } name && ClassNamesProblem(name) is { } problem) v.AddError(problem);
        });
        _maxBad.Validators.Add(v =>
        {
            if (v.Tokens.Count > 0 && !MaxBad.TryParse(v.Tokens[0].Value, out _))
                v.AddError($"--max-bad: '{v.Tokens[0].Value}' is neither a number of pairs (5) nor a percentage (10%)");
        });
        _worst.Validators.Add(v =>
        {
            if (v.GetValueOrDefault<int>() < 0) v.AddError("--worst must be 0 or more images");
        });
        _boundaryDilation.Validators.Add(v =>
        {
            if (v.GetValueOrDefault<double>() is var d && (!(d > 0) || double.IsInfinity(d)))
                v.AddError($"--boundary-dilation must be a finite number > 0 (a fraction of the image diagonal), not {d}");
        });
        cmd.Validators.Add(v =>
        {
            if (v.GetResult(_boundaryDilation) is { Implicit: false } && !v.GetValue(_boundaryIou))
                v.AddError("--boundary-dilation needs --boundary-iou");
        });
        _bootstrap.Validators.Add(v =>
        {
            var n = v.GetValueOrDefault<int>();
            if (n is < 0 or > BootstrapOptions.MaxResamples)
                v.AddError($"--bootstrap {n}: the number of resamples must be between 1 and {BootstrapOptions.MaxResamples:N0} (0: none)");
        });
        _confidence.Validators.Add(v =>
        {
            var c = v.GetValueOrDefault<double>();
            if (!(c is > 0 and < 1)) v.AddError($"--confidence {c.ToString(System.Globalization.CultureInfo.InvariantCulture)}: must be strictly between 0 and 1 (e.g. 0.95)");
        });
        _protocol.AcceptOnlyFromAmong([.. RunRequest.ProtocolNames]);
        cmd.Validators.Add(v =>
        {
            var cityscapes = v.GetValue(_protocol) == "cityscapes";
            if (!cityscapes && v.GetResult(_classes) is null or { Implicit: true })
                v.AddError("Option '--classes' is required.");
            if (!cityscapes && v.GetValue(_cityscapesJson) is not null)
                v.AddError("--cityscapes-json needs --protocol cityscapes");
        });
        cmd.Validators.Add(v =>
        {
            if (v.GetResult(_worst) is { Implicit: false } && v.GetValue(_perImage) is null)
                v.AddError("--worst needs --per-image FILE.jsonl: the worst images come from the per-image results");
            if (v.GetValue(_bootstrap) > 0 && v.GetValue(_perImage) is null)
                v.AddError("--bootstrap needs --per-image FILE.jsonl: the images are resampled from the per-image results");
            if (v.GetValue(_bootstrap) == 0 && (v.GetResult(_seed) is { Implicit: false } || v.GetResult(_confidence) is { Implicit: false }))
                v.AddError("--seed and --confidence go with --bootstrap B (B > 0 resamples)");
        });
        foreach (var o in new Option[]
                 {
                     _gt, _pred, _classes, _names, _ignore, _labelMap, _mapPred, _outOfRange, _targets, _categories, _beta,
                     _report, _csv, _runId, _dataDir, _partitions, _batch, _skipBad, _maxBad, _json, _quiet, _allowDuplicates, _layout, _gtSuffix, _predSuffix,
                     _shape, _dtype, _perImage, _worst, _boundaryIou, _boundaryDilation, _bootstrap, _seed, _confidence,
                     _protocol, _cityscapesJson,
                 })
            cmd.Options.Add(o);
    }

    public EvaluateOptions Bind(ParseResult r) => new()
    {
        Run = new RunRequest
        {
            RunId = r.GetValue(_runId),
            GroundTruth = r.GetValue(_gt)!,
            Prediction = r.GetValue(_pred)!,
            Classes = r.GetValue(_classes),
            ClassNames = Named<IReadOnlyList<string>>(r.GetValue(_names)),
            Ignore = r.GetValue(_ignore) ?? [],
            LabelMap = Named<LabelMap>(r.GetValue(_labelMap)),
            MapPredictions = r.GetValue(_mapPred),
            OutOfRange = Enum.Parse<OutOfRangePolicy>(r.GetValue(_outOfRange) ?? "error", ignoreCase: true),
            TargetClasses = r.GetValue(_targets) ?? [],
            Categories = Named<IReadOnlyList<ClassCategory>>(r.GetValue(_categories)),
            Beta = r.GetValue(_beta),
            AllowFiles = true,
            Partitions = r.GetValue(_partitions),
            BatchPixels = r.GetValue(_batch),
            SkipBad = r.GetValue(_skipBad),
            AllowDuplicateFiles = r.GetValue(_allowDuplicates),
            Layout = r.GetValue(_layout)!,
            GroundTruthSuffix = r.GetValue(_gtSuffix),
            PredictionSuffix = r.GetValue(_predSuffix),
            Shape = r.GetValue(_shape),
            DType = r.GetValue(_dtype),
            PerImage = r.GetValue(_perImage) is not null,
            BoundaryDilation = r.GetValue(_boundaryIou) ? r.GetValue(_boundaryDilation) : null,
            Protocol = r.GetValue(_protocol) ?? "plain",
        },
        CityscapesJson = r.GetValue(_cityscapesJson),
        PerImage = r.GetValue(_perImage),
        Worst = r.GetValue(_worst),
        Bootstrap = r.GetValue(_bootstrap) is > 0 and var b ? new BootstrapOptions(b, r.GetValue(_seed), r.GetValue(_confidence)) : null,
        Report = r.GetValue(_report),
        Csv = r.GetValue(_csv),
        DataDir = r.GetValue(_dataDir),
        Json = r.GetValue(_json),
        Quiet = r.GetValue(_quiet),
        MaxBad = r.GetValue(_maxBad) is { } m && MaxBad.TryParse(m, out var max) ? max : MaxBad.None,
    };

    /// <summary>Why --class-names NAME is neither a preset nor a file, if it is neither.</summary>
    internal static string? ClassNamesProblem(string name) =>
        ClassNamePresets.Find(name) is not null || File.Exists(name) || Directory.Exists(name)
            ? null
            : $"--class-names '{name}' is neither a preset nor a file: presets are {ClassNamePresets.List}; " +
              "or give a file with one class name per line";

    private static Setting<T>? Named<T>(string? name) where T : class => name is null ? null : Setting<T>.Named(name);
}
