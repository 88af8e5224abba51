using System.CommandLine;
using Evaluator.Node.Inputs;
using Evaluator.Node.Synthetic;
using Spectre.Console;

namespace Evaluator.Node.Cli;

/// <summary>
/// <c>generate</c>: writes a synthetic dataset of uint8 .npy pairs (gt/ and pred/ with the same
/// relative paths) for benchmarks and trials: Cityscapes-like blobby maps or uniform noise.
/// </summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Output directory (gets gt/ and pred/).", Required = true };
        var pairs = new Option<int>("--pairs") { Description = "Number of image pairs.", DefaultValueFactory = _ => 100 };
        var width = new Option<int>("--width") { Description = "Image width.", DefaultValueFactory = _ => 2048 };
        var height = new Option<int>("--height") { Description = "Image height.", DefaultValueFactory = _ => 1024 };
        var classes = new Option<int>("--classes") { Description = "Classes (labels 0..C-1; 255 is the ignore label).", DefaultValueFactory = _ => 19 };
        var maps = new Option<MapKind>("--maps") { Description = "blobby or uniform.", DefaultValueFactory = _ => MapKind.Blobby };
        var ignore = new Option<double>("--ignore-fraction") { Description = "Share of ground truth labelled 255.", DefaultValueFactory = _ => 0.05 };
        var seed = new Option<int>("--seed") { Description = "Seed.", DefaultValueFactory = _ => 1 };
        var cmd = new Command("generate", "Write a synthetic .npy dataset (for benchmarks and trials).")
        {
            output, pairs, width, height, classes, maps, ignore, seed,
        };
        cmd.SetAction(r =>
        {
            var dir = r.GetValue(output)!;
            int n = r.GetValue(pairs), w = r.GetValue(width), h = r.GetValue(height), c = r.GetValue(classes);
            if (n <= 0 || w <= 0 || h <= 0 || c is < 1 or > 255)
                throw new Messages.InvalidRunSpecException("--pairs, --width, --height must be positive and --classes in 1..255");
            var synthetic = new SyntheticMaps(r.GetValue(maps), c, w, h, r.GetValue(ignore), seed: r.GetValue(seed));
            Directory.CreateDirectory(Path.Combine(dir, "gt"));
            Directory.CreateDirectory(Path.Combine(dir, "pred"));
            Parallel.For(0, n, i =>
            {
                var (g, p) = synthetic.Create(i);
                NpyWriter.WriteUInt8(Path.Combine(dir, "gt", $"{i:D6}.npy"), g, h, w);
                NpyWriter.WriteUInt8(Path.Combine(dir, "pred", $"{i:D6}.npy"), p, h, w);
            });
            CliConsole.Stdout().WriteLine($"wrote {n} pairs of {w}x{h} ({(long)n * w * h:N0} pixels) to {dir}");
            return EvaluatorCli.ExitOk;
        });
        return cmd;
    }
}
