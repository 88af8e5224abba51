using System.Globalization;
using System.Text.RegularExpressions;

namespace Evaluator.Tests.Ops;

/// <summary>One sample of a Prometheus text exposition: name, labels, value.</summary>
internal sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string Label(string name) => Labels.TryGetValue(name, out var v) ? v : "";
}

/// <summary>
/// A strict reader of the Prometheus text format (0.0.4): every line is a # HELP, a # TYPE or a
/// sample <c>name{label="value",...} number</c>; anything else fails the test that reads it.
/// </summary>
internal static partial class PrometheusText
{
    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)( \d+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""(?<k>[a-zA-Z_][a-zA-Z0-9_]*)="(?<v>(\\.|[^"\\])*)",?""")]
    private static partial Regex LabelPair();

    [GeneratedRegex("""^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*$""")]
    private static partial Regex Comment();

    public static (List<Sample> Samples, Dictionary<string, string> Types) Parse(string text)
    {
        var samples = new List<Sample>();
        var types = new Dictionary<string, string>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0) continue;
            if (line.StartsWith('#'))
            {
                Assert.Matches(Comment(), line);
                var parts = line.Split(' ', 4);
                if (parts[1] == "TYPE") types[parts[2]] = parts[3];
                continue;
            }
            var m = SampleLine().Match(line);
            Assert.True(m.Success, $"not a Prometheus sample line: {line}");
            var labels = new Dictionary<string, string>();
            var rest = m.Groups["labels"].Value;
            var consumed = 0;
            foreach (Match l in LabelPair().Matches(rest))
            {
                labels[l.Groups["k"].Value] = l.Groups["v"].Value.Replace("\\\"", "\"").Replace("\\n", "\n").Replace("\\\\", "\\");
                consumed += l.Length;
            }
            Assert.True(consumed == rest.Length, $"bad labels in: {line}");
            var value = m.Groups["value"].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            samples.Add(new Sample(m.Groups["name"].Value, labels, value));
        }
        return (samples, types);
    }
}
