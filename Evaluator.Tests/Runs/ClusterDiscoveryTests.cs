using Akka.Configuration;
using Evaluator.Node.Runtime;

namespace Evaluator.Tests.Runs;

/// <summary>evaluator.cluster.discovery: what each mode configures, and the combinations refused before anything starts.</summary>
public sealed class ClusterDiscoveryTests
{
    private static Config Load(params (string Variable, string Value)[] env) =>
        NodeConfig.Load("cluster", environment: v => env.FirstOrDefault(e => e.Variable == v).Value);

    [Fact]
    public void Seeds_is_the_default_and_configures_no_bootstrap()
    {
        var config = NodeConfig.Load(environment: _ => null);
        Assert.Equal(DiscoveryMode.Seeds, ClusterDiscovery.ModeOf(config));
        Assert.False(config.HasPath("akka.management.cluster.bootstrap.contact-point-discovery.discovery-method"));
        Assert.Equal("seed nodes: none: it forms one", ClusterDiscovery.Describe(config));
    }

    [Fact]
    public void Config_discovery_lists_the_contact_points_for_the_bootstrap()
    {
        var config = Load(("EVALUATOR_DISCOVERY", "config"), ("EVALUATOR_CONTACT_POINTS", "10.0.0.1:8558, 10.0.0.2:8558"),
            ("EVALUATOR_HOSTNAME", "10.0.0.1"), ("EVALUATOR_MANAGEMENT_PORT", "9558"), ("EVALUATOR_REQUIRED_CONTACT_POINTS", "3"));
        Assert.Equal(DiscoveryMode.Config, ClusterDiscovery.ModeOf(config));
        const string discovery = "akka.management.cluster.bootstrap.contact-point-discovery";
        Assert.Equal("config", config.GetString($"{discovery}.discovery-method"));
        Assert.Equal("evaluator", config.GetString($"{discovery}.service-name"));
        Assert.Equal(3, config.GetInt($"{discovery}.required-contact-point-nr"));
        Assert.Equal(["10.0.0.1:8558", "10.0.0.2:8558"], config.GetStringList("akka.discovery.config.services.evaluator.endpoints"));
        Assert.False(config.GetBoolean("akka.management.cluster.bootstrap.contact-point.filter-on-fallback-port"));
        Assert.Equal("10.0.0.1", config.GetString("akka.management.http.hostname"));
        Assert.Equal(9558, config.GetInt("akka.management.http.port"));
        Assert.Equal("cluster bootstrap, contact points 10.0.0.1:8558, 10.0.0.2:8558", ClusterDiscovery.Describe(config));
    }

    [Fact]
    public void Kubernetes_discovery_looks_up_pods_by_the_service_name()
    {
        var config = Load(("EVALUATOR_DISCOVERY", "kubernetes"), ("EVALUATOR_DISCOVERY_SERVICE", "seg-eval"),
            ("EVALUATOR_MANAGEMENT_HOSTNAME", "10.1.2.3"));
        Assert.Equal("kubernetes-api", config.GetString("akka.management.cluster.bootstrap.contact-point-discovery.discovery-method"));
        Assert.Equal("seg-eval", config.GetString("akka.management.cluster.bootstrap.contact-point-discovery.service-name"));
        Assert.Equal("management", config.GetString("akka.management.cluster.bootstrap.contact-point-discovery.port-name"));
        Assert.Equal("10.1.2.3", config.GetString("akka.management.http.hostname"));
        Assert.Equal("cluster bootstrap, Kubernetes pods labelled app=seg-eval", ClusterDiscovery.Describe(config));
    }

    [Fact]
    public void Seed_nodes_with_bootstrap_an_unknown_mode_and_config_without_contact_points_are_refused_by_name()
    {
        var both = Assert.Throws<ConfigurationException>(() => Load(("EVALUATOR_DISCOVERY", "kubernetes"),
            ("EVALUATOR_SEED_NODES", "akka.tcp://evaluator@10.0.0.1:4053")));
        Assert.Contains("seed nodes (akka.tcp://evaluator@10.0.0.1:4053) and evaluator.cluster.discovery = kubernetes exclude each other", both.Message);

        var unknown = Assert.Throws<ConfigurationException>(() => Load(("EVALUATOR_DISCOVERY", "dns")));
        Assert.Contains("is 'dns': it must be seeds, config or kubernetes", unknown.Message);

        var empty = Assert.Throws<ConfigurationException>(() => Load(("EVALUATOR_DISCOVERY", "config")));
        Assert.Contains("EVALUATOR_CONTACT_POINTS", empty.Message);
    }
}
