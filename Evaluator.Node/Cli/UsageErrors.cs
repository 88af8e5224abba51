using System.CommandLine;
using System.CommandLine.Parsing;

namespace Evaluator.Node.Cli;

/// <summary>
/// Usage errors as a user can act on them: the parser's errors, the nearest command or option
/// for a typo ("did you mean 'evaluate'?"), and the help of the command actually run.
/// </summary>
internal static class UsageErrors
{
    public static void Print(ParseResult parse, TextWriter err)
    {
        var command = parse.CommandResult.Command;
        var unmatched = parse.UnmatchedTokens;
        foreach (var e in parse.Errors)
        {
            // "Required command was not provided" says nothing more when the user typed a wrong one.
            if (unmatched.Count > 0 && command.Subcommands.Count > 0 && e.SymbolResult is CommandResult && e.Message.Contains("Required command"))
                continue;
            err.WriteLine($"error: {e.Message}");
        }
        foreach (var token in unmatched)
        {
            var option = token.StartsWith('-');
            var candidates = option
                ? command.Options.Concat(Ancestors(parse.CommandResult).SelectMany(c => c.Options.Where(o => o.Recursive)))
                    .Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name))
                : command.Subcommands.Where(c => !c.Hidden).SelectMany(c => c.Aliases.Prepend(c.Name));
            if (Nearest(token, candidates) is { } near)
                err.WriteLine($"did you mean '{near}'? ({(option ? "an option" : "a command")} of '{CommandPath(parse.CommandResult)}')");
        }
        err.WriteLine($"Run '{CommandPath(parse.CommandResult)} --help' for usage.");
    }

    /// <summary>The command line of the command run, e.g. <c>evaluator evaluate</c>.</summary>
    public static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
        {
            if (r is CommandResult c) names.Add(c.Command is RootCommand ? "evaluator" : c.Command.Name);
        }
        names.Reverse();
        return string.Join(' ', names);
    }

    private static IEnumerable<Command> Ancestors(CommandResult result)
    {
        for (var r = result.Parent; r is not null; r = r.Parent)
        {
            if (r is CommandResult c) yield return c.Command;
        }
    }

    /// <summary>The candidate nearest to <paramref name="typed"/> (edit distance, or a prefix), if near enough.</summary>
    public static string? Nearest(string typed, IEnumerable<string> candidates)
    {
        var name = typed.Split('=', ':')[0];
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var c in candidates.Distinct())
        {
            var d = c.StartsWith(name, StringComparison.OrdinalIgnoreCase) && name.TrimStart('-').Length >= 3 ? 0 : Distance(name, c);
            if (d < bestDistance)
            {
                best = c;
                bestDistance = d;
            }
        }
        return best is not null && bestDistance <= Math.Max(1, name.TrimStart('-').Length / 3) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        a = a.ToLowerInvariant();
        b = b.ToLowerInvariant();
        // Optimal string alignment: insertions, deletions, substitutions and swaps of neighbours cost 1.
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i, j - 1] + 1, d[i - 1, j] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
