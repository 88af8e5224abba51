using Evaluator.Messages;
using Evaluator.Messages.Protocol;

namespace Evaluator.Node.Inputs;

/// <summary>Headerless little-endian binary label files: the shape and dtype come from the command line.</summary>
internal static class RawReader
{
    public static LabelArray Read(string path, RawLayout layout, bool memoryMap = false)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var expected = checked(layout.Count * layout.DType.Size());
        if (f.Length != expected)
            throw new BadInputException(path,
                $"raw file is {f.Length} bytes but shape {layout.ShapeText} of {layout.DType.Name()} needs {expected}");
        if (layout.Count > Array.MaxLength) throw new BadInputException(path, $"{layout.Count} labels is more than one array holds");
        return LabelStorage.Load(f, 0, layout.DType, (int)layout.Count, [.. layout.Shape], bigEndian: false, memoryMap);
    }
}
