using System.Globalization;
using System.Text.Json;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Inputs;

namespace Evaluator.Node.Runs;

/// <summary>
/// The one way from a <see cref="RunRequest"/> to a <see cref="RunSpec"/> (and the layout of its
/// files): presets, files and inline values resolved the same for the command line and HTTP.
/// </summary>
internal static class RunSpecBuilder
{
    public const string CityscapesPreset = "cityscapes";

    /// <summary>The smallest and largest F-beta β a request may ask for (beyond them F-beta under- or overflows to null).</summary>
    public const double MinBeta = 1e-6, MaxBeta = 1e6;

    /// <summary>
    /// The spec of a request. Checks that only new requests get (a journal of an older version
    /// may hold such specs and must still load, so <see cref="RunSpec"/> itself accepts them):
    /// class names are unique, β is within [<see cref="MinBeta"/>, <see cref="MaxBeta"/>].
    /// </summary>
    public static RunSpec Build(RunRequest r)
    {
        if (!double.IsFinite(r.Beta) || r.Beta is < MinBeta or > MaxBeta)
            throw new InvalidRunSpecException($"beta is {r.Beta.ToString(CultureInfo.InvariantCulture)}: it must be between 1e-6 and 1e6");
        var names = ClassNames(r);
        if (names is not null)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < names.Count; i++)
            {
                if (!seen.Add(names[i]))
                    throw new InvalidRunSpecException(
                        $"class name '{names[i]}' is given twice (class {names.ToList().IndexOf(names[i])} and class {i}): class names must be unique");
            }
        }
        return new(r.Classes, names, r.Ignore, LabelMap(r), r.MapPredictions, r.OutOfRange, r.TargetClasses, Categories(r), r.Beta);
    }

    private static IReadOnlyList<string>? ClassNames(RunRequest r) => r.ClassNames switch
    {
        null => null,
        { Value: { } names } => names,
        { Name: { } preset } when ClassNamePresets.Find(preset) is { } names => names,
        { Name: { } path } when r.AllowFiles && File.Exists(path) => RunSpec.ReadClassNames(path),
        { Name: var other } when r.AllowFiles => throw new InvalidRunSpecException(
            $"--class-names '{other}' is neither a file nor a preset ({ClassNamePresets.List})"),
        { Name: var other } => throw new InvalidRunSpecException(
            $"class_names '{other}' is not a preset ({ClassNamePresets.List}); give the names instead"),
    };

    private static LabelMap? LabelMap(RunRequest r) => r.LabelMap switch
    {
        null => null,
        { Value: { } map } => map,
        { Name: { } presetOrPath } when r.AllowFiles => Messages.LabelMap.Resolve(presetOrPath),
        { Name: { } preset } when Messages.LabelMap.PresetNames.Contains(preset) => Messages.LabelMap.Resolve(preset),
        { Name: var other } => throw new InvalidRunSpecException(
            $"label_map '{other}' is not a preset ({string.Join(", ", Messages.LabelMap.PresetNames)}); give the map object instead"),
    };

    private static IReadOnlyList<ClassCategory>? Categories(RunRequest r) => r.Categories switch
    {
        null => null,
        { Value: { } categories } => categories,
        { Name: CityscapesPreset } => ClassCategory.Cityscapes,
        { Name: { } path } when r.AllowFiles => ReadCategories(path),
        _ => throw new InvalidRunSpecException("categories must be \"cityscapes\" or an object of name: [class ids]"),
    };

    /// <summary>Categories from a JSON file of <c>{"name": [class ids], ...}</c>.</summary>
    private static IReadOnlyList<ClassCategory> ReadCategories(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return ParseCategories(doc.RootElement, v => v.GetInt32());
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidRunSpecException($"categories file '{path}': {e.Message}");
        }
    }

    /// <summary>Categories from a JSON object of <c>{"name": [class ids], ...}</c> (a file's or a body's).</summary>
    public static IReadOnlyList<ClassCategory> ParseCategories(JsonElement obj, Func<JsonElement, int> classId) =>
        obj.EnumerateObject().Select(p => new ClassCategory(p.Name, [.. p.Value.EnumerateArray().Select(classId)])).ToList();

    /// <summary>The layout of raw label files, or null for self-describing files (PNG, npy).</summary>
    public static RawLayout? Raw(RunRequest r)
    {
        if (r.Shape is null && r.DType is null) return null;
        if (r.Shape is null || r.DType is null)
            throw new InvalidRunSpecException("raw label files need both --shape and --dtype");
        if (!LabelDTypes.TryParse(r.DType, out var dtype))
            throw new InvalidRunSpecException($"--dtype '{r.DType}' is not one of uint8, uint16, int32, int64");
        var dims = r.Shape.Split(',', 'x').Select(s =>
            long.TryParse(s.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var d) && d > 0
                ? d
                : throw new InvalidRunSpecException($"--shape '{r.Shape}' must be positive integers like 1024,2048")).ToArray();
        long bytes = dtype.Size();
        foreach (var d in dims)
        {
            if (bytes > long.MaxValue / d)
                throw new InvalidRunSpecException($"--shape '{r.Shape}' of {r.DType} is larger than any file can hold");
            bytes *= d;
        }
        return new RawLayout([.. dims], dtype);
    }

    /// <summary>The layouts --layout and "layout" accept.</summary>
    public static IEnumerable<string> LayoutNames => PairLayout.Presets.Select(p => p.Name).Prepend("auto");

    /// <summary>
    /// How ground-truth and prediction files pair up: the layout's suffixes, each overridable
    /// (<paramref name="auto"/> stands for "auto", the layout <see cref="PairingCheck.Auto"/> chose).
    /// </summary>
    public static PairLayout Layout(RunRequest r, PairLayout? auto = null)
    {
        var preset = r.Layout == "auto" ? auto ?? PairLayout.Plain
            : PairLayout.Presets.FirstOrDefault(p => p.Name == r.Layout).Layout
              ?? throw new InvalidRunSpecException($"layout '{r.Layout}' is not one of {string.Join(", ", LayoutNames)}");
        return preset with
        {
            GroundTruthSuffix = r.GroundTruthSuffix ?? preset.GroundTruthSuffix,
            PredictionSuffix = r.PredictionSuffix ?? preset.PredictionSuffix,
        };
    }
}
