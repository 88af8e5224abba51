using PerImageLine = Evaluator.Tests.Support.PerImageLine;
using System.Text.Json;
using Evaluator.Node.Runs;
using Evaluator.Tests.Http;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Dashboard;

/// <summary>
/// The run page of a per-image run in headless chromium: its "worst images" table lists the
/// images with the lowest mean IoU, as GET /runs/{id}/worst-images ranks them (against an
/// independent recount), and a run without per-image results shows no such table.
/// </summary>
[Trait("Category", "Services")]
[Collection("processes")]
public sealed class WorstImagesBrowserTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_run_page_lists_the_worst_images_of_a_per_image_run()
    {
        Assert.True(File.Exists(HeadlessChromium.Executable), $"{HeadlessChromium.Executable} is missing: install Debian's chromium");
        var dir = TestEnvironment.TempDir("worst-browser");
        var ds = new Dataset(dir, Dataset.Format.NpyU8, pairs: 14, width: 24, height: 16, classes: 4, seed: 21);
        var http = new HttpNode();
        await http.InitializeAsync();
        try
        {
            var plan = RunLauncher.Plan(new RunRequest
            {
                RunId = "worst-page", GroundTruth = ds.GroundTruthDir, Prediction = ds.PredictionDir, Classes = 4, Ignore = [255],
                Partitions = 2, PerImage = true,
            });
            await RunLauncher.RunAsync(http.Node, RunLauncher.Partition(http.Node, plan), (_, _) => { });
            var plain = RunLauncher.Plan(new RunRequest
            {
                RunId = "plain-page", GroundTruth = ds.GroundTruthDir, Prediction = ds.PredictionDir, Classes = 4, Ignore = [255],
            });
            await RunLauncher.RunAsync(http.Node, RunLauncher.Partition(http.Node, plain), (_, _) => { });

            // The expected ten, from an independent recount of every pair.
            var spec = new Evaluator.Messages.RunSpec(4, ignoreLabels: [255]);
            var expected = ds.SortedIndices.Select((i, k) => (Image: Path.GetRelativePath(ds.GroundTruthDir, ds.GroundTruthPath(i)),
                    Iou: PerImageLine.MeanIouOf(ds.Recount(spec, [i]).Matrix), k))
                .Where(x => x.Iou is not null).OrderBy(x => x.Iou).ThenBy(x => x.k).Take(PerImageWriter.DefaultWorst).ToList();

            await using var browser = await HeadlessChromium.StartAsync(Path.Combine(dir, "chromium-profile"), 1280, 900, Wait);
            await browser.NavigateAsync(new Uri(http.Api.Address, "runs/worst-page").ToString(), Wait);
            var rows = await browser.WaitForAsync("""
                (() => { const card = document.getElementById('worst-card');
                  if (!card || card.classList.contains('hidden')) return null;
                  return [...document.querySelectorAll('#worst-images tbody tr')].map(r => [r.children[0].textContent, r.children[2].textContent]); })()
                """, v => v.ValueKind == JsonValueKind.Array && v.GetArrayLength() > 0, Wait, "the worst images table");
            var shown = rows.EnumerateArray().Select(r => (r[0].GetString()!, r[1].GetString()!)).ToList();
            Assert.Equal(expected.Select(e => e.Image), shown.Select(s => s.Item1));
            Assert.Equal(expected.Select(e => e.Iou!.Value.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)),
                shown.Select(s => s.Item2));

            // "Compare with…": choosing another run links to its comparison with this one.
            var href = await browser.WaitForAsync("""
                (() => { const s = document.getElementById('compare-with');
                  if (![...s.options].some(o => o.value === 'plain-page')) return null;
                  s.value = 'plain-page'; s.dispatchEvent(new Event('change'));
                  return document.getElementById('compare-link').getAttribute('href'); })()
                """, v => v.ValueKind == JsonValueKind.String, Wait, "the compare-with choice");
            Assert.Equal("/compare?a=worst-page&b=plain-page", href.GetString());

            // A run without per-image results: the page shows no worst-images table.
            await browser.NavigateAsync(new Uri(http.Api.Address, "runs/plain-page").ToString(), Wait);
            await browser.WaitForAsync("document.getElementById('status').textContent", v => v.GetString() == "completed", Wait, "status completed");
            Assert.True((await browser.EvaluateAsync("document.getElementById('worst-card').classList.contains('hidden')")).GetBoolean());
            Assert.True(browser.PageErrors.Count == 0, "page errors: " + string.Join(" | ", browser.PageErrors));
        }
        finally
        {
            await http.DisposeAsync();
        }
    }
}
