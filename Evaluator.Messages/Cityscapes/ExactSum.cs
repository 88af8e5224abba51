using System.Numerics;

namespace Evaluator.Messages.Cityscapes;

/// <summary>
/// An exact sum of non-negative finite doubles: each term's exact binary value is added to an
/// integer count of 2^-1074 (the smallest subnormal), so the state (and the one rounding of
/// <see cref="Value"/>) is the same whatever the order or grouping of the additions: a cluster
/// run and a local run agree bit for bit. Hand-written on <see cref="BigInteger"/> because .NET
/// has no exact float accumulator (Python's <c>math.fsum</c> has no .NET counterpart); this
/// fixed-point form, unlike Shewchuk partials, has one canonical state to serialize. Immutable.
/// </summary>
public sealed class ExactSum : IEquatable<ExactSum>
{
    /// <summary>Every finite double is an integer multiple of 2^-1074.</summary>
    private const int Scale = 1074;

    public static ExactSum Zero { get; } = new(BigInteger.Zero);

    private ExactSum(BigInteger units) => Units = units;

    /// <summary>The sum in units of 2^-1074 (the canonical, serialized state).</summary>
    public BigInteger Units { get; }

    public static ExactSum FromUnits(BigInteger units) =>
        units.Sign < 0 ? throw new ArgumentOutOfRangeException(nameof(units), "an exact sum is never negative") : new ExactSum(units);

    /// <summary>The exact value of <paramref name="term"/> (finite, ≥ 0) added.</summary>
    public ExactSum Add(double term) => new(Units + UnitsOf(term));

    public ExactSum Add(ExactSum other) => other.Units.IsZero ? this : new ExactSum(Units + other.Units);

    /// <summary>The exact binary value of a finite non-negative double, in units of 2^-1074.</summary>
    public static BigInteger UnitsOf(double term)
    {
        if (!double.IsFinite(term) || term < 0)
            throw new ArgumentOutOfRangeException(nameof(term), $"{term} is not a finite number ≥ 0");
        var bits = BitConverter.DoubleToInt64Bits(term);
        var exponent = (int)((bits >> 52) & 0x7FF);
        var mantissa = bits & 0xFFFFFFFFFFFFFL;
        // A normal double is (2^52 + m) × 2^(e − 1075); a subnormal m × 2^-1074.
        return exponent == 0 ? new BigInteger(mantissa) : new BigInteger(mantissa | (1L << 52)) << (exponent - 1);
    }

    /// <summary>The sum rounded once to the nearest double (ties to even).</summary>
    public double Value
    {
        get
        {
            var length = (int)Units.GetBitLength();
            if (length <= 53) return Math.ScaleB((double)(long)Units, -Scale); // exact
            // Keep 55 bits and fold every lower bit into the last one ("round to odd"): the
            // conversion of that long to double then rounds exactly as the full value would.
            var shift = length - 55;
            var top = (long)(Units >> shift);
            if (!(Units & ((BigInteger.One << shift) - 1)).IsZero) top |= 1;
            return Math.ScaleB((double)top, shift - Scale);
        }
    }

    public bool Equals(ExactSum? other) => other is not null && Units.Equals(other.Units);

    public override bool Equals(object? obj) => Equals(obj as ExactSum);

    public override int GetHashCode() => Units.GetHashCode();

    public override string ToString() => Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
