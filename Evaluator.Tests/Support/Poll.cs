namespace Evaluator.Tests.Support;

/// <summary>
/// Waiting for a condition that no message announces (an HTTP status, a journal read from
/// outside, cluster membership): re-checks it until it holds or a deadline passes, then fails
/// naming what was awaited and the last value seen. The one polling loop of the tests.
/// </summary>
internal static class Poll
{
    /// <summary>How often a condition is re-checked.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>Reads <paramref name="probe"/> until <paramref name="done"/> holds; returns that value.</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await probe();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{what}: not within {timeout.TotalSeconds:0.#} s (last seen: {value})");
            await Task.Delay(Interval);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds.</summary>
    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        UntilAsync(() => Task.FromResult(condition()), ok => ok, timeout, what);
}
