using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Evaluator.Node.Http;

/// <summary>The dashboard's pages and files (the run page itself is served by <see cref="RunEndpoints"/>).</summary>
internal static class DashboardEndpoints
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "Dashboard");

    public static IResult Page(string name) => Results.File(Path.Combine(Directory, name), "text/html; charset=utf-8");

    public static void Map(WebApplication app)
    {
        app.MapGet("/", () => Page("index.html"))
            .WithName("Dashboard").WithTags("dashboard").WithSummary("The dashboard: the runs.")
            .Produces(200, contentType: "text/html");
        app.MapGet("/dashboard/{file}", IResult (string file) =>
        {
            var path = Path.Combine(Directory, Path.GetFileName(file));
            return File.Exists(path) ? Results.File(path, ContentType(path)) : Problems.Problem(404, "no such file", file);
        })
        .WithName("DashboardFile").WithTags("dashboard").WithSummary("The dashboard's scripts, styles and pages.")
        .Produces(200, null, "text/javascript", "text/css", "text/html").ProducesProblem(404);
    }

    private static string ContentType(string path) => Path.GetExtension(path) switch
    {
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".html" => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    };
}
