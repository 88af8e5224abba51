using System.Globalization;
using System.Text.Json;
using Evaluator.Node.Runs;
using Evaluator.Tests.Http;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Dashboard;

/// <summary>
/// The run page of a final per-image boundary IoU run in headless chromium: the mean IoU's
/// confidence interval and every class's interval are the values of GET /runs/{id}/bootstrap
/// (the parameters the page shows), and the boundary IoU column and mean are the report's; a run
/// without per-image results or boundary IoU shows neither.
/// </summary>
[Trait("Category", "Services")]
[Collection("processes")]
public sealed class IntervalsBrowserTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static string F(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);

    private static string Interval(JsonElement ci) =>
        ci.ValueKind == JsonValueKind.Null ? "\u2013" : $"{F(ci.GetProperty("low").GetDouble())}\u2013{F(ci.GetProperty("high").GetDouble())}";

    [Fact]
    public async Task The_run_page_shows_the_routes_intervals_and_the_reports_boundary_iou()
    {
        Assert.True(File.Exists(HeadlessChromium.Executable), $"{HeadlessChromium.Executable} is missing: install Debian's chromium");
        var dir = TestEnvironment.TempDir("intervals-browser");
        var ds = new Dataset(dir, Dataset.Format.NpyU8, pairs: 12, width: 24, height: 16, classes: 4, seed: 23);
        var http = new HttpNode();
        await http.InitializeAsync();
        try
        {
            var plan = RunLauncher.Plan(new RunRequest
            {
                RunId = "ci-page", GroundTruth = ds.GroundTruthDir, Prediction = ds.PredictionDir, Classes = 4, Ignore = [255],
                Partitions = 2, PerImage = true, BoundaryDilation = 0.05,
            });
            await RunLauncher.RunAsync(http.Node, RunLauncher.Partition(http.Node, plan), (_, _) => { });
            var plain = RunLauncher.Plan(new RunRequest
            {
                RunId = "ci-plain", GroundTruth = ds.GroundTruthDir, Prediction = ds.PredictionDir, Classes = 4, Ignore = [255],
            });
            await RunLauncher.RunAsync(http.Node, RunLauncher.Partition(http.Node, plain), (_, _) => { });

            // What the page must show: the route's intervals (the page asks for 1000 resamples, seed 0, 95 %) and the report's boundary IoU.
            using var boot = JsonDocument.Parse(await http.Client.GetStringAsync("/runs/ci-page/bootstrap?resamples=1000&seed=0&confidence=0.95"));
            using var report = JsonDocument.Parse(await http.Client.GetStringAsync("/runs/ci-page/report.json"));
            var b = boot.RootElement;
            var meanIou = report.RootElement.GetProperty("mean_iou").GetDouble();
            var expectedMean = $"mean IoU {F(meanIou)} (95 % CI {Interval(b.GetProperty("mean_iou"))})";
            var expectedClasses = b.GetProperty("per_class_iou").EnumerateArray().Select(Interval).ToList();
            var perClass = report.RootElement.GetProperty("per_class").EnumerateArray().ToList();
            var expectedBoundary = perClass.Select(c => c.GetProperty("boundary_iou") is { ValueKind: JsonValueKind.Number } v ? F(v.GetDouble()) : "\u2013").ToList();
            Assert.Contains(perClass, c => c.GetProperty("boundary_union").GetInt64() > 0);

            await using var browser = await HeadlessChromium.StartAsync(Path.Combine(dir, "chromium-profile"), 1280, 900, Wait);
            await browser.NavigateAsync(new Uri(http.Api.Address, "runs/ci-page").ToString(), Wait);
            var shown = await browser.WaitForAsync("""
                (() => { if (document.getElementById('intervals').classList.contains('hidden')) return null;
                  const rows = [...document.querySelectorAll('#classes tbody tr')];
                  if (rows.length === 0 || !rows[0].querySelector('td.ci')) return null;
                  return { mean: document.getElementById('mean-iou-ci').textContent,
                    note: document.getElementById('bootstrap-note').textContent,
                    meanBoundary: document.getElementById('mean-boundary-iou').textContent,
                    boundaryShown: !document.getElementById('boundary-stat').classList.contains('hidden'),
                    ci: rows.map(r => r.querySelector('td.ci').textContent),
                    whiskers: rows.map(r => r.querySelector('.whisker') !== null),
                    boundary: rows.map(r => r.querySelector('td.boundary').textContent) }; })()
                """, v => v.ValueKind == JsonValueKind.Object, Wait, "the intervals on the run page");
            Assert.Equal(expectedMean, shown.GetProperty("mean").GetString());
            Assert.Contains("1,000 resamples, seed 0", shown.GetProperty("note").GetString());
            Assert.Equal(expectedClasses, shown.GetProperty("ci").EnumerateArray().Select(e => e.GetString()!));
            Assert.Equal(b.GetProperty("per_class_iou").EnumerateArray().Select(ci => ci.ValueKind != JsonValueKind.Null),
                shown.GetProperty("whiskers").EnumerateArray().Select(e => e.GetBoolean()));
            Assert.Equal(expectedBoundary, shown.GetProperty("boundary").EnumerateArray().Select(e => e.GetString()!));
            Assert.True(shown.GetProperty("boundaryShown").GetBoolean());
            Assert.Equal(F(report.RootElement.GetProperty("mean_boundary_iou").GetDouble()), shown.GetProperty("meanBoundary").GetString());

            // A run without per-image results or boundary IoU: no intervals, no boundary column.
            await browser.NavigateAsync(new Uri(http.Api.Address, "runs/ci-plain").ToString(), Wait);
            await browser.WaitForAsync("document.getElementById('status').textContent", v => v.GetString() == "completed", Wait, "status completed");
            var plainPage = await browser.WaitForAsync("""
                (() => { const rows = document.querySelectorAll('#classes tbody tr');
                  if (rows.length === 0) return null;
                  return [document.getElementById('intervals').classList.contains('hidden'),
                    document.getElementById('boundary-stat').classList.contains('hidden'),
                    document.getElementById('boundary-head').classList.contains('hidden'),
                    document.querySelectorAll('#classes td.boundary, #classes td.ci').length === 0]; })()
                """, v => v.ValueKind == JsonValueKind.Array, Wait, "the plain run's class table");
            Assert.All(plainPage.EnumerateArray(), e => Assert.True(e.GetBoolean()));
            Assert.True(browser.PageErrors.Count == 0, "page errors: " + string.Join(" | ", browser.PageErrors));
        }
        finally
        {
            await http.DisposeAsync();
        }
    }
}
