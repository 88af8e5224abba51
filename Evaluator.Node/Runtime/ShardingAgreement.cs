using System.Globalization;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Akka.Event;

namespace Evaluator.Node.Runtime;

/// <summary>
/// Every node must place every entity in the same shard (a run's coordinator lives where the
/// hash of its id modulo max-shards says): nodes that disagree would each start their own
/// coordinator of a run, or none, and its partitions would wait forever. Each node carries its
/// value as the role <c>max-shards-&lt;n&gt;</c> (added by <see cref="NodeConfig.Load"/>), and a
/// node that is up compares it with every other member's before it starts its regions.
/// </summary>
internal static class ShardingAgreement
{
    public const string RolePrefix = "max-shards-";

    public static string Role(int maxShards) => RolePrefix + maxShards.ToString(CultureInfo.InvariantCulture);

    /// <summary>A member's max-shards, or null when it carries none (an older version: it derived it from its cores).</summary>
    public static int? MaxShardsOf(Member member)
    {
        foreach (var role in member.Roles)
        {
            if (role.StartsWith(RolePrefix, StringComparison.Ordinal)
                && int.TryParse(role.AsSpan(RolePrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                return n;
        }
        return null;
    }

    /// <summary>Why the members disagree with <paramref name="maxShards"/> (naming them), or null.</summary>
    public static string? Disagreement(IEnumerable<Member> members, Address self, int maxShards)
    {
        var others = members
            .Where(m => m.Address != self && m.Status is MemberStatus.Up or MemberStatus.Joining or MemberStatus.WeaklyUp)
            .Select(m => (m.Address, Value: MaxShardsOf(m)))
            .Where(m => m.Value != maxShards)
            .ToList();
        if (others.Count == 0) return null;
        var list = string.Join(", ", others.Take(5).Select(m =>
            $"{m.Address} has {(m.Value is { } v ? v.ToString(CultureInfo.InvariantCulture) : "none (an older version)")}"));
        return $"evaluator.sharding.max-shards is {maxShards} on this node but {list}: every node of a cluster must use the " +
               "same value (EVALUATOR_MAX_SHARDS); this node refuses to join and leaves";
    }

    /// <summary>
    /// Checks the members of the cluster this node is up in: on a disagreement it logs an error,
    /// leaves, and throws (so it never starts a region that would place entities differently).
    /// </summary>
    public static void EnsureAgreed(Cluster cluster, int maxShards)
    {
        if (Disagreement(cluster.State.Members, cluster.SelfAddress, maxShards) is not { } problem) return;
        Logging.GetLogger(cluster.System, typeof(ShardingAgreement)).Error(problem);
        cluster.Leave(cluster.SelfAddress);
        throw new ConfigurationException(problem);
    }
}
