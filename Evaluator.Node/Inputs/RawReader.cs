using Evaluator.Messages;
using Evaluator.Messages.Protocol;

namespace Evaluator.Node.Inputs;

/// <summary>Headerless binary label files: the shape and dtype come from the command line.</summary>
public static class RawReader
{
    public static LabelArray Read(string path, RawLayout layout)
    {
        var bytes = File.ReadAllBytes(path);
        var expected = checked(layout.Count * layout.DType.Size());
        if (bytes.Length != expected)
            throw new BadInputException(path,
                $"raw file is {bytes.Length} bytes but shape {layout.ShapeText} of {layout.DType.Name()} needs {expected}");
        return LabelArray.FromBytes(layout.DType, bytes, [.. layout.Shape]);
    }
}
