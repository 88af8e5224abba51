using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;
using Evaluator.Node.Actors;
using Microsoft.Extensions.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Evaluator.Node.Runtime.Logs;

/// <summary>
/// Akka's logger (<c>akka.loggers</c>): every Akka log event goes to the process's
/// Microsoft.Extensions.Logging pipeline (<see cref="LoggingSetup"/>; without one, human lines
/// on stderr). The record carries the event's template properties, and <c>RunId</c> /
/// <c>Partition</c> when the source is a run's coordinator or a partition's shard entity (read
/// from the entity's path, so actors need not repeat them). Hand-written: Akka.Logger.Serilog
/// is not published for Akka 1.5.73, and Akka ships no Microsoft.Extensions.Logging logger.
/// </summary>
internal sealed class AkkaLoggerBridge : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private readonly ILoggerFactory? _given;
    private ILoggerFactory? _owned;
    private readonly Dictionary<string, ILogger> _loggers = new(StringComparer.Ordinal);

    public AkkaLoggerBridge()
    {
        _given = Context.System.Settings.Setup.Get<LoggingSetup>().Value?.Factory;
        // Answered at once: the ActorSystem waits for its loggers (akka.logger-startup-timeout),
        // and building a factory is JIT work that a busy machine may take seconds over.
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(Log);
    }

    /// <summary>
    /// The process's factory, or for a system created without one (the CLI's: evaluate, submit,
    /// runs...) human lines on stderr at evaluator.log.level, whatever evaluator.log.format says:
    /// stdout is the command's output. Built at the first event.
    /// </summary>
    private ILoggerFactory Factory => _given
        ?? (_owned ??= new NodeLogging(LogFormat.Text, NodeLogging.From(Context.System.Settings.Config).Level).CreateFactory());

    protected override void PostStop() => _owned?.Dispose();

    private void Log(LogEvent e)
    {
        var category = e.LogClass?.FullName ?? "Akka";
        if (!_loggers.TryGetValue(category, out var logger)) _loggers[category] = logger = Factory.CreateLogger(category);
        var level = Level(e.LogLevel());
        if (!logger.IsEnabled(level)) return;
        var state = new List<KeyValuePair<string, object?>>();
        if (e.TryGetProperties(out var properties) && properties is not null)
        {
            foreach (var (key, value) in properties)
            {
                if (!int.TryParse(key, out _)) state.Add(new(key, value));
            }
        }
        var (run, partition) = Entity(e.LogSource);
        if (run is not null && state.All(p => p.Key != JsonLogFormatter.RunProperty)) state.Add(new(JsonLogFormatter.RunProperty, run));
        if (partition is not null && state.All(p => p.Key != JsonLogFormatter.PartitionProperty))
            state.Add(new(JsonLogFormatter.PartitionProperty, partition));
        state.Add(new("source", e.LogSource));
        var message = e.Message?.ToString() ?? "";
        logger.Log(level, default, state, e.Cause, (_, _) => message);
    }

    /// <summary>
    /// The run (and partition) of a sharded entity's path: <c>.../sharding/coordinator/&lt;shard&gt;/&lt;run&gt;</c>
    /// or <c>.../sharding/shard/&lt;shard&gt;/&lt;run&gt;~&lt;partition&gt;</c>.
    /// </summary>
    internal static (string? Run, int? Partition) Entity(string? source)
    {
        if (source is null) return (null, null);
        var parts = source.Split('#')[0].Split('/');
        for (var i = 0; i + 3 < parts.Length; i++)
        {
            if (parts[i] != "sharding") continue;
            var entity = Uri.UnescapeDataString(parts[i + 3]);
            if (parts[i + 1] == EntityIds.CoordinatorRegion) return (entity, null);
            if (parts[i + 1] == EntityIds.ShardRegion && entity.Contains('~'))
            {
                var (run, partition) = EntityIds.ParseShard(entity);
                return (run, partition);
            }
        }
        return (null, null);
    }

    private static LogLevel Level(Akka.Event.LogLevel level) => level switch
    {
        Akka.Event.LogLevel.DebugLevel => LogLevel.Debug,
        Akka.Event.LogLevel.InfoLevel => LogLevel.Information,
        Akka.Event.LogLevel.WarningLevel => LogLevel.Warning,
        _ => LogLevel.Error,
    };
}
