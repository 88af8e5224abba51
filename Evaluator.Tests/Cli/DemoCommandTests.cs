using Evaluator.Node.Cli;

namespace Evaluator.Tests.Cli;

public class DemoCommandTests
{
    [Fact]
    public void Demo_passes_2_pow_24_in_a_cell_and_its_exact_count_matches_the_recount()
    {
        // 25 M pixels, 70 % class 0 ground truth, 90 % right: cell (0, 0) ends past 2^24.
        Assert.Equal(EvaluatorCli.ExitOk, EvaluatorCli.Run(["demo", "--pixels", "25000000", "--batch", "65536"]));
    }

    [Fact]
    public void Bad_usage_exits_2()
    {
        Assert.Equal(EvaluatorCli.ExitUsage, EvaluatorCli.Run(["demo", "--pixels", "many"]));
        Assert.Equal(EvaluatorCli.ExitUsage, EvaluatorCli.Run(["no-such-command"]));
        Assert.Equal(EvaluatorCli.ExitUsage, EvaluatorCli.Run(["demo", "--classes", "0"]));
    }
}
