using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace Evaluator.Tests.Support;

/// <summary>
/// The evaluator CLI (<c>evaluator.dll</c>, copied beside the tests) run as a child process with
/// redirected output, whose stdout lines can be awaited with a timeout. The child inherits this
/// process's environment (see <see cref="TestEnvironment"/>) plus any extra variables.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(Process process) => _process = process;

    /// <summary>The program under test, as built into the test output directory.</summary>
    public static string EvaluatorDll => Path.Combine(AppContext.BaseDirectory, "evaluator.dll");

    /// <summary>
    /// Starts <c>dotnet evaluator.dll &lt;args&gt;</c>, in <paramref name="workingDirectory"/>
    /// (by default the test binaries' folder).
    /// </summary>
    public static ChildProcess StartEvaluator(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null,
                                              string? workingDirectory = null)
    {
        if (!File.Exists(EvaluatorDll)) throw new FileNotFoundException("the evaluator is not in the test output", EvaluatorDll);
        // dotnet test (and dotnet run) tell their children where the host is.
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";
        var info = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(EvaluatorDll);
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null) info.Environment.Remove(name);
            else info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.OnStdout(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnStderr(e.Data);
        if (!process.Start()) throw new InvalidOperationException($"could not start {host} {EvaluatorDll}");
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private void OnStdout(string? line)
    {
        if (line is null)
        {
            _lines.Writer.TryComplete();
            _stdoutClosed.TrySetResult();
            return;
        }
        lock (_stdout) _stdout.AppendLine(line);
        var text = LogMessage(line);
        _lines.Writer.TryWrite(text);
        StdoutLine?.Invoke(text);
    }

    /// <summary>
    /// The message of a JSON log line (<c>serve</c> logs one JSON object per line: README,
    /// Operations), so that tests await what a node said whatever the log format; any other
    /// line as it is. <see cref="Stdout"/> keeps the lines as written.
    /// </summary>
    public static string LogMessage(string line)
    {
        if (!line.StartsWith('{')) return line;
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(line);
            return doc.RootElement.TryGetProperty("message", out var m) && m.ValueKind == System.Text.Json.JsonValueKind.String
                ? m.GetString()!
                : line;
        }
        catch (System.Text.Json.JsonException)
        {
            return line;
        }
    }

    /// <summary>
    /// Raised for each stdout line (a JSON log line's message: <see cref="LogMessage"/>) once it is part of <see cref="Stdout"/> (on a thread-pool
    /// thread): lets a test wait on several children at once without taking their lines.
    /// </summary>
    public event Action<string>? StdoutLine;

    private void OnStderr(string? line)
    {
        if (line is null)
        {
            _stderrClosed.TrySetResult();
            return;
        }
        lock (_stderr) _stderr.AppendLine(line);
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the child wrote to stdout so far.</summary>
    public string Stdout
    {
        get { lock (_stdout) return _stdout.ToString(); }
    }

    /// <summary>Everything the child wrote to stderr so far.</summary>
    public string Stderr
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    /// <summary>What the child printed, for failure messages.</summary>
    public string Transcript => $"--- stdout ---\n{Stdout}--- stderr ---\n{Stderr}";

    /// <summary>
    /// Reads stdout lines (those not yet read) until one matches, and returns it. Throws when
    /// the timeout passes or stdout ends first, with what the child printed.
    /// </summary>
    public string WaitForLine(Func<string, bool> match, TimeSpan timeout, string what)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return ReadUntil(match, cts.Token).GetAwaiter().GetResult()
                   ?? throw new TimeoutException($"the child's stdout ended before {what}\n{Transcript}");
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no {what} within {timeout.TotalSeconds:F0} s\n{Transcript}");
        }
    }

    private async Task<string?> ReadUntil(Func<string, bool> match, CancellationToken cancel)
    {
        while (await _lines.Reader.WaitToReadAsync(cancel))
        {
            while (_lines.Reader.TryRead(out var line))
            {
                if (match(line)) return line;
            }
        }
        return null;
    }

    /// <summary>Waits for the child to exit (and its output to be read); kills it and throws on timeout.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            Kill();
            throw new TimeoutException($"the child did not exit within {timeout.TotalSeconds:F0} s\n{Transcript}");
        }
        // The exit may be seen before the last redirected lines arrive.
        Task.WaitAll([_stdoutClosed.Task, _stderrClosed.Task], TimeSpan.FromSeconds(30));
        return _process.ExitCode;
    }

    /// <summary>Sends the child a signal (e.g. "INT", "TERM") with kill(1), as a user or a supervisor would.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + name, $"{_process.Id}" }, UseShellExecute = false })
                         ?? throw new InvalidOperationException("could not run kill");
        kill.WaitForExit();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -{name} {_process.Id} exited with {kill.ExitCode}\n{Transcript}");
    }

    /// <summary>
    /// The words of a POSIX shell command line as the program prints them (plain words, and
    /// single-quoted ones with '\'' for a quote): enough to run a command the program printed.
    /// </summary>
    public static IReadOnlyList<string> ShellWords(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '\'')
            {
                inWord = true;
                var end = line.IndexOf('\'', i + 1);
                if (end < 0) throw new FormatException($"unterminated quote in {line}");
                word.Append(line, i + 1, end - i - 1);
                i = end;
            }
            else if (c == '\\' && i + 1 < line.Length)
            {
                inWord = true;
                word.Append(line[++i]);
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
            else
            {
                inWord = true;
                word.Append(c);
            }
        }
        if (inWord) words.Add(word.ToString());
        return words;
    }

    /// <summary>Kills the child and its descendants (SIGKILL on Unix) and waits until they are gone.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already exited
        }
        _process.WaitForExit(TimeSpan.FromSeconds(30));
    }

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
    }
}
