namespace Evaluator.Node.Http;

/// <summary>
/// The directories a run over files posted over HTTP may read (evaluator.http.data-roots): a path
/// is inside when its real path (every symbolic link resolved, "." and ".." applied after the
/// links, as the kernel does) is a root's real path or below it. Resolved by hand, component by
/// component with <see cref="FileSystemInfo.ResolveLinkTarget"/>: .NET has no realpath, and
/// <see cref="Path.GetFullPath(string)"/> applies ".." before links (root/link/../x would pass).
/// </summary>
internal sealed class DataRoots
{
    /// <summary>Links followed at most while resolving one path (the kernel's own bound).</summary>
    private const int MaxLinks = 40;

    private readonly IReadOnlyList<string> _roots;

    public DataRoots(IReadOnlyList<string> roots)
    {
        Configured = roots;
        _roots = [.. roots.Select(r => Real(r))];
    }

    /// <summary>The roots as configured.</summary>
    public IReadOnlyList<string> Configured { get; }

    public bool Enabled => _roots.Count > 0;

    /// <summary>The real path of <paramref name="path"/> when it lies inside a root, else null.</summary>
    public string? Inside(string path)
    {
        var real = Real(path);
        return _roots.Any(root => real == root || real.StartsWith(root.EndsWith('/') ? root : root + "/", StringComparison.Ordinal))
            ? real
            : null;
    }

    /// <summary>The real path: absolute, with no link, ".", ".." or repeated separator left.</summary>
    public static string Real(string path)
    {
        var links = 0;
        return Resolve(Path.IsPathRooted(path) ? path : Path.Combine(Environment.CurrentDirectory, path), ref links);
    }

    private static string Resolve(string absolute, ref int links)
    {
        var parts = new List<string>();
        foreach (var part in absolute.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part == "..")
            {
                if (parts.Count > 0) parts.RemoveAt(parts.Count - 1);
                continue;
            }
            var candidate = "/" + string.Join('/', parts.Append(part));
            FileSystemInfo info = new FileInfo(candidate);
            if (info.LinkTarget is { } target)
            {
                if (++links > MaxLinks) throw new IOException($"'{absolute}': too many levels of symbolic links");
                // A relative target is relative to the link's directory.
                var next = target.StartsWith('/') ? target : "/" + string.Join('/', parts.Append(target));
                var resolved = Resolve(next, ref links);
                parts = [.. resolved.Split('/', StringSplitOptions.RemoveEmptyEntries)];
                continue;
            }
            parts.Add(part);
        }
        return "/" + string.Join('/', parts);
    }
}
