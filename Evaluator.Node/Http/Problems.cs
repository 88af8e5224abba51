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

    /// <summary>A JSON body already rendered as UTF-8 (shared bytes: never written to).</summary>
    public static IResult Json(byte[] utf8) => Results.Bytes(utf8, "application/json; charset=utf-8");

    /// <summary>Null when the request's body is of <paramref name="mediaType"/>, else a 415.</summary>
    public static IResult? UnsupportedMediaType(HttpRequest req, string mediaType)
    {
        var given = req.ContentType is { } ct ? ct.Split(';')[0].Trim() : "";
        return given.Equals(mediaType, StringComparison.OrdinalIgnoreCase)
            ? null
            : Problem(415, "unsupported media type", $"the body must be Content-Type: {mediaType} (got '{req.ContentType}')");
    }
}
