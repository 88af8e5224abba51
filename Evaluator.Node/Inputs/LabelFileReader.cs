using Evaluator.Messages;
using Evaluator.Messages.Protocol;

namespace Evaluator.Node.Inputs;

/// <summary>Reads a label file by its extension: .png, .npy, or raw (.raw/.bin/any) with a layout.</summary>
public static class LabelFileReader
{
    public static readonly string[] KnownExtensions = [".png", ".npy", ".raw", ".bin"];

    public static LabelArray Read(string path, RawLayout? raw)
    {
        if (!File.Exists(path)) throw new BadInputException(path, "file not found");
        try
        {
            return Path.GetExtension(path).ToLowerInvariant() switch
            {
                ".png" => PngReader.Read(path),
                ".npy" => NpyReader.Read(path),
                _ when raw is not null => RawReader.Read(path, raw),
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

    /// <summary>Reads both files of a pair and checks that their shapes match.</summary>
    public static (LabelArray GroundTruth, LabelArray Prediction) ReadPair(FilePair pair, RawLayout? raw)
    {
        if (string.IsNullOrEmpty(pair.Prediction))
            throw new BadInputException(pair.GroundTruth, "no prediction file matches this ground truth (missing partner)");
        var gt = Read(pair.GroundTruth, raw);
        var pred = Read(pair.Prediction, raw);
        if (gt.Length != pred.Length || !SameShape(gt, pred))
            throw new BadInputException(pair.Prediction,
                $"prediction shape {pred.ShapeText} does not match ground truth {gt.ShapeText} of {pair.GroundTruth}");
        return (gt, pred);
    }

    /// <summary>Same pixels: equal shapes, ignoring singleton axes (an (H, W, 1) map equals (H, W)).</summary>
    private static bool SameShape(LabelArray a, LabelArray b) =>
        a.Shape.Where(d => d != 1).SequenceEqual(b.Shape.Where(d => d != 1));

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
