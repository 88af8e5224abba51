using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;

namespace Evaluator.Messages;

/// <summary>What a label map does with a raw value it has no entry for.</summary>
public enum UnmappedRule
{
    /// <summary>The value passes through unchanged.</summary>
    Keep,

    /// <summary>The pixel is ignored (Cityscapes: every labelId that has no trainId).</summary>
    Ignore,

    /// <summary>The value is shifted by <see cref="LabelMap.Shift"/> (ADE20K: k → k-1).</summary>
    Shift,
}

/// <summary>
/// A label map applied to raw ground-truth values before counting: explicit entries
/// (raw → class id, or raw → ignored) plus a rule for the values without an entry.
/// Immutable; value equality.
/// </summary>
public sealed class LabelMap : IEquatable<LabelMap>
{
    public LabelMap(string name, IEnumerable<KeyValuePair<long, long?>> entries, UnmappedRule unmapped, long shift = 0)
    {
        Name = name;
        Entries = entries.ToImmutableSortedDictionary();
        Unmapped = unmapped;
        Shift = unmapped == UnmappedRule.Shift ? shift : 0;
        foreach (var (raw, target) in Entries)
        {
            if (target is < 0)
                throw new LabelMapFormatException(name, $"value {raw} maps to {target}: a target must be a class id >= 0 or ignore");
        }
    }

    /// <summary>A short name: the preset's name or the file it was read from.</summary>
    public string Name { get; }

    /// <summary>raw value → class id, or null for "ignored".</summary>
    public ImmutableSortedDictionary<long, long?> Entries { get; }

    public UnmappedRule Unmapped { get; }

    public long Shift { get; }

    /// <summary>The mapped value of <paramref name="raw"/>, or null if the pixel is ignored.</summary>
    public long? Apply(long raw)
    {
        if (Entries.TryGetValue(raw, out var target)) return target;
        return Unmapped switch
        {
            UnmappedRule.Keep => raw,
            UnmappedRule.Ignore => null,
            _ => raw + Shift,
        };
    }

    /// <summary>The largest class id an explicit entry maps to, or -1 if none.</summary>
    public long MaxTarget => Entries.Values.Where(v => v.HasValue).Select(v => v!.Value).DefaultIfEmpty(-1).Max();

    // ---- presets -------------------------------------------------------------------------

    /// <summary>
    /// Cityscapes labelIds → the 19 trainIds of cityscapesScripts' labels.py; every other
    /// labelId (unlabeled, ego vehicle, ..., license plate) is ignored.
    /// </summary>
    public static LabelMap Cityscapes { get; } = new(
        "cityscapes",
        new (long Raw, long TrainId)[]
        {
            (7, 0), (8, 1), (11, 2), (12, 3), (13, 4), (17, 5), (19, 6), (20, 7), (21, 8), (22, 9),
            (23, 10), (24, 11), (25, 12), (26, 13), (27, 14), (28, 15), (31, 16), (32, 17), (33, 18),
        }.Select(e => new KeyValuePair<long, long?>(e.Raw, e.TrainId)),
        UnmappedRule.Ignore);

    /// <summary>
    /// ADE20K "reduce zero label" (mmsegmentation): 0 (other) is ignored, k → k-1, and 255
    /// stays ignored.
    /// </summary>
    public static LabelMap Ade20k { get; } = new(
        "ade20k",
        [new(0, null), new(255, null)],
        UnmappedRule.Shift,
        shift: -1);

    /// <summary>
    /// PASCAL VOC: the labels are already the 21 class ids (a palette PNG's palette index is the
    /// label); 255 (object boundaries) and anything else is ignored.
    /// </summary>
    public static LabelMap Voc { get; } = new(
        "voc",
        Enumerable.Range(0, 21).Select(i => new KeyValuePair<long, long?>(i, i)),
        UnmappedRule.Ignore);

    /// <summary>
    /// COCO-Stuff 164k: the 182 ids of its stuffthingmaps PNGs (0-181, 0-based: 0-90 things, 91-181
    /// stuff) → the 171 train ids 0-170; the 11 thing ids COCO never used (11 street sign, 25 hat,
    /// 28 shoe, 29 eye glasses, 44 plate, 65 mirror, 67 window, 68 desk, 70 door, 82 blender,
    /// 90 hair brush; 12, 26, ... in COCO's 1-based numbering) and 255 (unlabeled) are ignored.
    /// Source: open-mmlab/mmsegmentation tools/dataset_converters/coco_stuff164k.py (clsID_to_trID).
    /// </summary>
    public static LabelMap CocoStuff { get; } = new(
        "cocostuff",
        Enumerable.Range(0, 182).Except(CocoStuffUnused)
            .Select((raw, trainId) => new KeyValuePair<long, long?>(raw, trainId)),
        UnmappedRule.Ignore);

    /// <summary>The 0-based COCO thing ids with no class (see <see cref="CocoStuff"/>).</summary>
    public static IReadOnlyList<int> CocoStuffUnused => [11, 25, 28, 29, 44, 65, 67, 68, 70, 82, 90];

    public static IReadOnlyList<string> PresetNames { get; } = ["cityscapes", "ade20k", "voc", "cocostuff"];

    /// <summary>A preset by name, or else a JSON label map file at that path.</summary>
    public static LabelMap Resolve(string presetOrPath)
    {
        switch (presetOrPath.ToLowerInvariant())
        {
            case "cityscapes": return Cityscapes;
            case "ade20k": return Ade20k;
            case "voc": return Voc;
            case "cocostuff": return CocoStuff;
        }

        if (!File.Exists(presetOrPath))
            throw new LabelMapFormatException(presetOrPath,
                $"no such file, and not a preset ({string.Join(", ", PresetNames)})");
        string text;
        try
        {
            text = File.ReadAllText(presetOrPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LabelMapFormatException(presetOrPath, e.Message);
        }

        return Parse(text, presetOrPath);
    }

    /// <summary>
    /// Reads the JSON label map format:
    /// <code>{ "map": { "7": 0, "8": 1, "0": "ignore" }, "unmapped": "keep" | "ignore" | "shift:-1" }</code>
    /// Keys are raw integer values; a target is a class id or the string "ignore".
    /// "unmapped" defaults to "keep".
    /// </summary>
    public static LabelMap Parse(string json, string source)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new LabelMapFormatException(source, $"not valid JSON ({e.Message})");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new LabelMapFormatException(source, "the top level must be a JSON object with a \"map\" object");

            var entries = new Dictionary<long, long?>();
            var rule = UnmappedRule.Keep;
            long shift = 0;
            var sawMap = false;
            foreach (var prop in root.EnumerateObject())
            {
                switch (prop.Name)
                {
                    case "map":
                        sawMap = true;
                        ReadEntries(prop.Value, source, entries);
                        break;
                    case "unmapped":
                        (rule, shift) = ReadRule(prop.Value, source);
                        break;
                    default:
                        throw new LabelMapFormatException(source, $"unknown key \"{prop.Name}\" (expected \"map\" and \"unmapped\")");
                }
            }

            if (!sawMap) throw new LabelMapFormatException(source, "missing the \"map\" object");
            return new LabelMap(source, entries, rule, shift);
        }
    }

    private static void ReadEntries(JsonElement map, string source, Dictionary<long, long?> entries)
    {
        if (map.ValueKind != JsonValueKind.Object)
            throw new LabelMapFormatException(source, "\"map\" must be an object of \"raw\": target");
        foreach (var e in map.EnumerateObject())
        {
            if (!long.TryParse(e.Name, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var raw))
                throw new LabelMapFormatException(source, $"key \"{e.Name}\" is not an integer label value");
            long? target = e.Value.ValueKind switch
            {
                JsonValueKind.Number when e.Value.TryGetInt64(out var t) && t >= 0 => t,
                JsonValueKind.String when e.Value.GetString() == "ignore" => null,
                _ => throw new LabelMapFormatException(source,
                    $"value {raw} maps to {e.Value.GetRawText()}: a target must be a class id >= 0 or \"ignore\""),
            };
            if (!entries.TryAdd(raw, target))
                throw new LabelMapFormatException(source, $"value {raw} is mapped twice");
        }
    }

    private static (UnmappedRule, long) ReadRule(JsonElement value, string source)
    {
        var text = value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
        if (text == "keep") return (UnmappedRule.Keep, 0);
        if (text == "ignore") return (UnmappedRule.Ignore, 0);
        if (text.StartsWith("shift:", StringComparison.Ordinal)
            && long.TryParse(text.AsSpan(6), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var s))
            return (UnmappedRule.Shift, s);
        throw new LabelMapFormatException(source,
            $"\"unmapped\" is {value.GetRawText()}: expected \"keep\", \"ignore\" or \"shift:N\"");
    }

    // ---- equality -----------------------------------------------------------------------

    public bool Equals(LabelMap? other) =>
        other is not null && Name == other.Name && Unmapped == other.Unmapped && Shift == other.Shift
        && Entries.Count == other.Entries.Count
        && Entries.All(e => other.Entries.TryGetValue(e.Key, out var v) && v == e.Value);

    public override bool Equals(object? obj) => Equals(obj as LabelMap);

    public override int GetHashCode() => HashCode.Combine(Name, Unmapped, Shift, Entries.Count);

    public override string ToString() => Name;
}
