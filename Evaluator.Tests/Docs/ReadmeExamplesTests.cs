using System.Text;
using System.Text.RegularExpressions;
using Evaluator.Tests.Support;
using Xunit.Abstractions;

namespace Evaluator.Tests.Docs;

/// <summary>
/// README's marked examples, run with the built program: each <c>&lt;!-- example: NAME --&gt;</c>
/// code block holds one <c>dotnet run --project Evaluator.Node -c Release -- …</c> command, and
/// the <c>&lt;!-- output: NAME --&gt;</c> block shows (part of) what it prints. Every line shown
/// must appear in the program's stdout, compared after turning table borders into spaces and
/// whitespace runs (line breaks included) into one space; <c>...</c> in a shown line stands for
/// any text, so a line that is only <c>...</c> shows elided lines.
/// </summary>
/// <remarks>
/// The command runs in a fresh temporary working directory (so <c>--report report.json</c> and
/// the default <c>evaluator-data/</c> land there), with arguments naming a file or folder of the
/// repository (<c>samples/…</c>) turned into absolute paths. Only the .NET SDK is needed: fast lane.
/// </remarks>
[Collection("processes")]
public sealed partial class ReadmeExamplesTests(ITestOutputHelper output)
{
    private const string RunPrefix = "dotnet run --project Evaluator.Node -c Release --";
    private static readonly TimeSpan ExampleTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The examples README must keep marked (issue #14 item 6).</summary>
    private static readonly string[] Required = ["sample", "demo"];

    [GeneratedRegex(@"^<!--\s*(example|output):\s*(\S+)\s*-->$")]
    private static partial Regex MarkerPattern();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    private sealed record Block(string Kind, string Name, int Line, IReadOnlyList<string> Lines);

    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (var block in Blocks().Where(b => b.Kind == "example")) data.Add(block.Name);
        return data;
    }

    [Fact]
    public void Readme_marks_its_examples_in_pairs()
    {
        var blocks = Blocks();
        var problems = new List<string>();
        foreach (var group in blocks.GroupBy(b => b.Name))
        {
            var examples = group.Count(b => b.Kind == "example");
            var outputs = group.Count(b => b.Kind == "output");
            if (examples != 1 || outputs != 1)
                problems.Add($"'{group.Key}': {examples} example block(s) and {outputs} output block(s) (lines {string.Join(", ", group.Select(b => b.Line))}); want one of each");
        }
        foreach (var name in Required.Where(n => blocks.All(b => b.Name != n)))
            problems.Add($"'{name}' is not marked as an example");
        Assert.True(problems.Count == 0, "README.md's example markers:\n  " + string.Join("\n  ", problems));
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Readme_example_prints_what_readme_shows(string name)
    {
        var blocks = Blocks().Where(b => b.Name == name).ToList();
        var example = blocks.Single(b => b.Kind == "example");
        var shown = blocks.SingleOrDefault(b => b.Kind == "output")
                    ?? throw new Xunit.Sdk.XunitException($"README example '{name}' (line {example.Line}) has no <!-- output: {name} --> block");
        var commands = example.Lines.Select(l => l.Trim()).Where(l => l.StartsWith(RunPrefix + " ", StringComparison.Ordinal)).ToList();
        Assert.True(commands.Count == 1,
            $"README example '{name}' (line {example.Line}) should hold exactly one '{RunPrefix} …' command, holds {commands.Count}");

        var root = RepoFiles.RepoRoot();
        var args = ChildProcess.ShellWords(commands[0][RunPrefix.Length..])
            .Select(w => !w.StartsWith('-') && (File.Exists(Path.Combine(root, w)) || Directory.Exists(Path.Combine(root, w)))
                ? Path.GetFullPath(Path.Combine(root, w))
                : w)
            .ToList();
        var workDir = TestEnvironment.TempDir("readme-" + name);
        output.WriteLine($"README example '{name}': evaluator {string.Join(' ', args)}  (in {workDir})");

        int exit;
        string stdout, transcript;
        try
        {
            using var child = ChildProcess.StartEvaluator(args, workingDirectory: workDir);
            exit = child.WaitForExit(ExampleTimeout);
            stdout = child.Stdout;
            transcript = child.Transcript;
        }
        finally
        {
            Directory.Delete(workDir, recursive: true);
        }
        output.WriteLine(transcript);
        Assert.True(exit == 0, $"README example '{name}' (line {example.Line}) exited with {exit}\n{transcript}");

        var printed = Normalise(stdout);
        var missing = shown.Lines.Where(l => !Shows(printed, l)).ToList();
        if (missing.Count > 0)
        {
            var report = new StringBuilder();
            report.AppendLine($"README example '{name}': {missing.Count} of the lines shown at README.md line {shown.Line} are not in the program's output.");
            report.AppendLine("--- shown in README, not printed ---");
            foreach (var line in missing) report.AppendLine("- " + line);
            report.AppendLine("--- printed (stdout) ---");
            report.Append(stdout);
            throw new Xunit.Sdk.XunitException(report.ToString());
        }
    }

    /// <summary>Whether the whitespace-normalised output holds a shown line, its <c>...</c> matching any text.</summary>
    private static bool Shows(string printed, string shownLine)
    {
        var at = 0;
        foreach (var piece in shownLine.Split("...").Select(Normalise).Where(p => p.Length > 0))
        {
            var found = printed.IndexOf(piece, at, StringComparison.Ordinal);
            if (found < 0) return false;
            at = found + piece.Length;
        }
        return true;
    }

    /// <summary>Box-drawing characters (table borders) become spaces, whitespace runs one space.</summary>
    private static string Normalise(string text)
    {
        var chars = text.Select(c => c is >= '\u2500' and <= '\u257F' ? ' ' : c).ToArray();
        return Whitespace().Replace(new string(chars), " ").Trim();
    }

    /// <summary>README's marked code blocks: a marker line, then (blank lines allowed) a fenced block.</summary>
    private static List<Block> Blocks()
    {
        var lines = File.ReadAllLines(Path.Combine(RepoFiles.RepoRoot(), "README.md"));
        var blocks = new List<Block>();
        for (var i = 0; i < lines.Length; i++)
        {
            var marker = MarkerPattern().Match(lines[i].Trim());
            if (!marker.Success) continue;
            var open = i + 1;
            while (open < lines.Length && lines[open].Trim().Length == 0) open++;
            if (open == lines.Length || !lines[open].TrimStart().StartsWith("```", StringComparison.Ordinal))
                throw new FormatException($"README.md line {i + 1}: {lines[i].Trim()} is not followed by a ``` block");
            var close = open + 1;
            while (close < lines.Length && lines[close].Trim() != "```") close++;
            if (close == lines.Length) throw new FormatException($"README.md line {open + 1}: the ``` block is not closed");
            blocks.Add(new Block(marker.Groups[1].Value, marker.Groups[2].Value, open + 1, lines[(open + 1)..close]));
            i = close;
        }
        return blocks;
    }
}
