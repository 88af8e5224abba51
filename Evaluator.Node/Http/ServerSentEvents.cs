using Evaluator.Messages.Protocol;
using Evaluator.Node.Runs;
using Evaluator.Node.Runtime;
using Microsoft.AspNetCore.Http;

namespace Evaluator.Node.Http;

/// <summary>
/// <c>GET /runs/{id}/events</c>: the latest snapshot on connect, then each newer one, then the
/// final one, then the stream closes (<see cref="SnapshotFeed"/>). A slow client gets the latest
/// snapshot only, never a growing backlog; a poll that finds nothing new sends a keep-alive.
/// Each event's data is the snapshot's report JSON with the matrix sparse (<c>confusion_cells</c>:
/// nonzero [row, column, count]), serialized once per snapshot for all subscribers (<see cref="SnapshotBytes"/>).
/// </summary>
internal static class ServerSentEvents
{
    public static async Task StreamAsync(EvaluatorNode node, string runId, SnapshotBytes bytes, HttpContext ctx)
    {
        var cancel = ctx.RequestAborted;
        try
        {
            var started = false;
            await foreach (var s in SnapshotFeed.FollowAsync(node, runId, c => SnapshotFeed.GetAsync(node, runId, c),
                               KeepAliveAsync, cancel))
            {
                if (!started)
                {
                    ctx.Response.Headers.ContentType = "text/event-stream";
                    ctx.Response.Headers.CacheControl = "no-cache";
                    ctx.Response.Headers["X-Accel-Buffering"] = "no";
                    started = true;
                }
                await WriteAsync(ctx, s, bytes.Event(s), cancel);
            }
            if (!started) await Problems.UnknownRun(runId).ExecuteAsync(ctx);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // the client went away
        }

        async Task KeepAliveAsync(CancellationToken c)
        {
            await ctx.Response.WriteAsync(": keep-alive\n\n", c);
            await ctx.Response.Body.FlushAsync(c);
        }
    }

    /// <summary>One event: the snapshot's shared payload bytes (compact JSON holds no newline), written as they are.</summary>
    private static async Task WriteAsync(HttpContext ctx, RunSnapshot s, byte[] payload, CancellationToken cancel)
    {
        await ctx.Response.WriteAsync($"id: {s.Number}\nevent: {(s.Final ? "final" : "snapshot")}\ndata: ", cancel);
        await ctx.Response.Body.WriteAsync(payload, cancel);
        await ctx.Response.WriteAsync("\n\n", cancel);
        await ctx.Response.Body.FlushAsync(cancel);
    }
}
