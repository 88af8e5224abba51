using System.Buffers;
using Evaluator.Messages;

namespace Evaluator.Node.Inputs;

/// <summary>
/// Label arrays rented from <see cref="ArrayPool{T}.Shared"/> and handed back when the
/// <see cref="LabelArray"/> is disposed (a shard does that after counting the pair), so that a
/// run decodes into the same few buffers instead of allocating (and having the OS zero) fresh
/// megabytes per image. The pool keeps at most the arrays that were in flight at once, so
/// memory stays flat.
/// </summary>
internal static class PooledLabels
{
    /// <summary>Rents <paramref name="length"/> elements, lets <paramref name="fill"/> write them, wraps them.</summary>
    public static LabelArray Fill<T, TState>(int length, long[] shape, TState state, SpanAction<T, TState> fill)
        where T : unmanaged
    {
        var array = ArrayPool<T>.Shared.Rent(length);
        try
        {
            fill(array.AsSpan(0, length), state);
            return LabelArray.Rented(array, length, shape, new Return<T>(array));
        }
        catch
        {
            ArrayPool<T>.Shared.Return(array);
            throw;
        }
    }

    /// <summary>Wraps the first <paramref name="length"/> elements of an array rented from <see cref="ArrayPool{T}.Shared"/>.</summary>
    public static LabelArray Wrap<T>(T[] rented, int length, long[] shape) where T : unmanaged =>
        LabelArray.Rented(rented, length, shape, new Return<T>(rented));

    private sealed class Return<T>(T[] array) : IDisposable
    {
        private T[]? _array = array;

        public void Dispose()
        {
            var a = Interlocked.Exchange(ref _array, null);
            if (a is not null) ArrayPool<T>.Shared.Return(a);
        }
    }
}
