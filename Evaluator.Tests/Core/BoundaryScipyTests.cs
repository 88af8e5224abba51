using System.Text.Json;
using Evaluator.Messages;
using Evaluator.Node.Inputs;
using Evaluator.Node.Kernel;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Core;

/// <summary>The boundary IoU kernel against scipy.ndimage.binary_erosion (3×3 square, d iterations, border 0) on seeded images.</summary>
[Trait("Category", "Services")]
public class BoundaryScipyTests
{
    private sealed record Expected(int D, long[] Intersection, long[] Union);

    [Theory]
    [InlineData(0.02)]
    [InlineData(0.05)]
    public async Task Kernel_equals_scipy_erosion(double ratio)
    {
        const int classes = 5;
        var dir = Directory.CreateTempSubdirectory("boundary-scipy-").FullName;
        try
        {
            var script = RepoFiles.Fixture("boundary/boundary_scipy.py");
            var (code, stdout, stderr, timedOut) = await PythonScripts.RunAsync(
                [script, dir, classes.ToString(), ratio.ToString(System.Globalization.CultureInfo.InvariantCulture)],
                dir, TimeSpan.FromMinutes(2));
            Assert.False(timedOut, "the scipy recount timed out");
            Assert.True(code == 0, $"python3 failed ({code}): {stderr}");
            var expected = JsonSerializer.Deserialize<Expected[]>(stdout, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
            Assert.Equal(5, expected.Length);

            var counter = new BoundaryCounter(new RunSpec(classes, ignoreLabels: [255]), ratio);
            for (var i = 0; i < expected.Length; i++)
            {
                using var gt = NpyReader.Read(Path.Combine(dir, $"pair{i}_gt.npy"));
                using var pred = NpyReader.Read(Path.Combine(dir, $"pair{i}_pred.npy"));
                var (h, w) = BoundaryCounter.ImageSize(gt, null);
                Assert.Equal(expected[i].D, BoundaryCounter.DilationPixels(ratio, h, w));
                var got = counter.Count(gt, pred, $"pair{i}");
                Assert.Equal(expected[i].Intersection, got.Intersection.ToArray());
                Assert.Equal(expected[i].Union, got.Union.ToArray());
            }
            Assert.Contains(expected, e => e.Union.Sum() > 0);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
