using Akka.Actor;
using Evaluator.Node.Runs;
using Evaluator.Node.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Evaluator.Node.Http;

/// <summary>
/// The HTTP API and dashboard, served by Kestrel in the node's process (ASP.NET Core minimal
/// APIs). Bad input is a 4xx with an RFC 7807 problem body; <see cref="RequestGuards"/> checks
/// Host, Origin, the token and the number of requests in flight before any endpoint runs.
/// </summary>
internal sealed class HttpApi : IRunningFrontEnd
{
    private readonly WebApplication _app;

    private HttpApi(WebApplication app) => _app = app;

    /// <summary>The app's services (its endpoints, for the test that every route is described).</summary>
    internal IServiceProvider Services => _app.Services;

    /// <summary>The metrics of this server (disposed with it).</summary>
    internal PrometheusMetrics Metrics { get; private set; } = null!;

    /// <summary>The address Kestrel listens on (the real port when the URL asked for port 0).</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>The serialized snapshots every reader shares.</summary>
    internal SnapshotBytes Snapshots { get; } = new();

    public string Description => $"http api and dashboard at {Address}";

    /// <param name="perImage">Where runs' per-image results come from (GET /compare); by default the node's journal.</param>
    /// <param name="beforeListening">
    /// Called once the app is built, just before Kestrel binds the URL (serve: stops the server
    /// that answered while the node joined, so that the URL is refused only while Kestrel binds).
    /// </param>
    public static async Task<HttpApi> StartAsync(EvaluatorNode node, HttpSettings settings, IPerImageRuns? perImage = null,
        Func<ValueTask>? beforeListening = null)
    {
        var config = node.System.Settings.Config;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // Kestrel's and ASP.NET Core's records join the node's logging pipeline (evaluator.log).
        if (node.System.Settings.Setup.Get<Runtime.Logs.LoggingSetup>().Value is { } logging)
            builder.Services.AddSingleton(logging.Factory);
        // Numbers are numbers (the web default also reads them from strings, and describes them so).
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict);
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Evaluator";
            doc.Info.Description = "Exact int64 semantic-segmentation metrics: runs, ingest, reports, operations (README, HTTP API).";
            return Task.CompletedTask;
        }));
        HealthEndpoints.AddChecks(builder.Services, node.System, config.GetTimeSpan("evaluator.health.journal-timeout"));
        builder.WebHost.UseKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = settings.MaxBodyBytes;
            // Kestrel answers past its own limits with a bare status: keep them above the ones
            // RequestGuards answers with a problem body.
            k.Limits.MaxRequestLineSize = RequestGuards.KestrelRequestLine;
            k.Limits.MaxRequestHeadersTotalSize = RequestGuards.KestrelHeaders;
        });
        builder.WebHost.UseUrls(settings.Url);
        builder.Services.AddProblemDetails();
        var app = builder.Build();
        var api = new HttpApi(app);
        Map(app, node, settings, api, MetricsSettings.From(config), perImage ?? new JournalPerImageRuns(node));
        if (beforeListening is not null) await beforeListening();
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
        Metrics?.Dispose();
    }

    /// <summary>The guards, the error mapping, then each group of endpoints.</summary>
    private static void Map(WebApplication app, EvaluatorNode node, HttpSettings settings, HttpApi api, MetricsSettings metricsSettings,
        IPerImageRuns perImage)
    {
        RequestGuards.Use(app, settings);
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
            catch (OverflowException) when (!ctx.Response.HasStarted)
            {
                await Problems.Problem(422, "count overflow", "the counts add up to more than an int64 holds").ExecuteAsync(ctx);
            }
            catch (AskTimeoutException) when (!ctx.Response.HasStarted)
            {
                await Problems.Problem(503, "busy", "the cluster did not answer in time; retry").ExecuteAsync(ctx);
            }
        });
        var catalog = new RunCatalog(node);
        api.Metrics = new PrometheusMetrics(node, catalog, metricsSettings);
        // Requests by route, status and method, and their durations (prometheus-net), into this server's registry.
        app.UseRouting();
        app.UseHttpMetrics(o => o.SetMetricFactory(Prometheus.Metrics.WithCustomRegistry(api.Metrics.Registry)));
        DashboardEndpoints.Map(app);
        RunEndpoints.Map(app, node, catalog, api.Snapshots, new DataRoots(settings.DataRoots));
        ImageEndpoints.Map(app, node, catalog, PerImageWriter.DefaultWorst);
        IngestEndpoints.Map(app, node, settings);
        HealthEndpoints.Map(app);
        MetricsEndpoint.Map(app, node, api.Metrics);
        app.MapOpenApi().WithName("OpenApi").WithTags("operations").WithSummary("This description (OpenAPI 3).");
        RunLifecycleEndpoints.Map(app, node, catalog);
        CompareEndpoints.Map(app, catalog, perImage, settings.MaxBootstrapResamples);
        BootstrapEndpoints.Map(app, node, catalog, perImage, settings.MaxBootstrapResamples);
    }
}
