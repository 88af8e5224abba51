using Evaluator.Tests.Support;

namespace Evaluator.Tests.Cli;

/// <summary>
/// Usage errors of the real program: exit 2, a message on stderr that says what to type, help
/// of the command run, no stack trace and no resume advice.
/// </summary>
[Trait("Category", "Services")]
[Collection("processes")]
public sealed class UsageErrorTests
{
    private static (int Exit, ChildProcess Child) Run(params string[] args)
    {
        var child = ChildProcess.StartEvaluator(args);
        return (child.WaitForExit(TimeSpan.FromSeconds(60)), child);
    }

    private static void AssertClean(ChildProcess child)
    {
        Assert.DoesNotContain("   at ", child.Stdout + child.Stderr);
        Assert.DoesNotContain("Exception", child.Stdout + child.Stderr);
        Assert.DoesNotContain("resume", child.Stdout + child.Stderr);
    }

    [Fact]
    public void A_typo_in_a_command_suggests_the_nearest()
    {
        var (exit, child) = Run("evaluat");
        using (child)
        {
            Assert.Equal(2, exit);
            Assert.Contains("did you mean 'evaluate'?", child.Stderr);
            Assert.Contains("Run 'evaluator --help' for usage.", child.Stderr);
            Assert.Equal("", child.Stdout.Trim());
            AssertClean(child);
        }
    }

    [Fact]
    public void A_typo_in_an_option_suggests_the_nearest_and_the_help_of_the_command_run()
    {
        var (exit, child) = Run("evaluate", "--gt", "g", "--pred", "p", "--classes", "3", "--skip-bda");
        using (child)
        {
            Assert.Equal(2, exit);
            Assert.Contains("did you mean '--skip-bad'?", child.Stderr);
            Assert.Contains("Run 'evaluator evaluate --help' for usage.", child.Stderr);
            AssertClean(child);
        }
        var (exit2, child2) = Run("submit", "--jsno");
        using (child2)
        {
            Assert.Equal(2, exit2);
            Assert.Contains("did you mean '--json'?", child2.Stderr);
            Assert.Contains("Run 'evaluator submit --help' for usage.", child2.Stderr);
        }
    }

    [Fact]
    public void Class_names_neither_preset_nor_file_says_so_with_the_presets()
    {
        var (exit, child) = Run("evaluate", "--gt", "g", "--pred", "p", "--classes", "3", "--class-names", "ade20k-no-such");
        using (child)
        {
            Assert.Equal(2, exit);
            Assert.Contains("--class-names 'ade20k-no-such' is neither a preset nor a file: presets are cityscapes", child.Stderr);
            AssertClean(child);
        }
    }

    [Fact]
    public void Out_of_range_is_shown_as_typed_and_parsed_in_any_case()
    {
        var (exit, help) = Run("evaluate", "--help");
        using (help)
        {
            Assert.Equal(0, exit);
            Assert.Contains("--out-of-range <error|ignore>", help.Stdout);
            Assert.Contains("[default: error]", help.Stdout);
            Assert.Contains("--max-bad <N|P%>", help.Stdout);
            Assert.DoesNotContain("<Error|Ignore>", help.Stdout);
        }
        var (bad, child) = Run("evaluate", "--gt", "g", "--pred", "p", "--classes", "3", "--out-of-range", "sometimes");
        using (child)
        {
            Assert.Equal(2, bad);
            Assert.Contains("'sometimes' is not one of: error, ignore", child.Stderr);
            AssertClean(child);
        }
    }

    [Fact]
    public void Bad_max_bad_is_a_usage_error()
    {
        var (exit, child) = Run("evaluate", "--gt", "g", "--pred", "p", "--classes", "3", "--max-bad", "lots");
        using (child)
        {
            Assert.Equal(2, exit);
            Assert.Contains("--max-bad: 'lots'", child.Stderr);
            AssertClean(child);
        }
    }

    [Theory]
    [InlineData(1, "generate", "--out", "/proc/no-such-dir", "--pairs", "1")]
    [InlineData(1, "watch", "--url", "not-a-url", "--run", "x")]
    [InlineData(2, "serve", "--port", "99999")]
    [InlineData(3, "bench", "--files", "/no/such/dir")]
    [InlineData(2, "demo", "--pixels", "-5")]
    public void No_command_ends_in_a_stack_trace_on_a_user_error(int expected, params string[] args)
    {
        var (exit, child) = Run(args);
        using (child)
        {
            Assert.True(exit == expected, $"exit {exit}\n{child.Transcript}");
            Assert.StartsWith("error: ", child.Stderr.TrimStart());
            AssertClean(child);
        }
    }
}
