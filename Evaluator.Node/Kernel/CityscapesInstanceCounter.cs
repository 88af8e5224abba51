using Evaluator.Messages;
using Evaluator.Messages.Cityscapes;
using Evaluator.Node.Inputs;

namespace Evaluator.Node.Kernel;

/// <summary>
/// The instance half of cityscapesScripts' <c>evaluatePair</c>: for every instance id &gt; 1000 of a
/// pair's <c>*_gtFine_instanceIds.png</c>, its size and the pixels predicted as its label (tp) and
/// as a label of its category (category tp), as exact int64 counts in one pass; the weighted
/// terms are then added exactly (<see cref="CityscapesScores.OfImage"/>).
/// </summary>
internal static class CityscapesInstanceCounter
{
    /// <summary>The instanceIds file beside a <c>*_gtFine_labelIds.png</c> (the script replaces "labelIds" by "instanceIds").</summary>
    public static string InstancePath(string groundTruth)
    {
        var name = Path.GetFileName(groundTruth);
        const string suffix = "labelIds.png";
        return name.EndsWith(suffix, StringComparison.Ordinal)
            ? Path.Combine(Path.GetDirectoryName(groundTruth) ?? "", name[..^suffix.Length] + "instanceIds.png")
            : throw new BadInputException(groundTruth, "a Cityscapes ground-truth file must end with '_gtFine_labelIds.png'");
    }

    /// <summary>Reads the pair's instanceIds file and counts its instances against <paramref name="prediction"/>.</summary>
    public static CityscapesInstanceStats Count(string groundTruth, LabelArray prediction)
    {
        var path = InstancePath(groundTruth);
        if (!File.Exists(path))
            throw new BadInputException(path, $"the instanceIds file of {groundTruth} is missing (the Cityscapes protocol needs it beside each labelIds file)");
        using var instances = LabelFileReader.Read(path, null);
        if (instances.Length != prediction.Length || !instances.Shape.SequenceEqual(prediction.Shape))
            throw new BadInputException(path, $"instanceIds shape {instances.ShapeText} does not match the prediction's {prediction.ShapeText}");
        return CityscapesScores.OfImage(Instances(instances, prediction), path);
    }

    /// <summary>Every instance of the image with its int64 counts (ids &gt; 1000; any order).</summary>
    public static IEnumerable<CityscapesInstance> Instances(LabelArray instances, LabelArray prediction)
    {
        // Per prediction value (0..255; others are in no category and never a label): its label id
        // and, per instance category, whether the value is one of its labelIds.
        var inCategory = new bool[CityscapesLabels.Categories.Length][];
        for (var k = 0; k < inCategory.Length; k++)
        {
            inCategory[k] = new bool[CityscapesLabels.NumIds];
            if (CityscapesLabels.InstanceCategoryIds[k] is { } ids)
                foreach (var id in ids) inCategory[k][id] = true;
        }
        var categoryOf = CityscapesLabels.ById.Select(l => CityscapesLabels.CategoryIndex(l.Category)).ToArray();
        var counts = new Dictionary<long, (long Size, long Tp, long CatTp)>();
        switch (instances.DType, prediction.DType)
        {
            case (LabelDType.UInt16, LabelDType.UInt8): // the Cityscapes files: 16-bit instanceIds, 8-bit labelIds
                Accumulate(instances.Labels<ushort>(), prediction.Labels<byte>(), inCategory, categoryOf, counts);
                break;
            default:
                Accumulate<long, long>(Widen(instances), Widen(prediction), inCategory, categoryOf, counts);
                break;
        }
        foreach (var (id, c) in counts)
        {
            if (id > int.MaxValue) throw new BadInputException("instanceIds", $"instance id {id} is out of range");
            yield return new CityscapesInstance((int)id, c.Size, c.Tp, c.CatTp);
        }
    }

    /// <summary>One pass over the pixels (generic over the label types: the JIT makes one loop per pair of types).</summary>
    private static void Accumulate<TI, TP>(ReadOnlySpan<TI> instances, ReadOnlySpan<TP> prediction, bool[][] inCategory,
        int[] categoryOf, Dictionary<long, (long Size, long Tp, long CatTp)> counts)
        where TI : unmanaged, System.Numerics.IBinaryInteger<TI>
        where TP : unmanaged, System.Numerics.IBinaryInteger<TP>
    {
        long lastId = -1;
        (long Size, long Tp, long CatTp) c = default;
        for (var i = 0; i < instances.Length; i++)
        {
            var inst = long.CreateTruncating(instances[i]);
            if (inst <= CityscapesLabels.InstanceIdThreshold) continue;
            if (inst != lastId)
            {
                if (lastId >= 0) counts[lastId] = c; // instances come in runs along rows: one lookup a run
                counts.TryGetValue(inst, out c);
                lastId = inst;
            }
            var labelId = inst / CityscapesLabels.InstanceIdDivisor;
            var p = long.CreateTruncating(prediction[i]);
            c.Size++;
            if (p == labelId) c.Tp++;
            if (labelId < CityscapesLabels.NumIds && p is >= 0 and < CityscapesLabels.NumIds && inCategory[categoryOf[labelId]][p]) c.CatTp++;
        }
        if (lastId >= 0) counts[lastId] = c;
    }

    private static long[] Widen(LabelArray a)
    {
        var values = new long[a.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = a.DType switch
            {
                LabelDType.UInt8 => a.Labels<byte>(i, 1)[0],
                LabelDType.UInt16 => a.Labels<ushort>(i, 1)[0],
                LabelDType.Int32 => a.Labels<int>(i, 1)[0],
                _ => a.Labels<long>(i, 1)[0],
            };
        }
        return values;
    }
}
