namespace Evaluator.Messages;

/// <summary>What to do with a label outside [0, C) that is not an ignore label.</summary>
public enum OutOfRangePolicy
{
    /// <summary>Refuse the batch with an error naming the value and its index (the default).</summary>
    Error,

    /// <summary>Drop the pixel and count it as out of range (Keras' behaviour).</summary>
    Ignore,
}
