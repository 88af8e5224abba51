using System.Collections.Immutable;

namespace Evaluator.Messages.Protocol;

/// <summary>One nonzero cell of a confusion matrix: ground-truth row, predicted column, exact count.</summary>
public readonly record struct MatrixCell(int Row, int Column, long Count);

/// <summary>
/// The exact result of one pair of a partition (per-image runs only): its seq (the pair's index
/// in its partition), the nonzero cells of its confusion matrix and its pixel counts.
/// </summary>
public sealed record ImageResult(long Seq, ImmutableArray<MatrixCell> Cells, PixelCounts Pixels)
{
    /// <summary>The nonzero cells of <paramref name="m"/>, row-major.</summary>
    public static ImageResult Of(long seq, ConfusionMatrix m, PixelCounts pixels)
    {
        var cells = ImmutableArray.CreateBuilder<MatrixCell>();
        if (m.IsAllocated)
        {
            var dense = m.Cells;
            var c = m.NumClasses;
            for (var i = 0; i < dense.Length; i++)
            {
                if (dense[i] != 0) cells.Add(new MatrixCell(i / c, i % c, dense[i]));
            }
        }
        return new ImageResult(seq, cells.ToImmutable(), pixels);
    }

    /// <summary>The pair's matrix, dense (for its metrics).</summary>
    public ConfusionMatrix ToMatrix(int numClasses)
    {
        var m = new ConfusionMatrix(numClasses);
        foreach (var cell in Cells) m.Add(cell.Row, cell.Column, cell.Count);
        return m;
    }

    public bool Equals(ImageResult? o) =>
        o is not null && Seq == o.Seq && Pixels == o.Pixels && Cells.SequenceEqual(o.Cells);

    public override int GetHashCode() => HashCode.Combine(Seq, Pixels, Cells.Length);
}
