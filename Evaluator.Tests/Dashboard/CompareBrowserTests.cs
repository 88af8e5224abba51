using System.Globalization;
using System.Text.Json;
using Evaluator.Node.Runs;
using Evaluator.Tests.Http;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Dashboard;

/// <summary>
/// The compare page in headless chromium: one bar per class with its delta, one whisker per
/// interval, placed in the order low ≤ delta ≤ high along the axis, and the summary values of
/// the JSON served by GET /compare (fixture per-image files behind a real Kestrel).
/// </summary>
[Trait("Category", "Services")]
[Collection("processes")]
public sealed class CompareBrowserTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_compare_page_draws_per_class_delta_bars_with_their_intervals()
    {
        Assert.True(File.Exists(HeadlessChromium.Executable), $"{HeadlessChromium.Executable} is missing: install Debian's chromium");
        var node = new CompareHttpNode();
        await node.InitializeAsync();
        try
        {
            var images = PerImageFiles.Random(80, 5, 31);
            PerImageFiles.Write(Path.Combine(node.Directory, "base.jsonl"), images);
            PerImageFiles.Write(Path.Combine(node.Directory, "better.jsonl"), PerImageFiles.Perturbed(images, 32, -0.25));
            var json = await node.Inner.Client.GetStringAsync("/compare?a=base&b=better&bootstrap=300");
            using var expected = JsonDocument.Parse(json);

            var dir = TestEnvironment.TempDir("compare-browser");
            await using var browser = await HeadlessChromium.StartAsync(Path.Combine(dir, "chromium-profile"), 1280, 900, Wait);
            await browser.NavigateAsync(new Uri(node.Inner.Client.BaseAddress!, "compare?a=base&b=better&bootstrap=300").ToString(), Wait);
            await browser.WaitForAsync("document.getElementById('status').textContent", v => v.GetString() == "completed", Wait, "the comparison loaded");

            Assert.Equal(expected.RootElement.GetProperty("delta").GetDouble().ToString("+0.0000", CultureInfo.InvariantCulture),
                (await browser.EvaluateAsync("document.getElementById('delta').textContent")).GetString());
            Assert.Equal("5", (await browser.EvaluateAsync("document.getElementById('bars').getAttribute('data-bars')")).GetString());
            Assert.Equal("5", (await browser.EvaluateAsync("document.getElementById('bars').getAttribute('data-whiskers')")).GetString());

            // Each class: bar end at delta, whisker from low to high, in that order on screen.
            var drawn = await browser.EvaluateAsync("""
                [...document.querySelectorAll('#bars rect.delta-bar')].map(r => {
                  const w = document.querySelector(`#bars line.whisker[data-class="${r.dataset.class}"]`);
                  const b = r.getBoundingClientRect(), l = w.getBoundingClientRect();
                  return [Number(r.dataset.class), Number(r.dataset.delta), Number(w.dataset.low), Number(w.dataset.high),
                          b.left, b.right, l.left, l.right, b.width];
                })
                """);
            var perClass = expected.RootElement.GetProperty("per_class");
            foreach (var d in drawn.EnumerateArray())
            {
                var k = d[0].GetInt32();
                Assert.Equal(perClass[k].GetProperty("delta").GetDouble(), d[1].GetDouble(), 12);
                Assert.Equal(perClass[k].GetProperty("low").GetDouble(), d[2].GetDouble(), 12);
                Assert.Equal(perClass[k].GetProperty("high").GetDouble(), d[3].GetDouble(), 12);
                var barEnd = d[1].GetDouble() >= 0 ? d[5].GetDouble() : d[4].GetDouble();
                Assert.True(d[6].GetDouble() <= barEnd + 0.5 && barEnd <= d[7].GetDouble() + 0.5,
                    $"class {k}: the whisker [{d[6]}, {d[7]}] spans the bar's end {barEnd}");
                Assert.True(d[7].GetDouble() - d[6].GetDouble() > 1, $"class {k}: a visible whisker");
                Assert.True(d[8].GetDouble() > 1, $"class {k}: a visible bar");
            }
            var better = await browser.EvaluateAsync("document.querySelectorAll('#better tbody tr').length");
            Assert.Equal(expected.RootElement.GetProperty("images_most_better").GetArrayLength(), better.GetInt32());
            // The screenshot, kept as a test artifact.
            var shotDir = Path.Combine(AppContext.BaseDirectory, "TestResults");
            Directory.CreateDirectory(shotDir);
            await File.WriteAllBytesAsync(Path.Combine(shotDir, "compare.png"), await browser.ScreenshotAsync());
            Assert.True(browser.PageErrors.Count == 0, "page errors: " + string.Join(" | ", browser.PageErrors));
        }
        finally
        {
            await node.DisposeAsync();
        }
    }
}
