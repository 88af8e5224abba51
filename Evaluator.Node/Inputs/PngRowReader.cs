using System.Buffers;
using System.IO.Compression;

namespace Evaluator.Node.Inputs;

/// <summary>
/// Hands out the filtered scanlines of a PNG as zlib inflates them, through a small window that
/// stays in the CPU cache, instead of inflating the whole image into a second image-sized buffer
/// first. Reads are large (the free part of the window at once), never past the expected amount
/// of image data, so that the end of the zlib stream (and its Adler-32) is checked by <see cref="Finish"/>.
/// </summary>
internal sealed class PngRowReader : IDisposable
{
    /// <summary>Inflate into a window of this many bytes (or two rows, if more): 64 KiB stays in L2.</summary>
    private const int WindowBytes = 1 << 16;

    private readonly ZLibStream _zlib;
    private readonly byte[] _window;
    private readonly long _expected;
    private int _start, _end;
    private long _inflated;

    /// <summary>
    /// What decoding <paramref name="rows"/> rows of <paramref name="rowBytes"/> holds besides the labels: the window
    /// (no larger than the image's filtered data, bounded here for Adam7's extra filter bytes and partial bytes
    /// too) and two line buffers.
    /// </summary>
    public static long PeakBytes(long rowBytes, long rows) =>
        WindowFor(rows * (rowBytes + 15), rowBytes + 1) + (2 * rowBytes);

    /// <summary>The window: <see cref="WindowBytes"/>, less for a smaller image, and never under two rows.</summary>
    private static long WindowFor(long expectedBytes, long maxRowBytes) =>
        Math.Max(Math.Min(WindowBytes, expectedBytes), 2 * maxRowBytes);

    public PngRowReader(Stream idat, long expectedBytes, int maxRowBytes)
    {
        _zlib = new ZLibStream(idat, CompressionMode.Decompress);
        _window = ArrayPool<byte>.Shared.Rent((int)WindowFor(expectedBytes, maxRowBytes));
        _expected = expectedBytes;
    }

    /// <summary>The next <paramref name="length"/> bytes of image data (one filtered row), valid until the next call.</summary>
    public ReadOnlySpan<byte> Next(int length)
    {
        if (_end - _start < length) Fill(length);
        var row = _window.AsSpan(_start, length);
        _start += length;
        return row;
    }

    /// <summary>Reads on to the end of the zlib stream so that its Adler-32 is checked; surplus data is tolerated.</summary>
    public void Finish()
    {
        if (_inflated == _expected) _zlib.ReadAtLeast(stackalloc byte[1], 1, throwOnEndOfStream: false);
    }

    private void Fill(int length)
    {
        int have = _end - _start;
        if (_window.Length - _start < length)
        {
            _window.AsSpan(_start, have).CopyTo(_window);
            _start = 0;
            _end = have;
        }
        int room = (int)Math.Min(_window.Length - _end, _expected - _inflated);
        int got = _zlib.ReadAtLeast(_window.AsSpan(_end, room), length - have, throwOnEndOfStream: false);
        _end += got;
        _inflated += got;
        if (got < length - have)
            throw new PngDecodeException($"truncated or corrupt: IDAT holds {_inflated} bytes of image data, expected {_expected}");
    }

    public void Dispose()
    {
        _zlib.Dispose();
        ArrayPool<byte>.Shared.Return(_window);
    }
}
