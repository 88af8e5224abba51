using Evaluator.Node.Cli;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.EndToEnd;

/// <summary>
/// The benchmark commands are tools, not tests of speed: these check only that they run and that
/// their own exactness checks hold (every way of counting gives the same matrix).
/// </summary>
public class BenchCommandTests
{
    [Fact]
    public void Bench_files_counts_a_dataset_mapped_and_pooled_to_the_same_matrix()
    {
        var ds = new Dataset(TestEnvironment.TempDir("bench-files"), Dataset.Format.NpyU8, 4, 64, 32, 19, seed: 11);
        Assert.Equal(EvaluatorCli.ExitOk, EvaluatorCli.Run(["bench", "--files", ds.Root, "--classes", "19", "--repeats", "2"]));
    }

    [Fact]
    public void Bench_files_names_a_folder_without_pairs()
    {
        var empty = TestEnvironment.TempDir("bench-empty");
        Directory.CreateDirectory(Path.Combine(empty, "gt"));
        Directory.CreateDirectory(Path.Combine(empty, "pred"));
        Assert.NotEqual(EvaluatorCli.ExitOk, EvaluatorCli.Run(["bench", "--files", empty, "--classes", "19"]));
    }

    [Fact]
    public void Bench_kernel_checks_the_kernel_against_the_plain_loop()
    {
        Assert.Equal(EvaluatorCli.ExitOk, EvaluatorCli.Run(["bench", "--classes", "19", "--maps", "uniform",
            "--width", "256", "--height", "128", "--images", "2", "--repeats", "1"]));
    }
}
