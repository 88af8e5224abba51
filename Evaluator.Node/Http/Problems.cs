using Microsoft.AspNetCore.Http;

namespace Evaluator.Node.Http;

/// <summary>RFC 7807 problem responses and the other small results the endpoints share.</summary>
internal static class Problems
{
    public static IResult Problem(int status, string title, string detail, Dictionary<string, object?>? extensions = null) =>
        Results.Problem(detail: detail, statusCode: status, title: title, extensions: extensions);

    public static IResult UnknownRun(string id) => Problem(404, "unknown run", $"run '{id}' not found");

    /// <summary>A JSON body already rendered.</summary>
    public static IResult Json(string json) => Results.Text(json, "application/json; charset=utf-8");

    /// <summary>Null when the request may write: no token is configured, or it carries the token.</summary>
    public static IResult? Unauthorized(HttpRequest req, HttpSettings settings)
    {
        if (settings.Token.Length == 0) return null;
        var header = req.Headers.Authorization.ToString();
        return header == "Bearer " + settings.Token
            ? null
            : Problem(401, "unauthorized", "this endpoint needs 'Authorization: Bearer <token>'");
    }
}
