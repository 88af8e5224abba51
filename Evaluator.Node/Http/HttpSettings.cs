using System.Net;
using Akka.Configuration;

namespace Evaluator.Node.Http;

/// <summary>The <c>evaluator.http { }</c> section: where to listen, the write token, body limits.</summary>
internal sealed record HttpSettings(string Url, string Token, long MaxBodyBytes)
{
    public static HttpSettings From(Config config)
    {
        var c = config.GetConfig("evaluator.http");
        var s = new HttpSettings(c?.GetString("url") ?? "", c?.GetString("token") ?? "", c?.GetLong("max-body-bytes") ?? 256L << 20);
        if (s.Url.Length == 0) return s;
        if (!Uri.TryCreate(s.Url, UriKind.Absolute, out var uri) || uri.Scheme != "http")
            throw new ConfigurationException($"evaluator.http.url '{s.Url}' must be an http:// URL");
        if (!IsLoopback(uri.Host) && s.Token.Length == 0)
            throw new ConfigurationException(
                $"evaluator.http.url '{s.Url}' is not a loopback address: set a token (EVALUATOR_HTTP_TOKEN) for write endpoints");
        if (s.MaxBodyBytes <= 0) throw new ConfigurationException("evaluator.http.max-body-bytes must be > 0");
        return s;
    }

    public bool Enabled => Url.Length > 0;

    private static bool IsLoopback(string host) =>
        host is "localhost" || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
