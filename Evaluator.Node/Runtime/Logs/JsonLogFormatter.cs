using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Evaluator.Node.Runtime.Logs;

internal sealed class JsonLogFormatterOptions : ConsoleFormatterOptions
{
    public LogFields Fields { get; set; } = new();
}

/// <summary>
/// One JSON object per line with flat fields: <c>time</c>, <c>level</c>, <c>message</c>,
/// <c>category</c>, <c>node</c>, and <c>run</c> / <c>partition</c> when the record names them
/// (template properties RunId / Partition), then the record's other template properties and
/// <c>exception</c>. Written as a console formatter (Microsoft.Extensions.Logging's extension
/// point) rather than with the built-in JSON formatter, whose fields are nested (State, Scopes)
/// and named differently (Timestamp, LogLevel) from what log pipelines index.
/// </summary>
internal sealed class JsonLogFormatter : ConsoleFormatter
{
    /// <summary>Template properties that become the top-level fields run and partition.</summary>
    public const string RunProperty = "RunId";

    public const string PartitionProperty = "Partition";

    private readonly JsonLogFormatterOptions _options;

    /// <summary>Log text as written (a '+' or a quote in a message stays readable); still valid JSON.</summary>
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public JsonLogFormatter(Microsoft.Extensions.Options.IOptionsMonitor<JsonLogFormatterOptions> options)
        : base(NodeLogging.JsonFormatterName) => _options = options.CurrentValue;

    public override void Write<TState>(in LogEntry<TState> entry, IExternalScopeProvider? scopes, TextWriter writer)
    {
        var message = entry.Formatter?.Invoke(entry.State, entry.Exception) ?? entry.State?.ToString() ?? "";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("time", DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("level", Level(entry.LogLevel));
            json.WriteString("message", message);
            json.WriteString("category", entry.Category);
            if (_options.Fields.Node is { } node) json.WriteString("node", node);
            if (entry.State is IReadOnlyList<KeyValuePair<string, object?>> properties)
            {
                foreach (var (key, value) in properties)
                {
                    if (key == "{OriginalFormat}") continue;
                    var name = key switch
                    {
                        RunProperty => "run",
                        PartitionProperty => "partition",
                        _ => key,
                    };
                    if (name is "time" or "level" or "message" or "category" or "node") continue;
                    WriteValue(json, name, value);
                }
            }
            if (entry.Exception is { } e) json.WriteString("exception", e.ToString());
            json.WriteEndObject();
        }
        writer.Write(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        writer.Write('\n');
    }

    private static void WriteValue(Utf8JsonWriter json, string name, object? value)
    {
        switch (value)
        {
            case null: json.WriteNull(name); break;
            case int i: json.WriteNumber(name, i); break;
            case long l: json.WriteNumber(name, l); break;
            case double d when double.IsFinite(d): json.WriteNumber(name, d); break;
            case bool b: json.WriteBoolean(name, b); break;
            default: json.WriteString(name, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)); break;
        }
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warning",
        LogLevel.Error => "error",
        LogLevel.Critical => "critical",
        _ => "none",
    };
}
