using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;

namespace Evaluator.Node.Http;

/// <summary>
/// What every request passes before an endpoint: problem bodies for bare 4xx/5xx answers, the
/// request-line and header caps, the Host check (DNS rebinding), the cap on requests in flight,
/// the Origin check on writes (CSRF) and the token (writes always; reads unless public-reads).
/// </summary>
internal static class RequestGuards
{
    /// <summary>The longest request target (path and query) served; Kestrel's own hard limit is <see cref="KestrelRequestLine"/>.</summary>
    public const int MaxRequestTarget = 8 * 1024;

    /// <summary>The most header bytes served; Kestrel's own hard limit is <see cref="KestrelHeaders"/>.</summary>
    public const int MaxHeaderBytes = 32 * 1024;

    public const int KestrelRequestLine = 4 * MaxRequestTarget;
    public const int KestrelHeaders = 4 * MaxHeaderBytes;

    /// <summary>The cookie that <c>?token=</c> sets for the dashboard (reads only).</summary>
    public const string TokenCookie = "evaluator_token";

    public static void Use(WebApplication app, HttpSettings settings)
    {
        var hosts = settings.HostNames();
        var inFlight = 0;
        app.UseStatusCodePages(async ctx =>
        {
            var status = ctx.HttpContext.Response.StatusCode;
            await Problems.Problem(status, ReasonPhrases.GetReasonPhrase(status).ToLowerInvariant(),
                $"{ctx.HttpContext.Request.Method} {ctx.HttpContext.Request.Path}: {ReasonPhrases.GetReasonPhrase(status)}")
                .ExecuteAsync(ctx.HttpContext);
        });
        app.Use(async (ctx, next) =>
        {
            var req = ctx.Request;
            var target = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget ?? req.Path + req.QueryString;
            if (target.Length > MaxRequestTarget)
            {
                await Problems.Problem(414, "uri too long", $"the request target is {target.Length} characters; at most {MaxRequestTarget}").ExecuteAsync(ctx);
                return;
            }
            var headerBytes = req.Headers.Sum(h => h.Key.Length + h.Value.Sum(v => (v?.Length ?? 0) + 4));
            if (headerBytes > MaxHeaderBytes)
            {
                await Problems.Problem(431, "headers too large", $"the headers are {headerBytes} bytes; at most {MaxHeaderBytes}").ExecuteAsync(ctx);
                return;
            }
            if (hosts is not null && !hosts.Contains(HostName(req.Host)))
            {
                await Problems.Problem(421, "unknown host",
                    $"this server does not answer to Host '{req.Host}' (evaluator.http.allowed-hosts)").ExecuteAsync(ctx);
                return;
            }
            if (req.Path == "/healthz" || req.Path == "/readyz")
            {
                await next(ctx);
                return;
            }
            if (Interlocked.Increment(ref inFlight) > settings.MaxRequestsInFlight)
            {
                Interlocked.Decrement(ref inFlight);
                ctx.Response.Headers.RetryAfter = "1";
                await Problems.Problem(429, "too many requests",
                    $"this node serves at most {settings.MaxRequestsInFlight} requests at once (evaluator.http.max-requests-in-flight); retry").ExecuteAsync(ctx);
                return;
            }
            try
            {
                if (Refusal(ctx, settings) is { } refused) await refused.ExecuteAsync(ctx);
                else await next(ctx);
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
            }
        });
    }

    /// <summary>Why a request may not go on (cross-origin write, missing token), or null.</summary>
    private static IResult? Refusal(HttpContext ctx, HttpSettings settings)
    {
        var req = ctx.Request;
        var write = !HttpMethods.IsGet(req.Method) && !HttpMethods.IsHead(req.Method) && !HttpMethods.IsOptions(req.Method);
        if (write && CrossOrigin(req) is { } origin)
            return Problems.Problem(403, "cross-origin write", $"writes from another origin ({origin}) are refused");
        if (settings.Token.Length == 0) return null;
        if (HasBearer(req, settings.Token)) return null;
        if (write)
            return Problems.Problem(401, "unauthorized", "this endpoint needs 'Authorization: Bearer <token>'");
        if (req.Query["token"].Count > 0 && Same(req.Query["token"].ToString(), settings.Token))
        {
            // The dashboard's way in: ?token= once sets a cookie (reads only), then the link without it.
            ctx.Response.Cookies.Append(TokenCookie, settings.Token, new CookieOptions
            {
                HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/", IsEssential = true,
            });
            var query = QueryString.Create(req.Query.Where(q => q.Key != "token"));
            return Results.Redirect(req.PathBase + req.Path + query);
        }
        var status = req.Path == "/status";
        if (!settings.ReadsNeedToken && !status) return null;
        if (req.Cookies[TokenCookie] is { } cookie && Same(cookie, settings.Token)) return null;
        return Problems.Problem(401, "unauthorized",
            "this endpoint needs 'Authorization: Bearer <token>' (or, for the dashboard, open it once with ?token=<token>)");
    }

    /// <summary>The request's Origin when it is not this server's own (a browser page of another site), else null.</summary>
    private static string? CrossOrigin(HttpRequest req)
    {
        if (req.Headers["Sec-Fetch-Site"].ToString() is "cross-site" or "same-site") return req.Headers["Sec-Fetch-Site"].ToString();
        if (req.Headers.Origin.Count == 0) return null;
        var origin = req.Headers.Origin.ToString();
        return string.Equals(origin, "http://" + req.Host.Value, StringComparison.OrdinalIgnoreCase) ? null : origin;
    }

    private static bool HasBearer(HttpRequest req, string token)
    {
        var header = req.Headers.Authorization.ToString().Trim();
        var space = header.IndexOf(' ');
        return space > 0 && header[..space].Equals("Bearer", StringComparison.OrdinalIgnoreCase)
            && Same(header[(space + 1)..].Trim(), token);
    }

    /// <summary>Token comparison in constant time (over hashes, so that not even the length leaks).</summary>
    public static bool Same(string given, string token) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string HostName(HostString host) =>
        (host.Host.StartsWith('[') || !host.Host.Contains(':') ? host.Host : "[" + host.Host + "]").ToLowerInvariant();
}
