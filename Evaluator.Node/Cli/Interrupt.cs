using System.Runtime.InteropServices;

namespace Evaluator.Node.Cli;

/// <summary>
/// SIGINT (Ctrl-C) and SIGTERM for the whole process, registered before any command starts (so
/// that they work in every state, a node still joining included): the first one cancels
/// <see cref="Token"/> and lets the command stop in order; a second one exits at once.
/// </summary>
internal sealed class Interrupt : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly PosixSignalRegistration[] _registrations;
    private int _signals;

    private Interrupt()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
    }

    public static Interrupt Register() => new();

    public CancellationToken Token => _cts.Token;

    public bool Requested => _cts.IsCancellationRequested;

    /// <summary>The signal that cancelled <see cref="Token"/> (SIGINT or SIGTERM), if any.</summary>
    public PosixSignal? Signal { get; private set; }

    /// <summary>The exit code of a command stopped by <see cref="Signal"/>: 130 for SIGINT, 143 for SIGTERM.</summary>
    public int ExitCode => Signal == PosixSignal.SIGTERM ? EvaluatorCli.ExitTerminated : EvaluatorCli.ExitInterrupted;

    public string SignalName => Signal == PosixSignal.SIGTERM ? "SIGTERM" : "SIGINT";

    private void OnSignal(PosixSignalContext ctx)
    {
        ctx.Cancel = true; // the command stops in order, then returns its exit code
        if (Interlocked.Increment(ref _signals) > 1)
        {
            Console.Error.WriteLine($"{ctx.Signal} again: exiting now");
            Environment.Exit(ctx.Signal == PosixSignal.SIGTERM ? EvaluatorCli.ExitTerminated : EvaluatorCli.ExitInterrupted);
        }
        Signal = ctx.Signal;
        // Off the signal thread: cancellation callbacks may block.
        _ = Task.Run(_cts.Cancel);
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _cts.Dispose();
    }
}
