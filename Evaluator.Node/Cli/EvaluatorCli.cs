using System.CommandLine;
using Akka.Actor;
using Evaluator.Messages;
using Evaluator.Node.Runs;
using Evaluator.Node.Runtime;

namespace Evaluator.Node.Cli;

/// <summary>The command line: parses, dispatches, and maps failures to exit codes.</summary>
internal static class EvaluatorCli
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;
    public const int ExitBadInput = 3;

    /// <summary>The run completed, but --skip-bad skipped more pairs than --max-bad allows (default 0).</summary>
    public const int ExitSkipped = 4;

    /// <summary>Lost the cluster (or the server) mid-way, or could not reach a server: rerun later.</summary>
    public const int ExitUnavailable = 5;

    /// <summary>Stopped by Ctrl-C (SIGINT): 128 + 2.</summary>
    public const int ExitInterrupted = 130;

    /// <summary>Stopped by SIGTERM (a run; serve leaves the cluster and exits 0): 128 + 15.</summary>
    public const int ExitTerminated = 143;

    /// <summary>The process's SIGINT/SIGTERM handling while a command runs (set by <see cref="Run"/>).</summary>
    public static Interrupt? Interrupt => CurrentInterrupt.Value;

    /// <summary>The command line of the command running (after the program), for the command that resumes a run.</summary>
    public static IReadOnlyList<string> Arguments => CurrentArguments.Value ?? [];

    // Async-local: tests run the CLI in-process, several at once.
    private static readonly AsyncLocal<Interrupt?> CurrentInterrupt = new();
    private static readonly AsyncLocal<IReadOnlyList<string>?> CurrentArguments = new();

    /// <param name="frontEnd">What <c>serve</c> serves beside the cluster when configured (the HTTP API), if anything.</param>
    public static RootCommand Build(INodeFrontEnd? frontEnd = null)
    {
        var root = new RootCommand("Evaluator: exact int64 semantic-segmentation metrics (mean IoU and friends).");
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(ServeCommand.Create(frontEnd));
        root.Subcommands.Add(SubmitCommand.Create());
        root.Subcommands.Add(RunsCommand.Create());
        root.Subcommands.Add(RunControlCommands.Cancel());
        root.Subcommands.Add(RunControlCommands.Delete());
        root.Subcommands.Add(WatchCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(HealthCommand.Create());
        root.Subcommands.Add(BootstrapCommand.Create());
        root.Subcommands.Add(CompareCommand.Create());
        return root;
    }

    public static int Run(string[] args, INodeFrontEnd? frontEnd = null)
    {
        var parse = Build(frontEnd).Parse(args);
        if (parse.Errors.Count > 0)
        {
            UsageErrors.Print(parse, Console.Error);
            return ExitUsage;
        }
        // Signals are handled here, before any command starts (not by System.CommandLine, whose
        // handler gives a command 2 s and then abandons it): see Interrupt.
        using var interrupt = Cli.Interrupt.Register();
        CurrentInterrupt.Value = interrupt;
        CurrentArguments.Value = args;
        try
        {
            return parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null },
                    interrupt.Token)
                .GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is InvalidRunSpecException or LabelMapFormatException or RunRejectedException
                                       or ClusterJoinTimeoutException or Akka.Configuration.ConfigurationException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitUsage;
        }
        catch (EvaluatorException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitBadInput;
        }
        // The last line of defence: the commands handle these where they know more (the run id,
        // the command that resumes); none of them ends in a stack trace.
        catch (OperationCanceledException) when (interrupt.Requested)
        {
            Console.Error.WriteLine($"stopped by {interrupt.SignalName}");
            return interrupt.ExitCode;
        }
        catch (Exception e) when (e is AskTimeoutException or TimeoutException or OperationCanceledException)
        {
            Console.Error.WriteLine($"error: no answer in time ({e.Message}): lost the cluster?");
            return ExitUnavailable;
        }
        catch (HttpRequestException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitUnavailable;
        }
        // Anything else (a file that cannot be written, a directory that vanished...): the message,
        // never a stack trace.
        catch (ArgumentException e)
        {
            // A value the parser let through but the command cannot use (a port out of range...).
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitUsage;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException
                                       or NotSupportedException or System.Text.Json.JsonException or InvalidOperationException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitFailure;
        }
        finally
        {
            CurrentInterrupt.Value = null;
            CurrentArguments.Value = null;
        }
    }
}
