using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Messages.Serialization;

namespace Evaluator.Node.Runs;

/// <summary>Run ids (new ones, valid ones) and the fingerprint that ties a run id to its dataset.</summary>
internal static partial class RunIds
{
    // \z, not $: $ also matches before a final newline.
    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9._-]{0,99}\z")]
    private static partial Regex RunIdPattern();

    public static void Validate(string runId)
    {
        if (!IsValid(runId))
            throw new InvalidRunSpecException(
                $"run id '{runId}' must be 1-100 characters of letters, digits, '.', '_' or '-', starting with a letter or digit");
    }

    public static bool IsValid(string runId) => RunIdPattern().IsMatch(runId);

    public static string New() => $"run-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Random.Shared.Next(0x10000):x4}";

    /// <summary>
    /// A hash of everything that decides the result: spec, partitions and their pairs, and whether
    /// per-image results are recorded (only hashed when they are, so other runs keep their fingerprints).
    /// </summary>
    public static string Fingerprint(RunSpec spec, IEnumerable<PartitionAssignment> partitions, bool perImage = false,
        double? boundaryDilation = null, bool cityscapesProtocol = false)
    {
        var w = new WireWriter();
        w.Spec(spec);
        foreach (var p in partitions)
        {
            w.Var(p.Partition);
            w.List(p.Pairs, w.Pair);
            w.Optional(p.Raw, r =>
            {
                w.List(r.Shape, w.Var);
                w.Byte((byte)r.DType);
            });
        }
        if (perImage) w.String("per-image");
        if (boundaryDilation is { } d) // boundary IoU runs only, so other runs keep their fingerprints
        {
            w.String("boundary-iou");
            w.Double(d);
        }
        if (cityscapesProtocol) w.String("protocol-cityscapes"); // only then, so other runs keep their fingerprints
        return Convert.ToHexString(SHA256.HashData(w.ToArray()))[..32].ToLowerInvariant();
    }
}
