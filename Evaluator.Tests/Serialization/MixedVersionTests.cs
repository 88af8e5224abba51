using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using Evaluator.Messages.Protocol;
using Evaluator.Messages.Serialization;

namespace Evaluator.Tests.Serialization;

/// <summary>
/// Two releases in one cluster, over real remoting on loopback: a "newer" node whose serializer
/// (same id as <see cref="ProtocolSerializer"/>) writes a manifest this release does not know
/// sends it to a node of this release. The receiver refuses the message (it never reaches the
/// actor), and its log names the manifest (ProtocolSerializer's error) and, in Akka's remoting
/// line, the sending node's address; the association stays up, so later known messages pass.
/// </summary>
[Trait("Category", "Slow")]
[Collection("cluster")]
public sealed class MixedVersionTests : Akka.TestKit.Xunit2.TestKit
{
    private const string FutureManifest = "E-PR9";

    public MixedVersionTests() : base(Remote(ProtocolSerializerName), "evaluator")
    {
    }

    private static readonly string ProtocolSerializerName = typeof(ProtocolSerializer).AssemblyQualifiedName!;

    private static Config Remote(string serializer) => ConfigurationFactory.ParseString($$"""
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
        akka.actor.serializers.evaluator = "{{serializer}}"
        akka.actor.serialization-bindings { "{{typeof(IEvaluatorMessage).AssemblyQualifiedName}}" = evaluator }
        akka.loglevel = INFO
        """);

    /// <summary>A message type of a later release.</summary>
    public sealed record FutureEvent(int Value) : IEvaluatorMessage;

    /// <summary>The later release's serializer: the known messages as today, plus a new manifest.</summary>
    public sealed class NewerSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
    {
        private readonly ProtocolSerializer _current = new(system);

        public override int Identifier => ProtocolSerializer.Id;

        public override string Manifest(object o) => o is FutureEvent ? FutureManifest : _current.Manifest(o);

        public override byte[] ToBinary(object obj) => obj is FutureEvent f ? [(byte)f.Value] : _current.ToBinary(obj);

        public override object FromBinary(byte[] bytes, string manifest) =>
            manifest == FutureManifest ? new FutureEvent(bytes[0]) : _current.FromBinary(bytes, manifest);
    }

    [Fact]
    public async Task A_message_of_a_newer_release_is_refused_and_logged_naming_its_manifest_and_sender()
    {
        var probe = CreateTestProbe();
        var receiver = Sys.ActorOf(Props.Create(() => new Forwarder(probe.Ref)), "receiver");
        var here = ((ExtendedActorSystem)Sys).Provider.DefaultAddress;
        using var newer = ActorSystem.Create("evaluator", Remote(typeof(NewerSerializer).AssemblyQualifiedName!));
        var there = ((ExtendedActorSystem)newer).Provider.DefaultAddress;
        var target = newer.ActorSelection(new RootActorPath(here) / "user" / "receiver");

        // A message both releases know crosses first (the association is up).
        target.Tell(new GetSnapshot("r1"));
        probe.ExpectMsg<GetSnapshot>(m => m.RunId == "r1");

        EventFilter.Error(contains: $"unknown manifest '{FutureManifest}' (1 bytes)").ExpectOne(() =>
            // Akka's remoting: "Deserialization failed ... [SerializerId=7311, Manifest=E-PR9] ...", logged by the
            // endpoint reader of the sending node's association (its address, URL-encoded, in the log source).
            EventFilter.Custom(e => e.Message?.ToString()?.Contains($"Manifest={FutureManifest}", StringComparison.Ordinal) == true
                                    && e.LogSource.Contains(Uri.EscapeDataString(there.ToString()), StringComparison.OrdinalIgnoreCase))
                .ExpectOne(() => target.Tell(new FutureEvent(7))));
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        // The association survives: known messages still pass.
        target.Tell(new GetSnapshot("r2"));
        probe.ExpectMsg<GetSnapshot>(m => m.RunId == "r2");
        await newer.Terminate();
    }

    private sealed class Forwarder : ReceiveActor
    {
        public Forwarder(IActorRef to) => ReceiveAny(to.Forward);
    }
}
