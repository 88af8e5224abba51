using Akka.Actor;

namespace Evaluator.Messages.Protocol;

/// <summary>
/// Marker of every protocol message, persisted event and snapshot: all of them, and only
/// them, are bound to the project's one serializer (Evaluator.Messages.Serialization.ProtocolSerializer),
/// which has a wire form for each except the <see cref="ILocalMessage"/>s.
/// </summary>
public interface IEvaluatorMessage;

/// <summary>
/// A message that never leaves its node: the stream protocol between a partition's local
/// stream and its shard actor (<see cref="Batch"/>, <see cref="StreamInit"/>, <see cref="StreamAck"/>,
/// <see cref="StreamCompleted"/>, <see cref="StreamFailed"/>). It has no wire form (a batch's
/// labels are pooled or memory-mapped and stay where they were read), so serialize-messages
/// skips it, as Akka's own sharding does for its local messages; sent remotely, it fails loudly.
/// </summary>
/// <remarks>Besides the serializer, this is Evaluator.Messages' one use of Akka.Actor.</remarks>
public interface ILocalMessage : INoSerializationVerificationNeeded;

/// <summary>A message for the coordinator entity of one run.</summary>
public interface IRunMessage : IEvaluatorMessage
{
    string RunId { get; }
}

/// <summary>A message for the shard entity of one (run, partition).</summary>
public interface IPartitionMessage : IEvaluatorMessage
{
    string RunId { get; }
    int Partition { get; }
}
