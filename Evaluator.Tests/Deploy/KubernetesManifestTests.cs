using Evaluator.Node.Runtime;
using Evaluator.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace Evaluator.Tests.Deploy;

/// <summary>
/// deploy/kubernetes, checked without a cluster: every manifest parses (YamlDotNet), has a kind and
/// apiVersion of the checked-in structural schema (<c>kubernetes-structure.yaml</c>) and its required
/// fields, no namespace (kubectl -n chooses it), and the objects agree with each other and with
/// the node: the selectors, service account, RBAC, probes, ports and every EVALUATOR_* variable.
/// A structural check, not the full OpenAPI schemas: README names the kubeconform command for CI with network.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static string Folder => Path.Combine(RepoFiles.RepoRoot(), "deploy", "kubernetes");

    private static IEnumerable<(string File, YamlMappingNode Doc)> Documents(string file)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(Folder, file))) stream.Load(reader);
        return stream.Documents.Select(d => (file, (YamlMappingNode)d.RootNode));
    }

    private static List<(string File, YamlMappingNode Doc)> Resources()
    {
        var kustomization = Documents("kustomization.yaml").Single().Doc;
        return [.. ((YamlSequenceNode)kustomization["resources"]).Select(r => ((YamlScalarNode)r).Value!).SelectMany(Documents)];
    }

    private static YamlNode? At(YamlNode node, string path)
    {
        foreach (var key in path.Split('.'))
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var next)) return null;
            node = next;
        }
        return node;
    }

    private static string Scalar(YamlNode node, string path) =>
        (At(node, path) as YamlScalarNode)?.Value ?? throw new Xunit.Sdk.XunitException($"no scalar at {path}");

    /// <summary>The nodes a schema path reaches ("a[].b": b in every item of list a); a missing step is reported by name.</summary>
    private static void Require(YamlNode node, string path, string where, List<string> missing)
    {
        var bracket = path.IndexOf("[]", StringComparison.Ordinal);
        if (bracket < 0)
        {
            if (At(node, path) is null) missing.Add($"{where}: {path}");
            return;
        }
        var list = At(node, path[..bracket]);
        if (list is not YamlSequenceNode { Children.Count: > 0 } items)
        {
            missing.Add($"{where}: {path[..bracket]} (a non-empty list)");
            return;
        }
        var rest = path[(bracket + 2)..].TrimStart('.');
        for (var i = 0; i < items.Children.Count; i++)
            if (rest.Length > 0) Require(items[i], rest, $"{where} {path[..bracket]}[{i}]", missing);
    }

    [Fact]
    public void Every_manifest_has_a_known_kind_its_apiVersion_and_required_fields_and_no_namespace()
    {
        var schema = (YamlMappingNode)Load(Path.Combine(RepoFiles.RepoRoot(), "Evaluator.Tests", "Deploy", "kubernetes-structure.yaml"));
        var files = Directory.GetFiles(Folder, "*.yaml").Select(Path.GetFileName).Order().ToList();
        var missing = new List<string>();
        var kinds = new List<string>();
        foreach (var (file, doc) in files.SelectMany(f => Documents(f!)))
        {
            var kind = Scalar(doc, "kind");
            kinds.Add(kind);
            Assert.True(schema.Children.ContainsKey(new YamlScalarNode(kind)), $"{file}: kind {kind} is not in the structural schema");
            var rule = schema[kind];
            Assert.Equal(Scalar(rule, "apiVersion"), Scalar(doc, "apiVersion"));
            foreach (var path in (YamlSequenceNode)rule["required"]) Require(doc, ((YamlScalarNode)path).Value!, $"{file} {kind}", missing);
            Assert.Null(At(doc, "metadata.namespace"));
        }
        Assert.Empty(missing);
        Assert.Equal(["Kustomization", "PersistentVolumeClaim", "PodDisruptionBudget", "Role", "RoleBinding", "Secret", "Secret",
            "Service", "Service", "ServiceAccount", "StatefulSet"], kinds.Order());

        // Every manifest but the Secrets' example is applied by the kustomization.
        var listed = ((YamlSequenceNode)Documents("kustomization.yaml").Single().Doc["resources"]).Select(r => ((YamlScalarNode)r).Value).ToHashSet();
        Assert.Equal(files.Where(f => f is not "kustomization.yaml" and not "secret.example.yaml").ToHashSet(), listed);
    }

    private static YamlNode Load(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return stream.Documents.Single().RootNode;
    }

    [Fact]
    public void The_objects_agree_with_each_other_and_with_what_the_node_reads()
    {
        var docs = Resources();
        YamlMappingNode One(string kind, string? name = null) =>
            docs.Single(d => Scalar(d.Doc, "kind") == kind && (name is null || Scalar(d.Doc, "metadata.name") == name)).Doc;

        var set = One("StatefulSet");
        var pod = At(set, "spec.template.spec")!;
        var podLabels = (YamlMappingNode)At(set, "spec.template.metadata.labels")!;
        Assert.Equal("evaluator", podLabels[new YamlScalarNode("app")].ToString());
        Assert.Equal(At(set, "spec.selector.matchLabels")!.ToString(), podLabels.ToString());

        // Services select the pods; the StatefulSet's serviceName is the headless one, which publishes not-ready pods.
        foreach (var service in docs.Where(d => Scalar(d.Doc, "kind") == "Service").Select(d => d.Doc))
            Assert.All((YamlMappingNode)At(service, "spec.selector")!, kv => Assert.Equal(kv.Value.ToString(), podLabels[kv.Key].ToString()));
        var headless = One("Service", Scalar(set, "spec.serviceName"));
        Assert.Equal("None", Scalar(headless, "spec.clusterIP"));
        Assert.Equal("true", Scalar(headless, "spec.publishNotReadyAddresses"));

        // RBAC: the pods' service account may get, list and watch pods (Kubernetes API discovery), nothing more.
        var account = Scalar(pod, "serviceAccountName");
        Assert.Equal(account, Scalar(One("ServiceAccount"), "metadata.name"));
        var binding = One("RoleBinding");
        var subject = ((YamlSequenceNode)binding["subjects"]).Single();
        Assert.Equal(("ServiceAccount", account), (Scalar(subject, "kind"), Scalar(subject, "name")));
        var role = One("Role", Scalar(binding, "roleRef.name"));
        var rule = ((YamlSequenceNode)role["rules"]).Single();
        Assert.Equal(["pods"], Strings(rule, "resources"));
        Assert.Equal(["get", "list", "watch"], Strings(rule, "verbs"));

        var container = (YamlMappingNode)((YamlSequenceNode)pod["containers"]).Single();
        var env = ((YamlSequenceNode)container["env"]).ToDictionary(e => Scalar(e, "name"), e => e);
        // Every EVALUATOR_* variable is one the node reads (a misspelt one would be ignored silently).
        Assert.Subset(NodeConfig.EnvironmentVariables.ToHashSet(), env.Keys.ToHashSet());
        Assert.Equal("kubernetes", Scalar(env["EVALUATOR_DISCOVERY"], "value"));
        Assert.Equal(podLabels[new YamlScalarNode("app")].ToString(), Scalar(env["EVALUATOR_DISCOVERY_SERVICE"], "value"));
        Assert.Equal(Scalar(set, "spec.replicas"), Scalar(env["EVALUATOR_REQUIRED_CONTACT_POINTS"], "value"));
        Assert.Equal("status.podIP", Scalar(env["EVALUATOR_HOSTNAME"], "valueFrom.fieldRef.fieldPath"));
        Assert.Null(At(env["EVALUATOR_JOURNAL_CONNECTION"], "value"));
        Assert.Equal("connection-string", Scalar(env["EVALUATOR_JOURNAL_CONNECTION"], "valueFrom.secretKeyRef.key"));
        Assert.Equal("token", Scalar(env["EVALUATOR_HTTP_TOKEN"], "valueFrom.secretKeyRef.key"));
        Assert.False(env.ContainsKey("EVALUATOR_SEED_NODES"));

        // Ports: the container's named ports are the ones the node is told, and the ones the services target.
        var ports = ((YamlSequenceNode)container["ports"]).ToDictionary(p => Scalar(p, "name"), p => Scalar(p, "containerPort"));
        Assert.Equal(ports["remoting"], Scalar(env["EVALUATOR_PORT"], "value"));
        Assert.Equal(ports[ClusterDiscovery.ManagementPortName], Scalar(env["EVALUATOR_MANAGEMENT_PORT"], "value"));
        Assert.EndsWith(":" + ports["http"], Scalar(env["EVALUATOR_HTTP_URL"], "value"));
        foreach (var service in docs.Where(d => Scalar(d.Doc, "kind") == "Service").Select(d => d.Doc))
            Assert.All((YamlSequenceNode)At(service, "spec.ports")!, p => Assert.Contains(Scalar(p, "targetPort"), ports.Keys));

        // Probes: readiness on /readyz, liveness on /healthz, both on the HTTP port.
        Assert.Equal(("/readyz", "http"), (Scalar(container, "readinessProbe.httpGet.path"), Scalar(container, "readinessProbe.httpGet.port")));
        Assert.Equal(("/healthz", "http"), (Scalar(container, "livenessProbe.httpGet.path"), Scalar(container, "livenessProbe.httpGet.port")));

        // Not root, no privilege escalation, the data volume read-only.
        Assert.Equal("true", Scalar(pod, "securityContext.runAsNonRoot"));
        Assert.Equal("false", Scalar(container, "securityContext.allowPrivilegeEscalation"));
        var data = ((YamlSequenceNode)container["volumeMounts"]).Single(m => Scalar(m, "mountPath") == "/data");
        Assert.Equal("true", Scalar(data, "readOnly"));
        var claim = ((YamlSequenceNode)pod["volumes"]).Single(v => Scalar(v, "name") == Scalar(data, "name"));
        Assert.Equal(Scalar(One("PersistentVolumeClaim"), "metadata.name"), Scalar(claim, "persistentVolumeClaim.claimName"));
    }

    private static List<string> Strings(YamlNode node, string key) =>
        [.. ((YamlSequenceNode)((YamlMappingNode)node)[key]).Select(n => ((YamlScalarNode)n).Value!)];
}
