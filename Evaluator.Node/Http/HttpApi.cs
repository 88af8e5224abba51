using Akka.Actor;
using Evaluator.Node.Runs;
using Evaluator.Node.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Evaluator.Node.Http;

/// <summary>
/// The HTTP API and dashboard, served by Kestrel in the node's process (ASP.NET Core minimal
/// APIs). Bad input is a 4xx with an RFC 7807 problem body; write endpoints take a bearer
/// token when one is configured.
/// </summary>
internal sealed class HttpApi : IRunningFrontEnd
{
    private readonly WebApplication _app;

    private HttpApi(WebApplication app) => _app = app;

    /// <summary>The address Kestrel listens on (the real port when the URL asked for port 0).</summary>
    public Uri Address { get; private set; } = null!;

    public string Description => $"http api and dashboard at {Address}";

    public static async Task<HttpApi> StartAsync(EvaluatorNode node, HttpSettings settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Limits.MaxRequestBodySize = settings.MaxBodyBytes);
        builder.WebHost.UseUrls(settings.Url);
        builder.Services.AddProblemDetails();
        var app = builder.Build();
        var api = new HttpApi(app);
        Map(app, node, settings);
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses;
        api.Address = new Uri(addresses.First());
        return api;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>The error mapping, then each group of endpoints.</summary>
    private static void Map(WebApplication app, EvaluatorNode node, HttpSettings settings)
    {
        // Bad input never surfaces as a 500: oversized bodies and malformed requests are 4xx.
        app.Use(async (ctx, next) =>
        {
            try
            {
                await next(ctx);
            }
            catch (BadHttpRequestException e) when (!ctx.Response.HasStarted)
            {
                await Problems.Problem(e.StatusCode, "bad request", e.Message).ExecuteAsync(ctx);
            }
            catch (AskTimeoutException) when (!ctx.Response.HasStarted)
            {
                await Problems.Problem(503, "busy", "the cluster did not answer in time; retry").ExecuteAsync(ctx);
            }
        });
        var catalog = new RunCatalog(node);
        DashboardEndpoints.Map(app);
        RunEndpoints.Map(app, node, settings, catalog);
        IngestEndpoints.Map(app, node, settings);
        MetricsEndpoint.Map(app, node, new PrometheusMetrics(node, catalog));
    }
}
