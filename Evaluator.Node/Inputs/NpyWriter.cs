using System.Buffers.Binary;
using System.Text;

namespace Evaluator.Node.Inputs;

/// <summary>Writes .npy (format 1.0, C order) label arrays: for generated datasets and benchmarks.</summary>
internal static class NpyWriter
{
    public static void WriteUInt8(string path, ReadOnlySpan<byte> data, long height, long width)
    {
        var header = $"{{'descr': '|u1', 'fortran_order': False, 'shape': ({height}, {width}), }}";
        // The header is padded with spaces and a newline so that the data starts at a multiple of 64.
        var total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
        using var f = File.Create(path);
        Span<byte> head = stackalloc byte[10];
        head[0] = 0x93;
        "NUMPY"u8.CopyTo(head[1..]);
        head[6] = 1;
        head[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(head[8..], (ushort)header.Length);
        f.Write(head);
        f.Write(Encoding.ASCII.GetBytes(header));
        f.Write(data);
    }
}
