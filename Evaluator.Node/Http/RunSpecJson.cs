using System.Text.Json;
using Evaluator.Messages;

namespace Evaluator.Node.Http;

/// <summary>
/// The body of <c>POST /runs</c>:
/// <code>{ "run_id": "r1", "num_classes": 19, "class_names": [...], "ignore_labels": [255],
///   "label_map": "cityscapes" | "ade20k" | { "map": {...}, "unmapped": "keep" },
///   "map_predictions": false, "out_of_range": "error" | "ignore", "target_classes": [...],
///   "categories": "cityscapes" | { "name": [ids] }, "beta": 1.0, "partitions": 1 }</code>
/// Everything but num_classes is optional.
/// </summary>
public static class RunSpecJson
{
    public sealed record Request(string? RunId, RunSpec Spec, int Partitions);

    public const int MaxPartitions = 1024;

    public static Request Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidRunSpecException("the body must be a JSON object");
        string? runId = null;
        int? classes = null;
        IReadOnlyList<string>? names = null;
        IReadOnlyList<long>? ignore = null;
        LabelMap? map = null;
        var mapPredictions = false;
        var policy = OutOfRangePolicy.Error;
        IReadOnlyList<int>? targets = null;
        IReadOnlyList<ClassCategory>? categories = null;
        var beta = 1.0;
        var partitions = 1;
        foreach (var p in root.EnumerateObject())
        {
            var v = p.Value;
            switch (p.Name)
            {
                case "run_id": runId = v.GetString(); break;
                case "num_classes": classes = Int(v, p.Name); break;
                case "class_names": names = v.EnumerateArray().Select(x => x.GetString() ?? "").ToList(); break;
                case "ignore_labels": ignore = v.EnumerateArray().Select(x => Long(x, p.Name)).ToList(); break;
                case "label_map":
                    map = v.ValueKind == JsonValueKind.String
                        ? v.GetString() switch
                        {
                            "cityscapes" => LabelMap.Cityscapes,
                            "ade20k" => LabelMap.Ade20k,
                            var other => throw new InvalidRunSpecException($"label_map '{other}' is not a preset (cityscapes, ade20k); give the map object instead"),
                        }
                        : LabelMap.Parse(v.GetRawText(), "label_map");
                    break;
                case "map_predictions": mapPredictions = v.GetBoolean(); break;
                case "out_of_range":
                    policy = v.GetString() switch
                    {
                        "error" => OutOfRangePolicy.Error,
                        "ignore" => OutOfRangePolicy.Ignore,
                        var other => throw new InvalidRunSpecException($"out_of_range '{other}' must be error or ignore"),
                    };
                    break;
                case "target_classes": targets = v.EnumerateArray().Select(x => Int(x, p.Name)).ToList(); break;
                case "categories":
                    categories = v.ValueKind == JsonValueKind.String && v.GetString() == "cityscapes"
                        ? ClassCategory.Cityscapes
                        : v.ValueKind == JsonValueKind.Object
                            ? v.EnumerateObject().Select(c => new ClassCategory(c.Name, [.. c.Value.EnumerateArray().Select(x => Int(x, "categories"))])).ToList()
                            : throw new InvalidRunSpecException("categories must be \"cityscapes\" or an object of name: [class ids]");
                    break;
                case "beta": beta = v.GetDouble(); break;
                case "partitions": partitions = Int(v, p.Name); break;
                default: throw new InvalidRunSpecException($"unknown field \"{p.Name}\"");
            }
        }
        if (classes is null) throw new InvalidRunSpecException("num_classes is required");
        if (partitions is < 1 or > MaxPartitions)
            throw new InvalidRunSpecException($"partitions is {partitions}: it must be between 1 and {MaxPartitions}");
        var spec = new RunSpec(classes.Value, names, ignore, map, mapPredictions, policy, targets, categories, beta);
        return new Request(runId, spec, partitions);
    }

    private static int Int(JsonElement v, string field) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : throw new InvalidRunSpecException($"{field} must hold integers");

    private static long Long(JsonElement v, string field) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var i) ? i : throw new InvalidRunSpecException($"{field} must hold integers");
}
