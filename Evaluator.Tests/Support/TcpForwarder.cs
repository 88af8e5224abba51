using System.Net;
using System.Net.Sockets;

namespace Evaluator.Tests.Support;

/// <summary>
/// A TCP forwarder on a loopback port to a real server (PostgreSQL), that a test stops (its
/// listener and every connection it carries closed: the server is gone for the client) and
/// starts again on the same port. Hand-written: a few lines over TcpListener and
/// Stream.CopyToAsync; a proxy process (socat, toxiproxy) would add a tool to install for no gain.
/// </summary>
internal sealed class TcpForwarder : IDisposable
{
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly List<TcpClient> _open = [];
    private TcpListener? _listener;
    private bool _blackHole;
    private CancellationTokenSource? _stop;

    public TcpForwarder(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
    }

    /// <summary>The loopback port clients connect to.</summary>
    public int Port { get; }

    public void Start() => Listen(blackHole: false);

    /// <summary>Accepts connections and never answers (a server behind a partition): clients wait for their own timeouts.</summary>
    public void StartBlackHole() => Listen(blackHole: true);

    private void Listen(bool blackHole)
    {
        _blackHole = blackHole;
        _stop = new CancellationTokenSource();
        _listener = new TcpListener(IPAddress.Loopback, Port);
        // The connections it closed linger in TIME_WAIT on this port: rebinding must not wait for them.
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        _ = AcceptAsync(_listener, _stop.Token);
    }

    /// <summary>Stops listening and closes every forwarded connection.</summary>
    public void Stop()
    {
        _stop?.Cancel();
        _listener?.Stop();
        lock (_open)
        {
            foreach (var c in _open) c.Dispose();
            _open.Clear();
        }
    }

    public void Dispose() => Stop();

    private async Task AcceptAsync(TcpListener listener, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = ForwardAsync(client, stop);
        }
    }

    private async Task ForwardAsync(TcpClient client, CancellationToken stop)
    {
        var server = new TcpClient();
        lock (_open)
        {
            _open.Add(client);
            _open.Add(server);
        }
        try
        {
            if (_blackHole) await Task.Delay(Timeout.Infinite, stop);
            await server.ConnectAsync(_targetHost, _targetPort, stop);
            var a = client.GetStream();
            var b = server.GetStream();
            await Task.WhenAny(a.CopyToAsync(b, stop), b.CopyToAsync(a, stop));
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // closed by Stop, or by either end
        }
        finally
        {
            client.Dispose();
            server.Dispose();
            lock (_open)
            {
                _open.Remove(client);
                _open.Remove(server);
            }
        }
    }
}
