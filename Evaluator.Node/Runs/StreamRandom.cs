namespace Evaluator.Node.Runs;

/// <summary>
/// xoshiro256** (Blackman and Vigna, 2018), seeded through SplitMix64: the bootstrap's random
/// numbers. Hand-written on purpose: the algorithm and seeding behind <see cref="System.Random"/>
/// are not guaranteed to stay the same across .NET versions, and a report's intervals must be
/// reproducible from its seed forever. Each resample has its own stream, a function of
/// (seed, resample index) only, so resamples can run on any core in any order with the same result.
/// </summary>
internal struct StreamRandom
{
    private const ulong Golden = 0x9E3779B97F4A7C15;

    private ulong _s0, _s1, _s2, _s3;

    /// <summary>
    /// Stream <paramref name="stream"/> of <paramref name="seed"/>: a SplitMix64 generator started
    /// at Mix(seed XOR Mix(stream + golden ratio)) gives the four state words.
    /// </summary>
    public static StreamRandom For(long seed, long stream)
    {
        var x = Mix((ulong)seed ^ Mix(unchecked((ulong)stream + Golden)));
        var r = new StreamRandom
        {
            _s0 = SplitMix(ref x),
            _s1 = SplitMix(ref x),
            _s2 = SplitMix(ref x),
            _s3 = SplitMix(ref x),
        };
        return r;
    }

    /// <summary>A generator in the given state (tests check the reference outputs with it).</summary>
    internal static StreamRandom FromState(ulong s0, ulong s1, ulong s2, ulong s3) => new() { _s0 = s0, _s1 = s1, _s2 = s2, _s3 = s3 };

    /// <summary>The next 64 random bits.</summary>
    public ulong Next()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform integer in [0, n), without bias (Lemire's multiply-and-reject).</summary>
    public int NextBelow(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "must be positive");
        var m = (ulong)n;
        var high = Math.BigMul(Next(), m, out var low);
        if (low < m)
        {
            var threshold = (0 - m) % m;
            while (low < threshold) high = Math.BigMul(Next(), m, out low);
        }
        return (int)high;
    }

    /// <summary>The next output of a SplitMix64 generator whose state is <paramref name="x"/>.</summary>
    internal static ulong SplitMix(ref ulong x)
    {
        x += Golden;
        return Mix(x);
    }

    /// <summary>SplitMix64's output function (Steele, Lea and Flood, 2014).</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
