using Akka.Event;

namespace Evaluator.Node.Runtime.Logs;

/// <summary>
/// Akka's minimal logger (<c>akka.stdout-logger-class</c>: what Akka writes before its loggers
/// start and after they stop, at shutdown) on stderr instead of stdout: stdout is a command's
/// output, or <c>serve</c>'s JSON lines, and must hold nothing else.
/// </summary>
internal sealed class StderrLogger : MinimalLogger
{
    protected override void Log(object message)
    {
        if (message is LogEvent e) Console.Error.WriteLine(e.ToString());
    }
}
