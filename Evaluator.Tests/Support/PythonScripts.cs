using System.Diagnostics;
using System.Text;

namespace Evaluator.Tests.Support;

/// <summary>Runs Debian's /usr/bin/python3 (which has numpy, torch and pytest) for the Python client's tests.</summary>
internal static class PythonScripts
{
    public const string Python = "/usr/bin/python3";

    /// <summary>The Python client's folder in the checkout.</summary>
    public static string ClientDir => Path.Combine(RepoFiles.RepoRoot(), "clients", "python");

    /// <summary>A start of python3 with <paramref name="args"/>, output redirected, no bytecode written into the checkout.</summary>
    public static ProcessStartInfo Info(IEnumerable<string> args, string workingDirectory)
    {
        var info = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["PYTHONDONTWRITEBYTECODE"] = "1"; // no __pycache__ in the checkout
        info.Environment["PYTHONUNBUFFERED"] = "1";
        info.Environment["OMP_NUM_THREADS"] = "1";
        return info;
    }

    /// <summary>Runs python3 to its end (killed past <paramref name="limit"/>) and returns what it printed.</summary>
    public static async Task<(int Code, string Stdout, string Stderr, bool TimedOut)> RunAsync(
        IEnumerable<string> args, string workingDirectory, TimeSpan limit)
    {
        using var python = Process.Start(Info(args, workingDirectory)) ?? throw new InvalidOperationException($"could not start {Python}");
        var stdout = python.StandardOutput.ReadToEndAsync();
        var stderr = python.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        var timedOut = false;
        try
        {
            await python.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = true;
            python.Kill(entireProcessTree: true);
            await python.WaitForExitAsync();
        }
        return (python.ExitCode, await stdout, await stderr, timedOut);
    }
}
