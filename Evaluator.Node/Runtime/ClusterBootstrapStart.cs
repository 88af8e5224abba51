using System.Net;
using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Akka.Discovery.KubernetesApi;
using Akka.Management.Cluster.Bootstrap;
using Akka.Management.Cluster.Bootstrap.ContactPoint;
using Akka.Management.Dsl;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json;
using static Akka.Management.Cluster.Bootstrap.ContactPoint.HttpBootstrapJsonProtocol;

namespace Evaluator.Node.Runtime;

/// <summary>
/// Starts Akka.Management's cluster bootstrap with this node's contact-point endpoint. Kept apart
/// from <see cref="EvaluatorNode"/> and never inlined so that the Akka.Management assemblies are
/// loaded only by nodes that use bootstrap: the embedded one-node run does not pay for them.
/// <para>
/// The contact-point endpoint (<c>GET /bootstrap/seed-nodes</c>, probed by the other nodes'
/// bootstrap) is served here by Kestrel, not by <c>AkkaManagement.Start()</c>: Akka.Management
/// 1.5.73 serves HTTP through Akka.Http.Shim over Ceen.Httpd 0.9.9, and the one Ceen.Httpd the
/// package mirror serves (0.9.10) is not binary compatible (MissingMethodException on
/// HttpServer.ListenAsync). The answer is Akka.Management's own: the same members, in its own
/// JSON types, serialized as its route does (Newtonsoft.Json), and its bootstrap coordinator
/// probes it with its own HTTP client.
/// </para>
/// </summary>
internal static class ClusterBootstrapStart
{
    public const string SeedNodesPath = "/bootstrap/seed-nodes";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static async Task StartAsync(ActorSystem system, DiscoveryMode mode)
    {
        // Its reference configuration (the discovery class) is injected when the extension starts.
        if (mode == DiscoveryMode.Kubernetes) KubernetesDiscovery.Get(system);
        var bootstrap = ClusterBootstrap.Get(system);
        var config = system.Settings.Config;
        var host = config.GetString("akka.management.http.hostname");
        var port = config.GetInt("akka.management.http.port");
        var settings = ClusterBootstrapSettings.Create(config, system.Log);
        var app = await ServeAsync(system, settings.ContactPoint.MaxSeedNodesToExpose, host, port);
        _ = system.WhenTerminated.ContinueWith(_ => app.DisposeAsync().AsTask(), TaskScheduler.Default);
        // Tells bootstrap where this node's own contact point is (the routes it returns are not used).
        bootstrap.Routes(ManagementRouteProviderSettings.Create(new Uri($"http://{UriHost(host)}:{port}"), true));
        await bootstrap.Start();
    }

    private static async Task<WebApplication> ServeAsync(ActorSystem system, int maxMembers, string host, int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            if (IPAddress.TryParse(host, out var ip)) k.Listen(ip, port);
            else k.ListenAnyIP(port);
        });
        var app = builder.Build();
        var cluster = Cluster.Get(system);
        app.MapGet(SeedNodesPath, () => Results.Content(JsonConvert.SerializeObject(SeedNodes(cluster, maxMembers)), "application/json"));
        try
        {
            await app.StartAsync();
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            throw new ConfigurationException(
                $"the cluster bootstrap endpoint could not listen on {host}:{port} ({e.Message}): choose another port " +
                "(EVALUATOR_MANAGEMENT_PORT) or host (EVALUATOR_MANAGEMENT_HOSTNAME)");
        }
        return app;
    }

    /// <summary>What Akka.Management's HttpClusterBootstrapRoutes answers: the reachable members that are up or joining.</summary>
    private static SeedNodes SeedNodes(Cluster cluster, int maxMembers)
    {
        var self = cluster.SelfMember;
        if (self.Status is MemberStatus.Down or MemberStatus.Exiting or MemberStatus.Leaving or MemberStatus.Removed)
            return new SeedNodes(self.UniqueAddress.Address, []);
        var state = cluster.State;
        var members = state.Members
            .Where(m => !state.Unreachable.Contains(m))
            .Where(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining)
            .Take(maxMembers)
            .Select(m => new ClusterMember(m.UniqueAddress.Address, m.UniqueAddress.Uid, m.Status, m.Roles));
        return new SeedNodes(self.UniqueAddress.Address, [.. members]);
    }

    private static string UriHost(string host) =>
        IPAddress.TryParse(host, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{host}]" : host;
}
