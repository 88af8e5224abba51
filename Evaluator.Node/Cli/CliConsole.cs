using Spectre.Console;

namespace Evaluator.Node.Cli;

/// <summary>
/// The consoles the commands write to. On a terminal, Spectre's own (it knows the width). When
/// redirected (CI logs, pipes, files), a console that never wraps: Spectre's default of 80
/// columns would split paths, run ids and the throughput line in the middle; tables are as wide
/// as their content.
/// </summary>
internal static class CliConsole
{
    /// <summary>The width of a redirected console: wide enough that no line of ours wraps.</summary>
    public const int UnwrappedWidth = 100_000;

    /// <summary>Results (and, unless --json, messages and progress): standard output.</summary>
    public static IAnsiConsole Stdout() => Console.IsOutputRedirected ? Create(Console.Out, redirected: true) : AnsiConsole.Console;

    /// <summary>Errors and warnings: standard error.</summary>
    public static IAnsiConsole Stderr() => Create(Console.Error, Console.IsErrorRedirected);

    /// <summary>A console that writes nothing (--quiet).</summary>
    public static IAnsiConsole Null() => Create(TextWriter.Null, redirected: true);

    public static IAnsiConsole Create(TextWriter writer, bool redirected)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
        });
        if (redirected) console.Profile.Width = UnwrappedWidth;
        return console;
    }
}
