using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Evaluator.Tests.Support;
using Xunit.Abstractions;

namespace Evaluator.Tests.Dashboard;

/// <summary>
/// The dashboard in a real browser: a <c>serve</c> node (child process) takes an ingest run over
/// HTTP while headless chromium shows its page; the mean IoU on the page must follow the
/// batches as they are pushed (live, from the SSE stream) and end at the final report's value.
/// Needs Debian's chromium at /usr/bin/chromium (run-tests.sh installs it).
/// </summary>
// Category=Services: needs Chromium and a node process; ./run-tests.sh --fast leaves it out.
[Trait("Category", "Services")]
[Collection("processes")]
public sealed class DashboardBrowserTests(ITestOutputHelper output)
{
    private const string RunId = "dashboard-live";
    private const int Height = 48, Width = 64;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private const string MeanIouText = "document.getElementById('mean-iou').textContent";
    private const string StatusText = "document.getElementById('status').textContent";

    [Fact]
    public async Task The_run_page_follows_the_mean_IoU_live_and_ends_at_the_final_report()
    {
        Assert.True(File.Exists(HeadlessChromium.Executable),
            $"{HeadlessChromium.Executable} is missing: install Debian's chromium (run-tests.sh does: apt-get install chromium)");
        var clock = Stopwatch.StartNew();
        var dir = TestEnvironment.TempDir("dashboard");
        using var node = NodeProcess.Start(dir);
        output.WriteLine($"node at {node.Url} after {clock.Elapsed.TotalSeconds:F1} s");

        // Class 3 never occurs on either side: no IoU ("–" on the page).
        await node.CreateRunAsync($$"""
            { "run_id": "{{RunId}}", "num_classes": 4, "class_names": ["road", "car", "sky", "unused"], "partitions": 2 }
            """);
        var seq = new long[2];
        var rng = new Random(20240611);

        // A poor first batch.
        await Push(node, 0, seq, rng, accuracy: 0.25);
        var expected = MeanIou(await node.SnapshotAsync(RunId));

        await using var browser = await HeadlessChromium.StartAsync(Path.Combine(dir, "chromium-profile"), 1280, 900, Wait);
        var page = new Uri(node.Url, $"runs/{RunId}").ToString();
        await browser.NavigateAsync(page, Wait);
        var shown = await WaitForMeanIou(browser, expected, "the mean IoU of the first batch");
        Assert.Equal("running", (await browser.EvaluateAsync(StatusText)).GetString());
        output.WriteLine($"page shows mean IoU {shown} (running) after {clock.Elapsed.TotalSeconds:F1} s");

        // Better batches, on both partitions: each one's mean IoU appears on the page in turn.
        var values = new List<string> { shown };
        foreach (var (partition, accuracy) in new[] { (1, 0.9), (0, 0.95), (1, 0.97) })
        {
            await Push(node, partition, seq, rng, accuracy);
            expected = MeanIou(await node.SnapshotAsync(RunId));
            shown = await WaitForMeanIou(browser, expected, $"the mean IoU after batch {seq[partition] - 1} of partition {partition}");
            values.Add(shown);
            output.WriteLine($"partition {partition} batch {seq[partition] - 1}: page shows {shown} after {clock.Elapsed.TotalSeconds:F1} s");
        }
        Assert.True(values.Distinct().Count() >= 3, $"the mean IoU shown should change as batches arrive: {string.Join(", ", values)}");
        Assert.True(double.Parse(values[^1], CultureInfo.InvariantCulture) > double.Parse(values[0], CultureInfo.InvariantCulture) + 0.2,
            $"better predictions raise the mean IoU: {string.Join(", ", values)}");
        var points = await browser.EvaluateAsync("Number(document.getElementById('curve').getAttribute('data-points'))");
        Assert.True(points.GetInt32() >= 4, $"one curve point per snapshot seen: {points.GetInt32()}");

        // Completing the run: the final snapshot arrives over SSE.
        await node.CompleteAsync(RunId);
        await browser.WaitForAsync(StatusText, v => v.GetString() == "completed", Wait, "status 'completed'");
        var report = await node.ReportAsync(RunId);
        var final = MeanIou(report);
        shown = await WaitForMeanIou(browser, final, "the final mean IoU");
        output.WriteLine($"completed: page shows {shown}, report.json says {final:R}, after {clock.Elapsed.TotalSeconds:F1} s");

        // Per-class rows with names and a dash for the class without IoU; progress per partition.
        var rows = await browser.EvaluateAsync("""
            [...document.querySelectorAll('#classes tbody tr')].map(r => [r.children[1].textContent, r.querySelector('.iou').textContent])
            """);
        var perClass = rows.EnumerateArray().Select(r => (Name: r[0].GetString()!, Iou: r[1].GetString()!)).ToList();
        Assert.Equal(["road", "car", "sky", "unused"], perClass.Select(r => r.Name));
        Assert.Equal("\u2013", perClass[3].Iou);
        for (var c = 0; c < 3; c++)
        {
            var iou = report.GetProperty("per_class")[c].GetProperty("iou").GetDouble();
            Assert.True(Math.Abs(double.Parse(perClass[c].Iou, CultureInfo.InvariantCulture) - iou) <= 0.00005 + 1e-12,
                $"class {c}: page {perClass[c].Iou}, report {iou:R}");
        }
        var watermarks = await browser.EvaluateAsync(
            "[...document.querySelectorAll('#partitions tbody tr')].map(r => r.children[1].textContent)");
        Assert.Equal([seq[0].ToString(CultureInfo.InvariantCulture), seq[1].ToString(CultureInfo.InvariantCulture)],
            watermarks.EnumerateArray().Select(w => w.GetString()));
        Assert.Equal(
            report.GetProperty("pixels").GetProperty("counted").GetInt64().ToString("N0", CultureInfo.InvariantCulture),
            (await browser.EvaluateAsync("document.getElementById('pixels-counted').textContent")).GetString());

        // The heatmap, drawn from the event stream's sparse cells: the top-left cell (road → road,
        // most of its row) is a strong blue, not the grey of an empty row. Labels put the matrix at (120, 96).
        var corner = await browser.EvaluateAsync("""
            (() => { const c = document.getElementById('heatmap'); const d = window.devicePixelRatio || 1;
              return [...c.getContext('2d').getImageData(Math.round(124 * d), Math.round(100 * d), 1, 1).data]; })()
            """);
        var rgb = corner.EnumerateArray().Select(v => v.GetInt32()).ToArray();
        Assert.True(rgb[2] > rgb[0] + 60 && rgb[3] == 255, $"the road → road heatmap cell is blue: rgba({string.Join(", ", rgb)})");

        // The screenshot, kept as a test artifact.
        var png = await browser.ScreenshotAsync();
        var shotDir = Path.Combine(AppContext.BaseDirectory, "TestResults");
        Directory.CreateDirectory(shotDir);
        var shotPath = Path.Combine(shotDir, "dashboard.png");
        await File.WriteAllBytesAsync(shotPath, png);
        output.WriteLine($"screenshot: {shotPath} ({png.Length:N0} bytes)");
        var written = await File.ReadAllBytesAsync(shotPath);
        Assert.True(written.AsSpan(0, 8).SequenceEqual((byte[])[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]), "a PNG");
        var pngWidth = BinaryPrimitives.ReadInt32BigEndian(written.AsSpan(16));
        var pngHeight = BinaryPrimitives.ReadInt32BigEndian(written.AsSpan(20));
        Assert.Equal(1280, pngWidth);
        Assert.True(pngHeight >= 900, $"the whole page: {pngWidth}×{pngHeight}");
        Assert.True(written.Length > 30_000, $"a page with charts, not a blank one: {written.Length} bytes");

        // The run list links to the run and shows the same final mean IoU.
        await browser.NavigateAsync(node.Url.ToString(), Wait);
        var listed = await browser.WaitForAsync(
            $"(() => {{ const r = document.querySelector('tr[data-run=\"{RunId}\"]'); " +
            "return r ? [r.querySelector('a').getAttribute('href'), r.querySelector('.badge').textContent, r.querySelector('.mean-iou').textContent] : null; })()",
            v => v.ValueKind == JsonValueKind.Array, Wait, "the run in the run list");
        Assert.Equal($"/runs/{RunId}", listed[0].GetString());
        Assert.Equal("completed", listed[1].GetString());
        Assert.Equal(shown, listed[2].GetString());

        Assert.True(browser.PageErrors.Count == 0, "page errors: " + string.Join(" | ", browser.PageErrors));
        output.WriteLine($"done in {clock.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>One H×W uint8 batch of classes 0-2; a pixel's prediction is right with the given probability.</summary>
    private static async Task Push(NodeProcess node, int partition, long[] seq, Random rng, double accuracy)
    {
        var gt = new byte[Height * Width];
        var pred = new byte[gt.Length];
        for (var i = 0; i < gt.Length; i++)
        {
            gt[i] = (byte)rng.Next(3);
            pred[i] = rng.NextDouble() < accuracy ? gt[i] : (byte)rng.Next(3);
        }
        var ack = await node.PushBatchAsync(RunId, partition, seq[partition], gt, pred, Height, Width);
        Assert.Equal("counted", ack.GetProperty("status").GetString());
        seq[partition]++;
    }

    private static double MeanIou(JsonElement report) => report.GetProperty("mean_iou").GetDouble();

    /// <summary>Waits until #mean-iou shows <paramref name="expected"/> (4 decimals); returns the text.</summary>
    private static async Task<string> WaitForMeanIou(HeadlessChromium browser, double expected, string what)
    {
        var v = await browser.WaitForAsync(MeanIouText,
            e => double.TryParse(e.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var shown)
                 && Math.Abs(shown - expected) <= 0.00005 + 1e-12,
            Wait, $"{what} ({expected:F4})");
        return v.GetString()!;
    }
}
