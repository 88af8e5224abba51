using System.Text.Json;
using Evaluator.Messages;
using Evaluator.Node.Runs;

namespace Evaluator.Node.Http;

/// <summary>
/// The body of <c>POST /runs</c>:
/// <code>{ "run_id": "r1", "num_classes": 19, "class_names": [...] | "cityscapes", "ignore_labels": [255],
///   "label_map": "cityscapes" | "ade20k" | { "map": {...}, "unmapped": "keep" },
///   "map_predictions": false, "out_of_range": "error" | "ignore", "target_classes": [...],
///   "categories": "cityscapes" | { "name": [ids] }, "beta": 1.0, "partitions": 1 }</code>
/// Everything but num_classes is optional. A run over files (<see cref="FileRuns"/>) adds
/// <c>"gt"</c> and <c>"pred"</c> (paths as the workers see them) and evaluate's file options:
/// <c>"layout", "gt_suffix", "pred_suffix", "shape", "dtype", "skip_bad", "allow_duplicate_files"</c>
/// (batch pixels are the node's setting); its partitions default to the node's setting.
/// </summary>
internal static class RunSpecJson
{
    public const int MaxPartitions = 1024;

    /// <summary>The run request of a body; <see cref="RunSpecBuilder"/> makes its spec.</summary>
    public static RunRequest Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidRunSpecException("the body must be a JSON object");
        var r = new RunRequest { AllowFiles = false };
        int? classes = null;
        foreach (var p in root.EnumerateObject())
        {
            var v = p.Value;
            r = p.Name switch
            {
                "run_id" => r with { RunId = v.GetString() },
                "num_classes" => r with { Classes = (classes = Int(v, p.Name)).Value },
                "class_names" => r with
                {
                    ClassNames = v.ValueKind == JsonValueKind.String
                        ? Setting<IReadOnlyList<string>>.Named(v.GetString()!)
                        : Setting<IReadOnlyList<string>>.Inline(v.EnumerateArray().Select(x => x.GetString() ?? "").ToList()),
                },
                "ignore_labels" => r with { Ignore = v.EnumerateArray().Select(x => Long(x, p.Name)).ToList() },
                "label_map" => r with
                {
                    LabelMap = v.ValueKind == JsonValueKind.String
                        ? Setting<LabelMap>.Named(v.GetString()!)
                        : Setting<LabelMap>.Inline(LabelMap.Parse(v.GetRawText(), "label_map")),
                },
                "map_predictions" => r with { MapPredictions = v.GetBoolean() },
                "out_of_range" => r with
                {
                    OutOfRange = v.GetString() switch
                    {
                        "error" => OutOfRangePolicy.Error,
                        "ignore" => OutOfRangePolicy.Ignore,
                        var other => throw new InvalidRunSpecException($"out_of_range '{other}' must be error or ignore"),
                    },
                },
                "target_classes" => r with { TargetClasses = v.EnumerateArray().Select(x => Int(x, p.Name)).ToList() },
                "categories" => r with
                {
                    Categories = v.ValueKind switch
                    {
                        JsonValueKind.String => Setting<IReadOnlyList<ClassCategory>>.Named(v.GetString()!),
                        JsonValueKind.Object => Setting<IReadOnlyList<ClassCategory>>.Inline(
                            RunSpecBuilder.ParseCategories(v, x => Int(x, "categories"))),
                        _ => throw new InvalidRunSpecException("categories must be \"cityscapes\" or an object of name: [class ids]"),
                    },
                },
                "beta" => r with { Beta = v.GetDouble() },
                "partitions" => r with { Partitions = Int(v, p.Name) },
                "gt" => r with { GroundTruth = Text(v, p.Name) },
                "pred" => r with { Prediction = Text(v, p.Name) },
                "layout" => r with { Layout = Text(v, p.Name) },
                "gt_suffix" => r with { GroundTruthSuffix = Text(v, p.Name) },
                "pred_suffix" => r with { PredictionSuffix = Text(v, p.Name) },
                "shape" => r with { Shape = Text(v, p.Name) },
                "dtype" => r with { DType = Text(v, p.Name) },
                "skip_bad" => r with { SkipBad = v.GetBoolean() },
                "allow_duplicate_files" => r with { AllowDuplicateFiles = v.GetBoolean() },
                "boundary_iou" => r with { BoundaryDilation = v.GetBoolean() ? r.BoundaryDilation ?? RunRequest.DefaultBoundaryDilation : null },
                "boundary_dilation" => r with { BoundaryDilation = v.GetDouble() },
                "protocol" => r with { Protocol = Text(v, p.Name) },
                _ => throw new InvalidRunSpecException($"unknown field \"{p.Name}\""),
            };
        }
        if (classes is null && !r.CityscapesProtocol) throw new InvalidRunSpecException("num_classes is required");
        var files = IsFileRun(r);
        // The Cityscapes protocol reads each pair's instanceIds file: runs over files only.
        if (!files && r.Protocol != "plain")
            throw new InvalidRunSpecException($"protocol '{r.Protocol}' is for runs over files (\"gt\" and \"pred\"), not ingest runs");
        if (files && (r.GroundTruth.Length == 0 || r.Prediction.Length == 0))
            throw new InvalidRunSpecException("a run over files needs both \"gt\" and \"pred\"");
        if (!files && (r.Layout != "plain" || r.GroundTruthSuffix is not null || r.PredictionSuffix is not null || r.Shape is not null
                       || r.DType is not null || r.SkipBad || r.AllowDuplicateFiles))
            throw new InvalidRunSpecException("layout, suffixes, shape, dtype, skip_bad and allow_duplicate_files are options of a run over files (\"gt\" and \"pred\")");
        if (!files) r = r with { Partitions = r.Partitions ?? 1 };
        // Ingest runs take label batches, which carry no image shape: boundary IoU (whole 2-D
        // images) is computed only for runs over files (evaluate, submit, POST /runs with gt and pred).
        if (!files && r.BoundaryDilation is not null)
            throw new InvalidRunSpecException(
                "boundary_iou is not available for ingest runs: their label batches carry no image shape; " +
                "give \"gt\" and \"pred\" (a run over files), or evaluate or submit the files with --boundary-iou");
        if (r.Partitions is not null and (< 1 or > MaxPartitions))
            throw new InvalidRunSpecException($"partitions is {r.Partitions}: it must be between 1 and {MaxPartitions}");
        return r;
    }

    /// <summary>Whether the request names files (a run over files) rather than an ingest run.</summary>
    public static bool IsFileRun(RunRequest r) => r.GroundTruth.Length > 0 || r.Prediction.Length > 0;

    private static string Text(JsonElement v, string field) =>
        v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new InvalidRunSpecException($"{field} must be a string");

    private static int Int(JsonElement v, string field) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : throw new InvalidRunSpecException($"{field} must hold integers");

    private static long Long(JsonElement v, string field) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var i) ? i : throw new InvalidRunSpecException($"{field} must hold integers");
}
