using System.CommandLine;
using Evaluator.Messages;
using Evaluator.Node.Runs;

namespace Evaluator.Node.Cli;

/// <summary>
/// <c>bootstrap --per-image FILE.jsonl</c>: the report of a per-image results file (its summed
/// matrices) with bootstrap confidence intervals of the mean IoU and of every class's IoU.
/// </summary>
internal static class BootstrapCommand
{
    public const int DefaultResamples = 1000;

    public static Command Create()
    {
        var cmd = new Command("bootstrap", "Bootstrap confidence intervals of the IoUs from a per-image results file.");
        var file = new Option<string>("--per-image") { Description = "Per-image results file (JSONL) of a run.", Required = true };
        var report = new Option<string?>("--report") { Description = "Write the report JSON (with its bootstrap field) here." };
        var json = new Option<bool>("--json") { Description = "Print the report JSON to stdout and nothing else." };
        foreach (var o in new Option[] { file, report, json }) cmd.Options.Add(o);
        var stats = new BootstrapArguments(cmd, DefaultResamples, $"Resamples (default {DefaultResamples}).");
        cmd.SetAction(r =>
        {
            var path = r.GetValue(file)!;
            var options = stats.Bootstrap(r);
            if (options is null)
            {
                Console.Error.WriteLine("error: --bootstrap 0: the bootstrap command needs at least one resample");
                return EvaluatorCli.ExitUsage;
            }
            var names = stats.ClassNames(r);
            var classes = stats.Classes(r) ?? Bootstrap.ClassesIn(path);
            var spec = new RunSpec(classes, names, targetClasses: stats.TargetClasses(r));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var (statistics, matrix, pixels) = Bootstrap.Load(path, spec.NumClasses);
            var read = clock.Elapsed;
            var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
            var result = MetricReport.Compute(spec, matrix, pixels) with { Bootstrap = Bootstrap.Intervals(statistics, spec, options) };
            var resampled = clock.Elapsed - read;
            var resampledCpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu;
            // Timing on stderr: the figures of README's bench, never mixed into --json.
            Console.Error.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"bootstrap: {statistics.Count:N0} images x {spec.NumClasses} classes read in {read.TotalSeconds:F2} s; " +
                $"{options.Resamples:N0} resamples in {resampled.TotalSeconds:F2} s on {Environment.ProcessorCount} cores " +
                $"({resampledCpu.TotalSeconds:F2} s of CPU)"));
            if (r.GetValue(report) is { } to) File.WriteAllText(to, result.ToJson());
            if (r.GetValue(json))
            {
                Console.Out.WriteLine(result.ToJson());
                return EvaluatorCli.ExitOk;
            }
            ReportOutput.PrintTable(CliConsole.Stdout(), result);
            return EvaluatorCli.ExitOk;
        });
        return cmd;
    }
}
