namespace Evaluator.Messages.Protocol;

/// <summary>
/// Marker of every protocol message, persisted event and snapshot: all of them, and only
/// them, are bound to the project's one serializer (Evaluator.Messages.Serialization.ProtocolSerializer).
/// </summary>
public interface IEvaluatorMessage;

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
