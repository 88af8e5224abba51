using Evaluator.Node.Http;
using Evaluator.Node.Runtime;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Http;

/// <summary>A one-node cluster with the HTTP API on a free loopback port (real Kestrel).</summary>
public sealed class HttpNode : IAsyncLifetime
{
    private readonly string? _token;
    private readonly long _maxBody;
    private readonly Action<ConfigOverrides>? _configure;
    private readonly Evaluator.Node.Runs.IPerImageRuns? _perImage;

    public HttpNode() : this(null, 64L << 20)
    {
    }

    internal HttpNode(string? token, long maxBody, Action<ConfigOverrides>? configure = null, Evaluator.Node.Runs.IPerImageRuns? perImage = null)
    {
        _perImage = perImage;
        _token = token;
        _maxBody = maxBody;
        _configure = configure;
    }

    internal EvaluatorNode Node { get; private set; } = null!;
    internal HttpApi Api { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var dir = TestEnvironment.TempDir("http");
        var overrides = new ConfigOverrides()
            .Set("evaluator.data-dir", dir)
            .Set("evaluator.http.url", "http://127.0.0.1:0")
            .Set("evaluator.http.token", _token ?? "")
            .Set("evaluator.http.max-body-bytes", _maxBody);
        _configure?.Invoke(overrides);
        var config = NodeConfig.Load("single-node", overrides);
        Node = await EvaluatorNode.StartAsync(config);
        Api = await HttpApi.StartAsync(Node, HttpSettings.From(config), _perImage);
        Client = new HttpClient { BaseAddress = Api.Address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Api.DisposeAsync();
        await Node.DisposeAsync();
    }
}

public sealed class TokenHttpNode() : IAsyncLifetime
{
    public HttpNode Inner { get; } = new("s3cret", 4096);

    public Task InitializeAsync() => Inner.InitializeAsync();

    public Task DisposeAsync() => Inner.DisposeAsync();
}

/// <summary>A node that serves at most two requests at once.</summary>
public sealed class LimitedHttpNode() : IAsyncLifetime
{
    public HttpNode Inner { get; } = new(null, 1 << 20, o => o.Set("evaluator.http.max-requests-in-flight", 2));

    public Task InitializeAsync() => Inner.InitializeAsync();

    public Task DisposeAsync() => Inner.DisposeAsync();
}

/// <summary>A node with a token whose reads stay open (public-reads = on).</summary>
public sealed class PublicReadsHttpNode() : IAsyncLifetime
{
    public HttpNode Inner { get; } = new("s3cret", 1 << 20, o => o.Set("evaluator.http.public-reads", true));

    public Task InitializeAsync() => Inner.InitializeAsync();

    public Task DisposeAsync() => Inner.DisposeAsync();
}
