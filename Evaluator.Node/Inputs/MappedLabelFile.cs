using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
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

    private MappedLabelFile(MemoryMappedFile file, MemoryMappedViewAccessor view, byte* start, long length, int populateError)
    {
        _file = file;
        _view = view;
        _start = start;
        ByteLength = length;
        PopulateError = populateError;
    }

    /// <summary>0 when the kernel populated the mapping's pages; otherwise the errno of <c>madvise</c> (EINVAL: a kernel older than 5.14), or -1 where not tried (not Linux, empty).</summary>
    public int PopulateError { get; }

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
            var start = p + view.PointerOffset;
            var populateError = Populate(start, view.PointerOffset + offset + length);
            return new MappedLabelFile(file, view, start + offset, length, populateError);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Maps the view's pages in one system call (Linux 5.14+ <c>MADV_POPULATE_READ</c>) on the
    /// thread that maps the file: a partition's decode stage, ahead of its shard. Without it the
    /// shard's thread took every page fault itself while counting (fault-around maps 16 pages a
    /// fault: 32 faults per 2 MiB file), one pair at a time. Best effort: on an older kernel, or a
    /// file truncated meanwhile (EFAULT, no signal), the pages fault in while counting as before.
    /// Hand-written: .NET's MemoryMappedFile has no MAP_POPULATE and no madvise.
    /// </summary>
    private static int Populate(byte* pageStart, long bytes)
    {
        if (!OperatingSystem.IsLinux() || bytes <= 0) return -1;
        return Madvise((nint)pageStart, (nuint)bytes, MadvPopulateRead) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    private const int MadvPopulateRead = 22; // <linux/mman.h>

    [DllImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static extern int Madvise(nint address, nuint length, int advice);

    protected override void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) return;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
