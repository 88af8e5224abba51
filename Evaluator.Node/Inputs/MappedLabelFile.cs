using System.IO.MemoryMappedFiles;
using Evaluator.Messages;

namespace Evaluator.Node.Inputs;

/// <summary>
/// A read-only memory map of the label bytes of a file (.npy data, raw files): the kernel counts
/// straight from the page cache, with no copy into an array (`evaluate` on one core: 2.02 against
/// 1.27 Gpx/s with pooled reads, bench/end-to-end.sh; README "Performance"). The map lives until the owning <see cref="LabelArray"/> is
/// disposed (a shard does that after counting the pair) or collected.
/// A file truncated by another process while it is mapped would fault on access, so the node
/// maps only for the milliseconds a pair is in flight, and <c>evaluator.memory-map-files = off</c>
/// reads files into pooled arrays instead.
/// </summary>
internal sealed unsafe class MappedLabelFile : NativeLabelMemory
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _start;
    private int _released;

    private MappedLabelFile(MemoryMappedFile file, MemoryMappedViewAccessor view, byte* start, long length)
    {
        _file = file;
        _view = view;
        _start = start;
        ByteLength = length;
    }

    public override long ByteLength { get; }

    protected override byte* Pointer => _start;

    /// <summary>Maps <paramref name="length"/> bytes of <paramref name="stream"/>'s file (the stream stays open and owned by the caller) from <paramref name="offset"/>.</summary>
    public static MappedLabelFile Map(FileStream stream, long offset, long length)
    {
        var file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None,
            leaveOpen: true);
        try
        {
            var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            // The view starts on a page boundary at or before offset 0: PointerOffset is its distance.
            return new MappedLabelFile(file, view, p + view.PointerOffset + offset, length);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    protected override void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) return;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
