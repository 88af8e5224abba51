using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.OpenApi;

namespace Evaluator.Node.Http;

/// <summary>
/// Parts of the OpenAPI description that the endpoints' signatures do not show: request bodies
/// read by hand (declaring them with <c>.Accepts</c> would let routing answer a wrong
/// Content-Type with a bare 415 before the endpoint's own problem body) and query parameters.
/// </summary>
internal static class OpenApiDocs
{
    /// <summary>A JSON request body of <typeparamref name="T"/>'s schema.</summary>
    public static RouteHandlerBuilder JsonBody<T>(this RouteHandlerBuilder route, string description) =>
        route.AddOpenApiOperationTransformer(async (op, ctx, cancel) =>
        {
            var schema = await ctx.GetOrCreateSchemaAsync(typeof(T), null, cancel);
            op.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = description,
                Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = schema } },
            };
        });

    /// <summary>A binary request body (application/octet-stream).</summary>
    public static RouteHandlerBuilder BinaryBody(this RouteHandlerBuilder route, string description) =>
        route.AddOpenApiOperationTransformer((op, _, _) =>
        {
            op.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = description,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/octet-stream"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } },
                },
            };
            return Task.CompletedTask;
        });

    /// <summary>A query parameter (a string).</summary>
    public static RouteHandlerBuilder Query(this RouteHandlerBuilder route, string name, string description, bool required = false) =>
        route.AddOpenApiOperationTransformer((op, _, _) =>
        {
            op.Parameters ??= [];
            op.Parameters.Add(new OpenApiParameter
            {
                Name = name,
                In = ParameterLocation.Query,
                Required = required,
                Description = description,
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
            return Task.CompletedTask;
        });
}
