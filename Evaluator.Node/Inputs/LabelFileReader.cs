using Evaluator.Messages;
using Evaluator.Messages.Protocol;

namespace Evaluator.Node.Inputs;

/// <summary>Reads a label file by its extension: .png, .npy, or raw (.raw/.bin/any) with a layout.</summary>
internal static class LabelFileReader
{
    public static readonly string[] KnownExtensions = [".png", ".npy", ".raw", ".bin"];

    /// <summary>
    /// Reads one label file into a pooled array, or a memory map of it where
    /// <paramref name="memoryMap"/> and the format stores labels uncompressed (.npy, raw).
    /// </summary>
    public static LabelArray Read(string path, RawLayout? raw, bool memoryMap = false)
    {
        if (!File.Exists(path)) throw new BadInputException(path, "file not found");
        try
        {
            return Path.GetExtension(path).ToLowerInvariant() switch
            {
                ".png" => PngReader.Read(path),
                ".npy" => NpyReader.Read(path, memoryMap),
                _ when raw is not null => RawReader.Read(path, raw, memoryMap),
                var ext => throw new BadInputException(path,
                    $"unknown label file type '{ext}' (.png, .npy, or raw with --shape and --dtype)"),
            };
        }
        catch (IOException e)
        {
            throw new BadInputException(path, e.Message, e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new BadInputException(path, e.Message, e);
        }
    }

    /// <summary>
    /// Reads both files of a pair and checks that their shapes match. The caller owns (and
    /// disposes) both arrays; on an error neither is kept.
    /// </summary>
    public static (LabelArray GroundTruth, LabelArray Prediction) ReadPair(FilePair pair, RawLayout? raw,
        bool memoryMap = false)
    {
        if (string.IsNullOrEmpty(pair.Prediction))
            throw new BadInputException(pair.GroundTruth, "no prediction file matches this ground truth (missing partner)");
        var gt = Read(pair.GroundTruth, raw, memoryMap);
        LabelArray? pred = null;
        try
        {
            pred = Read(pair.Prediction, raw, memoryMap);
            if (gt.Length != pred.Length || !SameShape(gt, pred))
                throw new BadInputException(pair.Prediction,
                    $"prediction shape {pred.ShapeText} does not match ground truth {gt.ShapeText} of {pair.GroundTruth}");
            return (gt, pred);
        }
        catch
        {
            gt.Dispose();
            pred?.Dispose();
            throw;
        }
    }

    /// <summary>Same pixels: equal shapes, ignoring singleton axes (an (H, W, 1) map equals (H, W)).</summary>
    private static bool SameShape(LabelArray a, LabelArray b) =>
        a.Shape.Where(d => d != 1).SequenceEqual(b.Shape.Where(d => d != 1));

    /// <summary>
    /// The bytes that reading a file holds at its peak, from its header alone: a PNG's compressed
    /// bytes, its inflate window and its labels; an .npy or raw file's labels unless it is
    /// memory-mapped (then nothing: the mapping is no heap). 0 when unreadable (reading it reports why).
    /// </summary>
    public static long DecodeBytes(string path, RawLayout? raw, bool memoryMap)
    {
        try
        {
            switch (Path.GetExtension(path).ToLowerInvariant())
            {
                case ".png":
                    return PngReader.DecodeBytes(path);
                case ".npy":
                    var h = NpyReader.ReadHeader(path);
                    return memoryMap && (!h.BigEndian || h.DType == LabelDType.UInt8) ? 0 : h.Count * h.DType.Size();
                case var _ when raw is not null:
                    return memoryMap ? 0 : raw.Count * raw.DType.Size();
                default:
                    return 0;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or EvaluatorException or OverflowException)
        {
            return 0;
        }
    }

    /// <summary>The number of pixels of a file from its header alone, or null if unreadable.</summary>
    public static long? PixelCount(string path, RawLayout? raw)
    {
        try
        {
            return Path.GetExtension(path).ToLowerInvariant() switch
            {
                ".png" => PngReader.PixelCount(path),
                ".npy" => NpyReader.ReadHeader(path).Count,
                _ when raw is not null => raw.Count,
                _ => null,
            };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or EvaluatorException)
        {
            return null;
        }
    }
}
