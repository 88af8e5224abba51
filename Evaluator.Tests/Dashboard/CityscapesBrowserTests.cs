using System.Globalization;
using System.Text.Json;
using Evaluator.Node.Runs;
using Evaluator.Tests.Http;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Dashboard;

/// <summary>
/// The run page of a final Cityscapes-protocol run (samples/cityscapes-protocol) in headless
/// chromium: the iIoU column (blank where the report has null), mean iIoU, and the categories
/// table with IoU, iIoU and the category means are the report's values; a run without the
/// protocol shows none of them.
/// </summary>
[Trait("Category", "Services")]
[Collection("processes")]
public sealed class CityscapesBrowserTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static string F(JsonElement v, string blank) =>
        v.ValueKind == JsonValueKind.Number ? v.GetDouble().ToString("0.0000", CultureInfo.InvariantCulture) : blank;

    [Fact]
    public async Task The_run_page_shows_the_reports_iiou_and_categories()
    {
        Assert.True(File.Exists(HeadlessChromium.Executable), $"{HeadlessChromium.Executable} is missing: install Debian's chromium");
        var dir = TestEnvironment.TempDir("cityscapes-browser");
        var sample = Path.Combine(RepoFiles.RepoRoot(), "samples", "cityscapes-protocol");
        var ds = new Dataset(Path.Combine(dir, "plain"), Dataset.Format.NpyU8, pairs: 3, width: 16, height: 8, classes: 4, seed: 5);
        var http = new HttpNode();
        await http.InitializeAsync();
        try
        {
            var plan = RunLauncher.Plan(new RunRequest
            {
                RunId = "cs-page", GroundTruth = Path.Combine(sample, "gtFine"), Prediction = Path.Combine(sample, "pred"),
                Protocol = "cityscapes", Partitions = 2,
            });
            await RunLauncher.RunAsync(http.Node, RunLauncher.Partition(http.Node, plan), (_, _) => { });
            var plain = RunLauncher.Plan(new RunRequest
            {
                RunId = "cs-plain", GroundTruth = ds.GroundTruthDir, Prediction = ds.PredictionDir, Classes = 4, Ignore = [255],
                Categories = Setting<IReadOnlyList<Evaluator.Messages.ClassCategory>>.Inline(
                    [new Evaluator.Messages.ClassCategory("low", [0, 1]), new Evaluator.Messages.ClassCategory("high", [2, 3])]),
            });
            await RunLauncher.RunAsync(http.Node, RunLauncher.Partition(http.Node, plain), (_, _) => { });

            using var report = JsonDocument.Parse(await http.Client.GetStringAsync("/runs/cs-page/report.json"));
            var r = report.RootElement;
            var perClass = r.GetProperty("per_class").EnumerateArray().ToList();
            var expectedIiou = perClass.Select(c => F(c.GetProperty("iiou"), "")).ToList();
            Assert.Contains(expectedIiou, v => v.Length == 0);
            Assert.Contains(expectedIiou, v => v.Length > 0);
            var expectedCategories = r.GetProperty("categories").EnumerateArray()
                .Select(c => $"{c.GetProperty("name").GetString()}|{F(c.GetProperty("iou"), "\u2013")}|{F(c.GetProperty("iiou"), "")}").ToList();

            await using var browser = await HeadlessChromium.StartAsync(Path.Combine(dir, "chromium-profile"), 1280, 900, Wait);
            await browser.NavigateAsync(new Uri(http.Api.Address, "runs/cs-page").ToString(), Wait);
            await browser.WaitForAsync("document.getElementById('status').textContent", v => v.GetString() == "completed", Wait, "status completed");
            var shown = await browser.WaitForAsync("""
                (() => { const rows = [...document.querySelectorAll('#classes tbody tr')];
                  if (rows.length === 0 || !rows[0].querySelector('td.iiou')) return null;
                  const visible = (id) => !document.getElementById(id).classList.contains('hidden');
                  return { head: visible('iiou-head'), stat: visible('iiou-stat'), catHead: visible('category-iiou-head'),
                    means: visible('category-means'),
                    meanIiou: document.getElementById('mean-iiou').textContent,
                    meanCategoryIiou: document.getElementById('mean-category-iiou').textContent,
                    categoryMeanIou: document.getElementById('category-mean-iou').textContent,
                    categoryMeanIiou: document.getElementById('category-mean-iiou').textContent,
                    iiou: rows.map(r => r.querySelector('td.iiou').textContent),
                    categories: [...document.querySelectorAll('#categories tbody tr')].map(r =>
                      [...r.querySelectorAll('td')].map(td => td.textContent).join('|')) }; })()
                """, v => v.ValueKind == JsonValueKind.Object, Wait, "the iIoU column on the run page");
            Assert.True(shown.GetProperty("head").GetBoolean() && shown.GetProperty("stat").GetBoolean()
                && shown.GetProperty("catHead").GetBoolean() && shown.GetProperty("means").GetBoolean());
            Assert.Equal(expectedIiou, shown.GetProperty("iiou").EnumerateArray().Select(e => e.GetString()!));
            Assert.Equal(expectedCategories, shown.GetProperty("categories").EnumerateArray().Select(e => e.GetString()!));
            Assert.Equal(F(r.GetProperty("mean_iiou"), "?"), shown.GetProperty("meanIiou").GetString());
            Assert.Equal(F(r.GetProperty("mean_category_iiou"), "?"), shown.GetProperty("meanCategoryIiou").GetString());
            Assert.Equal(F(r.GetProperty("mean_category_iou"), "?"), shown.GetProperty("categoryMeanIou").GetString());
            Assert.Equal(F(r.GetProperty("mean_category_iiou"), "?"), shown.GetProperty("categoryMeanIiou").GetString());

            // The page as shown, for a look (beside the dashboard's own screenshot).
            var shotDir = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "TestResults")).FullName;
            await File.WriteAllBytesAsync(Path.Combine(shotDir, "dashboard-cityscapes.png"), await browser.ScreenshotAsync());

            // A run without the protocol (categories, no iIoU): no iIoU column, stat or category means.
            await browser.NavigateAsync(new Uri(http.Api.Address, "runs/cs-plain").ToString(), Wait);
            await browser.WaitForAsync("document.getElementById('status').textContent", v => v.GetString() == "completed", Wait, "status completed");
            var plainPage = await browser.WaitForAsync("""
                (() => { if (document.querySelectorAll('#categories tbody tr').length === 0) return null;
                  const hidden = (id) => document.getElementById(id).classList.contains('hidden');
                  return [hidden('iiou-head'), hidden('iiou-stat'), hidden('category-iiou-stat'), hidden('category-iiou-head'),
                    hidden('category-means'), document.querySelectorAll('td.iiou').length === 0]; })()
                """, v => v.ValueKind == JsonValueKind.Array, Wait, "the plain run's tables");
            Assert.All(plainPage.EnumerateArray(), e => Assert.True(e.GetBoolean()));
            Assert.True(browser.PageErrors.Count == 0, "page errors: " + string.Join(" | ", browser.PageErrors));
        }
        finally
        {
            await http.DisposeAsync();
        }
    }
}
