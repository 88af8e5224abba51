namespace Evaluator.Node.Actors;

/// <summary>Times of journal rows (event envelopes' timestamps).</summary>
internal static class JournalTime
{
    /// <summary>
    /// An event envelope's timestamp as a time: Akka.Persistence.Sql writes UTC ticks; a journal
    /// writing Unix milliseconds is read as such; 0 (none) is null.
    /// </summary>
    public static DateTimeOffset? Of(long timestamp) => timestamp switch
    {
        <= 0 => null,
        > 100_000_000_000_000 when timestamp <= DateTime.MaxValue.Ticks => new DateTimeOffset(timestamp, TimeSpan.Zero),
        < 100_000_000_000_000 => DateTimeOffset.FromUnixTimeMilliseconds(timestamp),
        _ => null,
    };
}
