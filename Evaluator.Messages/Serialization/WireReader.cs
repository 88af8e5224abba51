using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;
using Evaluator.Messages.Protocol;

namespace Evaluator.Messages.Serialization;

/// <summary>Reads what <see cref="WireWriter"/> wrote; any inconsistency is a <see cref="WireFormatException"/>.</summary>
public ref struct WireReader(ReadOnlySpan<byte> bytes, string what)
{
    private readonly ReadOnlySpan<byte> _bytes = bytes;
    private int _pos;

    public readonly void End()
    {
        if (_pos != _bytes.Length) throw new WireFormatException(what, $"{_bytes.Length - _pos} trailing bytes");
    }

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n < 0 || _pos + n > _bytes.Length) throw new WireFormatException(what, "truncated message");
        var s = _bytes.Slice(_pos, n);
        _pos += n;
        return s;
    }

    public byte Byte() => Take(1)[0];

    public bool Bool() => Byte() switch
    {
        0 => false,
        1 => true,
        var b => throw new WireFormatException(what, $"bad boolean {b}"),
    };

    public ulong UVar() => VarInt.Read(_bytes, ref _pos, what);

    public long Var()
    {
        var u = UVar();
        return (long)(u >> 1) ^ -(long)(u & 1);
    }

    public int Int()
    {
        var v = Var();
        return v is < int.MinValue or > int.MaxValue ? throw new WireFormatException(what, $"{v} is not an int32") : (int)v;
    }

    private int Count()
    {
        var n = UVar();
        return n > (ulong)(_bytes.Length - _pos) ? throw new WireFormatException(what, $"length {n} past the end") : (int)n;
    }

    public double Double() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

    public ReadOnlySpan<byte> Bytes() => Take(Count());

    public string String() => Encoding.UTF8.GetString(Bytes());

    public string? NullableString() => Bool() ? String() : null;

    public ConfusionMatrix Matrix() => ConfusionMatrix.FromBytes(Bytes());

    public PixelCounts Pixels() => new(Var(), Var(), Var());

    public RunSpec Spec()
    {
        var c = (int)Math.Min(UVar(), int.MaxValue);
        var names = ReadList(ref this, static (ref WireReader r) => r.String());
        var ignore = ReadList(ref this, static (ref WireReader r) => r.Var());
        LabelMap? map = null;
        if (Bool())
        {
            var name = String();
            var entries = ReadList(ref this, static (ref WireReader r) =>
            {
                var raw = r.Var();
                long? target = r.Bool() ? r.Var() : null;
                return new KeyValuePair<long, long?>(raw, target);
            });
            var rule = (UnmappedRule)Byte();
            map = new LabelMap(name, entries, rule, Var());
        }
        var mapPredictions = Bool();
        var policy = (OutOfRangePolicy)Byte();
        var targets = ReadList(ref this, static (ref WireReader r) => r.Int());
        var categories = ReadList(ref this, static (ref WireReader r) =>
            new ClassCategory(r.String(), ReadList(ref r, static (ref WireReader q) => q.Int())));
        var beta = Double();
        try
        {
            return new RunSpec(c, names, ignore, map, mapPredictions, policy, targets, categories, beta);
        }
        catch (EvaluatorException e)
        {
            throw new WireFormatException(what, $"invalid run spec ({e.Message})");
        }
    }

    public LabelArray Labels()
    {
        var dtype = (LabelDType)Byte();
        var shape = ReadList(ref this, static (ref WireReader r) => r.Var());
        return LabelArray.FromBytes(dtype, Bytes(), [.. shape]);
    }

    public FilePair Pair() => new(String(), String());

    public BadPair Bad() => new(String(), String(), String());

    public PartitionAssignment Assignment()
    {
        var partition = Int();
        var pairs = ReadList(ref this, static (ref WireReader r) => r.Pair());
        var batch = Int();
        RawLayout? raw = null;
        if (Bool()) raw = new RawLayout(ReadList(ref this, static (ref WireReader r) => r.Var()), (LabelDType)Byte());
        return new PartitionAssignment(partition, pairs, batch, raw);
    }

    public PartitionPartial Partial() =>
        new(String(), Int(), Var(), Matrix(), Pixels(), ReadList(ref this, static (ref WireReader r) => r.Bad()), Bool());

    public ImmutableArray<ImageResult> Images() =>
        ReadList(ref this, static (ref WireReader r) => new ImageResult(r.Var(), default, r.Pixels()) with
        {
            Cells = ReadList(ref r, static (ref WireReader x) => new MatrixCell(x.Int(), x.Int(), x.Var())),
        });

    /// <summary><paramref name="s"/> with the per-image option and roots that follow it.</summary>
    public StartRun PerImage(StartRun s) =>
        s with { PerImage = Bool(), GroundTruthRoot = String(), PredictionRoot = String() };

    public double? NullableDouble() => Bool() ? Double() : null;

    public BoundaryCounts? Boundary()
    {
        if (!Bool()) return null;
        var inter = ReadList(ref this, static (ref WireReader r) => r.Var());
        var union = ReadList(ref this, static (ref WireReader r) => r.Var());
        return inter.Length == union.Length
            ? new BoundaryCounts(inter, union)
            : throw new WireFormatException(what, $"boundary sums of {inter.Length} and {union.Length} classes");
    }

    public Cityscapes.CityscapesInstanceStats? Cityscapes()
    {
        if (!Bool()) return null;
        var tp = ReadList(ref this, static (ref WireReader r) => r.Var());
        var fn = ReadList(ref this, static (ref WireReader r) => r.Var());
        var ctp = ReadList(ref this, static (ref WireReader r) => r.Var());
        var cfn = ReadList(ref this, static (ref WireReader r) => r.Var());
        var tpW = ReadList(ref this, static (ref WireReader r) => r.ExactSum());
        var fnW = ReadList(ref this, static (ref WireReader r) => r.ExactSum());
        var ctpW = ReadList(ref this, static (ref WireReader r) => r.ExactSum());
        var cfnW = ReadList(ref this, static (ref WireReader r) => r.ExactSum());
        try
        {
            return new Messages.Cityscapes.CityscapesInstanceStats(tp, fn, tpW, fnW, ctp, cfn, ctpW, cfnW).Validated();
        }
        catch (InvalidRunSpecException e)
        {
            throw new WireFormatException(what, e.Message);
        }
    }

    private Messages.Cityscapes.ExactSum ExactSum() =>
        Messages.Cityscapes.ExactSum.FromUnits(new System.Numerics.BigInteger(Bytes(), isUnsigned: true, isBigEndian: false));

    public StartRun Start() =>
        new(String(), Spec(), ReadList(ref this, static (ref WireReader r) => r.Assignment()), Var(), String(), Bool(), Bool());

    public ImmutableArray<PairStamp> Stamps() =>
        ReadList(ref this, static (ref WireReader r) => new PairStamp(r.Var(), r.Var(), r.Var(), r.Var()));

    public RunSnapshot Snapshot() =>
        new(String(), Var(), DateTimeOffset.FromUnixTimeMilliseconds(Var()), Spec(), Matrix(), Pixels(), Var(),
            ReadList(ref this, static (ref WireReader r) => new PartitionProgress(r.Int(), r.Var(), r.Var(), r.Var(), r.Bool())),
            ReadList(ref this, static (ref WireReader r) => r.Bad()),
            (RunStatus)Byte(), NullableString());

    public delegate T ItemReader<out T>(ref WireReader reader);

    public static ImmutableArray<T> ReadList<T>(ref WireReader r, ItemReader<T> item)
    {
        var n = r.Count();
        var b = ImmutableArray.CreateBuilder<T>(n);
        for (var i = 0; i < n; i++) b.Add(item(ref r));
        return b.MoveToImmutable();
    }
}
