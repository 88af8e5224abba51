using System.Runtime.InteropServices;

namespace Evaluator.Node.Inputs;

/// <summary>What a path is on disk.</summary>
internal enum FileKind
{
    Regular,
    Directory,

    /// <summary>A FIFO, socket or device: reading it may block forever or never end.</summary>
    Other,
}

/// <summary>
/// The physical identity of a file (device and inode) and its kind, following symbolic links:
/// two names with the same identity are one file. Hand-written because .NET has no managed
/// API for a file's type or inode (<see cref="FileInfo"/> reports a FIFO as a normal, empty
/// file). On Linux it calls <c>statx(2)</c>, whose structure has one layout on every
/// architecture; elsewhere it falls back to the full path as the identity.
/// </summary>
internal readonly record struct FileIdentity(FileKind Kind, ulong Device, ulong Inode, string? Path)
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1, StatxIno = 0x100;
    private const ushort TypeMask = 0xF000, TypeRegular = 0x8000, TypeDirectory = 0x4000;

    /// <summary>The identity of <paramref name="path"/>, or null when it does not exist (or a link dangles).</summary>
    public static FileIdentity? Of(string path)
    {
        if (OperatingSystem.IsLinux())
        {
            Span<byte> buffer = stackalloc byte[256];
            int rc;
            try
            {
                rc = Statx(AtFdCwd, path, 0, StatxType | StatxIno, ref MemoryMarshal.GetReference(buffer));
            }
            catch (EntryPointNotFoundException)
            {
                return Fallback(path); // a C library older than glibc 2.28
            }
            if (rc != 0) return null;
            var mode = (ushort)(BitConverter.ToUInt16(buffer[28..]) & TypeMask);
            var kind = mode == TypeRegular ? FileKind.Regular : mode == TypeDirectory ? FileKind.Directory : FileKind.Other;
            // stx_ino at 32; stx_dev_major and stx_dev_minor at 136 and 140.
            var device = ((ulong)BitConverter.ToUInt32(buffer[136..]) << 32) | BitConverter.ToUInt32(buffer[140..]);
            return new FileIdentity(kind, device, BitConverter.ToUInt64(buffer[32..]), null);
        }
        return Fallback(path);
    }

    private static FileIdentity? Fallback(string path) =>
        Directory.Exists(path) ? new FileIdentity(FileKind.Directory, 0, 0, System.IO.Path.GetFullPath(path))
        : File.Exists(path) ? new FileIdentity(FileKind.Regular, 0, 0, System.IO.Path.GetFullPath(path))
        : null;

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask,
        ref byte statxBuffer);
}
