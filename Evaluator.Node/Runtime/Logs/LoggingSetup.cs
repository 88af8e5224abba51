using Akka.Actor.Setup;
using Microsoft.Extensions.Logging;

namespace Evaluator.Node.Runtime.Logs;

/// <summary>
/// The process's <see cref="ILoggerFactory"/>, handed to an ActorSystem at creation (an Akka
/// <see cref="Setup"/>: no static state), where <see cref="AkkaLoggerBridge"/> finds it.
/// </summary>
internal sealed class LoggingSetup(ILoggerFactory factory) : Setup
{
    public ILoggerFactory Factory { get; } = factory;
}
