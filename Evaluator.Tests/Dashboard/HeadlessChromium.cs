using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Evaluator.Tests.Dashboard;

/// <summary>
/// Debian's chromium (<c>/usr/bin/chromium</c>, installed by run-tests.sh) in headless mode,
/// driven through the DevTools protocol over a WebSocket: navigate, evaluate JavaScript in the
/// page, wait for a condition, capture a screenshot. JavaScript exceptions thrown by the page
/// and console errors are collected in <see cref="PageErrors"/>.
/// </summary>
public sealed partial class HeadlessChromium : IAsyncDisposable
{
    /// <summary>How often a wait re-checks its condition (always bounded by a deadline).</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    public const string Executable = "/usr/bin/chromium";

    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly ConcurrentQueue<string> _pageErrors = new();
    private readonly StringBuilder _stderr = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _receiver = Task.CompletedTask;
    private int _nextId;

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    [GeneratedRegex(@"DevTools listening on (ws://\S+)")]
    private static partial Regex ListeningPattern();

    /// <summary>JavaScript exceptions and console.error messages of the page, in order.</summary>
    public IReadOnlyList<string> PageErrors => [.. _pageErrors];

    public string Stderr
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    /// <summary>Starts chromium with a fresh profile in <paramref name="profile"/> and attaches to its first tab.</summary>
    public static async Task<HeadlessChromium> StartAsync(string profile, int width, int height, TimeSpan timeout)
    {
        Directory.CreateDirectory(profile);
        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])
                 [
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     $"--user-data-dir={profile}", $"--window-size={width},{height}", "--hide-scrollbars",
                     "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank",
                 ])
        {
            info.ArgumentList.Add(a);
        }
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var browser = new HeadlessChromium(process, profile);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException($"chromium closed its stderr before listening\n{browser.Stderr}"));
                return;
            }
            lock (browser._stderr) browser._stderr.AppendLine(e.Data);
            if (ListeningPattern().Match(e.Data) is { Success: true } m) listening.TrySetResult(m.Groups[1].Value);
        };
        process.OutputDataReceived += (_, _) => { };
        if (!process.Start()) throw new InvalidOperationException($"could not start {Executable}");
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            var browserSocket = new Uri(await listening.Task.WaitAsync(timeout));
            await browser.AttachToFirstPageAsync(browserSocket, timeout);
            await browser.SendAsync("Runtime.enable");
            await browser.SendAsync("Page.enable");
            return browser;
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or HttpRequestException or WebSocketException)
        {
            var stderr = browser.Stderr;
            await browser.DisposeAsync();
            throw new InvalidOperationException($"chromium did not start: {e.Message}\n--- chromium stderr ---\n{stderr}", e);
        }
    }

    private async Task AttachToFirstPageAsync(Uri browserSocket, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = timeout };
        var list = $"http://{browserSocket.Authority}/json/list";
        var deadline = DateTime.UtcNow + timeout;
        string? pageSocket = null;
        while (pageSocket is null)
        {
            using var doc = JsonDocument.Parse(await http.GetStringAsync(list));
            pageSocket = doc.RootElement.EnumerateArray()
                .Where(t => t.GetProperty("type").GetString() == "page")
                .Select(t => t.GetProperty("webSocketDebuggerUrl").GetString())
                .FirstOrDefault();
            if (pageSocket is null)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"no page target in {list}");
                await Task.Delay(PollInterval); // polling a condition until its deadline
            }
        }
        using var cts = new CancellationTokenSource(timeout);
        await _socket.ConnectAsync(new Uri(pageSocket), cts.Token);
        _receiver = Task.Run(ReceiveLoopAsync);
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested && _socket.State == WebSocketState.Open)
            {
                var r = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (r.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, r.Count);
                if (!r.EndOfMessage) continue;
                Dispatch(message.ToArray());
                message.SetLength(0);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // closing
        }
        foreach (var p in _pending.Values) p.TrySetException(new InvalidOperationException("the DevTools connection closed"));
    }

    private void Dispatch(byte[] json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (root.TryGetProperty("id", out var idElement) && _pending.TryRemove(idElement.GetInt32(), out var pending))
        {
            if (root.TryGetProperty("error", out var error))
                pending.TrySetException(new InvalidOperationException($"DevTools error: {error.GetRawText()}"));
            else
                pending.TrySetResult(root.GetProperty("result").Clone());
            return;
        }
        if (!root.TryGetProperty("method", out var method)) return;
        var p = root.GetProperty("params");
        switch (method.GetString())
        {
            case "Runtime.exceptionThrown":
                var details = p.GetProperty("exceptionDetails");
                _pageErrors.Enqueue("exception: " + (details.TryGetProperty("exception", out var ex) && ex.TryGetProperty("description", out var d)
                    ? d.GetString()
                    : details.GetProperty("text").GetString()));
                break;
            case "Runtime.consoleAPICalled" when p.GetProperty("type").GetString() is "error" or "assert":
                _pageErrors.Enqueue("console.error: " + string.Join(" ", p.GetProperty("args").EnumerateArray()
                    .Select(a => a.TryGetProperty("value", out var v) ? v.ToString() : a.TryGetProperty("description", out var ds) ? ds.GetString() : "?")));
                break;
        }
    }

    /// <summary>Sends one DevTools command and returns its result.</summary>
    public async Task<JsonElement> SendAsync(string method, object? parameters = null, TimeSpan? timeout = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var reply = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        var bytes = JsonSerializer.SerializeToUtf8Bytes(new { id, method, @params = parameters ?? new { } });
        await _socket.SendAsync(bytes, WebSocketMessageType.Text, true, _stop.Token);
        try
        {
            return await reply.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    public async Task NavigateAsync(string url, TimeSpan timeout)
    {
        var r = await SendAsync("Page.navigate", new { url }, timeout);
        if (r.TryGetProperty("errorText", out var error)) throw new InvalidOperationException($"navigating to {url}: {error.GetString()}");
        await WaitForAsync("document.readyState", v => v.GetString() == "complete", timeout, $"{url} to load");
    }

    /// <summary>Evaluates a JavaScript expression in the page and returns its value (JSON).</summary>
    public async Task<JsonElement> EvaluateAsync(string expression)
    {
        var r = await SendAsync("Runtime.evaluate", new { expression, returnByValue = true, awaitPromise = true });
        if (r.TryGetProperty("exceptionDetails", out var ex))
            throw new InvalidOperationException($"evaluating `{expression}`: {ex.GetRawText()}");
        return r.GetProperty("result").TryGetProperty("value", out var value) ? value.Clone() : default;
    }

    /// <summary>
    /// Evaluates <paramref name="expression"/> until <paramref name="until"/> holds for its value,
    /// and returns that value; throws with the last value seen when the timeout passes.
    /// </summary>
    public async Task<JsonElement> WaitForAsync(string expression, Func<JsonElement, bool> until, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        JsonElement last = default;
        while (true)
        {
            last = await EvaluateAsync(expression);
            if (last.ValueKind != JsonValueKind.Undefined && until(last)) return last;
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"waited {timeout.TotalSeconds:F0} s for {what}; `{expression}` was " +
                    $"{(last.ValueKind == JsonValueKind.Undefined ? "undefined" : last.GetRawText())}; page errors: " +
                    string.Join(" | ", PageErrors));
            }
            await Task.Delay(PollInterval); // polling a condition until its deadline
        }
    }

    /// <summary>A PNG of the whole page (beyond the window when the page is taller).</summary>
    public async Task<byte[]> ScreenshotAsync()
    {
        var metrics = await SendAsync("Page.getLayoutMetrics");
        var size = metrics.GetProperty("cssContentSize");
        var clip = new { x = 0, y = 0, width = size.GetProperty("width").GetDouble(), height = size.GetProperty("height").GetDouble(), scale = 1 };
        var shot = await SendAsync("Page.captureScreenshot", new { format = "png", captureBeyondViewport = true, clip },
            TimeSpan.FromSeconds(60));
        return Convert.FromBase64String(shot.GetProperty("data").GetString()!);
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                // Browser.close is answered on the page session too; the process then exits.
                await SendAsync("Browser.close", timeout: TimeSpan.FromSeconds(5));
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException or WebSocketException)
            {
                // killed below
            }
        }
        await _stop.CancelAsync();
        try
        {
            await _receiver;
        }
        catch (OperationCanceledException)
        {
        }
        _socket.Dispose();
        if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // exited meanwhile
            }
            _process.WaitForExit(TimeSpan.FromSeconds(30));
        }
        _process.Dispose();
        _stop.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // a crash dump or lock file still held: the temp folder keeps it
        }
    }
}
