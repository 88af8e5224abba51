using System.CommandLine;
using System.Globalization;
using Evaluator.Messages;
using Evaluator.Node.Runs;

namespace Evaluator.Node.Cli;

/// <summary>
/// The statistics options shared by <c>bootstrap</c> and <c>compare</c> (<c>evaluate</c> and
/// <c>submit</c> have their own, off by default: <see cref="RunOptions"/>): --bootstrap B, --seed S, --confidence C; and the class options that
/// name and select classes of a per-image file: --classes, --class-names, --target-classes.
/// </summary>
internal sealed class BootstrapArguments
{
    private readonly Option<int> _resamples;
    private readonly Option<long> _seed = new("--seed")
    {
        Description = "Seed of the resampling: the same seed gives the same intervals, on any machine.",
        DefaultValueFactory = _ => BootstrapOptions.DefaultSeed,
    };
    private readonly Option<double> _confidence = new("--confidence")
    {
        Description = "Confidence level of the percentile intervals, in (0, 1).",
        DefaultValueFactory = _ => BootstrapOptions.DefaultConfidence,
    };
    private readonly Option<int?> _classes = new("--classes") { Description = "Number of classes C (default: one more than the largest class id in the file(s))." };
    private readonly Option<string?> _names = new("--class-names") { Description = $"File with one class name per line, or a preset: {ClassNamePresets.List}." };
    private readonly Option<int[]> _targets = new("--target-classes") { Description = "Take the means over these classes only.", AllowMultipleArgumentsPerToken = true };

    /// <param name="defaultResamples">The default of --bootstrap (0: off).</param>
    public BootstrapArguments(Command cmd, int defaultResamples, string resamplesDescription)
    {
        _resamples = new("--bootstrap") { Description = resamplesDescription, DefaultValueFactory = _ => defaultResamples };
        _names.Validators.Add(v =>
        {
            if (v.GetValueOrDefault<string?>() is { } name && RunOptions.ClassNamesProblem(name) is { } problem) v.AddError(problem);
        });
        _resamples.Validators.Add(v =>
        {
            var n = v.GetValueOrDefault<int>();
            if (n is < 0 or > BootstrapOptions.MaxResamples)
                v.AddError($"--bootstrap {n}: the number of resamples must be between 1 and {BootstrapOptions.MaxResamples:N0} (0: none)");
        });
        _confidence.Validators.Add(v =>
        {
            var c = v.GetValueOrDefault<double>();
            if (!(c is > 0 and < 1)) v.AddError($"--confidence {c.ToString(CultureInfo.InvariantCulture)}: must be strictly between 0 and 1 (e.g. 0.95)");
        });
        _classes.Validators.Add(v =>
        {
            if (v.GetValueOrDefault<int?>() is { } c && c is < RunSpec.MinClasses or > RunSpec.MaxClasses)
                v.AddError($"--classes {c}: must be between {RunSpec.MinClasses} and {RunSpec.MaxClasses}");
        });
        foreach (var o in new Option[] { _resamples, _seed, _confidence, _classes, _names, _targets }) cmd.Options.Add(o);
    }

    /// <summary>The bootstrap asked for, or null with --bootstrap 0.</summary>
    public BootstrapOptions? Bootstrap(ParseResult r) =>
        r.GetValue(_resamples) is > 0 and var n ? new BootstrapOptions(n, r.GetValue(_seed), r.GetValue(_confidence)) : null;

    public IReadOnlyList<string>? ClassNames(ParseResult r) => r.GetValue(_names) switch
    {
        null => null,
        var name when ClassNamePresets.Find(name) is { } preset => preset,
        var path => RunSpec.ReadClassNames(path),
    };

    /// <summary>--classes, else the number of --class-names.</summary>
    public int? Classes(ParseResult r) => r.GetValue(_classes) ?? ClassNames(r)?.Count;

    public int[] TargetClasses(ParseResult r) => r.GetValue(_targets) ?? [];
}
