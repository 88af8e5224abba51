using Akka.Configuration;

namespace Evaluator.Node.Runtime;

/// <summary>How a node finds the other members (<c>evaluator.cluster.discovery</c>).</summary>
internal enum DiscoveryMode
{
    /// <summary>akka.cluster.seed-nodes, or the node forms a cluster of its own when there are none.</summary>
    Seeds,

    /// <summary>Akka.Management cluster bootstrap over the static list evaluator.cluster.contact-points.</summary>
    Config,

    /// <summary>Akka.Management cluster bootstrap over the Kubernetes API (pods labelled app=&lt;service-name&gt;).</summary>
    Kubernetes,
}

/// <summary>
/// The <c>evaluator.cluster</c> section: reads the discovery mode and turns the evaluator's few
/// keys into the Akka.Management and Akka.Discovery settings cluster bootstrap reads, so that an
/// operator sets EVALUATOR_DISCOVERY and EVALUATOR_CONTACT_POINTS rather than Akka's paths.
/// </summary>
internal static class ClusterDiscovery
{
    public const string ModeKey = "evaluator.cluster.discovery";
    private const string ServiceKey = "evaluator.cluster.service-name";
    private const string ContactPointsKey = "evaluator.cluster.contact-points";
    private const string Bootstrap = "akka.management.cluster.bootstrap";

    /// <summary>kubernetes: the name of the pods' container port that serves the bootstrap endpoint.</summary>
    public const string ManagementPortName = "management";

    /// <summary>The configured mode; an unknown name is a configuration error naming the choices.</summary>
    public static DiscoveryMode ModeOf(Config config)
    {
        var name = config.GetString(ModeKey, "seeds");
        return name switch
        {
            "seeds" => DiscoveryMode.Seeds,
            "config" => DiscoveryMode.Config,
            "kubernetes" => DiscoveryMode.Kubernetes,
            _ => throw new ConfigurationException(
                $"{ModeKey} (EVALUATOR_DISCOVERY) is '{name}': it must be seeds, config or kubernetes"),
        };
    }

    /// <summary>
    /// <paramref name="config"/> with the bootstrap settings of its mode (none for seeds). Refuses
    /// seed nodes together with a bootstrap mode (cluster bootstrap would silently ignore itself),
    /// and config discovery without contact points.
    /// </summary>
    public static Config Configure(Config config)
    {
        var mode = ModeOf(config);
        if (mode == DiscoveryMode.Seeds) return config;
        var seeds = config.GetStringList("akka.cluster.seed-nodes");
        if (seeds.Count > 0)
            throw new ConfigurationException(
                $"seed nodes ({string.Join(", ", seeds)}) and {ModeKey} = {mode.ToString().ToLowerInvariant()} exclude each other: " +
                "unset EVALUATOR_SEED_NODES (or --seed-nodes), or set EVALUATOR_DISCOVERY=seeds");
        var service = config.GetString(ServiceKey, "evaluator");
        if (string.IsNullOrWhiteSpace(service))
            throw new ConfigurationException($"{ServiceKey} (EVALUATOR_DISCOVERY_SERVICE) must not be empty");
        var o = new ConfigOverrides()
            .Set($"{Bootstrap}.contact-point-discovery.service-name", service);
        // The management endpoint is reached where the node's cluster address is, unless told otherwise.
        if (string.IsNullOrWhiteSpace(config.GetString("akka.management.http.hostname", "")))
            o.Set("akka.management.http.hostname", config.GetString("akka.remote.dot-netty.tcp.hostname", "127.0.0.1"));
        if (mode == DiscoveryMode.Config)
        {
            var points = config.GetStringList(ContactPointsKey);
            if (points.Count == 0)
                throw new ConfigurationException(
                    $"{ModeKey} = config needs {ContactPointsKey} (EVALUATOR_CONTACT_POINTS): every node's management endpoint, host:port");
            o.Set($"{Bootstrap}.contact-point-discovery.discovery-method", "config")
                .Set($"akka.discovery.config.services.{service}.endpoints", points)
                // Several nodes of one host (tests, a laptop) differ only by port: the default keeps
                // one endpoint a host, the one on this node's own management port.
                .Set($"{Bootstrap}.contact-point.filter-on-fallback-port", false);
        }
        else
        {
            // Each pod's contact point is its container port named "management" (deploy/kubernetes), not
            // this node's own management port: a submit run inside a pod serves its endpoint on another port.
            o.Set($"{Bootstrap}.contact-point-discovery.discovery-method", "kubernetes-api")
                .Set($"{Bootstrap}.contact-point-discovery.port-name", ManagementPortName);
        }
        return o.ToConfig(config);
    }

    /// <summary>How the node looks for the cluster, for its start-up line and errors.</summary>
    public static string Describe(Config config) => ModeOf(config) switch
    {
        DiscoveryMode.Seeds when config.GetStringList("akka.cluster.seed-nodes") is { Count: > 0 } seeds =>
            $"seed nodes: {string.Join(", ", seeds)}",
        DiscoveryMode.Seeds => "seed nodes: none: it forms one",
        DiscoveryMode.Config =>
            $"cluster bootstrap, contact points {string.Join(", ", config.GetStringList(ContactPointsKey))}",
        _ => $"cluster bootstrap, Kubernetes pods labelled app={config.GetString(ServiceKey)}",
    };
}
