using System.CommandLine;
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

    /// <param name="frontEnd">What <c>serve</c> serves beside the cluster when configured (the HTTP API), if anything.</param>
    public static RootCommand Build(INodeFrontEnd? frontEnd = null)
    {
        var root = new RootCommand("Evaluator: exact int64 semantic-segmentation metrics (mean IoU and friends).");
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(ServeCommand.Create(frontEnd));
        root.Subcommands.Add(SubmitCommand.Create());
        root.Subcommands.Add(RunsCommand.Create());
        root.Subcommands.Add(WatchCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        return root;
    }

    public static int Run(string[] args, INodeFrontEnd? frontEnd = null)
    {
        var parse = Build(frontEnd).Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine("Run 'evaluator --help' for usage.");
            return ExitUsage;
        }
        try
        {
            return parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false })
                .GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is InvalidRunSpecException or LabelMapFormatException or RunRejectedException
                                       or Akka.Configuration.ConfigurationException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitUsage;
        }
        catch (EvaluatorException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitBadInput;
        }
    }
}
