using System.Text.Json;
using System.Text.Json.Serialization;

namespace Evaluator.Node.Http;

// The JSON bodies of the API as types, for its OpenAPI description (/openapi/v1.json). The
// health bodies are written from these types; the runs' and ingest's bodies are written by
// their endpoints field by field and described here with the same names (HttpApiTests and
// OpenApiTests read both).

/// <summary><c>GET /healthz</c>.</summary>
internal sealed record HealthBody([property: JsonPropertyName("status")] string Status);

/// <summary>One readiness check: <c>ok</c> or <c>failed</c>, and why.</summary>
internal sealed record ReadyCheck(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("description")] string Description);

/// <summary><c>GET /readyz</c> when ready (503 otherwise: a problem body with the same <c>checks</c>).</summary>
internal sealed record ReadyBody(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("checks")] IReadOnlyDictionary<string, ReadyCheck> Checks);

/// <summary><c>GET /status</c>.</summary>
internal sealed record StatusBody(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("address")] string Address);

/// <summary>The body of <c>POST /runs</c> (an ingest run): the run spec (README, HTTP API); only num_classes is required.</summary>
internal sealed class RunRequestBody
{
    [JsonPropertyName("num_classes")] public required int NumClasses { get; init; }
    [JsonPropertyName("run_id")] public string? RunId { get; init; }
    /// <summary>A preset name ("cityscapes", "ade20k") or the names, one per class.</summary>
    [JsonPropertyName("class_names")] public JsonElement? ClassNames { get; init; }
    [JsonPropertyName("ignore_labels")] public IReadOnlyList<long>? IgnoreLabels { get; init; }
    /// <summary>A preset name or { "map": {...}, "unmapped": "keep" }.</summary>
    [JsonPropertyName("label_map")] public JsonElement? LabelMap { get; init; }
    [JsonPropertyName("map_predictions")] public bool? MapPredictions { get; init; }
    /// <summary>error (default) or ignore.</summary>
    [JsonPropertyName("out_of_range")] public string? OutOfRange { get; init; }
    [JsonPropertyName("target_classes")] public IReadOnlyList<int>? TargetClasses { get; init; }
    /// <summary>"cityscapes" or { "name": [class ids] }.</summary>
    [JsonPropertyName("categories")] public JsonElement? Categories { get; init; }
    [JsonPropertyName("beta")] public double? Beta { get; init; }
    [JsonPropertyName("partitions")] public int? Partitions { get; init; }
}

/// <summary>The answer to <c>POST /runs</c>: 201 created, 200 when the run existed with the same spec.</summary>
internal sealed record RunCreatedBody(
    [property: JsonPropertyName("run_id")] string RunId,
    [property: JsonPropertyName("partitions")] int Partitions,
    [property: JsonPropertyName("resumed")] bool Resumed);

/// <summary>One run of <c>GET /runs</c>.</summary>
internal sealed record RunListItemBody(
    [property: JsonPropertyName("run_id")] string RunId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("pairs")] long Pairs,
    [property: JsonPropertyName("pairs_done")] long PairsDone,
    [property: JsonPropertyName("pixels")] long Pixels,
    [property: JsonPropertyName("counted")] long Counted,
    [property: JsonPropertyName("expected_pixels")] long ExpectedPixels,
    [property: JsonPropertyName("mean_iou")] double? MeanIou,
    [property: JsonPropertyName("bad_pairs")] int BadPairs,
    [property: JsonPropertyName("error")] string? Error);

/// <summary>One partition in a run's state.</summary>
internal sealed record PartitionStateBody(
    [property: JsonPropertyName("partition")] int Partition,
    [property: JsonPropertyName("watermark")] long Watermark,
    [property: JsonPropertyName("batches")] long Batches,
    [property: JsonPropertyName("pixels")] long Pixels,
    [property: JsonPropertyName("final")] bool Final);

/// <summary>A pair skipped as bad input.</summary>
internal sealed record BadPairBody(
    [property: JsonPropertyName("ground_truth")] string GroundTruth,
    [property: JsonPropertyName("prediction")] string Prediction,
    [property: JsonPropertyName("error")] string Error);

/// <summary><c>GET /runs/{id}</c>: the run's state.</summary>
internal sealed record RunStateBody(
    [property: JsonPropertyName("run_id")] string RunId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("final")] bool Final,
    [property: JsonPropertyName("snapshot")] long Snapshot,
    [property: JsonPropertyName("num_classes")] int NumClasses,
    [property: JsonPropertyName("pixels")] long Pixels,
    [property: JsonPropertyName("counted")] long Counted,
    [property: JsonPropertyName("ignored")] long Ignored,
    [property: JsonPropertyName("out_of_range")] long OutOfRange,
    [property: JsonPropertyName("expected_pixels")] long ExpectedPixels,
    [property: JsonPropertyName("mean_iou")] double? MeanIou,
    [property: JsonPropertyName("partitions")] IReadOnlyList<PartitionStateBody> Partitions,
    [property: JsonPropertyName("bad_pairs")] IReadOnlyList<BadPairBody> BadPairs);

/// <summary>
/// A metric report (<c>/runs/{id}/snapshot</c>, <c>/runs/{id}/report.json</c>, each event of
/// <c>/runs/{id}/events</c>): the fields of README's report JSON; described loosely here (its
/// per-class and category tables are documented in README, "Report JSON").
/// </summary>
internal sealed record ReportBody(
    [property: JsonPropertyName("run_id")] string RunId,
    [property: JsonPropertyName("num_classes")] int NumClasses,
    [property: JsonPropertyName("mean_iou")] double? MeanIou,
    [property: JsonPropertyName("final")] bool Final,
    [property: JsonPropertyName("confusion_matrix")] IReadOnlyList<IReadOnlyList<long>>? ConfusionMatrix,
    [property: JsonPropertyName("confusion_cells")] IReadOnlyList<IReadOnlyList<long>>? ConfusionCells,
    [property: JsonPropertyName("per_class")] IReadOnlyList<JsonElement>? PerClass);

/// <summary>The acknowledgement of an ingest batch or matrix.</summary>
internal sealed record IngestAckBody(
    [property: JsonPropertyName("run_id")] string RunId,
    [property: JsonPropertyName("partition")] int Partition,
    [property: JsonPropertyName("seq")] long Seq,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("watermark")] long Watermark);

/// <summary><c>POST /runs/{id}/complete</c>: accepted (202).</summary>
internal sealed record CompleteAcceptedBody(
    [property: JsonPropertyName("run_id")] string RunId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("snapshot")] long Snapshot);
