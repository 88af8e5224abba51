using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;
using Evaluator.Messages.Protocol;

namespace Evaluator.Messages.Serialization;

/// <summary>Writes the protocol's binary encoding: LEB128 varints, UTF-8 strings, value types.</summary>
public sealed class WireWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    public void Byte(byte b)
    {
        _buffer.GetSpan(1)[0] = b;
        _buffer.Advance(1);
    }

    public void Bool(bool b) => Byte(b ? (byte)1 : (byte)0);

    public void UVar(ulong v) => _buffer.Advance(VarInt.Write(_buffer.GetSpan(10), v));

    /// <summary>A signed value, zigzag-encoded.</summary>
    public void Var(long v) => UVar((ulong)((v << 1) ^ (v >> 63)));

    public void Double(double d)
    {
        BinaryPrimitives.WriteDoubleLittleEndian(_buffer.GetSpan(8), d);
        _buffer.Advance(8);
    }

    public void Bytes(ReadOnlySpan<byte> bytes)
    {
        UVar((ulong)bytes.Length);
        bytes.CopyTo(_buffer.GetSpan(bytes.Length));
        _buffer.Advance(bytes.Length);
    }

    public void String(string s) => Bytes(Encoding.UTF8.GetBytes(s));

    /// <summary>The (run id, partition) most messages start with.</summary>
    public void Key(string runId, int partition)
    {
        String(runId);
        Var(partition);
    }

    public void NullableString(string? s)
    {
        Bool(s is not null);
        if (s is not null) String(s);
    }

    public void List<T>(IReadOnlyCollection<T> items, Action<T> write)
    {
        UVar((ulong)items.Count);
        foreach (var i in items) write(i);
    }

    public void Optional<T>(T? value, Action<T> write) where T : class
    {
        Bool(value is not null);
        if (value is not null) write(value);
    }

    public void Matrix(ConfusionMatrix m) => Bytes(m.ToBytes());

    public void Pixels(PixelCounts p)
    {
        Var(p.Counted);
        Var(p.Ignored);
        Var(p.OutOfRange);
    }

    public void Spec(RunSpec s)
    {
        UVar((ulong)s.NumClasses);
        List(s.ClassNames, String);
        List(s.IgnoreLabels, Var);
        Optional(s.LabelMap, m =>
        {
            String(m.Name);
            List(m.Entries, e =>
            {
                Var(e.Key);
                Bool(e.Value.HasValue);
                if (e.Value.HasValue) Var(e.Value.Value);
            });
            Byte((byte)m.Unmapped);
            Var(m.Shift);
        });
        Bool(s.MapPredictions);
        Byte((byte)s.OutOfRange);
        List(s.TargetClasses, c => Var(c));
        List(s.Categories, c =>
        {
            String(c.Name);
            List(c.Classes, k => Var(k));
        });
        Double(s.Beta);
    }

    public void Labels(LabelArray a, int offset, int length)
    {
        Byte((byte)a.DType);
        List(a.Shape.Length == 1 || length != a.Length ? [(long)length] : a.Shape, Var);
        Bytes(a.Bytes(offset, length));
        GC.KeepAlive(a); // native storage must outlive the span just written
    }

    public void Pair(FilePair p)
    {
        String(p.GroundTruth);
        String(p.Prediction);
    }

    public void Bad(BadPair b)
    {
        String(b.GroundTruth);
        String(b.Prediction);
        String(b.Error);
    }

    public void Assignment(PartitionAssignment a)
    {
        Var(a.Partition);
        List(a.Pairs, Pair);
        Var(a.BatchPixels);
        Optional(a.Raw, r =>
        {
            List(r.Shape, Var);
            Byte((byte)r.DType);
        });
    }

    public void Partial(PartitionPartial p)
    {
        String(p.RunId);
        Var(p.Partition);
        Var(p.Watermark);
        Matrix(p.Matrix);
        Pixels(p.Pixels);
        List(p.BadPairs, Bad);
        Bool(p.Final);
    }

    /// <summary>Per-image results: seq, pixel counts, then the nonzero cells as (row, column, count).</summary>
    public void Images(ImmutableArray<ImageResult> images) => List(images, i =>
    {
        Var(i.Seq);
        Pixels(i.Pixels);
        List(i.Cells, c =>
        {
            Var(c.Row);
            Var(c.Column);
            Var(c.Count);
        });
    });

    /// <summary>A <see cref="StartRun"/>'s per-image option and roots: written after its stamps, in the manifests that have them.</summary>
    public void PerImage(StartRun s)
    {
        Bool(s.PerImage);
        String(s.GroundTruthRoot);
        String(s.PredictionRoot);
    }

    /// <summary>An optional double: a presence flag, then the value.</summary>
    public void NullableDouble(double? d)
    {
        Bool(d is not null);
        if (d is { } v) Double(v);
    }

    /// <summary>Optional boundary IoU sums: a presence flag, then per class intersection and union.</summary>
    public void Boundary(BoundaryCounts? b)
    {
        Bool(b is not null);
        if (b is null) return;
        List(b.Intersection, Var);
        List(b.Union, Var);
    }

    public void Start(StartRun s)
    {
        String(s.RunId);
        Spec(s.Spec);
        List(s.Partitions, Assignment);
        Var(s.ExpectedPixels);
        String(s.Fingerprint);
        Bool(s.SkipBad);
        Bool(s.Ingest);
    }

    /// <summary>The stamps of a <see cref="StartRun"/>: written after it, in the manifests that have them.</summary>
    public void Stamps(ImmutableArray<PairStamp> stamps) => List(stamps, st =>
    {
        Var(st.GroundTruthLength);
        Var(st.GroundTruthTicks);
        Var(st.PredictionLength);
        Var(st.PredictionTicks);
    });

    public void Snapshot(RunSnapshot s)
    {
        String(s.RunId);
        Var(s.Number);
        Var(s.Time.ToUnixTimeMilliseconds());
        Spec(s.Spec);
        Matrix(s.Matrix);
        Pixels(s.Pixels);
        Var(s.ExpectedPixels);
        List(s.Partitions, p =>
        {
            Var(p.Partition);
            Var(p.Watermark);
            Var(p.Batches);
            Var(p.Pixels);
            Bool(p.Final);
        });
        List(s.BadPairs, Bad);
        Byte((byte)s.Status);
        NullableString(s.Error);
    }

    /// <summary>Optional Cityscapes instance statistics: a presence flag, the int64 counts, the exact sums as unsigned little-endian integers of 2^-1074.</summary>
    public void Cityscapes(Messages.Cityscapes.CityscapesInstanceStats? c)
    {
        Bool(c is not null);
        if (c is null) return;
        foreach (var counts in new[] { c.ClassTp, c.ClassFn, c.CategoryTp, c.CategoryFn }) List(counts, Var);
        foreach (var sums in new[] { c.ClassTpWeighted, c.ClassFnWeighted, c.CategoryTpWeighted, c.CategoryFnWeighted })
            List(sums, x => Bytes(x.Units.ToByteArray(isUnsigned: true, isBigEndian: false)));
    }
}
