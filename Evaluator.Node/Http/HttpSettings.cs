using System.Net;
using Akka.Configuration;

namespace Evaluator.Node.Http;

/// <summary>
/// The <c>evaluator.http { }</c> section: where to listen, the token and what it covers, body
/// limits, the cap on requests in flight, and the Host names the server answers to.
/// </summary>
internal sealed record HttpSettings(string Url, string Token, long MaxBodyBytes)
{
    public const int DefaultMaxRequestsInFlight = 64;

    public const int DefaultMaxBootstrapResamples = 10_000;

    /// <summary>GET /runs/{id}/bootstrap: the most resamples a request may ask for (more is a 400).</summary>
    public int MaxBootstrapResamples { get; init; } = DefaultMaxBootstrapResamples;

    /// <summary>At most this many requests are served at once (an SSE stream holds one while open); beyond it 429.</summary>
    public int MaxRequestsInFlight { get; init; } = DefaultMaxRequestsInFlight;

    /// <summary>With a token: whether reads (reports, snapshots, events, dashboard, metrics) stay open. Off by default.</summary>
    public bool PublicReads { get; init; }

    /// <summary>Host names (no port) accepted besides the URL's own (and the loopback names for a loopback URL).</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>Directories a run over files posted to POST /runs may read (none: no file runs over HTTP).</summary>
    public IReadOnlyList<string> DataRoots { get; init; } = [];

    public static HttpSettings From(Config config)
    {
        var c = config.GetConfig("evaluator.http");
        var s = new HttpSettings(c?.GetString("url") ?? "", c?.GetString("token") ?? "", c?.GetLong("max-body-bytes") ?? 256L << 20)
        {
            MaxRequestsInFlight = c?.GetInt("max-requests-in-flight", DefaultMaxRequestsInFlight) ?? DefaultMaxRequestsInFlight,
            PublicReads = c?.GetBoolean("public-reads", false) ?? false,
            AllowedHosts = [.. (c?.GetStringList("allowed-hosts") ?? []).SelectMany(Hosts)],
            DataRoots = [.. (c?.GetStringList("data-roots") ?? []).Where(r => r.Length > 0)],
            MaxBootstrapResamples = c?.GetInt("max-bootstrap-resamples", DefaultMaxBootstrapResamples) ?? DefaultMaxBootstrapResamples,
        };
        if (s.Url.Length == 0) return s;
        if (!Uri.TryCreate(s.Url, UriKind.Absolute, out var uri) || uri.Scheme != "http")
            throw new ConfigurationException($"evaluator.http.url '{s.Url}' must be an http:// URL");
        if (!IsLoopback(uri.Host) && s.Token.Length == 0)
            throw new ConfigurationException(
                $"evaluator.http.url '{s.Url}' is not a loopback address: set a token (EVALUATOR_HTTP_TOKEN) for write endpoints");
        if (s.MaxBodyBytes <= 0) throw new ConfigurationException("evaluator.http.max-body-bytes must be > 0");
        if (s.MaxRequestsInFlight <= 0) throw new ConfigurationException("evaluator.http.max-requests-in-flight must be > 0");
        if (s.MaxBootstrapResamples is <= 0 or > Runs.BootstrapOptions.MaxResamples)
            throw new ConfigurationException(
                $"evaluator.http.max-bootstrap-resamples must be between 1 and {Runs.BootstrapOptions.MaxResamples}");
        return s;
    }

    public bool Enabled => Url.Length > 0;

    /// <summary>Whether reads need the token: a token is set and public-reads is off.</summary>
    public bool ReadsNeedToken => Token.Length > 0 && !PublicReads;

    /// <summary>
    /// The Host names (lower case, no port) requests may carry, or null for any: the URL's host,
    /// the loopback names when it is a loopback address, and allowed-hosts. A wildcard URL host
    /// (0.0.0.0, [::], *, +) with no allowed-hosts accepts any Host (such a node has a token).
    /// </summary>
    public IReadOnlySet<string>? HostNames()
    {
        var host = UrlHost();
        var names = new HashSet<string>(AllowedHosts, StringComparer.OrdinalIgnoreCase);
        if (host is "0.0.0.0" or "[::]" or "::" or "*" or "+")
            return names.Count == 0 ? null : names;
        names.Add(host);
        if (IsLoopback(host)) names.UnionWith(["localhost", "127.0.0.1", "[::1]"]);
        return names;
    }

    private string UrlHost()
    {
        // Uri rejects "*" and "+" hosts that Kestrel accepts: read the authority by hand.
        var rest = Url["http://".Length..];
        var authority = rest.Split('/')[0];
        if (authority.StartsWith('[')) return authority[..(authority.IndexOf(']') + 1)].ToLowerInvariant();
        var colon = authority.LastIndexOf(':');
        return (colon >= 0 ? authority[..colon] : authority).ToLowerInvariant();
    }

    private static IReadOnlyList<string> Hosts(string list) =>
        [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(h => h.ToLowerInvariant())];

    private static bool IsLoopback(string host) =>
        host is "localhost" || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
