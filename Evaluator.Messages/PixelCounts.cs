namespace Evaluator.Messages;

/// <summary>How many pixels were counted into the matrix, ignored, or out of range. Exact.</summary>
public readonly record struct PixelCounts(long Counted, long Ignored, long OutOfRange)
{
    public static PixelCounts Zero => default;

    public long Total => checked(Counted + Ignored + OutOfRange);

    /// <summary>The total, exact even where it does not fit an int64 (never throws).</summary>
    public Int128 WideTotal => (Int128)Counted + Ignored + OutOfRange;

    /// <summary>Whether <see cref="Total"/> fits an int64 (and no counter is negative).</summary>
    public bool Representable => Counted >= 0 && Ignored >= 0 && OutOfRange >= 0 && WideTotal <= long.MaxValue;

    public PixelCounts Add(PixelCounts other)
    {
        try
        {
            return new(checked(Counted + other.Counted), checked(Ignored + other.Ignored),
                checked(OutOfRange + other.OutOfRange));
        }
        catch (OverflowException e)
        {
            throw new CountOverflowException("pixel total", e);
        }
    }

    public static PixelCounts operator +(PixelCounts a, PixelCounts b) => a.Add(b);
}
