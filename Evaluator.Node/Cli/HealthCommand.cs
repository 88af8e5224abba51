using System.CommandLine;
using Evaluator.Node.Runtime;

namespace Evaluator.Node.Cli;

/// <summary>
/// <c>health</c>: asks a node's HTTP API whether it is ready (GET /readyz) and exits 0 when it
/// answers 2xx, 1 otherwise (no answer, 503 not ready). The container image's HEALTHCHECK: the
/// aspnet image has no curl, the evaluator binary is there.
/// </summary>
internal static class HealthCommand
{
    public static Command Create()
    {
        var url = new Option<string?>("--url")
        {
            Description = "What to GET, e.g. http://localhost:8080/readyz (default: /readyz of EVALUATOR_HTTP_URL, a wildcard host read as localhost).",
        };
        var timeout = new Option<int>("--timeout")
        {
            Description = "Seconds to wait for the answer.",
            DefaultValueFactory = _ => 5,
        };
        timeout.Validators.Add(v =>
        {
            if (v.GetValueOrDefault<int>() <= 0) v.AddError("--timeout must be a positive number of seconds");
        });
        var cmd = new Command("health", "Exit 0 when a node's HTTP API answers GET /readyz with 2xx, else 1 (for container health checks).")
        {
            url, timeout,
        };
        cmd.SetAction((r, cancel) => RunAsync(r.GetValue(url), TimeSpan.FromSeconds(r.GetValue(timeout)), cancel));
        return cmd;
    }

    private static async Task<int> RunAsync(string? url, TimeSpan timeout, CancellationToken cancel)
    {
        var target = url ?? Default(NodeConfig.Load("cluster").GetString("evaluator.http.url", ""));
        if (target is null)
        {
            Console.Error.WriteLine("error: no --url and no HTTP API configured (EVALUATOR_HTTP_URL)");
            return EvaluatorCli.ExitFailure;
        }
        if (!Uri.TryCreate(target, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            Console.Error.WriteLine($"error: --url '{target}' must be an http:// URL");
            return EvaluatorCli.ExitUsage;
        }
        using var http = new HttpClient { Timeout = timeout };
        try
        {
            using var res = await http.GetAsync(uri, cancel);
            var body = await res.Content.ReadAsStringAsync(cancel);
            Console.WriteLine($"{(int)res.StatusCode} {body}");
            return res.IsSuccessStatusCode ? EvaluatorCli.ExitOk : EvaluatorCli.ExitFailure;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancel.IsCancellationRequested)
        {
            Console.Error.WriteLine($"error: {uri}: {e.Message}");
            return EvaluatorCli.ExitFailure;
        }
    }

    /// <summary>The /readyz URL of a node's configured HTTP URL (a wildcard host: localhost), or null when none is configured.</summary>
    internal static string? Default(string httpUrl)
    {
        if (httpUrl.Length == 0) return null;
        var rest = httpUrl["http://".Length..].Split('/')[0];
        var colon = rest.LastIndexOf(':');
        var (host, port) = colon > 0 && !rest.EndsWith(']') ? (rest[..colon], rest[colon..]) : (rest, "");
        if (host is "0.0.0.0" or "[::]" or "::" or "*" or "+") host = "localhost";
        return $"http://{host}{port}/readyz";
    }
}
