using System.Text.RegularExpressions;
using Evaluator.Node.Runtime;
using Evaluator.Tests.Processes;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Cluster;

/// <summary>
/// docker/compose.yaml configures nodes only through environment variables: every EVALUATOR_*
/// variable it sets must be one the node reads (a misspelt one would be silently ignored), and
/// the multi-process tests (<see cref="ClusterProcessTests"/>) must set their nodes up with the
/// same variables, so that what the compose file relies on is what those tests exercise.
/// </summary>
public sealed partial class ComposeFileTests
{
    /// <summary>The EVALUATOR_* variables a block of the compose file sets, by block.</summary>
    private sealed record Block(string Name, bool IsNode, List<string> Variables);

    // "  EVALUATOR_X: value" (map form) or "  - EVALUATOR_X=value" (list form).
    [GeneratedRegex(@"^\s*(?:-\s*)?(EVALUATOR_[A-Z0-9_]+)\s*[:=]")]
    private static partial Regex VariablePattern();

    // A top-level key ("x-node-env: &node-env", "services:") or a service ("  seed:").
    [GeneratedRegex(@"^(?<indent> {0,2})(?<key>[A-Za-z0-9_.-]+):")]
    private static partial Regex BlockPattern();

    private static string ComposePath => Path.Combine(RepoFiles.RepoRoot(), "docker", "compose.yaml");

    /// <summary>
    /// Line-based: a variable belongs to the nearest top-level key (x-node-env, the anchor every
    /// node merges) or service above it. Node blocks: the anchor, and services that merge it.
    /// </summary>
    private static List<Block> Parse(string path)
    {
        var blocks = new List<Block>();
        Block? current = null;
        string? top = null;
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Split('#')[0].TrimEnd();
            if (line.Length == 0) continue;
            if (BlockPattern().Match(line) is { Success: true } b)
            {
                var key = b.Groups["key"].Value;
                if (b.Groups["indent"].Length == 0)
                {
                    top = key;
                    current = top == "services" ? null : new Block(key, key == "x-node-env", []);
                    if (current is not null) blocks.Add(current);
                    continue;
                }
                if (top == "services")
                {
                    current = new Block(key, false, []);
                    blocks.Add(current);
                    continue;
                }
            }
            if (current is null) continue;
            if (line.Contains("<<: *node-env", StringComparison.Ordinal)) current = blocks[^1] = current with { IsNode = true };
            if (VariablePattern().Match(line) is { Success: true } v) current.Variables.Add(v.Groups[1].Value);
        }
        return blocks;
    }

    [Fact]
    public void The_parser_sees_the_node_anchor_and_every_service()
    {
        var blocks = Parse(ComposePath);
        var nodes = blocks.Where(b => b.IsNode).Select(b => b.Name).ToList();
        Assert.Equal(["x-node-env", "seed", "worker1", "worker2"], nodes);
        Assert.Contains("EVALUATOR_SEED_NODES", blocks.Single(b => b.Name == "x-node-env").Variables);
        Assert.Contains("EVALUATOR_JOURNAL_CONNECTION", blocks.Single(b => b.Name == "x-node-env").Variables);
        Assert.Equal(["EVALUATOR_HOSTNAME", "EVALUATOR_HTTP_URL", "EVALUATOR_HTTP_TOKEN"], blocks.Single(b => b.Name == "seed").Variables);
        Assert.Contains("EVALUATOR_SEED_NODES", blocks.Single(b => b.Name == "submit").Variables);
    }

    [Fact]
    public void Every_variable_the_compose_file_sets_is_one_the_node_reads()
    {
        var reads = NodeConfig.EnvironmentVariables.ToHashSet();
        var set = Parse(ComposePath).SelectMany(b => b.Variables).ToHashSet();
        Assert.NotEmpty(set);
        Assert.Subset(reads, set);
    }

    [Fact]
    public void The_process_tests_set_their_nodes_up_with_the_variables_the_compose_file_uses()
    {
        var reads = NodeConfig.EnvironmentVariables.ToHashSet();
        var blocks = Parse(ComposePath);
        var nodeVariables = ClusterProcessTests.NodeVariables.ToHashSet();
        var submitVariables = ClusterProcessTests.SubmitVariables.ToHashSet();

        // The tests use only variables the node reads...
        Assert.Subset(reads, nodeVariables);
        Assert.Subset(reads, submitVariables);
        // ...and every variable a compose node or the compose submit sets, they set too.
        Assert.Subset(nodeVariables, blocks.Where(b => b.IsNode).SelectMany(b => b.Variables).ToHashSet());
        Assert.Subset(submitVariables, blocks.Where(b => !b.IsNode).SelectMany(b => b.Variables).ToHashSet());
    }
}
