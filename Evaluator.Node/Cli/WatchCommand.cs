using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace Evaluator.Node.Cli;

/// <summary>
/// <c>watch --url URL --run ID</c>: follows a run's Server-Sent Events and prints each snapshot
/// (pixels, progress, mean IoU) until the final one.
/// </summary>
internal static class WatchCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "The node's HTTP address, e.g. http://127.0.0.1:8080.", Required = true };
        var run = new Option<string>("--run") { Description = "Run id.", Required = true };
        var cmd = new Command("watch", "Print a run's live snapshots until the final one.") { url, run };
        cmd.SetAction((r, cancel) => RunAsync(r.GetValue(url)!, r.GetValue(run)!, cancel));
        return cmd;
    }

    public static async Task<int> RunAsync(string url, string run, CancellationToken cancel)
    {
        var console = AnsiConsole.Console;
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        if (Environment.GetEnvironmentVariable("EVALUATOR_HTTP_TOKEN") is { Length: > 0 } token) http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        using var response = await http.GetAsync($"{url.TrimEnd('/')}/runs/{Uri.EscapeDataString(run)}/events",
            HttpCompletionOption.ResponseHeadersRead, cancel);
        if (!response.IsSuccessStatusCode)
        {
            console.MarkupLine($"[red]error:[/] {Markup.Escape($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancel)}")}");
            return (int)response.StatusCode == 404 ? EvaluatorCli.ExitUsage : EvaluatorCli.ExitFailure;
        }
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel));
        string? line;
        var final = false;
        while (!final && (line = await reader.ReadLineAsync(cancel)) is not null)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
            using var doc = JsonDocument.Parse(line["data: ".Length..]);
            var s = doc.RootElement;
            final = s.GetProperty("final").GetBoolean();
            var px = s.GetProperty("pixels");
            var mean = s.GetProperty("mean_iou");
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"#{s.GetProperty("snapshot").GetInt64()} {s.GetProperty("status").GetString()}: {px.GetProperty("total").GetInt64():N0} px " +
                $"({px.GetProperty("counted").GetInt64():N0} counted), mean IoU {(mean.ValueKind == JsonValueKind.Null ? "-" : mean.GetDouble().ToString("0.0000", CultureInfo.InvariantCulture))}"));
        }
        return final ? EvaluatorCli.ExitOk : EvaluatorCli.ExitFailure;
    }
}
