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
        var console = CliConsole.Stdout();
        var errors = CliConsole.Stderr();
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        if (Environment.GetEnvironmentVariable("EVALUATOR_HTTP_TOKEN") is { Length: > 0 } token) http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        HttpResponseMessage connected;
        try
        {
            connected = await http.GetAsync($"{url.TrimEnd('/')}/runs/{Uri.EscapeDataString(run)}/events",
                HttpCompletionOption.ResponseHeadersRead, cancel);
        }
        catch (HttpRequestException e)
        {
            errors.MarkupLine($"[red]error:[/] {Markup.Escape($"cannot reach the node at {url}: {e.Message}")}");
            return EvaluatorCli.ExitUnavailable;
        }
        catch (UriFormatException e)
        {
            errors.MarkupLine($"[red]error:[/] {Markup.Escape($"--url {url}: {e.Message}")}");
            return EvaluatorCli.ExitUsage;
        }
        using var response = connected;
        if (!response.IsSuccessStatusCode)
        {
            errors.MarkupLine($"[red]error:[/] {Markup.Escape($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancel)}")}");
            return (int)response.StatusCode == 404 ? EvaluatorCli.ExitUsage : EvaluatorCli.ExitFailure;
        }
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel));
        var final = false;
        while (!final)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(cancel);
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                errors.MarkupLine($"[red]error:[/] {Markup.Escape($"lost the connection to {url} before the final snapshot: {e.Message}")}");
                return EvaluatorCli.ExitUnavailable;
            }
            if (line is null) break;
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
        if (!final) errors.MarkupLine($"[red]error:[/] {Markup.Escape($"the stream from {url} ended before the final snapshot")}");
        return final ? EvaluatorCli.ExitOk : EvaluatorCli.ExitUnavailable;
    }
}
