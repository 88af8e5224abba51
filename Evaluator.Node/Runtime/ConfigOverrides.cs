using System.Globalization;
using System.Text;
using Akka.Configuration;

namespace Evaluator.Node.Runtime;

/// <summary>
/// Typed configuration overrides (command-line options, environment variables, computed values
/// such as connection strings), set by HOCON path and rendered to a <see cref="Config"/> in one
/// place, with every key segment and string value quoted. A later value of a key wins.
/// </summary>
internal sealed class ConfigOverrides
{
    private readonly List<(string Key, object Value)> _values = [];

    public bool IsEmpty => _values.Count == 0;

    public ConfigOverrides Set(string key, string value) => Add(key, value);

    public ConfigOverrides Set(string key, long value) => Add(key, value);

    public ConfigOverrides Set(string key, bool value) => Add(key, value);

    public ConfigOverrides Set(string key, IEnumerable<string> values) => Add(key, values.ToArray());

    /// <summary>A list given as comma-separated text (as in EVALUATOR_SEED_NODES or --roles).</summary>
    public ConfigOverrides SetCommaSeparated(string key, string csv) =>
        Set(key, csv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>Every override of <paramref name="other"/>, over those set here.</summary>
    public ConfigOverrides Add(ConfigOverrides other)
    {
        _values.AddRange(other._values);
        return this;
    }

    /// <summary>The overrides of a cluster node's options (serve, submit): each one optional.</summary>
    public static ConfigOverrides Cluster(string? hostname, int? port, string? seeds, string? roles, string? dataDir)
    {
        var o = new ConfigOverrides();
        if (hostname is not null) o.Set("akka.remote.dot-netty.tcp.hostname", hostname);
        if (port is { } p) o.Set("akka.remote.dot-netty.tcp.port", p);
        if (seeds is not null) o.SetCommaSeparated("akka.cluster.seed-nodes", seeds);
        if (roles is not null) o.SetCommaSeparated("akka.cluster.roles", roles);
        if (dataDir is not null) o.Set("evaluator.data-dir", dataDir);
        return o;
    }

    /// <summary>The HOCON text of the overrides: one <c>key = value</c> line each.</summary>
    public string ToHocon()
    {
        var sb = new StringBuilder();
        foreach (var (key, value) in _values) sb.Append(Path(key)).Append(" = ").Append(Value(value)).Append('\n');
        return sb.ToString();
    }

    /// <summary>The overrides as a Config over <paramref name="fallback"/> (or alone).</summary>
    public Config ToConfig(Config? fallback = null)
    {
        var config = IsEmpty ? Config.Empty : ConfigurationFactory.ParseString(ToHocon());
        return fallback is null ? config : config.WithFallback(fallback);
    }

    /// <summary>A HOCON quoted string: backslashes, quotes and control characters escaped.</summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '"': sb.Append("\\\""); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case < ' ': sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"); break;
                default: sb.Append(c); break;
            }
        }
        return sb.Append('"').ToString();
    }

    private ConfigOverrides Add(string key, object value)
    {
        if (key.Split('.').Any(s => s.Length == 0))
            throw new ArgumentException($"'{key}' is not a configuration path", nameof(key));
        _values.Add((key, value));
        return this;
    }

    /// <summary>A dotted path with each segment that is not a plain word quoted.</summary>
    private static string Path(string key) =>
        string.Join('.', key.Split('.').Select(s => s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') ? s : Quote(s)));

    private static string Value(object value) => value switch
    {
        string s => Quote(s),
        long l => l.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        string[] list => "[" + string.Join(", ", list.Select(Quote)) + "]",
        _ => throw new InvalidOperationException($"unexpected override value {value.GetType().Name}"),
    };
}
