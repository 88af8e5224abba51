using System.Runtime;

namespace Evaluator.Node.Runtime;

/// <summary>
/// Multi-core JIT (<see cref="ProfileOptimization"/>), opt-in: the runtime records which methods a
/// command JIT-compiles into a small profile file (written at exit) and, on the next start of the
/// same command, compiles them ahead on a background thread while the main thread runs, instead
/// of one by one on first call: what ReadyToRun leaves to the JIT (generic instantiations across
/// assemblies, LanguageExt) starts sooner when a core is free for it. Off by default: on the
/// shared 2-core VM it cost 0.06-0.1 s of CPU (recording, the write at exit) and gained no wall
/// time (README, "Fixed cost of a local run"). Started at the very top of Main, before the
/// configuration is read, so its switch is an environment variable, EVALUATOR_JIT_PROFILE:
/// <c>on</c> (profiles in <c>$XDG_CACHE_HOME/evaluator/jit</c>, else <c>~/.cache/evaluator/jit</c>)
/// or a directory. A directory that cannot be created or written is skipped silently: the profile
/// only saves time. Not for publish.sh's single file: the runtime records nothing from a bundle.
/// </summary>
internal static class StartupJitProfile
{
    public const string Variable = "EVALUATOR_JIT_PROFILE";

    /// <summary>Starts recording (and replaying the last recording of) this command's profile; false when off or skipped.</summary>
    public static bool Start(string[] args)
    {
        var dir = Directory(Environment.GetEnvironmentVariable);
        if (dir is null) return false;
        try
        {
            System.IO.Directory.CreateDirectory(dir);
            // The runtime writes the profile at exit and says nothing if it cannot: check now.
            var probe = Path.Combine(dir, $".probe-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return false;
        }
        ProfileOptimization.SetProfileRoot(dir);
        ProfileOptimization.StartProfile(ProfileName(args));
        return true;
    }

    /// <summary>The profile directory from the environment; null when off (the default) or no home is known.</summary>
    internal static string? Directory(Func<string, string?> env)
    {
        var given = env(Variable)?.Trim();
        if (string.IsNullOrEmpty(given) || given.ToLowerInvariant() is "off" or "0" or "false" or "no") return null;
        if (given.ToLowerInvariant() is not ("on" or "1" or "true" or "yes")) return given;
        var cache = env("XDG_CACHE_HOME");
        if (string.IsNullOrWhiteSpace(cache))
        {
            var home = env("HOME");
            if (string.IsNullOrWhiteSpace(home)) return null;
            cache = Path.Combine(home, ".cache");
        }
        return Path.Combine(cache, "evaluator", "jit");
    }

    /// <summary>One profile per command (evaluate, serve, ...): each JITs a different set of methods.</summary>
    internal static string ProfileName(string[] args)
    {
        var command = args.Length > 0 && args[0].Length is > 0 and <= 32 && args[0].All(char.IsAsciiLetterLower) ? args[0] : "other";
        return command + ".jitprofile";
    }
}
