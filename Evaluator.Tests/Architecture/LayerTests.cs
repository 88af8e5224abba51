using System.Reflection;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Runtime;
using NetArchTest.Rules;

namespace Evaluator.Tests.Architecture;

/// <summary>
/// The layers: the adapters (Cli, Http) call the application layer (Runs) and never each other;
/// Runs and Runtime know no adapter; the messages know no node, and only their serializer knows Akka.
/// </summary>
public class LayerTests
{
    private static readonly Assembly Node = typeof(EvaluatorNode).Assembly;
    private static readonly Assembly Messages = typeof(RunSpec).Assembly;

    [Theory]
    [InlineData("Evaluator.Node.Cli", "Evaluator.Node.Http")]
    [InlineData("Evaluator.Node.Http", "Evaluator.Node.Cli")]
    [InlineData("Evaluator.Node.Runs", "Evaluator.Node.Cli")]
    [InlineData("Evaluator.Node.Runs", "Evaluator.Node.Http")]
    [InlineData("Evaluator.Node.Runtime", "Evaluator.Node.Cli")]
    [InlineData("Evaluator.Node.Runtime", "Evaluator.Node.Http")]
    [InlineData("Evaluator.Node.Runtime", "Evaluator.Node.Runs")]
    public void A_layer_does_not_reference_another(string layer, string forbidden)
    {
        Assert.NotEmpty(Types.InAssembly(Node).That().ResideInNamespace(layer).GetTypes());
        Holds(Types.InAssembly(Node).That().ResideInNamespace(layer).ShouldNot().HaveDependencyOn(forbidden).GetResult());
    }

    [Fact]
    public void The_messages_do_not_reference_the_node() =>
        Holds(Types.InAssembly(Messages).ShouldNot().HaveDependencyOn("Evaluator.Node").GetResult());

    /// <summary>
    /// Outside Serialization the messages are plain .NET, but for the marker that keeps local-only
    /// messages (a partition's stream protocol) out of serialization checks.
    /// </summary>
    [Fact]
    public void Only_the_serializer_of_the_messages_references_Akka()
    {
        Assert.NotEmpty(Types.InAssembly(Messages).That().ResideInNamespace("Evaluator.Messages.Protocol").GetTypes());
        Holds(Types.InAssembly(Messages).That().DoNotResideInNamespace("Evaluator.Messages.Serialization")
            .And().DoNotImplementInterface(typeof(ILocalMessage)).And().DoNotHaveName(nameof(ILocalMessage))
            .ShouldNot().HaveDependencyOn("Akka").GetResult());
        Assert.Equal([typeof(Akka.Actor.INoSerializationVerificationNeeded)],
            typeof(ILocalMessage).GetInterfaces().Where(i => i.Namespace!.StartsWith("Akka", StringComparison.Ordinal)));
    }

    private static void Holds(TestResult result) =>
        Assert.True(result.IsSuccessful, "violated by: " + string.Join(", ", result.FailingTypeNames ?? []));
}
