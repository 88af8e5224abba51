using System.Collections.Immutable;

namespace Evaluator.Messages;

/// <summary>A percentile confidence interval [low, high] of a metric.</summary>
public sealed record ConfidenceInterval(double Low, double High);

/// <summary>
/// Bootstrap confidence intervals of a report's IoUs (<c>--bootstrap</c>): images resampled with
/// replacement, the dataset-level IoU recomputed from the summed per-image counts of each resample.
/// An interval is null where the point value is (a class with union 0) or no resample defines it.
/// </summary>
public sealed record BootstrapIntervals(
    int Resamples,
    double Confidence,
    long Seed,
    ConfidenceInterval? MeanIou,
    ImmutableArray<ConfidenceInterval?> PerClassIou);
