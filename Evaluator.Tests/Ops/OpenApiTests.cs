using System.Text.Json;
using Evaluator.Tests.Http;
using Evaluator.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Evaluator.Tests.Ops;

/// <summary>
/// GET /openapi/v1.json on real Kestrel describes every route the app maps (read from its
/// EndpointDataSource, so a new route without a description fails here), every problem answer
/// as application/problem+json, and the bodies; the Python client's calls are all in it.
/// </summary>
public sealed class OpenApiTests(HttpNode fixture, ITestOutputHelper output) : IClassFixture<HttpNode>
{
    /// <summary>The description's own route: not an operation of the API.</summary>
    private const string DescriptionRoute = "/openapi/{documentName}.json";

    private async Task<JsonElement> Description() =>
        JsonDocument.Parse(await fixture.Client.GetStringAsync("/openapi/v1.json")).RootElement.Clone();

    /// <summary>Every (METHOD, /path) the app maps, route constraints dropped ({p:int} is {p}).</summary>
    private List<(string Method, string Path)> Routes()
    {
        var sources = fixture.Api.Services.GetRequiredService<EndpointDataSource>();
        var routes = new List<(string, string)>();
        foreach (var e in sources.Endpoints.OfType<RouteEndpoint>())
        {
            var path = "/" + string.Join("/", e.RoutePattern.PathSegments.Select(s => string.Concat(s.Parts.Select(p => p switch
            {
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart l => l.Content,
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart q => "{" + q.Name + "}",
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternSeparatorPart s => s.Content,
                _ => "",
            }))));
            if (path == DescriptionRoute) continue;
            var methods = e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [];
            Assert.True(methods.Count > 0, $"{path} answers every method: map it with MapGet/MapPost");
            routes.AddRange(methods.Select(m => (m, path)));
        }
        return routes;
    }

    [Fact]
    public async Task Every_route_the_app_maps_is_described()
    {
        var doc = await Description();
        var paths = doc.GetProperty("paths");
        var routes = Routes();
        Assert.True(routes.Count >= 16, $"only {routes.Count} routes found: {string.Join(", ", routes)}");
        var undocumented = routes.Where(r => !paths.TryGetProperty(r.Path, out var item)
                                              || !item.TryGetProperty(r.Method.ToLowerInvariant(), out _)).ToList();
        Assert.True(undocumented.Count == 0, "routes missing from /openapi/v1.json: " + string.Join(", ", undocumented));
        // ...and nothing described that the app does not map.
        var described = paths.EnumerateObject().SelectMany(p => p.Value.EnumerateObject().Select(m => (m.Name.ToUpperInvariant(), p.Name))).ToList();
        Assert.Empty(described.Except(routes));
    }

    [Fact]
    public async Task Each_operation_has_a_name_a_summary_its_answers_and_problems_as_problem_json()
    {
        var doc = await Description();
        Assert.Equal("3.1.1", doc.GetProperty("openapi").GetString());
        foreach (var path in doc.GetProperty("paths").EnumerateObject())
        {
            foreach (var op in path.Value.EnumerateObject())
            {
                var where = $"{op.Name.ToUpperInvariant()} {path.Name}";
                Assert.True(op.Value.TryGetProperty("operationId", out _), $"{where}: no name (.WithName)");
                Assert.True(op.Value.TryGetProperty("summary", out _), $"{where}: no summary (.WithSummary)");
                var responses = op.Value.GetProperty("responses").EnumerateObject().ToList();
                Assert.Contains(responses, r => r.Name.StartsWith('2'));
                foreach (var r in responses.Where(r => r.Name[0] is '4' or '5'))
                {
                    Assert.True(r.Value.GetProperty("content").TryGetProperty("application/problem+json", out _),
                        $"{where}: {r.Name} is not described as a problem (.ProducesProblem)");
                }
            }
        }
        var paths = doc.GetProperty("paths");
        // Bodies: the run spec, the binary batches, their query parameters, and the answers' schemas.
        var create = paths.GetProperty("/runs").GetProperty("post");
        Assert.True(create.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        var batch = paths.GetProperty("/runs/{id}/partitions/{p}/batches/{seq}").GetProperty("post");
        Assert.True(batch.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/octet-stream", out _));
        Assert.Contains(batch.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "shape");
        var schemas = doc.GetProperty("components").GetProperty("schemas");
        foreach (var name in new[] { "RunCreatedBody", "RunListItemBody", "RunStateBody", "IngestAckBody", "ReadyBody", "ProblemDetails" })
            Assert.True(schemas.TryGetProperty(name, out _), $"schema {name} missing");
        var spec = create.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        if (spec.TryGetProperty("$ref", out var reference)) spec = schemas.GetProperty(reference.GetString()!.Split('/')[^1]);
        Assert.True(spec.GetProperty("properties").TryGetProperty("label_map", out _));
        Assert.Equal(["num_classes"], spec.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    [Trait("Category", "Services")] // needs /usr/bin/python3
    public async Task The_python_clients_calls_are_all_described()
    {
        var file = Path.Combine(TestEnvironment.TempDir("openapi"), "openapi.json");
        await File.WriteAllTextAsync(file, await fixture.Client.GetStringAsync("/openapi/v1.json"));
        var (code, stdout, stderr, timedOut) = await PythonScripts.RunAsync(
            [Path.Combine(PythonScripts.ClientDir, "tests", "check_openapi.py"), file], PythonScripts.ClientDir, TimeSpan.FromSeconds(60));
        output.WriteLine(stdout + stderr);
        Assert.False(timedOut);
        Assert.True(code == 0, $"check_openapi.py exit {code}\n{stdout}{stderr}");
        Assert.Contains("Client.create_run -> POST /runs", stdout);
        Assert.Contains("PartitionWriter._send -> POST /runs/{id}/partitions/{p}/batches/{seq} | /runs/{id}/partitions/{p}/matrices/{seq}", stdout);
    }
}
