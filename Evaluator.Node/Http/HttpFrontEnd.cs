using Akka.Actor;
using Akka.Configuration;
using Evaluator.Node.Runtime;

namespace Evaluator.Node.Http;

/// <summary>The HTTP API and dashboard as the front end of a served node (configured by <c>evaluator.http</c>).</summary>
internal sealed class HttpFrontEnd : INodeFrontEnd
{
    public void Check(Config config) => HttpSettings.From(config);

    public async Task<IRunningFrontEnd?> StartJoiningAsync(ActorSystem system, Config config)
    {
        var http = HttpSettings.From(config);
        if (!http.Enabled) return null;
        try
        {
            return await JoiningApi.StartAsync(system, http);
        }
        catch (IOException e)
        {
            throw new ConfigurationException($"cannot listen on {http.Url}: {e.Message}");
        }
    }

    public async Task<IRunningFrontEnd?> StartAsync(EvaluatorNode node, Config config, IRunningFrontEnd? joining)
    {
        var http = HttpSettings.From(config);
        if (!http.Enabled) return null;
        try
        {
            return await HttpApi.StartAsync(node, http, beforeListening: joining is null ? null : joining.DisposeAsync);
        }
        catch (IOException e)
        {
            throw new ConfigurationException($"cannot listen on {http.Url}: {e.Message}");
        }
    }
}
