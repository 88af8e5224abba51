using Evaluator.Messages;

namespace Evaluator.Node.Runs;

/// <summary>
/// A setting given by name (a preset, or where the request may read files, a file path) or
/// inline (its value, e.g. from a JSON body).
/// </summary>
internal sealed record Setting<T>(string? Name, T? Value) where T : class
{
    public static Setting<T> Named(string name) => new(name, null);

    public static Setting<T> Inline(T value) => new(null, value);
}

/// <summary>
/// The options of a run, by name: from the command line (evaluate, submit) or from the body of
/// POST /runs. <see cref="RunSpecBuilder"/> turns them into a <see cref="RunSpec"/>.
/// </summary>
internal sealed record RunRequest
{
    public string? RunId { get; init; }

    /// <summary>Ground-truth file or directory (runs over files).</summary>
    public string GroundTruth { get; init; } = "";

    /// <summary>Prediction file or directory (runs over files).</summary>
    public string Prediction { get; init; } = "";

    public int Classes { get; init; }

    /// <summary>"cityscapes", a file of one name per line, or the names.</summary>
    public Setting<IReadOnlyList<string>>? ClassNames { get; init; }

    public IReadOnlyList<long> Ignore { get; init; } = [];

    /// <summary>"cityscapes", "ade20k", a JSON label map file, or the map.</summary>
    public Setting<LabelMap>? LabelMap { get; init; }

    public bool MapPredictions { get; init; }

    public OutOfRangePolicy OutOfRange { get; init; } = OutOfRangePolicy.Error;

    public IReadOnlyList<int> TargetClasses { get; init; } = [];

    /// <summary>"cityscapes", a JSON file of {"name": [class ids]}, or the categories.</summary>
    public Setting<IReadOnlyList<ClassCategory>>? Categories { get; init; }

    public double Beta { get; init; } = 1.0;

    /// <summary>
    /// Whether a setting's name may be a file path of this machine (the command line), or only
    /// a preset (an HTTP body must not make the server read its files).
    /// </summary>
    public bool AllowFiles { get; init; }

    /// <summary>Partitions of the run (default: the node's setting, else one per core of every worker).</summary>
    public int? Partitions { get; init; }

    /// <summary>Images larger than this travel in slices of this many pixels (default: the node's setting).</summary>
    public int? BatchPixels { get; init; }

    public bool SkipBad { get; init; }

    /// <summary>Record every pair's own result (the per-image JSONL file, the report's worst images).</summary>
    public bool PerImage { get; init; }

    /// <summary>The paper's default dilation ratio of boundary regions (Cheng et al., CVPR 2021).</summary>
    public const double DefaultBoundaryDilation = 0.02;

    /// <summary>Boundary IoU: the dilation ratio (d = max(1, round(ratio × image diagonal))); null: not computed.</summary>
    public double? BoundaryDilation { get; init; }

    /// <summary>The protocol names this evaluates with: the product's own ("plain") or cityscapesScripts' ("cityscapes").</summary>
    public static IReadOnlyList<string> ProtocolNames { get; } = ["plain", "cityscapes"];

    /// <summary>
    /// "cityscapes": cityscapesScripts' evalPixelLevelSemanticLabeling over *_gtFine_labelIds.png with their
    /// instanceIds files (34 labelIds, its ignore rules, iIoU); it implies the classes, ignore labels and layout.
    /// </summary>
    public string Protocol { get; init; } = "plain";

    public bool CityscapesProtocol => Protocol == "cityscapes";

    /// <summary>Count a physical file once per name it is found under (refused by default: see PairDiscovery).</summary>
    public bool AllowDuplicateFiles { get; init; }

    /// <summary>"plain" (same relative path) or "cityscapes".</summary>
    public string Layout { get; init; } = "plain";

    public string? GroundTruthSuffix { get; init; }

    public string? PredictionSuffix { get; init; }

    /// <summary>Shape of raw label files, e.g. "1024,2048".</summary>
    public string? Shape { get; init; }

    /// <summary>dtype of raw label files: uint8, uint16, int32, int64.</summary>
    public string? DType { get; init; }
}
