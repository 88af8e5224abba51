using Akka.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Evaluator.Node.Runtime.Logs;

/// <summary>How log records are written: one JSON object per line on stdout (<c>serve</c>), or human lines on stderr (the CLI).</summary>
internal enum LogFormat
{
    Text,
    Json,
}

/// <summary>
/// The <c>evaluator.log { }</c> section and the <see cref="ILoggerFactory"/> built from it: the
/// one logging pipeline of a process (Microsoft.Extensions.Logging). Akka's events reach it
/// through <see cref="AkkaLoggerBridge"/>, Kestrel's through the web host, the commands' own
/// lines through <see cref="ILogger"/>.
/// </summary>
internal sealed record NodeLogging(LogFormat Format, LogLevel Level)
{
    /// <summary>The formatter name of <see cref="JsonLogFormatter"/>.</summary>
    public const string JsonFormatterName = "evaluator-json";

    public static NodeLogging From(Config config)
    {
        var c = config.GetConfig("evaluator.log");
        var format = (c?.GetString("format", "text") ?? "text").ToLowerInvariant() switch
        {
            "json" => LogFormat.Json,
            "text" => LogFormat.Text,
            var other => throw new ConfigurationException($"evaluator.log.format '{other}' must be json or text"),
        };
        var level = c?.GetString("level", "") ?? "";
        return new NodeLogging(format, level.Length == 0 ? LogLevel.Information : ParseLevel(level));
    }

    /// <summary>A MEL level from its name (Trace, Debug, Information/Info, Warning/Warn, Error, Critical, None), any case.</summary>
    public static LogLevel ParseLevel(string level) => level.Trim().ToLowerInvariant() switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "information" or "info" => LogLevel.Information,
        "warning" or "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "critical" => LogLevel.Critical,
        "none" or "off" => LogLevel.None,
        _ => throw new ConfigurationException(
            $"evaluator.log.level '{level}' must be one of Trace, Debug, Information, Warning, Error, Critical, None"),
    };

    /// <summary>Akka's own level name for a MEL level (akka.loglevel follows evaluator.log.level when that is set).</summary>
    public static string AkkaLevel(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "DEBUG",
        LogLevel.Information => "INFO",
        LogLevel.Warning => "WARNING",
        LogLevel.Error or LogLevel.Critical => "ERROR",
        _ => "OFF",
    };

    /// <summary>
    /// The factory: JSON lines on stdout carrying <paramref name="fields"/> (the node's address),
    /// or Microsoft's simple console formatter on stderr. ASP.NET Core's own categories log from
    /// Warning (a request line per request would drown the node's lines).
    /// </summary>
    public ILoggerFactory CreateFactory(LogFields? fields = null) => LoggerFactory.Create(b =>
    {
        b.SetMinimumLevel(Level);
        b.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        b.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        if (Format == LogFormat.Json)
        {
            b.AddConsole(o => o.FormatterName = JsonFormatterName);
            b.AddConsoleFormatter<JsonLogFormatter, JsonLogFormatterOptions>(o => o.Fields = fields ?? new LogFields());
        }
        else
        {
            b.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            b.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
                o.UseUtcTimestamp = true;
            });
        }
    });
}

/// <summary>Fields every JSON line carries that are known only once the node runs (its cluster address).</summary>
internal sealed class LogFields
{
    private volatile string? _node;

    public string? Node
    {
        get => _node;
        set => _node = value;
    }
}
