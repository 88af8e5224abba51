namespace Evaluator.Messages;

/// <summary>How many pixels were counted into the matrix, ignored, or out of range. Exact.</summary>
public readonly record struct PixelCounts(long Counted, long Ignored, long OutOfRange)
{
    public static PixelCounts Zero => default;

    public long Total => checked(Counted + Ignored + OutOfRange);

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
