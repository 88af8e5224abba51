using Akka.Actor;
using Evaluator.Node.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Evaluator.Node.Http;

/// <summary>
/// What <c>serve</c> answers on its HTTP URL while the node joins the cluster (up to
/// <c>serve</c>'s join timeout with cluster bootstrap): <c>/healthz</c> 200, so that a liveness
/// probe does not kill a node that is merely joining; <c>/readyz</c> 503 saying it is joining;
/// every other route 503 "node is joining the cluster" (they need the sharding regions, which
/// start after the join). Once the member is up this server stops and <see cref="HttpApi"/>
/// starts on the same URL.
/// </summary>
internal sealed class JoiningApi : IRunningFrontEnd
{
    private readonly WebApplication _app;
    private int _disposed;

    private JoiningApi(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public string Description => $"http probes at {Address} while the node joins (/healthz 200, /readyz and the rest 503)";

    public static async Task<JoiningApi> StartAsync(ActorSystem system, HttpSettings settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (system.Settings.Setup.Get<Runtime.Logs.LoggingSetup>().Value is { } logging)
            builder.Services.AddSingleton(logging.Factory);
        builder.Services.AddHealthChecks()
            .AddCheck("cluster-member", new JoiningCheck(system), tags: [HealthEndpoints.ReadyTag]);
        builder.Services.AddProblemDetails();
        builder.WebHost.UseUrls(settings.Url);
        var app = builder.Build();
        HealthEndpoints.Map(app);
        app.MapFallback(() => Problems.Problem(503, "node is joining the cluster",
            "this node is not yet an Up member of its cluster: retry once /readyz answers 200"));
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses;
        return new JoiningApi(app, new Uri(addresses.First()));
    }

    /// <summary>Stops it; again: nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
