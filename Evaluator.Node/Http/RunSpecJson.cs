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
/// Everything but num_classes is optional.
/// </summary>
internal static class RunSpecJson
{
    public const int MaxPartitions = 1024;

    /// <summary>The run request of a body; <see cref="RunSpecBuilder"/> makes its spec.</summary>
    public static RunRequest Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidRunSpecException("the body must be a JSON object");
        var r = new RunRequest { AllowFiles = false, Partitions = 1 };
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
                "boundary_iou" => r with { BoundaryDilation = v.GetBoolean() ? r.BoundaryDilation ?? RunRequest.DefaultBoundaryDilation : null },
                "boundary_dilation" => r with { BoundaryDilation = v.GetDouble() },
                _ => throw new InvalidRunSpecException($"unknown field \"{p.Name}\""),
            };
        }
        if (classes is null) throw new InvalidRunSpecException("num_classes is required");
        // Runs created here take label batches, which carry no image shape: boundary IoU (whole
        // 2-D images) is computed only for runs over files (evaluate, submit --boundary-iou).
        if (r.BoundaryDilation is not null)
            throw new InvalidRunSpecException(
                "boundary_iou is not available for runs created by POST /runs: their label batches carry no image shape; " +
                "evaluate or submit the files with --boundary-iou instead");
        if (r.Partitions is < 1 or > MaxPartitions)
            throw new InvalidRunSpecException($"partitions is {r.Partitions}: it must be between 1 and {MaxPartitions}");
        return r;
    }

    private static int Int(JsonElement v, string field) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : throw new InvalidRunSpecException($"{field} must hold integers");

    private static long Long(JsonElement v, string field) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var i) ? i : throw new InvalidRunSpecException($"{field} must hold integers");
}
