using System.Text;
using System.Text.RegularExpressions;

namespace Evaluator.Node.Cli;

/// <summary>
/// The exact command that resumes an interrupted run: this process's command line with
/// <c>--run-id ID</c> added when it was not given, quoted for a POSIX shell.
/// </summary>
internal static partial class ResumeCommand
{
    [GeneratedRegex(@"^[A-Za-z0-9_@%+=:,./-]+$")]
    private static partial Regex Plain();

    /// <param name="args">The command line after the program (as <see cref="EvaluatorCli.Run"/> got it).</param>
    public static string For(IReadOnlyList<string> args, string runId)
    {
        var words = new List<string>(Program());
        words.AddRange(args);
        if (!args.Any(a => a == "--run-id" || a.StartsWith("--run-id=", StringComparison.Ordinal) || a.StartsWith("--run-id:", StringComparison.Ordinal)))
        {
            words.Add("--run-id");
            words.Add(runId);
        }
        return string.Join(' ', words.Select(Quote));
    }

    /// <summary>How this program was started: its apphost, or <c>dotnet evaluator.dll</c>.</summary>
    private static IEnumerable<string> Program()
    {
        var process = Environment.ProcessPath;
        if (process is null) return ["evaluator"];
        if (!Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase)) return [process];
        // Under `dotnet`, the app's .dll lies in the base directory (Assembly.Location would be
        // empty in a single-file build, which never runs under `dotnet` but compiles this too).
        var dll = Path.Combine(AppContext.BaseDirectory, typeof(ResumeCommand).Assembly.GetName().Name + ".dll");
        return File.Exists(dll) ? ["dotnet", dll] : ["evaluator"];
    }

    public static string Quote(string word)
    {
        if (word.Length > 0 && Plain().IsMatch(word)) return word;
        var sb = new StringBuilder("'");
        foreach (var c in word)
        {
            if (c == '\'') sb.Append("'\\''");
            else sb.Append(c);
        }
        return sb.Append('\'').ToString();
    }
}
